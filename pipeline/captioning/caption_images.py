"""The captioning stage: image records -> caption records, and rejects for unusable images."""

import logging
from collections.abc import Iterable, Iterator, Sized
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from data_schemas.captions import CaptionRecord
from data_schemas.errors import RLIPv2InputError
from data_schemas.images import ImageRecord
from data_schemas.reject_warnings import RejectWarnings
from data_schemas.rejects import RejectRecord
from model.data.image_files import ImageFileError, load_rgb_image
from pipeline.captioning.captioner import Captioner

logger = logging.getLogger(__name__)

CAPTION_STAGE = "caption"
"""The stage named in the captioning rejects (and the caption shards of a labelling run)."""


def caption_images(
    images: Iterable[ImageRecord],
    *,
    image_root: Path,
    captioner: Captioner,
    batch_size: int,
) -> Iterator[CaptionRecord | RejectRecord]:
    """Caption every image, streaming: ``batch_size`` images are open at a time.

    Each readable image yields ``captioner.num_captions`` caption records (``caption_index`` 0,
    1, ... in the captioner's order, with its method, decoding settings and id), images in input
    order. An image that cannot be opened or decoded (missing, truncated, not an image, outside
    ``image_root``) yields one ``RejectRecord`` (stage ``caption``, reason ``unreadable_image``)
    as soon as it is met, and the others go on.

    Raises:
        RLIPv2InputError: ``image_root`` is not a directory.
        ValueError: ``batch_size`` < 1, or the captioner broke its contract.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if not image_root.is_dir():
        raise RLIPv2InputError(f"image root {image_root} is not a directory")
    return _caption_stream(images, image_root.resolve(), captioner, batch_size)


def _caption_stream(
    images: Iterable[ImageRecord], image_root: Path, captioner: Captioner, batch_size: int
) -> Iterator[CaptionRecord | RejectRecord]:
    total = len(images) if isinstance(images, Sized) else None
    warnings = RejectWarnings(logger)
    pending: list[tuple[ImageRecord, Image.Image]] = []
    with tqdm(total=total, desc="caption", unit="image", disable=None) as progress:
        for record in images:
            try:
                loaded = load_rgb_image(
                    image_root / record.file_name, image_root=image_root, expected_size=None
                )
            except ImageFileError as error:
                reject = RejectRecord(
                    stage=CAPTION_STAGE,
                    source_file=record.file_name,
                    record_kind="image",
                    record_id=str(record.image_id),
                    image_id=record.image_id,
                    reason=error.reason,
                    detail=str(error),
                )
                warnings.warn(reject)
                progress.update(1)
                yield reject
                continue
            pending.append((record, loaded))
            if len(pending) == batch_size:
                yield from _caption_records(pending, captioner)
                progress.update(len(pending))
                pending = []
        if pending:
            yield from _caption_records(pending, captioner)
            progress.update(len(pending))
    if warnings.total:
        logger.warning("%d images could not be used and were rejected", warnings.total)


def _caption_records(
    batch: list[tuple[ImageRecord, Image.Image]], captioner: Captioner
) -> Iterator[CaptionRecord]:
    captions = captioner.caption([image for _, image in batch])
    if len(captions) != len(batch) or any(len(c) != captioner.num_captions for c in captions):
        raise ValueError(
            f"captioner {captioner.captioner_id} returned {[len(c) for c in captions]} captions "
            f"for {len(batch)} images; expected {captioner.num_captions} per image"
        )
    decoding = captioner.decoding
    for (record, _), texts in zip(batch, captions, strict=True):
        for caption_index, text in enumerate(texts):
            yield CaptionRecord(
                image_id=record.image_id,
                caption_index=caption_index,
                text=text,
                method=captioner.method,
                decoding=decoding,
                captioner_id=captioner.captioner_id,
            )

