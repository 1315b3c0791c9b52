"""A tiny WordNet 3.0 database, written by the tests in WordNet's own file formats (``wndb(5)``),
and the real one where Debian's ``wordnet-base`` is installed."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.matching.wordnet_corpus import DATABASE_FILES, DEFAULT_WORDNET_DIR


@dataclass(frozen=True)
class Synset:
    """A synset of the tiny database: ``name`` stands for its offset, which the writer computes
    (nltk seeks to it); ``head`` is an adjective satellite's head synset."""

    name: str
    words: tuple[str, ...]
    pos: str = "noun"
    hyponyms: tuple[str, ...] = ()
    instances: tuple[str, ...] = ()
    head: str | None = None
    gloss: str = "a gloss"


# Two senses of "mouse" (the rodent first, as WordNet orders by frequency), a person sense with
# a hyponym ladder (person -> adult -> grownup woman), a "head" that is mostly a body part, a
# proper-noun instance, and an adjective with a satellite.
TINY_WORDNET = (
    Synset("rodent", ("mouse",), hyponyms=("field mouse",), gloss='a small rodent; "a mouse ran"'),
    Synset("field mouse", ("field_mouse", "fieldmouse")),
    Synset("device", ("mouse", "computer_mouse"), gloss="a pointing device"),
    Synset("body part", ("head",), gloss="the upper part of the body"),
    Synset("person", ("person", "individual"), hyponyms=("adult", "chief"),
           instances=("einstein",)),
    Synset("adult", ("adult", "grownup"), hyponyms=("woman",)),
    Synset("woman", ("woman", "adult_female", "Lady_Jane")),
    Synset("chief", ("head", "chief")),  # a person who leads
    Synset("einstein", ("Einstein",)),
    Synset("toy kite", ("kite",), hyponyms=("box kite",), gloss="a toy"),
    Synset("box kite", ("box_kite", "chief")),  # "chief" under two categories
    Synset("bird kite", ("kite",), gloss="a bird"),
    Synset("abundant", ("abundant",), pos="adj"),
    Synset("galore", ("abounding", "galore(ip)"), pos="adj", head="abundant"),
)

LICENSE = "  1 This software and database is being provided to you, the LICENSEE, by\n"
_SS_TYPE = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}


def write_wordnet(
    directory: Path, synsets: tuple[Synset, ...] = TINY_WORDNET, tag_counts: str = ""
) -> Path:
    """The database files nltk reads as they are (``DATABASE_FILES``): ``data.*`` with byte
    offsets, ``index.*``, empty exception lists, and ``tag_counts`` as ``cntlist.rev``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in DATABASE_FILES:
        (directory / name).write_text(LICENSE if name.startswith(("data.", "index.")) else "")
    (directory / "cntlist.rev").write_text(tag_counts)
    offsets = synset_offsets(synsets)
    for pos in _SS_TYPE:
        members = [synset for synset in synsets if synset.pos == pos]
        data = "".join(_data_line(synset, offsets, synsets) for synset in members)
        senses: dict[str, list[str]] = {}
        for synset in members:
            for word in synset.words:
                senses.setdefault(word.partition("(")[0].lower(), []).append(offsets[synset.name])
        index = "".join(
            f"{lemma} {_SS_TYPE[pos]} {len(found)} 1 @ {len(found)} 0 {' '.join(found)}  \n"
            for lemma, found in sorted(senses.items())
        )
        (directory / f"data.{pos}").write_text(LICENSE + data)
        (directory / f"index.{pos}").write_text(LICENSE + index)
    return directory


def synset_offsets(synsets: tuple[Synset, ...] = TINY_WORDNET) -> dict[str, str]:
    """Each synset's byte offset in its ``data.*`` file. Offsets are 8 digits, so a line's
    length does not depend on them: lines written with placeholder offsets have their length."""
    placeholder = {synset.name: "0" * 8 for synset in synsets}
    offsets, positions = {}, dict.fromkeys(_SS_TYPE, len(LICENSE))
    for synset in synsets:
        offsets[synset.name] = f"{positions[synset.pos]:08d}"
        positions[synset.pos] += len(_data_line(synset, placeholder, synsets).encode())
    return offsets


def _data_line(synset: Synset, offsets: dict[str, str], synsets: tuple[Synset, ...]) -> str:
    """``synset``'s line; a word's ``lex_id`` counts the earlier synsets of ``synsets`` that
    have it, so that its senses have distinct keys (all nouns are in one lexicographer file)."""
    ss_type = "s" if synset.head else _SS_TYPE[synset.pos]
    pointers = [f"~ {offsets[name]} n 0000" for name in synset.hyponyms]
    pointers += [f"~i {offsets[name]} n 0000" for name in synset.instances]
    if synset.head:
        pointers.append(f"& {offsets[synset.head]} a 0000")
    earlier = synsets[: synsets.index(synset)]
    words = " ".join(
        f"{word} {sum(word in other.words for other in earlier):x}" for word in synset.words
    )
    lex_filenum = "00" if synset.pos == "adj" else "05"
    return (f"{offsets[synset.name]} {lex_filenum} {ss_type} {len(synset.words):02x} {words} "
            f"{len(pointers):03d} {' '.join(pointers)} | {synset.gloss}  \n")


needs_wordnet = pytest.mark.skipif(
    not all((DEFAULT_WORDNET_DIR / name).is_file() for name in DATABASE_FILES),
    reason=f"WordNet 3.0 is not installed in {DEFAULT_WORDNET_DIR} (apt-get install wordnet-base)",
)
"""For tests of the real WordNet: they skip where it is not installed."""
