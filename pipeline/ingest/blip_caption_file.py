"""Reader for the paper's BLIP caption files (``model_large_caption_nucleus10.json``,
``model_large_beam.json``): ``{"<image id>": ["caption 1", ..., "caption N"], ...}``.

The captions were decoded by the paper's BLIP runs (``RLIP_caption_coco.py`` /
``RLIP_caption_o365.py``): beam search (3 beams, 5 to 20 tokens, one caption per image) or N
nucleus samples (top-p 0.9, repetition penalty 1.1, 5 to 20 tokens). They are stored with that
decoding, so the candidates stage can start from them and skip captioning.
"""

from collections import Counter
from pathlib import Path
from typing import Literal

from tqdm import tqdm

from data_schemas.captions import CAPTIONS, DecodingSettings
from data_schemas.errors import RLIPv2InputError
from data_schemas.rejects import Rejection, RejectReason
from data_schemas.staged_output import StagedDatasetOutput
from pipeline.ingest.coco_format import IngestedImages
from pipeline.ingest.counts import IngestCounts
from pipeline.ingest.json_stream import stream_key_values
from pipeline.ingest.rejection import RejectLog

BlipDecoding = Literal["beam", "nucleus"]


def blip_decoding_of(captions_json: Path) -> BlipDecoding:
    """The decoding a released caption file's name says (``..._nucleus10.json``, ``..._beam.json``).

    Raises:
        RLIPv2InputError: the name says neither (pass the decoding explicitly).
    """
    name = captions_json.name.lower()
    found = [method for method in ("beam", "nucleus") if method in name]
    if len(found) != 1:
        raise RLIPv2InputError(
            f"cannot tell from the name {captions_json.name!r} whether its captions were decoded "
            "by beam search or nucleus sampling; pass --blip-decoding beam or nucleus"
        )
    return found[0]


def official_decoding_settings(method: BlipDecoding) -> DecodingSettings:
    """The paper's decoding settings of ``method`` (no seed: the released runs were unseeded)."""
    from pipeline.captioning.blip_config import BlipCaptionerConfig
    from pipeline.captioning.decoding import NUCLEUS_TOP_K

    paper = BlipCaptionerConfig()
    if method == "beam":
        return DecodingSettings(
            num_beams=paper.num_beams, max_length=paper.max_length, min_length=paper.min_length,
            repetition_penalty=1.0,
        )
    return DecodingSettings(
        top_k=NUCLEUS_TOP_K, top_p=paper.top_p, max_length=paper.max_length,
        min_length=paper.min_length, repetition_penalty=paper.repetition_penalty,
    )


def ingest_blip_caption_file(
    captions_json: Path,
    *,
    method: BlipDecoding,
    images: IngestedImages,
    output: StagedDatasetOutput,
    rejects: RejectLog,
    counts: IngestCounts,
) -> None:
    """Stream the file into the ``captions`` table: per image, its captions in file order
    (``caption_index`` 0, 1, ...), with ``method``'s official decoding and the file name as
    captioner id. Entries of unknown or rejected images, entries that are not lists of text,
    and empty captions are rejected."""
    writer = output.writer(CAPTIONS)
    decoding = official_decoding_settings(method).model_dump()
    next_index: Counter[int] = Counter()
    for key, captions in tqdm(
        stream_key_values(captions_json), desc="captions", unit="image", disable=None
    ):
        image_id = int(key) if key.isdigit() else None

        def reject(rejection: Rejection) -> None:
            rejects.record(rejection, source_file=captions_json.name, record_kind="caption",
                           record_id=key, image_id=image_id)

        problem = (
            Rejection(RejectReason.MALFORMED_RECORD, f"key {key!r} is not an image id")
            if image_id is None
            else images.why_unusable(image_id)
        )
        if problem is None and not isinstance(captions, list):
            problem = Rejection(RejectReason.MALFORMED_RECORD, "captions are not a list")
        if problem is not None:
            reject(problem)
            continue
        for text in captions:
            if not isinstance(text, str) or not " ".join(text.split()):
                reject(Rejection(RejectReason.EMPTY_TEXT, f"caption {text!r} is empty or not text"))
                continue
            writer.append(
                {
                    "image_id": image_id,
                    "caption_index": next_index[image_id],
                    "text": " ".join(text.split()),
                    "method": method,
                    "decoding": decoding,
                    "captioner_id": captions_json.name,
                }
            )
            next_index[image_id] += 1
            counts.captions += 1
