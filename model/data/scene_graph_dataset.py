"""The pre-training dataset: scene-graph annotations, images loaded lazily, paired transforms.

Images whose header is missing, unreadable or of another size than the table's were set aside
(rejects) when the annotations were read. A file that fails later, while its pixels are decoded
(truncated after its header, or changed during the run), raises
:class:`~model.data.image_files.ImageFileError` naming it: dropping it then would change the
epoch under way.

Augmentation is deterministic: item ``index`` in epoch ``epoch`` draws from a generator seeded
with ``mixed_seed(seed, epoch, index)``, whatever the number of workers. Call
:meth:`SceneGraphDataset.set_epoch` before iterating each epoch (workers must not be persistent,
so that they see the new epoch).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from PIL import Image
from torch.utils.data import Dataset

from model.data.image_files import load_rgb_image
from model.data.image_annotation import ImageAnnotation
from model.data.seeding import mixed_seed
from model.data.transforms import PairedTransform, mirror_left_right


@dataclass(frozen=True)
class SceneGraphSample:
    """An untransformed image and its relation pairs.

    Attributes:
        image: PIL RGB image, ``annotation.width`` x ``annotation.height`` pixels.
        annotation: the pairs (names, xyxy boxes in absolute pixels of ``image``, predicates).
    """

    image: Image.Image
    annotation: ImageAnnotation

    def pair_boxes(self) -> torch.Tensor:
        """(num_pairs, 2, 4) float32 xyxy absolute; ``[:, 0]`` subject, ``[:, 1]`` object."""
        return torch.tensor(
            [[pair.subject_box, pair.object_box] for pair in self.annotation.pairs],
            dtype=torch.float32,
        ).reshape(-1, 2, 4)

    def unrelated_boxes(self) -> torch.Tensor:
        """(num_unrelated, 4) float32 xyxy absolute, in ``annotation.unrelated_entities`` order."""
        return torch.tensor(
            [entity.box for entity in self.annotation.unrelated_entities], dtype=torch.float32
        ).reshape(-1, 4)


@dataclass(frozen=True)
class PretrainSample:
    """A transformed image with the pairs that survived its transform (at least one, unless the
    image was kept without relations).

    Attributes:
        image: (3, height, width) float32, ImageNet-normalised.
        subject_boxes: (num_pairs, 4) float32 cxcywh normalised to [0, 1] by (width, height).
        object_boxes: (num_pairs, 4) float32 cxcywh in [0, 1].
        subject_names: num_pairs entity names.
        object_names: num_pairs entity names.
        predicates: per pair, its distinct predicates (mirrored if the image was flipped and the
            transform mirrors "left"/"right").
        dataset: the ``dataset`` column of the image's table row.
        image_id: the image's id within ``dataset``.
        random_seed: the seed of this item's augmentation; collation derives text sampling from it.
        unrelated_boxes: (num_unrelated, 4) float32 cxcywh in [0, 1]: the image's objects in no
            relation that survived the transform.
        unrelated_names: num_unrelated entity names.
    """

    image: torch.Tensor
    subject_boxes: torch.Tensor
    object_boxes: torch.Tensor
    subject_names: tuple[str, ...]
    object_names: tuple[str, ...]
    predicates: tuple[tuple[str, ...], ...]
    dataset: str
    image_id: int
    random_seed: int
    unrelated_boxes: torch.Tensor = field(default_factory=lambda: torch.zeros(0, 4))
    unrelated_names: tuple[str, ...] = ()

    @property
    def num_pairs(self) -> int:
        return self.subject_boxes.shape[0]


def transform_sample(
    sample: SceneGraphSample,
    transform: PairedTransform,
    *,
    generator: torch.Generator,
    random_seed: int,
) -> PretrainSample:
    """Apply ``transform`` to the image, pair boxes and unrelated boxes; keep what it keeps."""
    transformed = transform(
        sample.image, sample.pair_boxes(), generator, extra_boxes=sample.unrelated_boxes()
    )
    kept = transformed.kept_pairs.tolist()
    unrelated = sample.annotation.unrelated_entities
    pairs = [pair for pair, keep in zip(sample.annotation.pairs, kept, strict=True) if keep]
    mirror = transformed.flipped and transform.mirror_left_right_predicates
    pair_boxes = transformed.pair_boxes[transformed.kept_pairs]  # (num_kept_pairs, 2, 4)
    return PretrainSample(
        image=transformed.image,
        subject_boxes=pair_boxes[:, 0],
        object_boxes=pair_boxes[:, 1],
        subject_names=tuple(pair.subject_name for pair in pairs),
        object_names=tuple(pair.object_name for pair in pairs),
        predicates=tuple(
            tuple(mirror_left_right(predicate) for predicate in pair.predicates)
            if mirror
            else pair.predicates
            for pair in pairs
        ),
        dataset=sample.annotation.dataset,
        image_id=sample.annotation.image_id,
        random_seed=random_seed,
        unrelated_boxes=transformed.extra_boxes[transformed.kept_extra],
        unrelated_names=tuple(
            entity.name
            for entity, keep in zip(unrelated, transformed.kept_extra.tolist(), strict=True)
            if keep
        ),
    )


class SceneGraphDataset(Dataset[PretrainSample]):
    """Images with their relation pairs, transformed on access.

    Args:
        annotations: the images to serve, decoded on access (e.g.
            :class:`~model.data.training_annotations.TrainingAnnotations`: held as memory-mapped
            columns, pickled to DataLoader workers as paths).
        transform: the paired transform applied in ``__getitem__``.
        seed: base seed of the augmentation (see the module docstring).
    """

    def __init__(
        self, annotations: Sequence[ImageAnnotation], *, transform: PairedTransform, seed: int
    ) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.annotations = annotations
        self.transform = transform
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.annotations)

    def set_epoch(self, epoch: int) -> None:
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        self.epoch = epoch

    def item_seed(self, index: int) -> int:
        return mixed_seed(self.seed, self.epoch, index)

    def load_sample(self, index: int) -> SceneGraphSample:
        """The untransformed image and pairs of item ``index``."""
        annotation = self.annotations[index]
        image = load_rgb_image(
            annotation.image_path,
            image_root=annotation.image_root,
            expected_size=(annotation.width, annotation.height),
        )
        return SceneGraphSample(image=image, annotation=annotation)

    def __getitem__(self, index: int) -> PretrainSample:
        random_seed = self.item_seed(index)
        return transform_sample(
            self.load_sample(index),
            self.transform,
            generator=torch.Generator().manual_seed(random_seed),
            random_seed=random_seed,
        )
