"""How well a labelling run found the demo world's relations: the precision and recall of the
pseudo-labels kept at a confidence cut, against the world's ground truth.

A relation is the triplet ``(image_id, subject entity id, predicate, object entity id)``. The
entity ids of a labelling run are the COCO annotation ids, which the demo world also gives its
Visual Genome objects, so a run's relations and the ground truth name the same entities.
Predicates are compared by meaning: every caption phrase of a demo predicate ("beneath",
"underneath") stands for that predicate ("under"); a phrase the world never uses stays itself
(and so matches nothing). Each side is a set: a pair kept as both "under" and "beneath" counts
once.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from data_schemas.errors import RLIPv2InputError
from data_schemas.parquet_io import read_table
from data_schemas.relation_confidence import keeps_relationship
from data_schemas.scene_graphs import SCENE_GRAPHS
from demo_world.vocabulary import DEMO_PREDICATES

_PREDICATE_OF_PHRASE = {
    phrase: predicate.name for predicate in DEMO_PREDICATES for phrase in predicate.caption_phrases
}


@dataclass(frozen=True, order=True)
class RelationTriplet:
    """One relation of one image, its predicate canonical (:func:`canonical_predicate`)."""

    image_id: int
    subject_entity_id: int
    predicate: str
    object_entity_id: int


@dataclass(frozen=True)
class LabelQuality:
    """``correct`` of the ``kept`` distinct relations are among the ``ground_truth`` ones."""

    kept: int
    correct: int
    ground_truth: int

    @property
    def precision(self) -> float:
        """Correct / kept; 0 when nothing is kept."""
        return self.correct / self.kept if self.kept else 0.0

    @property
    def recall(self) -> float:
        """Correct / ground truth; 0 when the world has no relation."""
        return self.correct / self.ground_truth if self.ground_truth else 0.0


def canonical_predicate(text: str) -> str:
    """The demo predicate a caption phrase stands for (``"beneath"`` -> ``"under"``), else
    the phrase itself, lower-cased and with single spaces."""
    phrase = " ".join(text.lower().split())
    return _PREDICATE_OF_PHRASE.get(phrase, phrase)


def score_relations(
    kept: Iterable[RelationTriplet], ground_truth: Iterable[RelationTriplet]
) -> LabelQuality:
    """Precision and recall of the distinct ``kept`` relations against the distinct
    ``ground_truth`` ones (predicates compared as given: canonicalise them first)."""
    kept_set, truth_set = set(kept), set(ground_truth)
    return LabelQuality(
        kept=len(kept_set), correct=len(kept_set & truth_set), ground_truth=len(truth_set)
    )


def ground_truth_relations(relationships_json: Path) -> set[RelationTriplet]:
    """Every relation of the demo world's Visual Genome ``relationships.json``.

    Raises:
        RLIPv2InputError: the file is missing or is not a demo world's relationships file.
    """
    try:
        images = json.loads(relationships_json.read_text(encoding="utf-8"))
        return {
            RelationTriplet(
                image_id=int(image["image_id"]),
                subject_entity_id=int(relation["subject"]["object_id"]),
                predicate=canonical_predicate(relation["predicate"]),
                object_entity_id=int(relation["object"]["object_id"]),
            )
            for image in images
            for relation in image["relationships"]
        }
    except FileNotFoundError:
        raise RLIPv2InputError(f"{relationships_json}: no such file") from None
    except (ValueError, TypeError, KeyError) as error:
        raise RLIPv2InputError(
            f"{relationships_json}: not a demo world's relationships file ({error!r})"
        ) from None


def kept_relations(scene_graphs_dir: Path, min_confidence: float) -> set[RelationTriplet]:
    """The relations of a ``scene_graphs`` table that a cut at ``min_confidence`` keeps."""
    rows = read_table(scene_graphs_dir, SCENE_GRAPHS).select(["image_id", "relationships"])
    return {
        RelationTriplet(
            image_id=row["image_id"],
            subject_entity_id=relation["subject_entity_id"],
            predicate=canonical_predicate(relation["predicate"]),
            object_entity_id=relation["object_entity_id"],
        )
        for row in rows.to_pylist()
        for relation in row["relationships"]
        if keeps_relationship(relation["confidence"], min_confidence)
    }


def measure_label_quality(
    scene_graphs_dir: Path, relationships_json: Path, *, min_confidence: float
) -> LabelQuality:
    """:func:`score_relations` of a run's ``scene_graphs`` at ``min_confidence`` against the
    world's ``vg/relationships.json``."""
    return score_relations(
        kept_relations(scene_graphs_dir, min_confidence),
        ground_truth_relations(relationships_json),
    )
