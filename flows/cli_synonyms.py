"""``rlipv2 wordnet-synonyms``: widen a synonym table with WordNet, into a file for review."""

import argparse
import json
from pathlib import Path

from data_schemas.atomic_files import atomic_output
from data_schemas.errors import RLIPv2InputError
from flows.cli_arguments import add_synonym_table_arguments, positive_int
from flows.output_guard import check_output
from pipeline.matching import synonym_table
from pipeline.matching.wordnet_nouns import DEFAULT_WORDNET_DIR, load_wordnet_nouns
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
        help=f"WordNet 3.0 database (index.noun, data.noun; {DEFAULT_WORDNET_DIR}: "
        "apt-get install wordnet-base)",
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
    widenings = widen_with_wordnet(
        synonym_table(arguments.vocabulary, arguments.synonyms),
        load_wordnet_nouns(arguments.wordnet_dir),
        depth=arguments.depth,
        senses=_sense_choices(arguments.sense),
    )
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
