"""Collation for fine-tuning: every batch is shown the benchmark's whole, fixed label texts.

Fine-tuning on a relation benchmark (HICO-DET, V-COCO, Open Images) classifies over its fixed
vocabulary, as the paper's fine-tuning does: the object class names followed by "no objects",
and every predicate; no negative sampling. Entity logit ``i`` is then object class ``i`` and
relation logit ``j`` predicate ``j``, in every batch.
"""

from collections.abc import Sequence

from model.data.collate import PretrainBatch, pad_images, relation_target
from model.data.scene_graph_dataset import PretrainSample
from model.targets import LabelTexts


class FixedLabelCollator:
    """``DataLoader`` ``collate_fn``: samples -> :class:`PretrainBatch` over ``label_texts``,
    which must hold every name and predicate of the samples."""

    def __init__(self, label_texts: LabelTexts) -> None:
        self.label_texts = label_texts

    def __call__(self, samples: Sequence[PretrainSample]) -> PretrainBatch:
        if not samples:
            raise ValueError("cannot collate an empty batch")
        images, pixel_mask, image_sizes = pad_images([sample.image for sample in samples])
        return PretrainBatch(
            images=images,
            pixel_mask=pixel_mask,
            image_sizes=image_sizes,
            targets=tuple(relation_target(sample, self.label_texts) for sample in samples),
            label_texts=self.label_texts,
        )
