"""The caption stage of one shard: the dataset's own captions, or BLIP's.

With ``source="existing"`` the shard's captions (carried by the split stage) are passed on as
they are; with ``source="blip"`` every image of the shard is captioned, and images that cannot
be read go to the shard's ``rejects``.
"""

import dataclasses
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from data_schemas.captions import CAPTIONS
from data_schemas.image_groups import table_rows
from data_schemas.images import IMAGES, ImageRecord
from data_schemas.rejects import REJECTS, RejectRecord
from data_schemas.shard_manifest import ShardManifest
from pipeline.captioning import BlipCaptionerConfig, caption_images
from pipeline.captioning.captioner import Captioner
from pipeline.labelling.digests import json_digest
from pipeline.labelling.image_files import image_files_digest
from pipeline.labelling.rejects_histogram import rejects_by_reason
from pipeline.labelling.shard_store import ShardResult, ShardStore
from pipeline.labelling.stages import CAPTION_STAGE

CaptionSource = Literal["existing", "blip"]

_OUTPUT_SPECS = {CAPTIONS.name: CAPTIONS, REJECTS.name: REJECTS}
# Settings that change speed or memory but not the captions (sampling is seeded per image).
_EXECUTION_ONLY = ("batch_size", "device")


class CaptionJob(BaseModel):
    """Caption the images of one split shard."""

    model_config = ConfigDict(frozen=True)

    split: ShardManifest
    source: CaptionSource
    blip: BlipCaptionerConfig | None
    """The captioner, when ``source`` is ``"blip"``."""
    model_checksum: str | None
    """Checksum of the BLIP weights and processor files, when ``source`` is ``"blip"``."""
    image_root: Path
    code_version: str

    @property
    def shard_index(self) -> int:
        return self.split.shard_index

    def key(self) -> str:
        if self.source == "existing":
            inputs = {"captions": self.split.digest_of(CAPTIONS)}
            settings = {}
        else:
            images = self.split.read(IMAGES)
            inputs = {
                "images": self.split.digest_of(IMAGES),
                "image_files": image_files_digest(self.image_root, images["file_name"].to_pylist()),
            }
            settings = {
                name: value
                for name, value in dataclasses.asdict(self.blip).items()
                if name not in _EXECUTION_ONLY
            } | {"model": self.model_checksum}
        return json_digest(
            {
                "stage": CAPTION_STAGE,
                "source": self.source,
                "inputs": inputs,
                "settings": settings,
                "code": self.code_version,
            }
        )

    def needs_gpu(self) -> bool:
        return self.source == "blip"


def run_caption_job(
    job: CaptionJob, store: ShardStore, captioner: Captioner | None
) -> ShardManifest:
    """The captions of ``job``'s shard; ``captioner`` is required iff the source is BLIP."""
    if (captioner is None) != (job.source == "existing"):
        raise ValueError(f"caption source {job.source!r} with captioner {captioner!r}")
    return store.compute(
        CAPTION_STAGE,
        job.shard_index,
        job.key(),
        _OUTPUT_SPECS,
        lambda: _caption_shard(job, captioner),
    )


def _caption_shard(job: CaptionJob, captioner: Captioner | None) -> ShardResult:
    if captioner is None:
        captions = job.split.read(CAPTIONS)
        return ShardResult(
            tables={CAPTIONS.name: captions, REJECTS.name: REJECTS.rows_to_arrow([])},
            counts={"captions": captions.num_rows},
        )
    images = [ImageRecord.model_validate(row) for row in table_rows(job.split.read(IMAGES))]
    caption_rows, reject_rows = [], []
    for item in caption_images(
        images, image_root=job.image_root, captioner=captioner, batch_size=job.blip.batch_size
    ):
        if isinstance(item, RejectRecord):
            reject_rows.append(item.model_dump(mode="json"))
        else:
            caption_rows.append(item.model_dump())
    return ShardResult(
        tables={
            CAPTIONS.name: CAPTIONS.rows_to_arrow(caption_rows),
            REJECTS.name: REJECTS.rows_to_arrow(reject_rows),
        },
        counts={"captions": len(caption_rows), "rejects": len(reject_rows)},
        histograms={"rejects": rejects_by_reason(reject_rows)},
    )
