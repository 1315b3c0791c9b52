"""Relation detection evaluators: pure functions from ground truth and detections to metrics.

HICO-DET mAP (Full / Rare / Non-rare, Default and Known-Object), V-COCO role AP (scenarios 1
and 2) and Open Images v6 (R@50, wmAP_rel, wmAP_phr, score_wtd), matching the official RLIPv2
evaluation code; the post-processing that code applies (correct-combination mask, top-k per
image, pair NMS) is here too. Depends only on ``data_schemas`` and numpy (pyarrow for the
detections files).
"""

from evaluation.detections import ImageDetections, align_detections
from evaluation.detections_io import read_detections, write_detections
from evaluation.hico_det import (
    HicoDetMetrics,
    HicoDetSettings,
    MeanAveragePrecision,
    evaluate_hico_det,
)
from evaluation.open_images import OpenImagesMetrics, OpenImagesSettings, evaluate_open_images
from evaluation.protocol import EvaluationProtocol
from evaluation.relation_ranking import RankedRelations, top_relations
from evaluation.relation_truth import ImageRelationTruth, RelationTruth, Triplet
from evaluation.suppression import PairNms, suppress_pairs
from evaluation.triplet_split import TripletSplit
from evaluation.vcoco import VcocoMetrics, VcocoRoleAp, evaluate_vcoco
from evaluation.vcoco_truth import VcocoImageTruth, VcocoTruth, vcoco_truth_from_official

__all__ = [
    "EvaluationProtocol",
    "HicoDetMetrics",
    "HicoDetSettings",
    "ImageDetections",
    "ImageRelationTruth",
    "MeanAveragePrecision",
    "OpenImagesMetrics",
    "OpenImagesSettings",
    "PairNms",
    "RankedRelations",
    "RelationTruth",
    "Triplet",
    "TripletSplit",
    "VcocoImageTruth",
    "VcocoMetrics",
    "VcocoRoleAp",
    "VcocoTruth",
    "align_detections",
    "evaluate_hico_det",
    "evaluate_open_images",
    "evaluate_vcoco",
    "read_detections",
    "suppress_pairs",
    "top_relations",
    "vcoco_truth_from_official",
    "write_detections",
]
