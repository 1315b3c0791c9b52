"""From the final decoder layer to the relation detections the benchmark evaluators score
(:class:`~evaluation.detections.ImageDetections`), as the official RLIPv2 post-processors
(``PostProcessHOI``, ``PostProcessSGG`` in ``models/hoi.py``) make them.

Every pair slot becomes one pair of two boxes (subject box ``k``, object box ``num_slots + k``)
with one score per predicate. Object (and subject) scores are the softmax over the entity texts
maximised over all but "no objects" (the last text), whose argmax is the label:

- ``HOI`` (HICO-DET, V-COCO): the subject's label is the benchmark's subject class (person)
  whatever the model says, and each predicate scores ``sigmoid(relation logit) x object score``;
- ``SGG`` (Open Images): the subject's label is its argmax too, and each predicate scores
  ``sigmoid(relation logit) x object score x subject score``.

The cut to the best relations, the correct-combination mask and pair NMS are the evaluators'
(:mod:`evaluation`), as in the official evaluation path.
"""

from enum import Enum

import numpy as np
import torch

from evaluation.detections import ImageDetections
from model.box_ops import cxcywh_to_xyxy
from model.outputs import RelationDetectionOutput


class RelationScoring(Enum):
    HOI = "hoi"
    SGG = "sgg"


@torch.no_grad()
def detections_from_output(
    output: RelationDetectionOutput,
    *,
    image_sizes: torch.Tensor,
    image_ids: list[int],
    scoring: RelationScoring,
    subject_label: int | None = None,
    filter_subjects: bool = False,
) -> list[ImageDetections]:
    """The detections of each image of a batch.

    Args:
        output: the detector's output over the benchmark's fixed label texts (entity text
            ``i`` = object class ``i``, then "no objects"; relation text ``j`` = predicate
            ``j``); only its final layer is used. Boxes cxcywh in [0, 1] of the unpadded image.
        image_sizes: ``(batch, 2)`` (height, width) of each original image in pixels: boxes
            come back xyxy in its absolute pixels.
        image_ids: the benchmark's id of each image.
        scoring: HOI or SGG (module docstring).
        subject_label: HOI's subject class (person's label).
        filter_subjects: HOI only: keep only the slots whose subject the model classifies as
            ``subject_label`` (the official evaluation of a pretrained model without
            fine-tuning, ``--zero_shot_hoi_eval``).
    """
    if scoring is RelationScoring.HOI and subject_label is None:
        raise ValueError("HOI scoring needs the subject class (subject_label)")
    predictions = output.final
    batch_size = predictions.subject_logits.shape[0]
    if image_sizes.shape != (batch_size, 2) or len(image_ids) != batch_size:
        raise ValueError(f"need {batch_size} image sizes (height, width) and image ids")
    # (batch, num_slots) best real entity text and its probability.
    object_scores, object_labels = predictions.object_logits.float().softmax(-1)[..., :-1].max(-1)
    subject_scores, subject_labels = (
        predictions.subject_logits.float().softmax(-1)[..., :-1].max(-1)
    )
    verb_scores = predictions.relation_logits.float().sigmoid() * object_scores[..., None]
    if scoring is RelationScoring.SGG:
        verb_scores = verb_scores * subject_scores[..., None]
    else:
        keep_slot = subject_labels == subject_label
        subject_labels = torch.full_like(object_labels, subject_label)
    height, width = image_sizes.to(torch.float32).unbind(-1)
    scale = torch.stack([width, height, width, height], dim=-1)[:, None]  # (batch, 1, 4)
    subject_boxes = cxcywh_to_xyxy(predictions.subject_boxes.float()) * scale
    object_boxes = cxcywh_to_xyxy(predictions.object_boxes.float()) * scale
    detections = []
    for image in range(batch_size):
        slots = torch.arange(predictions.subject_boxes.shape[1], device=verb_scores.device)
        if scoring is RelationScoring.HOI and filter_subjects:
            slots = slots[keep_slot[image]]
        num_pairs = len(slots)
        detections.append(
            ImageDetections(
                image_id=int(image_ids[image]),
                boxes=_numpy(torch.cat([subject_boxes[image, slots], object_boxes[image, slots]])),
                labels=_numpy(torch.cat([subject_labels[image, slots], object_labels[image, slots]])),
                subject_index=np.arange(num_pairs),
                object_index=np.arange(num_pairs, 2 * num_pairs),
                verb_scores=_numpy(verb_scores[image, slots]),
            )
        )
    return detections


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy()
