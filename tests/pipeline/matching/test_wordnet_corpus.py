"""WordNet for nltk, offline: the nltk data directory made from a WordNet 3.0 database
(``lexnames`` and ``index.sense`` generated), read by nltk, and ``rlipv2 wordnet-data``.

Most tests use a tiny database written in WordNet's own formats (:mod:`tiny_wordnet`); the last
ones use the real WordNet 3.0 where Debian's ``wordnet-base`` is installed, and skip otherwise."""

from collections.abc import Iterator
from pathlib import Path

import nltk
import pytest
from nltk.corpus.reader.wordnet import WordNetCorpusReader

from data_schemas.errors import RLIPv2InputError
from flows.cli import main
from pipeline.matching.wordnet_corpus import (
    CORPUS_PATH,
    DEFAULT_WORDNET_DIR,
    is_nltk_wordnet,
    open_wordnet,
    write_nltk_wordnet,
)
from tiny_wordnet import needs_wordnet, synset_offsets, write_wordnet

TAG_COUNTS = "mouse%1:05:00:: 1 7\ngalore%5:00:00:abundant:00 1 3\n"


@pytest.fixture
def nltk_data(tmp_path: Path) -> Path:
    database = write_wordnet(tmp_path / "wordnet", tag_counts=TAG_COUNTS)
    return write_nltk_wordnet(database, tmp_path / "nltk_data")


def generated(nltk_data: Path, name: str) -> list[str]:
    return (nltk_data / CORPUS_PATH / name).read_text().splitlines()


def test_lexnames_number_the_45_lexicographer_files(nltk_data: Path) -> None:
    lexnames = generated(nltk_data, "lexnames")
    assert len(lexnames) == 45
    assert lexnames[0] == "00\tadj.all\t3" and lexnames[3] == "03\tnoun.Tops\t1"
    assert lexnames[29] == "29\tverb.body\t2" and lexnames[44] == "44\tadj.ppl\t3"


def test_index_sense_has_a_sorted_line_per_sense_key(nltk_data: Path) -> None:
    offsets = synset_offsets()
    lines = generated(nltk_data, "index.sense")
    assert lines == sorted(lines) and len(lines) == 23  # the words of the 14 synsets
    assert f"mouse%1:05:00:: {offsets['rodent']} 1 7" in lines  # count from cntlist.rev
    assert f"mouse%1:05:01:: {offsets['device']} 2 0" in lines  # second sense, lex_id 1
    assert f"lady_jane%1:05:00:: {offsets['woman']} 1 0" in lines  # lower-case
    # an adjective satellite names its head; "(ip)" marks no part of the key
    assert f"galore%5:00:00:abundant:00 {offsets['galore']} 1 3" in lines
    assert f"abundant%3:00:00:: {offsets['abundant']} 1 0" in lines


def test_nltk_reads_the_directory(nltk_data: Path) -> None:
    assert is_nltk_wordnet(nltk_data) and not is_nltk_wordnet(nltk_data / CORPUS_PATH)
    with open_wordnet(nltk_data) as wordnet:
        galore = wordnet.lemma_from_key("galore%5:00:00:abundant:00")  # index.sense's search
        assert galore.synset().similar_tos()[0].lemma_names() == ["abundant"]
        assert galore.count() == 3 and wordnet.lemma_from_key("mouse%1:05:01::").count() == 0
        mouse = wordnet.synsets("mouse", "n")[0]
        assert mouse.lexname() == "noun.animal" and mouse.definition() == "a small rodent"


def test_a_database_is_made_into_a_temporary_directory_for_reading(tmp_path: Path) -> None:
    database = write_wordnet(tmp_path / "wordnet")
    with open_wordnet(database) as wordnet:
        corpus = Path(wordnet.root.path)
        assert corpus.parent.parent != tmp_path and (corpus / "index.sense").is_file()
        assert wordnet.synsets("kite", "n")[1].definition() == "a bird"
        assert str(corpus.parents[1]) in nltk.data.path  # nltk reads only under its data path
    assert not corpus.exists() and str(corpus.parents[1]) not in nltk.data.path


def test_a_missing_file_or_a_malformed_line_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RLIPv2InputError, match=r"\(data.noun, .*missing\).*apt-get install"):
        write_nltk_wordnet(tmp_path / "nowhere", tmp_path / "out")
    database = write_wordnet(tmp_path / "broken")
    with (database / "data.noun").open("a") as data:
        data.write("00000099 05 n zz broken\n")
    with pytest.raises(RLIPv2InputError, match=r"data.noun:14: not a WordNet data line"):
        write_nltk_wordnet(database, tmp_path / "out")
    nltk_data = write_nltk_wordnet(write_wordnet(tmp_path / "wordnet"), tmp_path / "nltk_data")
    with (nltk_data / CORPUS_PATH / "index.noun").open("a") as index:
        index.write("unicorn n many\n")
    with pytest.raises(RLIPv2InputError, match=r"WordNet at .*nltk_data: file .*line 1[0-9]"):
        with open_wordnet(nltk_data):
            pass


def test_cli_writes_a_data_directory_that_wordnet_synonyms_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database, out = write_wordnet(tmp_path / "wordnet"), tmp_path / "nltk_data"
    arguments = ["wordnet-data", "--wordnet-dir", str(database), "--out", str(out)]
    assert main(arguments) == 0
    assert f"NLTK_DATA={out}" in capsys.readouterr().out and is_nltk_wordnet(out)
    assert sorted(tmp_path.iterdir()) == [out, database]  # no staging directory left
    assert main(arguments) == 2 and "pass --overwrite" in capsys.readouterr().err
    inside = ["wordnet-data", "--wordnet-dir", str(database), "--out", str(database / "nltk")]
    assert main(inside) == 2 and "lies inside the WordNet directory" in capsys.readouterr().err
    assert main([*arguments, "--overwrite"]) == 0
    review = tmp_path / "review.json"
    assert main(["wordnet-synonyms", "--vocabulary", "demo", "--wordnet-dir", str(out),
                 "--out", str(review)]) == 0
    assert review.is_file()
    missing = ["wordnet-data", "--wordnet-dir", str(tmp_path / "nowhere"), "--out",
               str(tmp_path / "other")]
    assert main(missing) == 2
    error = capsys.readouterr().err
    assert error.startswith("rlipv2: error: no WordNet 3.0 database") and error.count("\n") == 1
    assert not (tmp_path / "other").exists()


# --- the real WordNet ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_wordnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WordNetCorpusReader]:
    nltk_data = write_nltk_wordnet(DEFAULT_WORDNET_DIR, tmp_path_factory.mktemp("nltk_data"))
    with open_wordnet(nltk_data) as wordnet:
        yield wordnet


@needs_wordnet
def test_real_sense_keys_are_nltks_own(real_wordnet: WordNetCorpusReader) -> None:
    lemmas = [lemma for word in ("dog", "galore", "abundant", "run", "quickly", "a", "mouse")
              for synset in real_wordnet.synsets(word) for lemma in synset.lemmas()]
    assert {lemma.synset().pos() for lemma in lemmas} == {"n", "v", "a", "s", "r"}
    for lemma in lemmas:  # nltk computes each key from the data files itself
        found = real_wordnet.lemma_from_key(lemma.key())  # the letter "A" and "a": one key
        assert (found.synset(), found.name().lower()) == (lemma.synset(), lemma.name().lower())
    keys = [line.split()[0] for line in generated(Path(real_wordnet.root.path).parents[1],
                                                  "index.sense")]
    assert len(keys) == len(set(keys)) and "a%1:10:00::" in keys  # one line for "A" and "a"
    dog = real_wordnet.synset("dog.n.01").lemmas()[0]
    assert dog.key() == "dog%1:05:00::" and dog.count() == 42  # cntlist.rev's count
    assert real_wordnet.morphy("mice", "n") == "mouse"  # noun.exc
