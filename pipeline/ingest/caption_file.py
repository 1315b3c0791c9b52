"""Reader for COCO-format caption files (``captions_train2017.json``): human captions."""

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from tqdm import tqdm

from data_schemas.captions import CAPTIONS
from data_schemas.rejects import Rejection, RejectReason
from data_schemas.staged_output import StagedDatasetOutput
from pipeline.ingest.coco_format import IngestedImages
from pipeline.ingest.counts import IngestCounts
from pipeline.ingest.entries import is_integer
from pipeline.ingest.id_index import IntIdIndex
from pipeline.ingest.json_stream import stream_items
from pipeline.ingest.rejection import RejectLog

_NO_DECODING = {
    "num_beams": None,
    "top_k": None,
    "top_p": None,
    "max_length": None,
    "min_length": None,
    "repetition_penalty": None,
    "seed": None,
}


def ingest_caption_file(
    captions_json: Path,
    *,
    images: IngestedImages,
    output: StagedDatasetOutput,
    rejects: RejectLog,
    counts: IngestCounts,
) -> None:
    """Stream ``annotations`` of a COCO captions file into the ``captions`` table.

    Captions are numbered per image in file order (``caption_index`` 0, 1, ...), with method
    ``human`` and the file name as captioner id. Captions of unknown or rejected images and
    empty captions are rejected.
    """
    writer = output.writer(CAPTIONS)
    caption_ids = IntIdIndex()
    next_index: Counter[int] = Counter()
    for item in tqdm(
        stream_items(captions_json, "annotations.item"), desc="captions", unit="", disable=None
    ):
        row = _check_caption(item, images, caption_ids)
        if isinstance(row, Rejection):
            image_id = item.get("image_id") if isinstance(item, Mapping) else None
            rejects.record(
                row,
                source_file=captions_json.name,
                record_kind="caption",
                record_id=item.get("id") if isinstance(item, Mapping) else None,
                image_id=image_id if is_integer(image_id) else None,
            )
            continue
        image_id, text = row
        writer.append(
            {
                "image_id": image_id,
                "caption_index": next_index[image_id],
                "text": text,
                "method": "human",
                "decoding": _NO_DECODING,
                "captioner_id": captions_json.name,
            }
        )
        next_index[image_id] += 1
        counts.captions += 1


def _check_caption(
    item: object, images: IngestedImages, caption_ids: IntIdIndex
) -> tuple[int, str] | Rejection:
    if not isinstance(item, Mapping) or not is_integer(item.get("image_id")):
        return Rejection(RejectReason.MALFORMED_RECORD, "caption needs an integer image_id")
    caption_id = item.get("id")
    if is_integer(caption_id) and not caption_ids.add(caption_id):
        return Rejection(RejectReason.DUPLICATE_ID, f"caption id {caption_id} appears twice")
    image_problem = images.why_unusable(item["image_id"])
    if image_problem is not None:
        return image_problem
    text = item.get("caption")
    if not isinstance(text, str):
        return Rejection(RejectReason.MALFORMED_RECORD, f"caption {text!r} is not text")
    text = " ".join(text.split())
    if not text:
        return Rejection(RejectReason.EMPTY_TEXT, "caption is empty")
    return item["image_id"], text
