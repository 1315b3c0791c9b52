"""The nouns of a WordNet 3.0 database, read from its ``index.noun`` and ``data.noun`` files.

Debian's ``wordnet-base`` installs them in ``/usr/share/wordnet`` (no PyPI package ships WordNet,
and nltk's reader needs files that package lacks); this reader needs only those two. Formats
(WordNet's ``wndb(5)``): an ``index.noun`` line is ``lemma pos synset_cnt p_cnt [ptr_symbol...]
sense_cnt tagsense_cnt offset...`` with the offsets in sense order (most frequent first); a
``data.noun`` line is ``offset lex_filenum ss_type w_cnt(hex) (word lex_id)... p_cnt(3 digits)
(pointer_symbol offset pos source/target)... | gloss``. License lines start with spaces.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from data_schemas.errors import RLIPv2InputError

DEFAULT_WORDNET_DIR = Path("/usr/share/wordnet")
"""Where Debian's ``wordnet-base`` installs the database."""

HYPONYM = "~"
"""The pointer symbol of a (class, not instance) hyponym."""


@dataclass(frozen=True)
class NounSynset:
    """One noun sense: its words (lower-case where WordNet has them so, spaces for
    underscores, WordNet's order), the offsets of its hyponyms, and its gloss."""

    offset: str
    words: tuple[str, ...]
    hyponyms: tuple[str, ...]
    gloss: str


@dataclass(frozen=True)
class WordNetNouns:
    """WordNet's noun senses by offset, and each lemma's senses, most frequent first."""

    synsets: dict[str, NounSynset]
    senses_of: dict[str, tuple[str, ...]]

    def senses(self, word: str) -> list[NounSynset]:
        """The noun senses of ``word`` (any case; spaces or underscores), most frequent first."""
        lemma = "_".join(word.lower().split())
        return [self.synsets[offset] for offset in self.senses_of.get(lemma, ())]

    def hyponym_closure(self, synset: NounSynset, depth: int) -> Iterator[NounSynset]:
        """The hyponyms of ``synset`` down to ``depth`` levels, each once, breadth first."""
        seen = {synset.offset}
        level = [synset]
        for _ in range(depth):
            below = []
            for parent in level:
                for offset in parent.hyponyms:
                    if offset not in seen:
                        seen.add(offset)
                        below.append(self.synsets[offset])
            yield from below
            level = below


def load_wordnet_nouns(directory: Path = DEFAULT_WORDNET_DIR) -> WordNetNouns:
    """Read ``directory``'s ``index.noun`` and ``data.noun``.

    Raises:
        RLIPv2InputError: the files are missing (install WordNet: ``apt-get install
            wordnet-base``) or a line is not in WordNet's format.
    """
    index_file, data_file = directory / "index.noun", directory / "data.noun"
    for path in (index_file, data_file):
        if not path.is_file():
            raise RLIPv2InputError(
                f"no WordNet noun database at {directory} ({path.name} missing); install it with "
                "`apt-get install wordnet-base` (it goes to /usr/share/wordnet) or pass its "
                "directory"
            )
    synsets = {}
    for number, line in _database_lines(data_file):
        try:
            synset = _parse_data_line(line)
        except (ValueError, IndexError):
            raise RLIPv2InputError(f"{data_file}:{number}: not a WordNet data line") from None
        synsets[synset.offset] = synset
    senses_of = {}
    for number, line in _database_lines(index_file):
        fields = line.split()
        try:
            sense_count = int(fields[2])
        except (ValueError, IndexError):
            raise RLIPv2InputError(f"{index_file}:{number}: not a WordNet index line") from None
        senses_of[fields[0]] = tuple(fields[-sense_count:])
    return WordNetNouns(synsets=synsets, senses_of=senses_of)


def _database_lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip() and not line.startswith(" "):
                yield number, line


def _parse_data_line(line: str) -> NounSynset:
    fields, _, gloss = line.partition(" | ")
    tokens = fields.split()
    word_count = int(tokens[3], 16)
    words = tuple(tokens[4 + 2 * k].replace("_", " ") for k in range(word_count))
    at = 4 + 2 * word_count
    pointer_count = int(tokens[at])
    pointers = [tokens[at + 1 + 4 * k: at + 5 + 4 * k] for k in range(pointer_count)]
    hyponyms = tuple(
        offset for symbol, offset, pos, _ in pointers if symbol == HYPONYM and pos == "n"
    )
    return NounSynset(offset=tokens[0], words=words, hyponyms=hyponyms, gloss=gloss.strip())
