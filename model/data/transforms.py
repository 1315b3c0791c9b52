"""Paired image/box transforms of pre-training (DETR-style multi-scale, flip, random crop).

Boxes are float32 tensors of shape (..., 4): xyxy in absolute pixels of the current image
(x right, y down) until :func:`xyxy_to_normalised_cxcywh`, which turns them into (cx, cy, w, h)
normalised to [0, 1] by the image size. The pair-level transform takes ``pair_boxes`` of shape
(num_pairs, 2, 4) (``[:, 0]`` subject, ``[:, 1]`` object) so a crop can drop whole pairs.

Horizontal flip mirrors boxes only; predicates that name a side ("left of") become wrong on a
flipped image, so :class:`PairedTransform` reports ``flipped`` and the dataset swaps the words
"left" and "right" in predicates when ``TransformConfig.mirror_left_right_predicates`` is set
(the default; RLIPv2's code does not swap them).
"""

import re
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_SIDE_WORD = re.compile(r"\b(left|right)\b", re.IGNORECASE)


@dataclass(frozen=True)
class CropConfig:
    """DETR's random-size crop branch: with ``probability``, resize the shorter side to one of
    ``pre_crop_shorter_sides``, then crop a random region with sides in [min_size, max_size]
    pixels (capped by the image), keeping only pairs whose two boxes stay valid. A region that
    keeps no pair is redrawn up to ``max_attempts`` times, then the crop is skipped (an image
    without pairs takes the first region)."""

    probability: float = 0.5
    pre_crop_shorter_sides: tuple[int, ...] = (400, 500, 600)
    min_size: int = 384
    max_size: int = 600
    max_attempts: int = 10

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"crop probability must be in [0, 1], got {self.probability}")
        _check_sides("pre_crop_shorter_sides", self.pre_crop_shorter_sides)
        if not 1 <= self.min_size <= self.max_size:
            raise ValueError(
                f"crop sizes need 1 <= min_size <= max_size, got {self.min_size}, {self.max_size}"
            )
        if self.max_attempts < 1:
            raise ValueError(f"crop max_attempts must be >= 1, got {self.max_attempts}")


@dataclass(frozen=True)
class TransformConfig:
    """Training: flip, optional crop, resize of the shorter side to one of ``shorter_sides``
    with the longer side capped at ``max_size``. Evaluation: resize to ``eval_shorter_side``."""

    shorter_sides: tuple[int, ...] = tuple(range(480, 801, 32))
    max_size: int = 1333
    eval_shorter_side: int = 800
    flip_probability: float = 0.5
    mirror_left_right_predicates: bool = True
    crop: CropConfig | None = field(default_factory=CropConfig)
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    def __post_init__(self) -> None:
        _check_sides("shorter_sides", self.shorter_sides)
        _check_sides("eval_shorter_side", (self.eval_shorter_side,))
        if self.max_size < max(self.shorter_sides + (self.eval_shorter_side,)):
            raise ValueError(
                f"max_size {self.max_size} is below a shorter side; raise it or lower the sides"
            )
        if not 0.0 <= self.flip_probability <= 1.0:
            raise ValueError(f"flip_probability must be in [0, 1], got {self.flip_probability}")
        if len(self.mean) != 3 or len(self.std) != 3 or min(self.std) <= 0:
            raise ValueError("mean and std need 3 values each, std > 0")


def _check_sides(name: str, sides: tuple[int, ...]) -> None:
    if not sides or min(sides) < 1:
        raise ValueError(f"{name} must be non-empty positive pixel sizes, got {sides}")


@dataclass(frozen=True)
class CropRegion:
    """A crop window in absolute pixels of the image it is cut from."""

    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class TransformedImage:
    """Output of :class:`PairedTransform`.

    Attributes:
        image: (3, height, width) float32, normalised by the configured mean and std.
        pair_boxes: (num_pairs, 2, 4) float32 cxcywh normalised to [0, 1] by (width, height)
            of ``image``; rows of dropped pairs are meaningless.
        kept_pairs: (num_pairs,) bool, False = the pair was cropped away.
        flipped: the image was mirrored horizontally.
        extra_boxes: (num_extra, 4) float32 cxcywh in [0, 1], the ``extra_boxes`` passed in;
            rows of dropped boxes are meaningless.
        kept_extra: (num_extra,) bool, False = the box was cropped away.
    """

    image: torch.Tensor
    pair_boxes: torch.Tensor
    kept_pairs: torch.Tensor
    flipped: bool
    extra_boxes: torch.Tensor
    kept_extra: torch.Tensor


def horizontal_flip(image: Image.Image, boxes: torch.Tensor) -> tuple[Image.Image, torch.Tensor]:
    """Mirror left-right: x1' = width - x2, x2' = width - x1. Boxes (..., 4) xyxy absolute."""
    width = image.width
    flipped = boxes[..., [2, 1, 0, 3]] * torch.tensor([-1.0, 1.0, -1.0, 1.0]) + torch.tensor(
        [width, 0.0, width, 0.0]
    )
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), flipped


def resized_size(
    width: int, height: int, shorter_side: int, max_size: int | None
) -> tuple[int, int]:
    """(width, height) after scaling the shorter side to ``shorter_side``, keeping the aspect
    ratio, with the longer side at most ``max_size`` (DETR's rule, rounding included)."""
    if max_size is not None:
        shorter, longer = min(width, height), max(width, height)
        if longer / shorter * shorter_side > max_size:
            shorter_side = int(round(max_size * shorter / longer))
    if width <= height:
        return shorter_side, int(shorter_side * height / width)
    return int(shorter_side * width / height), shorter_side


def resize(
    image: Image.Image, boxes: torch.Tensor, shorter_side: int, max_size: int | None
) -> tuple[Image.Image, torch.Tensor]:
    """Bilinear resize (see :func:`resized_size`); boxes (..., 4) xyxy absolute are scaled."""
    width, height = resized_size(image.width, image.height, shorter_side, max_size)
    if (width, height) == image.size:
        return image, boxes
    scale = torch.tensor(
        [width / image.width, height / image.height, width / image.width, height / image.height]
    )
    return image.resize((width, height), Image.Resampling.BILINEAR), boxes * scale


def crop(
    image: Image.Image, boxes: torch.Tensor, region: CropRegion
) -> tuple[Image.Image, torch.Tensor, torch.Tensor]:
    """Cut ``region`` out; boxes (..., 4) xyxy absolute are shifted and clipped to it.

    Returns:
        The cropped image, the boxes in its pixels, and (...,) bool: True = the box keeps a
        positive width and height inside the region.
    """
    offset = torch.tensor([region.left, region.top, region.left, region.top], dtype=boxes.dtype)
    limit = torch.tensor([region.width, region.height, region.width, region.height])
    clipped = torch.minimum((boxes - offset).clamp(min=0.0), limit.to(boxes.dtype))
    valid = (clipped[..., 2] > clipped[..., 0]) & (clipped[..., 3] > clipped[..., 1])
    box = (region.left, region.top, region.left + region.width, region.top + region.height)
    return image.crop(box), clipped, valid


def random_crop_region(
    width: int, height: int, *, min_size: int, max_size: int, generator: torch.Generator
) -> CropRegion:
    """A uniformly placed window with sides uniform in [min_size, max_size], capped by the image."""
    crop_width = _randint(min(min_size, width), min(max_size, width), generator)
    crop_height = _randint(min(min_size, height), min(max_size, height), generator)
    left = _randint(0, width - crop_width, generator)
    top = _randint(0, height - crop_height, generator)
    return CropRegion(left=left, top=top, width=crop_width, height=crop_height)


def image_to_normalised_tensor(
    image: Image.Image, mean: tuple[float, ...], std: tuple[float, ...]
) -> torch.Tensor:
    """PIL RGB -> (3, height, width) float32, (pixel / 255 - mean) / std per channel."""
    pixels = torch.from_numpy(np.array(image.convert("RGB"), dtype=np.uint8))  # (h, w, 3)
    tensor = pixels.permute(2, 0, 1).to(torch.float32).div_(255.0)
    return (tensor - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)


def xyxy_to_normalised_cxcywh(boxes: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """(..., 4) xyxy absolute -> (..., 4) cxcywh in [0, 1]; boxes are clipped to the image."""
    size = torch.tensor([width, height, width, height], dtype=boxes.dtype)
    clipped = torch.minimum(boxes.clamp(min=0.0), size)
    x1, y1, x2, y2 = clipped.unbind(-1)
    cxcywh = torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], dim=-1)
    return cxcywh / size


def mirror_left_right(predicate: str) -> str:
    """Swap the whole words "left" and "right" (case kept): "left of" -> "right of"."""

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        mirrored = "right" if word.lower() == "left" else "left"
        if word.isupper():
            return mirrored.upper()
        return mirrored.capitalize() if word[0].isupper() else mirrored

    return _SIDE_WORD.sub(swap, predicate)


class PairedTransform:
    """Flip, optional crop and multi-scale resize of an image and its pair boxes, then
    normalisation. Every random draw comes from the ``generator`` passed to ``__call__``, in a
    fixed order, so a seeded generator gives the same output."""

    def __init__(
        self,
        *,
        shorter_sides: tuple[int, ...],
        max_size: int,
        flip_probability: float,
        crop: CropConfig | None,
        mirror_left_right_predicates: bool,
        mean: tuple[float, float, float],
        std: tuple[float, float, float],
    ) -> None:
        self.shorter_sides = shorter_sides
        self.max_size = max_size
        self.flip_probability = flip_probability
        self.crop = crop
        self.mirror_left_right_predicates = mirror_left_right_predicates
        self.mean = mean
        self.std = std

    def __call__(
        self,
        image: Image.Image,
        pair_boxes: torch.Tensor,
        generator: torch.Generator,
        *,
        extra_boxes: torch.Tensor | None = None,
    ) -> TransformedImage:
        """
        Args:
            pair_boxes: (num_pairs, 2, 4) float32 xyxy in absolute pixels of ``image``.
            extra_boxes: None, or (num_extra, 4) float32 xyxy absolute: other boxes that follow
                the image (the R-Tagger's objects in no relation). They do not choose the crop:
                a crop is accepted when it keeps a pair.
        """
        num_pairs = pair_boxes.shape[0]
        if extra_boxes is None:
            extra_boxes = torch.zeros(0, 4)
        boxes = torch.cat([pair_boxes.reshape(-1, 4), extra_boxes])  # (2 * num_pairs + extra, 4)
        kept = torch.ones(boxes.shape[0], dtype=torch.bool)
        flipped = _draw(generator) < self.flip_probability
        if flipped:
            image, boxes = horizontal_flip(image, boxes)
        if self.crop is not None and _draw(generator) < self.crop.probability:
            image, boxes, kept = _random_crop(image, boxes, num_pairs, self.crop, generator)
        shorter_side = self.shorter_sides[_randint(0, len(self.shorter_sides) - 1, generator)]
        image, boxes = resize(image, boxes, shorter_side, self.max_size)
        boxes = xyxy_to_normalised_cxcywh(boxes, image.width, image.height)
        return TransformedImage(
            image=image_to_normalised_tensor(image, self.mean, self.std),
            pair_boxes=boxes[: 2 * num_pairs].view(num_pairs, 2, 4),
            kept_pairs=_pairs_kept(kept, num_pairs),
            flipped=flipped,
            extra_boxes=boxes[2 * num_pairs :],
            kept_extra=kept[2 * num_pairs :],
        )


def _pairs_kept(kept_boxes: torch.Tensor, num_pairs: int) -> torch.Tensor:
    """(2 * num_pairs + extra,) bool per box -> (num_pairs,): both boxes of the pair kept."""
    return kept_boxes[: 2 * num_pairs].view(num_pairs, 2).all(dim=-1)


def _random_crop(
    image: Image.Image,
    boxes: torch.Tensor,
    num_pairs: int,
    config: CropConfig,
    generator: torch.Generator,
) -> tuple[Image.Image, torch.Tensor, torch.Tensor]:
    """The crop branch of :class:`PairedTransform`.

    Args:
        boxes: (2 * num_pairs + extra, 4) xyxy absolute: the pairs' subject and object boxes
            interleaved, then the extra boxes.

    Returns:
        The image, the boxes in its pixels, and (2 * num_pairs + extra,) bool: the box stays.
    """
    sides = config.pre_crop_shorter_sides
    shorter_side = sides[_randint(0, len(sides) - 1, generator)]
    image, boxes = resize(image, boxes, shorter_side, None)
    for _ in range(config.max_attempts):
        region = random_crop_region(
            image.width,
            image.height,
            min_size=config.min_size,
            max_size=config.max_size,
            generator=generator,
        )
        cropped, cropped_boxes, valid_boxes = crop(image, boxes, region)
        if num_pairs == 0 or _pairs_kept(valid_boxes, num_pairs).any():
            return cropped, cropped_boxes, valid_boxes
    return image, boxes, torch.ones(boxes.shape[0], dtype=torch.bool)


def build_train_transform(config: TransformConfig) -> PairedTransform:
    return PairedTransform(
        shorter_sides=config.shorter_sides,
        max_size=config.max_size,
        flip_probability=config.flip_probability,
        crop=config.crop,
        mirror_left_right_predicates=config.mirror_left_right_predicates,
        mean=config.mean,
        std=config.std,
    )


def build_eval_transform(config: TransformConfig) -> PairedTransform:
    """Resize to ``eval_shorter_side`` (longer side capped) and normalise; nothing random."""
    return PairedTransform(
        shorter_sides=(config.eval_shorter_side,),
        max_size=config.max_size,
        flip_probability=0.0,
        crop=None,
        mirror_left_right_predicates=False,
        mean=config.mean,
        std=config.std,
    )


def _draw(generator: torch.Generator) -> float:
    """One uniform number in [0, 1)."""
    return torch.rand((), generator=generator).item()


def _randint(low: int, high: int, generator: torch.Generator) -> int:
    """One integer uniform in [low, high], both inclusive."""
    return int(torch.randint(low, high + 1, (), generator=generator).item())
