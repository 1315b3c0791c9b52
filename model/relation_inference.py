"""Running a detector over every image of a benchmark split, into relation detections."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from data_schemas.images import IMAGES
from data_schemas.parquet_io import read_table
from evaluation.detections import ImageDetections
from model.data.collate import pad_images
from model.data.image_files import load_rgb_image
from model.data.transforms import PairedTransform
from model.detections_postprocess import RelationScoring, detections_from_output
from model.engine import autocast_dtype
from model.relation_detector import RelationDetector
from model.targets import LabelTexts


@dataclass(frozen=True)
class InferenceImage:
    """One image to detect in, transformed: ``image`` (3, height, width) float32
    ImageNet-normalised; ``original_size`` (height, width) of the file in pixels."""

    image_id: int
    image: torch.Tensor
    original_size: tuple[int, int]


class SplitImages(Dataset[InferenceImage]):
    """Every image of a split's ``images`` table, in table order, with the evaluation
    transform. A missing or unreadable file raises (naming it): a metric over fewer images
    would be wrong without saying so."""

    def __init__(self, split_dir: Path, *, image_root: Path, transform: PairedTransform) -> None:
        self.rows = read_table(split_dir / IMAGES.name, IMAGES).to_pylist()
        self.image_root = image_root
        self.transform = transform

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> InferenceImage:
        row = self.rows[index]
        image = load_rgb_image(
            self.image_root / row["file_name"],
            image_root=self.image_root,
            expected_size=(row["width"], row["height"]),
        )
        transformed = self.transform(image, torch.zeros(0, 2, 4), torch.Generator())
        return InferenceImage(
            image_id=row["image_id"],
            image=transformed.image,
            original_size=(row["height"], row["width"]),
        )


def _collate(items: Sequence[InferenceImage]) -> list[InferenceImage]:
    return list(items)


@torch.no_grad()
def detect_relations(
    detector: RelationDetector,
    images: SplitImages,
    *,
    label_texts: LabelTexts,
    scoring: RelationScoring,
    subject_label: int | None,
    filter_subjects: bool,
    batch_size: int,
    num_workers: int,
    device: torch.device,
) -> list[ImageDetections]:
    """The detections of every image (``detector`` in eval mode, mixed precision on CUDA),
    scored over ``label_texts`` (see :func:`detections_from_output`)."""
    detector = detector.to(device).eval()
    loader = DataLoader(
        images,
        batch_size=batch_size,
        num_workers=num_workers,
        collate_fn=_collate,
        multiprocessing_context="forkserver" if num_workers > 0 else None,
    )
    amp_dtype = autocast_dtype(device)
    detections = []
    for batch in tqdm(loader, desc="detecting", unit="batch", disable=None):
        pixels, pixel_mask, _ = pad_images([item.image for item in batch])
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            output = detector(pixels.to(device), pixel_mask.to(device), label_texts)
        detections += detections_from_output(
            output,
            image_sizes=torch.tensor([item.original_size for item in batch]),
            image_ids=[item.image_id for item in batch],
            scoring=scoring,
            subject_label=subject_label,
            filter_subjects=filter_subjects,
        )
    return detections
