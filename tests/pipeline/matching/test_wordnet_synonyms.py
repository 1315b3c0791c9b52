"""WordNet widening of synonym tables: the noun senses read through nltk, the choice of each
category's sense, the rules on which words are added, the review file and ``rlipv2
wordnet-synonyms``.

Most tests read a tiny WordNet the tests write in WordNet's own file format
(:mod:`tiny_wordnet`); the last ones read the real WordNet 3.0 where Debian's ``wordnet-base`` is
installed, and skip otherwise."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from nltk.corpus.reader.wordnet import WordNetCorpusReader

from data_schemas.errors import RLIPv2InputError
from flows.cli import main
from pipeline.matching import SynonymTable, builtin_synonym_table, load_synonym_file
from pipeline.matching.wordnet_corpus import DEFAULT_WORDNET_DIR, open_wordnet
from pipeline.matching.wordnet_synonyms import (
    gloss,
    noun_senses,
    synset_words,
    widen_with_wordnet,
    widening_document,
)
from tiny_wordnet import needs_wordnet, write_wordnet


@pytest.fixture
def tiny_wordnet(tmp_path: Path) -> Path:
    return write_wordnet(tmp_path / "wordnet")


@pytest.fixture
def wordnet(tiny_wordnet: Path) -> Iterator[WordNetCorpusReader]:
    with open_wordnet(tiny_wordnet) as reader:
        yield reader


def widen(table: dict[str, list[str]], wordnet: WordNetCorpusReader, **options) -> dict:
    synonyms = SynonymTable({category: tuple(words) for category, words in table.items()})
    widenings = widen_with_wordnet(synonyms, wordnet, **options)
    return {widening.category: widening for widening in widenings}


# --- the noun senses -------------------------------------------------------------------------


def test_noun_senses_in_order_of_the_word_itself(wordnet: WordNetCorpusReader) -> None:
    assert [sense.definition() for sense in noun_senses(wordnet, "Mouse")] == [
        "a small rodent", "a pointing device"]
    assert gloss(noun_senses(wordnet, "mouse")[0]) == 'a small rodent; "a mouse ran"'
    assert synset_words(noun_senses(wordnet, "computer mouse")[0]) == ("mouse", "computer mouse")
    assert synset_words(noun_senses(wordnet, "woman")[0]) == ("woman", "adult female", "Lady Jane")
    # nltk's synsets() would give "mouse" for "mice" (there is no exception list here, but
    # "mouses" -> mouse by its rules): noun_senses keeps the word's own senses only.
    assert wordnet.synsets("mouses", "n") and noun_senses(wordnet, "mouses") == []
    assert noun_senses(wordnet, "unicorn") == []
    person = noun_senses(wordnet, "person")[0]
    # class hyponyms only: the instance Einstein is not one
    assert sorted(synset_words(hyponym)[0] for hyponym in person.hyponyms()) == ["adult", "head"]


# --- the widening ----------------------------------------------------------------------------


def test_the_sense_sharing_most_synonyms_is_chosen(wordnet: WordNetCorpusReader) -> None:
    widened = widen({"mouse": ["mouse", "computer mouse"]}, wordnet)["mouse"]
    assert widened.sense.definition() == "a pointing device" and widened.ambiguous == ()
    assert widened.added == ()  # both words are in the table already
    rodent = widen({"mouse": ["mouse", "field mouse"]}, wordnet)["mouse"]
    assert rodent.sense.definition() == "a small rodent" and rodent.added == ("fieldmouse",)


def test_an_ambiguous_category_gets_nothing_until_its_sense_is_chosen(
    wordnet: WordNetCorpusReader,
) -> None:
    widened = widen({"kite": ["kite"]}, wordnet)["kite"]
    assert widened.sense is None and widened.added == ()
    assert [(number, sense.definition()) for number, sense in widened.ambiguous] == [
        (1, "a toy"), (2, "a bird")]
    chosen = widen({"kite": ["kite"]}, wordnet, senses={"kite": 1})["kite"]
    # "chief", the box kite's other word, mainly means a person
    assert chosen.sense.definition() == "a toy" and chosen.added == ("box kite",)
    with pytest.raises(RLIPv2InputError, match="WordNet has 2 noun senses of 'kite'"):
        widen({"kite": ["kite"]}, wordnet, senses={"kite": 3})
    with pytest.raises(RLIPv2InputError, match="categories the table lacks: kit"):
        widen({"kite": ["kite"]}, wordnet, senses={"kit": 1})


def test_only_common_nouns_mainly_meaning_the_sense_are_added(
    wordnet: WordNetCorpusReader,
) -> None:
    widened = widen({"person": ["person", "man"]}, wordnet, depth=1)["person"]
    # "head" under person is mostly a body part; "chief" (its other word) mainly means this
    # person, so it stays.
    assert widened.added == ("individual", "adult", "grownup", "chief")
    deeper = widen({"person": ["person", "man"]}, wordnet, depth=2)["person"]
    # "Lady Jane" is not a common noun.
    assert deeper.added == ("individual", "adult", "grownup", "chief", "woman", "adult female")


def test_words_another_category_has_or_two_are_offered_are_left_out(
    wordnet: WordNetCorpusReader,
) -> None:
    widened = widen({"person": ["person"], "adult": ["adult"]}, wordnet, depth=2)
    # "adult" is the adult category's; grownup, woman, adult female are offered to both.
    assert widened["person"].added == ("individual", "chief")
    assert widened["adult"].added == ()


def test_the_review_file_is_a_synonym_file_that_extends_the_table(
    wordnet: WordNetCorpusReader, tiny_wordnet: Path, tmp_path: Path
) -> None:
    table = SynonymTable({"person": ("person", "man"), "kite": ("kite",)})
    widenings = widen_with_wordnet(table, wordnet)
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

@pytest.fixture(scope="module")
def real_wordnet() -> Iterator[WordNetCorpusReader]:
    """WordNet 3.0, made into an nltk data directory once for the module."""
    with open_wordnet(DEFAULT_WORDNET_DIR) as reader:
        yield reader


@needs_wordnet
def test_real_wordnet_widens_coco_and_leaves_ambiguous_names_for_review(
    real_wordnet: WordNetCorpusReader,
) -> None:
    widenings = widen_with_wordnet(builtin_synonym_table("coco"), real_wordnet)
    widened = {widening.category: widening for widening in widenings}
    assert "puppy" in builtin_synonym_table("coco").synonyms["dog"]  # known: not re-added
    assert {"mutt", "lapdog"} <= set(widened["dog"].added)
    assert {"station wagon", "police car"} <= set(widened["car"].added)
    assert widened["mouse"].sense is None  # rodent or device: the table has only "mouse"
    assert "computer mouse" in {word for _, sense in widened["mouse"].ambiguous
                                for word in synset_words(sense)}
    assert "head" not in widened["person"].added
