"""Phrase matching on word boundaries, plurals, multi-word names, synonyms; candidate pairs."""

import json
from pathlib import Path

import pytest

from data_schemas import (
    CATEGORIES,
    CategoryRecord,
    EntityRecord,
    PhraseMention,
    RLIPv2InputError,
    TripletRecord,
    shard_path,
    write_table_atomic,
)
from pipeline.matching import (
    DroppedTriplet,
    NoMatch,
    NoMatchReason,
    PhraseMatch,
    PhraseMatcher,
    SynonymTable,
    build_candidates,
    builtin_synonym_table,
    check_vocabulary_coverage,
    load_synonym_file,
)
from pipeline.matching.inflection import plural_forms

TABLE = SynonymTable(synonyms={
    "person": ("person", "man", "woman", "child", "skateboarder"),
    "cat": ("cat", "kitten"),
    "hand": ("hand",),
    "skateboard": ("skateboard",),
    "pizza": ("pizza",),
    "box": ("box",),
    "book": ("book",),
    "laptop": ("laptop", "notebook computer"),
    "teddy bear": ("teddy bear", "bear", "teddy"),
    "bear": ("bear",),
    "tv": ("tv", "monitor"),
    "dining table": ("dining table", "table"),
    "desk": ("desk", "table"),
})
MATCHER = PhraseMatcher(TABLE)
EVERYTHING = TABLE.synonyms.keys()


def phrase(span: str, head: str | None = None, lemma_span: str | None = None) -> PhraseMention:
    head = head or span.split()[-1]
    return PhraseMention(span=span, lemma_span=lemma_span or span, head=head, lemma_head=head)


def paper_substring_rule(span: str, present: list[str]) -> str | None:
    """The paper's rule (reference §1.4): any synonym as a substring; the last match wins."""
    matched = None
    for name in present:
        if any(synonym in span for synonym in TABLE.synonyms[name]):
            matched = name
    return matched


@pytest.mark.parametrize(
    ("span", "wrong_category"),
    [("a door handle", "hand"), ("the catcher", "cat"), ("a macbook", "book")],
)
def test_words_match_on_boundaries_where_the_substring_rule_fails(
    span: str, wrong_category: str
) -> None:
    assert paper_substring_rule(span, [wrong_category]) == wrong_category
    result = MATCHER.match(phrase(span), [wrong_category])
    assert isinstance(result, NoMatch) and result.reason is NoMatchReason.NO_SYNONYM


def test_specific_synonym_beats_order_and_modifiers() -> None:
    present = ["person", "skateboard"]
    assert paper_substring_rule("a skateboarder", present) == "skateboard"
    assert MATCHER.match(phrase("a skateboarder"), present).category == "person"
    assert MATCHER.match(phrase("a pizza box"), ["pizza", "box"]).category == "box"
    assert MATCHER.match(phrase("a teddy bear"), ["teddy bear", "bear"]).category == "teddy bear"
    assert MATCHER.match(phrase("a bear", "bear"), ["teddy bear", "bear"]).category == "bear"
    assert MATCHER.match(phrase("a bear", "bear"), ["teddy bear"]).category == "teddy bear"


@pytest.mark.parametrize(
    ("span", "category", "synonym"),
    [("two women", "person", "woman"), ("the children", "person", "child"),
     ("some people", "person", "person"), ("three kittens", "cat", "kitten"),
     ("many boxes", "box", "box"), ("two notebook computers", "laptop", "notebook computer")],
)
def test_plurals_including_irregular_ones(span: str, category: str, synonym: str) -> None:
    result = MATCHER.match(phrase(span), EVERYTHING)
    assert result == PhraseMatch(category=category, synonym=synonym, words=span.split(" ", 1)[1])


def test_lemmas_are_used_when_the_surface_form_is_unknown() -> None:
    result = MATCHER.match(phrase("the kitties", lemma_span="the kitten"), ["cat"])
    assert result == PhraseMatch(category="cat", synonym="kitten", words="kitten")


def test_multi_word_category_matches_its_head_noun_when_only_it_is_present() -> None:
    assert MATCHER.match(phrase("a wooden table"), ["dining table"]).category == "dining table"
    ambiguous = MATCHER.match(phrase("a wooden table"), ["dining table", "desk"])
    assert isinstance(ambiguous, NoMatch) and ambiguous.reason is NoMatchReason.AMBIGUOUS
    assert MATCHER.match(phrase("the dining table"), ["dining table", "desk"]).category == (
        "dining table"
    )


def test_collective_nouns_pronouns_and_absent_categories() -> None:
    assert MATCHER.match(phrase("a group of people", "group"), EVERYTHING).category == "person"
    pronoun = MATCHER.match(phrase("he"), EVERYTHING)
    assert pronoun.reason is NoMatchReason.PRONOUN
    absent = MATCHER.match(phrase("a cat"), ["person"])
    assert absent.reason is NoMatchReason.CATEGORY_NOT_IN_IMAGE
    assert MATCHER.match(phrase("!!!", "!!!"), EVERYTHING).reason is NoMatchReason.NO_SYNONYM


def test_plural_forms() -> None:
    assert plural_forms("man") == ("men",)
    assert plural_forms("bus") == ("buses",)
    assert plural_forms("pony") == ("ponies",)
    assert plural_forms("sheep") == ("sheep",)
    assert "knives" in plural_forms("knife")


def test_user_synonym_files_in_both_formats(tmp_path: Path) -> None:
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"person": ["Rider", "the  driver"], "forklift": ["fork lift"]}))
    table = builtin_synonym_table("demo").extended_with(load_synonym_file(plain))
    matcher = PhraseMatcher(table)
    assert matcher.match(phrase("a rider"), ["person"]).synonym == "rider"
    assert matcher.match(phrase("two fork lifts"), ["forklift"]).category == "forklift"
    structured = tmp_path / "structured.json"
    structured.write_text(json.dumps(
        {"dataset": "x", "version": 1, "categories": [{"id": 1, "name": "Crane", "synonyms": []}]}
    ))
    assert PhraseMatcher(load_synonym_file(structured)).match(
        phrase("cranes"), ["Crane"]
    ) == PhraseMatch(category="Crane", synonym="crane", words="cranes")


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not valid JSON: line 1"), ('["a", "b"]', "expected"),
     ('{"person": ["a", 3]}', "must be strings"), ('{"No  Objects": ["nothing"]}', "reserved"),
     ('{" ": ["thing"]}', "synonyms.json: a category name is blank")],
)
def test_bad_synonym_files_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "synonyms.json"
    path.write_text(content)
    with pytest.raises(RLIPv2InputError, match=message):
        load_synonym_file(path)
    with pytest.raises(RLIPv2InputError, match="does not exist"):
        load_synonym_file(tmp_path / "missing.json")


def test_a_synonym_without_words_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    PhraseMatcher(SynonymTable(synonyms={"chair": ("chair", "???")}))
    assert caplog.messages == [
        "synonym '???' of 'chair' has no word a caption phrase could contain (letters a-z or "
        "digits); it never matches"
    ]


def test_a_vocabulary_must_fit_the_dataset(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def dataset(*names: str) -> Path:
        directory = tmp_path / "_".join(names)
        records = [CategoryRecord(dataset="d", category_id=index, name=name)
                   for index, name in enumerate(names)]
        write_table_atomic(CATEGORIES.to_arrow(records),
                           shard_path(directory / CATEGORIES.name, 0), CATEGORIES)
        return directory

    check_vocabulary_coverage(TABLE, dataset("person", "cat"))
    assert caplog.messages == []
    check_vocabulary_coverage(TABLE, dataset("person", "forklift"))
    assert caplog.messages == [
        f"1 of the 2 categories of {tmp_path / 'person_forklift'} are not in the synonym table "
        "and will never be matched: 'forklift' (add them with --synonyms FILE)"
    ]
    with pytest.raises(RLIPv2InputError, match=r"none of the 2 categories .* \('Cat', 'Person'\)"):
        check_vocabulary_coverage(TABLE, dataset("Person", "Cat"))  # Objects365 spelling


def entity(entity_id: int, category: str) -> EntityRecord:
    return EntityRecord(entity_id=entity_id, image_id=1, category_id=0, category_name=category,
                        x1=0, y1=0, x2=10, y2=10)


def triplet(caption_index: int, subject: str, relation: str, object_: str) -> TripletRecord:
    return TripletRecord(image_id=1, caption_index=caption_index, triplet_index=0,
                         subject=phrase(subject), relation=relation, relation_lemma=relation,
                         object=phrase(object_))


def test_candidates_are_ordered_pairs_of_matching_entities_with_provenance() -> None:
    entities = [entity(1, "person"), entity(2, "person"), entity(3, "cat"), entity(4, "box")]
    triplets = [
        triplet(0, "a man", "holding", "a kitten"),
        triplet(1, "a woman", "Holding ", "a cat"),
        triplet(2, "a man", "next to", "a woman"),
        triplet(3, "he", "sitting on", "a box"),
        triplet(4, "a cat", "in", "a box"),
        triplet(4, "a box", "near", "a box"),
    ]
    candidates, stats = build_candidates(1, entities, triplets, MATCHER)
    assert [(c.subject_entity_id, c.relation, c.object_entity_id) for c in candidates] == [
        (1, "holding", 3), (2, "holding", 3), (1, "next to", 2), (2, "next to", 1), (3, "in", 4)
    ]
    holding = candidates[0].provenance
    assert [(e.caption_index, e.subject_words, e.object_synonym) for e in holding] == [
        (0, "man", "kitten"), (1, "woman", "cat")
    ]
    assert stats.triplets == 6 and stats.matched_triplets == 4 and stats.candidates == 5
    assert stats.dropped == {DroppedTriplet.SUBJECT_PRONOUN: 1, DroppedTriplet.SUBJECT_IS_OBJECT: 1}


def test_pair_cap_drops_triplets_that_would_explode() -> None:
    people = [entity(index, "person") for index in range(13)]
    triplets = [triplet(0, "a man", "next to", "a man")]
    candidates, _ = build_candidates(1, people, triplets, MATCHER)
    assert len(candidates) == 13 * 12
    capped, stats = build_candidates(1, people, triplets, MATCHER, max_pairs_per_triplet=100)
    assert capped == [] and stats.dropped == {DroppedTriplet.TOO_MANY_PAIRS: 1}


def test_image_without_triplets_or_entities() -> None:
    assert build_candidates(1, [], [triplet(0, "a man", "on", "a box")], MATCHER)[0] == []
    candidates, stats = build_candidates(1, [entity(1, "person")], [], MATCHER)
    assert candidates == [] and stats.candidates_per_image == {0: 1}
