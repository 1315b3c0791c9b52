"""WordNet for nltk, offline: an nltk data directory made from a WordNet 3.0 database, and nltk's
reader on it.

No PyPI package ships WordNet and ``nltk.download`` needs the network; Debian's ``wordnet-base``
(``apt-get install wordnet-base``) installs WordNet 3.0 in ``/usr/share/wordnet``: the ``data.*``,
``index.*`` and ``*.exc`` files and ``cntlist.rev``. nltk's reader also wants ``lexnames`` and
``index.sense``, which that package lacks. :func:`write_nltk_wordnet` copies the database into
``<out>/corpora/wordnet`` (copies: nltk refuses files that leave its data root) and writes the two:

- ``lexnames`` (``lexnames(5)``): ``number name pos`` for the 45 lexicographer files, 00-44;
- ``index.sense`` (``senseidx(5)``): ``sense_key offset sense_number tag_count``, sorted, one line
  per word of every synset. A sense key is ``lemma%ss_type:lex_filenum:lex_id:head_word:head_id``
  (lower-case; ``ss_type`` 1-5 for noun, verb, adjective, adverb, adjective satellite; the head is
  the first word of a satellite's head synset, empty otherwise); the sense number is the synset's
  position in the lemma's ``index.*`` line, the tag count is ``cntlist.rev``'s (0 where absent).

Database formats (``wndb(5)``): a ``data.*`` line is ``offset lex_filenum ss_type w_cnt(hex) (word
lex_id(hex))... p_cnt (pointer_symbol offset pos source/target)... | gloss``; an ``index.*`` line is
``lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt offset...``, offsets in sense
order; license lines start with spaces.
"""

import re
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nltk
from nltk.corpus.reader.wordnet import WordNetCorpusReader, WordNetError

from data_schemas.errors import RLIPv2InputError

DEFAULT_WORDNET_DIR = Path("/usr/share/wordnet")
"""Where Debian's ``wordnet-base`` installs the database."""

PARTS_OF_SPEECH = ("noun", "verb", "adj", "adv")
DATABASE_FILES = (
    *(f"{kind}.{pos}" for pos in PARTS_OF_SPEECH for kind in ("data", "index")),
    *(f"{pos}.exc" for pos in PARTS_OF_SPEECH),
    "cntlist.rev",
)
"""The files of a WordNet 3.0 database that nltk reads as they are."""

LEXICOGRAPHER_FILES = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
    "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event",
    "noun.feeling", "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object",
    "noun.person", "noun.phenomenon", "noun.plant", "noun.possession", "noun.process",
    "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
    "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition",
    "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",
    "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather",
    "adj.ppl",
)
"""WordNet 3.0's lexicographer files, by number (``lex_filenum``)."""

CORPUS_PATH = Path("corpora") / "wordnet"
"""Where nltk looks for WordNet under a data directory (an ``NLTK_DATA`` entry)."""

_POS_NUMBER = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
_SATELLITE, _SATELLITE_NUMBER = "s", 5
_ADJECTIVE_MARKER = re.compile(r"\((?:a|p|ip)\)$")


@dataclass(frozen=True)
class _DataLine:
    """The fields of a ``data.*`` line that sense keys need; words lower-case, markers removed."""

    offset: str
    lex_filenum: str
    ss_type: str
    words: tuple[tuple[str, int], ...]
    head_offset: str | None


def write_nltk_wordnet(database: Path, out: Path) -> Path:
    """Make ``out`` an nltk data directory holding ``database``'s WordNet; returns ``out``.

    Raises:
        RLIPv2InputError: a database file is missing (install it: ``apt-get install
            wordnet-base``) or a line is not in WordNet's format.
    """
    _check_database(database)
    corpus = out / CORPUS_PATH
    corpus.mkdir(parents=True, exist_ok=True)
    for name in DATABASE_FILES:
        shutil.copyfile(database / name, corpus / name)
    (corpus / "lexnames").write_text(
        "".join(
            f"{number:02d}\t{name}\t{_POS_NUMBER[name.partition('.')[0]]}\n"
            for number, name in enumerate(LEXICOGRAPHER_FILES)
        ),
        encoding="utf-8",
    )
    (corpus / "index.sense").write_text(
        "".join(f"{line}\n" for line in sense_index_lines(database)), encoding="utf-8"
    )
    return out


def is_nltk_wordnet(directory: Path) -> bool:
    """Whether ``directory`` is an nltk data directory with a complete WordNet."""
    corpus = directory / CORPUS_PATH
    return all((corpus / name).is_file() for name in (*DATABASE_FILES, "lexnames", "index.sense"))


@contextmanager
def open_wordnet(directory: Path = DEFAULT_WORDNET_DIR) -> Iterator[WordNetCorpusReader]:
    """nltk's WordNet reader on ``directory``: an nltk data directory (:func:`is_nltk_wordnet`),
    or a WordNet 3.0 database, made into one in a temporary directory for the ``with`` block.

    Raises:
        RLIPv2InputError: ``directory`` is neither (see :func:`write_nltk_wordnet`), or nltk
            finds a malformed line, on opening or in the ``with`` block.
    """
    try:
        if is_nltk_wordnet(directory):
            with _reader(directory) as reader:
                yield reader
            return
        with tempfile.TemporaryDirectory(prefix="rlipv2-wordnet-") as scratch:
            with _reader(write_nltk_wordnet(directory, Path(scratch))) as reader:
                yield reader
    except WordNetError as error:
        raise RLIPv2InputError(f"WordNet at {directory}: {error}") from None


@contextmanager
def _reader(data_dir: Path) -> Iterator[WordNetCorpusReader]:
    """The reader of ``data_dir``'s WordNet. nltk opens only files under its data path: the
    directory is on it for the ``with`` block."""
    data_root = str(data_dir.resolve())
    added = data_root not in nltk.data.path
    if added:
        nltk.data.path.append(data_root)
    try:
        with warnings.catch_warnings():  # "multilingual functions are not available": unused
            warnings.simplefilter("ignore", UserWarning)
            reader = _WordNet30Reader(str(Path(data_root) / CORPUS_PATH), None)
        yield reader
    finally:
        if added:
            nltk.data.path.remove(data_root)


class _WordNet30Reader(WordNetCorpusReader):
    """nltk's reader, less the map from WordNet 3.0 to the loaded version, which nltk builds
    on opening (two passes over ``index.sense``: more than half of the opening time) for the
    multilingual wordnets alone, and which is the identity here: the database is WordNet 3.0."""

    def map_wn(self, version: str = "wordnet") -> None:
        return None


def sense_index_lines(database: Path) -> list[str]:
    """``index.sense``'s lines for ``database`` (see the module docstring), sorted."""
    tag_counts = {}
    for _, line in _database_lines(database / "cntlist.rev"):
        key, _, count = line.split()
        tag_counts[key] = count
    lines = []
    for pos in PARTS_OF_SPEECH:
        synsets = {synset.offset: synset for synset in _data_lines(database / f"data.{pos}")}
        sense_numbers = _sense_numbers(database / f"index.{pos}")
        for synset in synsets.values():
            head, ss_number = ":", _POS_NUMBER[pos]
            if synset.ss_type == _SATELLITE:
                head_word, head_lex_id = synsets[synset.head_offset].words[0]
                head, ss_number = f"{head_word}:{head_lex_id:02d}", _SATELLITE_NUMBER
            for word, lex_id in synset.words:
                key = f"{word}%{ss_number}:{synset.lex_filenum}:{lex_id:02d}:{head}"
                number = sense_numbers.get((word, synset.offset))
                if number is None:
                    raise RLIPv2InputError(
                        f"{database / f'index.{pos}'}: no sense of {word!r} at {synset.offset}, "
                        f"which data.{pos} gives it"
                    )
                lines.append(f"{key} {synset.offset} {number} {tag_counts.get(key, 0)}")
    return sorted(set(lines))  # a synset's "A" and "a" have one key


def _check_database(database: Path) -> None:
    missing = [name for name in DATABASE_FILES if not (database / name).is_file()]
    if missing:
        raise RLIPv2InputError(
            f"no WordNet 3.0 database at {database} ({', '.join(missing)} missing); install it "
            "with `apt-get install wordnet-base` (it goes to /usr/share/wordnet) or pass its "
            "directory"
        )


def _database_lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip() and not line.startswith(" "):
                yield number, line


def _data_lines(path: Path) -> Iterator[_DataLine]:
    for number, line in _database_lines(path):
        try:
            yield _parse_data_line(line)
        except (ValueError, IndexError):
            raise RLIPv2InputError(f"{path}:{number}: not a WordNet data line") from None


def _parse_data_line(line: str) -> _DataLine:
    tokens = line.partition(" | ")[0].split()
    offset, lex_filenum, ss_type = tokens[0], tokens[1], tokens[2]
    if not (offset.isdigit() and lex_filenum.isdigit()):
        raise ValueError(line)
    word_count = int(tokens[3], 16)
    words = tuple(
        (_ADJECTIVE_MARKER.sub("", tokens[4 + 2 * k]).lower(), int(tokens[5 + 2 * k], 16))
        for k in range(word_count)
    )
    at = 4 + 2 * word_count
    pointers = [tokens[at + 1 + 4 * k: at + 5 + 4 * k] for k in range(int(tokens[at]))]
    heads = [target for symbol, target, pos, _ in pointers if symbol == "&" and pos == "a"]
    if ss_type == _SATELLITE and not heads:
        raise ValueError(line)
    return _DataLine(offset=offset, lex_filenum=lex_filenum, ss_type=ss_type, words=words,
                     head_offset=heads[0] if heads else None)


def _sense_numbers(path: Path) -> dict[tuple[str, str], int]:
    """``(lemma, offset) -> sense number`` from an ``index.*`` file."""
    numbers = {}
    for number, line in _database_lines(path):
        fields = line.split()
        try:
            sense_count = int(fields[2])
        except (ValueError, IndexError):
            raise RLIPv2InputError(f"{path}:{number}: not a WordNet index line") from None
        for position, offset in enumerate(fields[-sense_count:], start=1):
            numbers[fields[0], offset] = position
    return numbers
