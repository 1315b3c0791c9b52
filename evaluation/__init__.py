"""Relation detection evaluators: pure functions from ground truth and detections to metrics.

Depends only on ``data_schemas`` and numpy (pyarrow for the detections files).
"""

from evaluation.detections import ImageDetections, align_detections
from evaluation.detections_io import read_detections, write_detections

__all__ = ["ImageDetections", "align_detections", "read_detections", "write_detections"]
