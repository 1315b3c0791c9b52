"""``rlipv2 wordnet-synonyms``: widen a synonym table with WordNet, into a file for review;
``rlipv2 wordnet-data``: make an nltk data directory from a WordNet 3.0 database."""

import argparse
import json
import shutil
from pathlib import Path

from data_schemas.atomic_files import atomic_output
from data_schemas.errors import RLIPv2InputError
from data_schemas.temporary_siblings import move_into_place, new_temporary_sibling
from flows.cli_arguments import add_synonym_table_arguments, positive_int
from flows.output_guard import check_output
from pipeline.matching import synonym_table
from pipeline.matching.wordnet_corpus import DEFAULT_WORDNET_DIR, open_wordnet, write_nltk_wordnet
from pipeline.matching.wordnet_synonyms import (
    DEFAULT_HYPONYM_DEPTH,
    widen_with_wordnet,
    widening_document,
)


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 wordnet-synonyms``."""
    parser.description = (
        "Propose synonyms for each category of a synonym table from WordNet (the category's "
        "sense, its other words and its hyponyms' words) and write them to a JSON file to "
        "review, then pass to candidates or label with --synonyms. Categories whose sense "
        "is ambiguous get nothing until chosen with --sense."
    )
    parser.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    add_synonym_table_arguments(parser)
    parser.add_argument(
        "--wordnet-dir",
        type=Path,
        default=DEFAULT_WORDNET_DIR,
        help=f"a WordNet 3.0 database ({DEFAULT_WORDNET_DIR}: apt-get install wordnet-base), "
        "or an nltk data directory made from one by `rlipv2 wordnet-data` (faster to open)",
    )
    parser.add_argument(
        "--depth",
        type=positive_int,
        default=DEFAULT_HYPONYM_DEPTH,
        help=f"hyponym levels below each category's sense ({DEFAULT_HYPONYM_DEPTH})",
    )
    parser.add_argument(
        "--sense",
        action="append",
        default=[],
        metavar="CATEGORY=N",
        help="use the N-th WordNet sense for CATEGORY (numbers as listed under 'ambiguous')",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    parser.set_defaults(handler=_run)


def _run(arguments: argparse.Namespace) -> None:
    check_output(arguments.out, {"synonyms file": arguments.synonyms, "WordNet directory":
                                 arguments.wordnet_dir}, overwrite=arguments.overwrite)
    table = synonym_table(arguments.vocabulary, arguments.synonyms)
    senses = _sense_choices(arguments.sense)
    with open_wordnet(arguments.wordnet_dir) as wordnet:
        widenings = widen_with_wordnet(table, wordnet, depth=arguments.depth, senses=senses)
    document = widening_document(
        widenings, dataset=f"{arguments.vocabulary}-wordnet", source=str(arguments.wordnet_dir)
    )
    with atomic_output(arguments.out) as out:  # indented, for review
        json.dump(document, out, indent=1)
        out.write("\n")
    added = sum(len(widening.added) for widening in widenings)
    print(f"{added:,} synonyms for {len(document['categories'])} of {len(widenings)} "
          f"categories written to {arguments.out}; review them, then pass "
          f"--synonyms {arguments.out}")
    for entry in document["ambiguous"]:
        print(f"ambiguous: {entry['name']} ({entry['word']!r}); choose with "
              f"--sense '{entry['name']}=N':")
        for sense in entry["senses"]:
            print(f"  {sense}")


def _sense_choices(choices: list[str]) -> dict[str, int]:
    """``--sense CATEGORY=N`` options as ``{category: N}``."""
    senses = {}
    for choice in choices:
        category, separator, number = choice.rpartition("=")
        if not separator or not category or not number.isdigit():
            raise RLIPv2InputError(f"--sense {choice!r}: expected CATEGORY=N, e.g. mouse=4")
        senses[category] = int(number)
    return senses


def configure_wordnet_data(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 wordnet-data``."""
    parser.description = (
        "Make an nltk data directory from a WordNet 3.0 database (Debian's wordnet-base), "
        "adding the two files nltk's reader needs that the database lacks (lexnames, "
        "index.sense). Point NLTK_DATA at it to use nltk's WordNet offline, or pass it to "
        "wordnet-synonyms --wordnet-dir."
    )
    parser.add_argument("--out", type=Path, required=True,
                        help="the nltk data directory to write, a new one (WordNet goes to its "
                        "corpora/wordnet; --overwrite replaces the whole directory)")
    parser.add_argument(
        "--wordnet-dir",
        type=Path,
        default=DEFAULT_WORDNET_DIR,
        help=f"the WordNet 3.0 database ({DEFAULT_WORDNET_DIR}: apt-get install wordnet-base)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    parser.set_defaults(handler=_write_wordnet_data)


def _write_wordnet_data(arguments: argparse.Namespace) -> None:
    check_output(arguments.out, {"WordNet directory": arguments.wordnet_dir},
                 overwrite=arguments.overwrite)
    staging = new_temporary_sibling(arguments.out, "staging")
    try:
        move_into_place(write_nltk_wordnet(arguments.wordnet_dir, staging), arguments.out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(f"nltk WordNet data written to {arguments.out}; use it with "
          f"NLTK_DATA={arguments.out} or wordnet-synonyms --wordnet-dir {arguments.out}")
