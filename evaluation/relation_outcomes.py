"""From one image's detections to scored, matched relation predictions (HICO-DET, Open Images)."""

import numpy as np

from evaluation.detections import ImageDetections
from evaluation.protocol import EvaluationProtocol
from evaluation.relation_matching import match_relations
from evaluation.relation_ranking import RankedRelations, top_relations
from evaluation.relation_truth import ImageRelationTruth, RelationTruth
from evaluation.suppression import PairNms, suppress_pairs
from evaluation.triplet_outcomes import TripletOutcomes


def evaluated_relations(
    detections: ImageDetections,
    *,
    top_k: int,
    pair_nms: PairNms | None,
    combination_mask: np.ndarray | None = None,
) -> RankedRelations:
    """The relations an official evaluator keeps for one image: the ``top_k`` best (after the
    optional combination mask, see :func:`top_relations`), then pair NMS, in the order the NMS
    leaves them (:mod:`evaluation.suppression`)."""
    ranked = top_relations(detections, top_k=top_k, combination_mask=combination_mask)
    if pair_nms is None:
        return ranked
    return suppress_pairs(ranked, detections.boxes, detections.labels, pair_nms)


def relation_outcomes(
    position: int,
    truth: ImageRelationTruth,
    detections: ImageDetections,
    relations: RankedRelations,
    *,
    iou_threshold: float,
) -> TripletOutcomes:
    """``relations`` of the image at ``position``, re-sorted by score, with their triplets and
    true-positive flags (:func:`match_relations`)."""
    ranked = relations.by_score()
    labels = detections.labels
    return TripletOutcomes(
        triplets=np.stack(
            [labels[ranked.subject_index], labels[ranked.object_index], ranked.verb], axis=1
        ),
        image_position=np.full(len(ranked), position, dtype=np.int64),
        score=ranked.score,
        is_true_positive=match_relations(
            ranked, detections.boxes, labels, truth, iou_threshold=iou_threshold
        ),
    )


def pooled_relation_outcomes(
    truth: RelationTruth,
    detections: list[ImageDetections],
    *,
    top_k: int,
    pair_nms: PairNms | None,
    iou_threshold: float,
    protocol: EvaluationProtocol,
    combination_mask: np.ndarray | None = None,
) -> TripletOutcomes:
    """The evaluated relations of every image with their outcomes, image by image.

    Args:
        detections: aligned with ``truth.images``.

    With the ``OFFICIAL`` protocol an image without annotated boxes contributes nothing (the
    official code means to count its predictions as false positives but never does).
    """
    parts = []
    for position, (image, image_detections) in enumerate(zip(truth.images, detections)):
        if skips_relations(image, protocol):
            continue
        relations = evaluated_relations(
            image_detections, top_k=top_k, pair_nms=pair_nms, combination_mask=combination_mask
        )
        parts.append(
            relation_outcomes(
                position, image, image_detections, relations, iou_threshold=iou_threshold
            )
        )
    return TripletOutcomes.concatenate(parts)


def skips_relations(image: ImageRelationTruth, protocol: EvaluationProtocol) -> bool:
    """Whether the official evaluators drop this image's relation predictions: those of an
    image without annotated boxes (a list looked up among tuples never matches)."""
    return protocol is EvaluationProtocol.OFFICIAL and len(image.boxes) == 0
