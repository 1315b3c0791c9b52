"""HICO-DET relation detection mAP: Full, Rare and Non-rare, in the Default and Known-Object
settings, as the official RLIPv2 evaluator (``datasets/hico_eval.py``) computes the Default one.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from evaluation.detections import ImageDetections, align_detections
from evaluation.protocol import EvaluationProtocol
from evaluation.relation_outcomes import pooled_relation_outcomes
from evaluation.relation_truth import RelationTruth, Triplet
from evaluation.suppression import PairNms
from evaluation.triplet_outcomes import TripletOutcomes
from evaluation.triplet_split import TripletSplit


@dataclass(frozen=True)
class HicoDetSettings:
    """How detections are cut and matched; the defaults are the paper's (the official
    fine-tuning scripts pass ``--use_nms_filter``).

    Attributes:
        top_k: relations kept per image, best first (after the correct-combination mask).
        pair_nms: pair NMS after the top-k cut; ``None`` turns it off.
        iou_threshold: a subject or object box matches at this IoU or more.
        protocol: reproduce the official faults, or correct them (:class:`EvaluationProtocol`).
    """

    top_k: int = 100
    pair_nms: PairNms | None = field(default_factory=PairNms)
    iou_threshold: float = 0.5
    protocol: EvaluationProtocol = EvaluationProtocol.OFFICIAL

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {self.top_k}")
        if not 0.0 < self.iou_threshold <= 1.0:
            raise ValueError(f"iou_threshold must be in (0, 1], got {self.iou_threshold}")


@dataclass(frozen=True)
class MeanAveragePrecision:
    """Mean AP over the annotated test triplets (Full) and over those of each split part
    (NaN when no annotated test triplet is in that part)."""

    full: float
    rare: float
    non_rare: float


@dataclass(frozen=True)
class HicoDetMetrics:
    """HICO-DET results, each AP in [0, 1].

    Attributes:
        default: the Default setting, over every test image.
        known_object: the Known-Object setting (see :func:`evaluate_hico_det`).
        triplet_ap: Default AP of each annotated test triplet.
        known_object_triplet_ap: Known-Object AP of each annotated test triplet.
    """

    default: MeanAveragePrecision
    known_object: MeanAveragePrecision
    triplet_ap: dict[Triplet, float]
    known_object_triplet_ap: dict[Triplet, float]


def evaluate_hico_det(
    truth: RelationTruth,
    detections: Mapping[int, ImageDetections],
    *,
    correct_combinations: np.ndarray,
    split: TripletSplit,
    settings: HicoDetSettings = HicoDetSettings(),
) -> HicoDetMetrics:
    """Score HOI detections against HICO-DET-style ground truth.

    Per image, as the official evaluator: every (pair, verb) is scored, a verb-object
    combination outside ``correct_combinations`` scores 0, the ``top_k`` best are kept, pair
    NMS thins them, and they are matched to the annotation (:func:`match_relations`). The AP
    of each annotated triplet (subject label, object label, verb) is the 11-point VOC AP over
    all images; Full averages every annotated triplet, Rare and Non-rare those of ``split``.

    Known-Object setting (the official RLIPv2 code lacks it): for each triplet, only the
    detections on images that contain its object category count (Chao et al., "Learning to
    Detect Human-Object Interactions", WACV 2018, arXiv:1702.05448, the HICO-DET protocol; its
    reference implementation is ``evaluation/eval_one.m`` of github.com/ywchao/ho-rcnn, mode
    ``ko``, which keeps the detections on the images with an annotated HOI of that object).
    Here an image contains an object category when one of its annotated relations has an
    object box of that category.

    Args:
        truth: the test set's annotation.
        detections: the post-processor output of every test image, by image id.
        correct_combinations: ``(num_verbs, num_object_classes)`` bool, True where a verb
            takes that object (``corre_hico.npy``).
        split: the rare / non-rare (or unseen / seen) triplets.
        settings: cut, NMS, IoU threshold and protocol.

    Raises:
        RLIPv2InputError: when the detections do not fit the ground truth.
    """
    expected_shape = (truth.num_verbs, truth.num_object_classes)
    if np.shape(correct_combinations) != expected_shape:
        raise ValueError(
            f"correct_combinations is {np.shape(correct_combinations)}, expected "
            f"(num_verbs, num_object_classes) = {expected_shape}"
        )
    aligned = align_detections(
        detections,
        [image.image_id for image in truth.images],
        num_object_labels=truth.num_object_classes,
        num_verbs=truth.num_verbs,
    )
    outcomes = pooled_relation_outcomes(
        truth,
        aligned,
        top_k=settings.top_k,
        pair_nms=settings.pair_nms,
        iou_threshold=settings.iou_threshold,
        protocol=settings.protocol,
        combination_mask=correct_combinations,
    )
    truth_counts = truth.triplet_counts()
    triplet_ap = outcomes.average_precisions(truth_counts, settings.protocol)
    known_object_ap = outcomes.where(_on_images_with_object(truth, outcomes)).average_precisions(
        truth_counts, settings.protocol
    )
    return HicoDetMetrics(
        default=mean_average_precision(triplet_ap, split),
        known_object=mean_average_precision(known_object_ap, split),
        triplet_ap=triplet_ap,
        known_object_triplet_ap=known_object_ap,
    )


def _on_images_with_object(truth: RelationTruth, outcomes: TripletOutcomes) -> np.ndarray:
    """``(num_rows,)`` bool: the row's image has an annotated relation with its object class."""
    has_object = np.zeros((len(truth.images), truth.num_object_classes), dtype=bool)
    for position, image in enumerate(truth.images):
        has_object[position, image.labels[image.relations[:, 1]]] = True
    return has_object[outcomes.image_position, outcomes.triplets[:, 1]]


def mean_average_precision(
    triplet_ap: dict[Triplet, float], split: TripletSplit
) -> MeanAveragePrecision:
    """Full, rare and non-rare means of the annotated triplets' APs (``triplet_ap``)."""

    def mean(triplets: list[Triplet]) -> float:
        return (
            float(np.mean([triplet_ap[triplet] for triplet in triplets]))
            if triplets
            else float("nan")
        )

    return MeanAveragePrecision(
        full=mean(list(triplet_ap)),
        rare=mean([triplet for triplet in triplet_ap if triplet in split.rare]),
        non_rare=mean([triplet for triplet in triplet_ap if triplet in split.non_rare]),
    )
