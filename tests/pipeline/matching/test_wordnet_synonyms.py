"""WordNet widening of synonym tables: the WordNet noun reader, the choice of each category's
sense, the rules on which words are added, the review file and ``rlipv2 wordnet-synonyms``.

Most tests read a tiny WordNet the tests write in WordNet's own file format; the last ones read
the real WordNet 3.0 where Debian's ``wordnet-base`` is installed, and skip otherwise."""

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from data_schemas.errors import RLIPv2InputError
from flows.cli import main
from pipeline.matching import SynonymTable, builtin_synonym_table, load_synonym_file
from pipeline.matching.wordnet_nouns import DEFAULT_WORDNET_DIR, load_wordnet_nouns
from pipeline.matching.wordnet_synonyms import widen_with_wordnet, widening_document


@dataclass(frozen=True)
class Synset:
    offset: str
    words: tuple[str, ...]
    hyponyms: tuple[str, ...] = ()
    instances: tuple[str, ...] = ()
    gloss: str = "a gloss"


# Two senses of "mouse" (the rodent first, as WordNet orders by frequency), a person sense with
# a hyponym ladder (person -> adult -> grownup woman), a "head" that is mostly a body part, and
# a proper-noun instance.
TINY_WORDNET = (
    Synset("00000001", ("mouse",), hyponyms=("00000002",), gloss="a small rodent"),
    Synset("00000002", ("field_mouse", "fieldmouse")),
    Synset("00000003", ("mouse", "computer_mouse"), gloss="a pointing device"),
    Synset("00000020", ("head",), gloss="the upper part of the body"),
    Synset("00000010", ("person", "individual"), hyponyms=("00000011", "00000013"),
           instances=("00000014",)),
    Synset("00000011", ("adult", "grownup"), hyponyms=("00000012",)),
    Synset("00000012", ("woman", "adult_female", "Lady_Jane")),
    Synset("00000013", ("head", "chief")),  # a person who leads
    Synset("00000014", ("Einstein",)),
    Synset("00000030", ("kite",), hyponyms=("00000031",), gloss="a toy"),
    Synset("00000031", ("box_kite", "chief")),  # "chief" under two categories
    Synset("00000032", ("kite",), gloss="a bird"),
)

LICENSE = "  1 This software and database is being provided to you, the LICENSEE, by\n"


def write_wordnet(directory: Path, synsets: tuple[Synset, ...] = TINY_WORDNET) -> Path:
    """``index.noun`` and ``data.noun`` in WordNet 3.0's format (offsets need not be byte
    positions for this reader)."""
    directory.mkdir(parents=True, exist_ok=True)
    data = [LICENSE]
    senses: dict[str, list[str]] = {}
    for synset in synsets:
        pointers = [f"~ {offset} n 0000" for offset in synset.hyponyms]
        pointers += [f"~i {offset} n 0000" for offset in synset.instances]
        words = " ".join(f"{word} 0" for word in synset.words)
        data.append(f"{synset.offset} 05 n {len(synset.words):02x} {words} "
                    f"{len(pointers):03d} {' '.join(pointers)} | {synset.gloss}  \n")
        for word in synset.words:
            senses.setdefault(word.lower(), []).append(synset.offset)
    index = [LICENSE] + [
        f"{lemma} n {len(offsets)} 1 @ {len(offsets)} 0 {' '.join(offsets)}  \n"
        for lemma, offsets in sorted(senses.items())
    ]
    (directory / "data.noun").write_text("".join(data))
    (directory / "index.noun").write_text("".join(index))
    return directory


@pytest.fixture
def tiny_wordnet(tmp_path: Path) -> Path:
    return write_wordnet(tmp_path / "wordnet")


def widen(table: dict[str, list[str]], wordnet_dir: Path, **options) -> dict:
    synonyms = SynonymTable({category: tuple(words) for category, words in table.items()})
    widenings = widen_with_wordnet(synonyms, load_wordnet_nouns(wordnet_dir), **options)
    return {widening.category: widening for widening in widenings}


# --- the reader ------------------------------------------------------------------------------


def test_reader_gives_senses_in_order_words_and_class_hyponyms_only(tiny_wordnet: Path) -> None:
    wordnet = load_wordnet_nouns(tiny_wordnet)
    assert [sense.gloss for sense in wordnet.senses("Mouse")] == ["a small rodent",
                                                                  "a pointing device"]
    assert wordnet.senses("computer mouse")[0].words == ("mouse", "computer mouse")
    person = wordnet.senses("person")[0]
    assert person.hyponyms == ("00000011", "00000013")  # the instance Einstein is not one
    assert [s.offset for s in wordnet.hyponym_closure(person, depth=1)] == ["00000011", "00000013"]
    assert [s.offset for s in wordnet.hyponym_closure(person, depth=2)][-1] == "00000012"
    assert wordnet.senses("unicorn") == []


def test_reader_reports_a_missing_database_and_a_malformed_line(tmp_path: Path) -> None:
    with pytest.raises(RLIPv2InputError, match="apt-get install wordnet-base"):
        load_wordnet_nouns(tmp_path / "nowhere")
    directory = write_wordnet(tmp_path / "broken")
    with (directory / "data.noun").open("a") as data:
        data.write("00000099 05 n zz broken\n")
    with pytest.raises(RLIPv2InputError, match=r"data.noun:14: not a WordNet data line"):
        load_wordnet_nouns(directory)


# --- the widening ----------------------------------------------------------------------------


def test_the_sense_sharing_most_synonyms_is_chosen(tiny_wordnet: Path) -> None:
    widened = widen({"mouse": ["mouse", "computer mouse"]}, tiny_wordnet)["mouse"]
    assert widened.sense.gloss == "a pointing device" and widened.ambiguous == ()
    assert widened.added == ()  # both words are in the table already
    rodent = widen({"mouse": ["mouse", "field mouse"]}, tiny_wordnet)["mouse"]
    assert rodent.sense.gloss == "a small rodent" and rodent.added == ("fieldmouse",)


def test_an_ambiguous_category_gets_nothing_until_its_sense_is_chosen(tiny_wordnet: Path) -> None:
    widened = widen({"kite": ["kite"]}, tiny_wordnet)["kite"]
    assert widened.sense is None and widened.added == ()
    assert [(number, sense.gloss) for number, sense in widened.ambiguous] == [(1, "a toy"),
                                                                            (2, "a bird")]
    chosen = widen({"kite": ["kite"]}, tiny_wordnet, senses={"kite": 1})["kite"]
    assert chosen.sense.gloss == "a toy" and chosen.added == ("box kite",)  # "chief": a person
    with pytest.raises(RLIPv2InputError, match="WordNet has 2 noun senses of 'kite'"):
        widen({"kite": ["kite"]}, tiny_wordnet, senses={"kite": 3})
    with pytest.raises(RLIPv2InputError, match="categories the table lacks: kit"):
        widen({"kite": ["kite"]}, tiny_wordnet, senses={"kit": 1})


def test_only_common_nouns_mainly_meaning_the_sense_are_added(tiny_wordnet: Path) -> None:
    widened = widen({"person": ["person", "man"]}, tiny_wordnet, depth=1)["person"]
    # "head" under person is mostly a body part; "chief" (its other word) mainly means this
    # person, so it stays.
    assert widened.added == ("individual", "adult", "grownup", "chief")
    deeper = widen({"person": ["person", "man"]}, tiny_wordnet, depth=2)["person"]
    # "Lady_Jane" is not a common noun.
    assert deeper.added == ("individual", "adult", "grownup", "chief", "woman", "adult female")


def test_words_another_category_has_or_two_are_offered_are_left_out(tiny_wordnet: Path) -> None:
    widened = widen({"person": ["person"], "adult": ["adult"]}, tiny_wordnet, depth=2)
    # "adult" is the adult category's; grownup, woman, adult female are offered to both.
    assert widened["person"].added == ("individual", "chief")
    assert widened["adult"].added == ()


def test_the_review_file_is_a_synonym_file_that_extends_the_table(
    tiny_wordnet: Path, tmp_path: Path
) -> None:
    table = SynonymTable({"person": ("person", "man"), "kite": ("kite",)})
    widenings = widen_with_wordnet(table, load_wordnet_nouns(tiny_wordnet))
    document = widening_document(widenings, dataset="mine-wordnet", source=str(tiny_wordnet))
    assert document["ambiguous"] == [{"name": "kite", "word": "kite",
                                      "senses": ["1: kite: a toy", "2: kite: a bird"]}]
    path = tmp_path / "widened.json"
    path.write_text(json.dumps(document))
    extended = table.extended_with(load_synonym_file(path))
    assert extended.synonyms["person"] == ("person", "man", "individual", "adult", "grownup",
                                           "chief", "woman", "adult female")
    assert extended.synonyms["kite"] == ("kite",)


def test_cli_writes_the_review_file_and_refuses_to_overwrite(
    tiny_wordnet: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "coco-wordnet.json"
    arguments = ["wordnet-synonyms", "--vocabulary", "coco", "--wordnet-dir", str(tiny_wordnet),
                 "--out", str(out), "--sense", "kite=1"]
    assert main(arguments) == 0
    printed = capsys.readouterr().out
    assert f"written to {out}" in printed and "ambiguous: mouse ('mouse')" in printed
    kite = next(entry for entry in json.loads(out.read_text())["categories"]
                if entry["name"] == "kite")
    assert kite["wordnet_sense"] == "kite: a toy" and kite["synonyms"] == ["box kite"]
    assert main(arguments) == 2
    assert "pass --overwrite" in capsys.readouterr().err
    assert main([*arguments, "--overwrite", "--sense", "kite"]) == 2
    assert "expected CATEGORY=N" in capsys.readouterr().err


# --- the real WordNet ------------------------------------------------------------------------

needs_wordnet = pytest.mark.skipif(
    not (DEFAULT_WORDNET_DIR / "data.noun").is_file(),
    reason=f"WordNet 3.0 is not installed in {DEFAULT_WORDNET_DIR} (apt-get install wordnet-base)",
)


@needs_wordnet
def test_real_wordnet_widens_coco_and_leaves_ambiguous_names_for_review() -> None:
    widenings = widen_with_wordnet(builtin_synonym_table("coco"), load_wordnet_nouns())
    widened = {widening.category: widening for widening in widenings}
    assert "puppy" in builtin_synonym_table("coco").synonyms["dog"]  # known: not re-added
    assert {"mutt", "lapdog"} <= set(widened["dog"].added)
    assert {"station wagon", "police car"} <= set(widened["car"].added)
    assert widened["mouse"].sense is None  # rodent or device: the table has only "mouse"
    assert "computer mouse" in {word for _, sense in widened["mouse"].ambiguous
                                for word in sense.words}
    assert "head" not in widened["person"].added
