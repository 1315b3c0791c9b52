"""The caption stage of one shard: the dataset's own captions, or BLIP's.

With captioner ``existing`` the shard's captions (carried by the split stage) are passed on as
they are; with ``blip`` every image of the shard is captioned, and images that cannot be read
go to the shard's ``rejects``.
"""

from pathlib import Path
from typing import Any, ClassVar

from data_schemas.captions import CAPTIONS
from data_schemas.image_groups import table_rows
from data_schemas.images import IMAGES, ImageRecord
from data_schemas.rejects import REJECTS, RejectRecord
from data_schemas.shard_manifest import ShardManifest
from data_schemas.table_spec import TableSpec
from pipeline.captioning.caption_images import caption_images
from pipeline.captioning.captioner import Captioner
from pipeline.labelling.image_files import image_files_digest
from pipeline.labelling.rejects_histogram import rejects_by_reason
from pipeline.labelling.shard_store import ShardResult, ShardStore
from pipeline.labelling.stage_job import StageJob
from pipeline.labelling.stages import CAPTION_STAGE


class CaptionJob(StageJob):
    """Caption the images of one split shard."""

    STAGE: ClassVar[str] = CAPTION_STAGE
    OUTPUTS: ClassVar[tuple[TableSpec, ...]] = (CAPTIONS, REJECTS)

    split: ShardManifest
    model_checksum: str | None
    """Checksum of the BLIP weights and processor files, when captioning with BLIP."""
    image_root: Path | None
    """Where the images' files are, when captioning with BLIP."""

    @property
    def shard_index(self) -> int:
        return self.split.shard_index

    def needs_gpu(self) -> bool:
        return self.settings.captioner == "blip"

    def inputs(self) -> dict[str, Any]:
        if not self.needs_gpu():
            return {"captions": self.split.digest_of(CAPTIONS)}
        images = self.split.read(IMAGES)
        return {
            "images": self.split.digest_of(IMAGES),
            "image_files": image_files_digest(_image_root(self), images["file_name"].to_pylist()),
            "model": self.model_checksum,
        }

    def key_settings(self) -> dict[str, Any]:
        """The caption settings, when BLIP captions: reused captions depend on none of them."""
        if not self.needs_gpu():
            return {"captioner": self.settings.captioner}
        return super().key_settings()


def run_caption_job(
    job: CaptionJob, store: ShardStore, captioner: Captioner | None
) -> ShardManifest:
    """The captions of ``job``'s shard (see :func:`caption_shard`)."""
    return job.run(store, lambda: caption_shard(job, captioner))


def caption_shard(job: CaptionJob, captioner: Captioner | None) -> ShardResult:
    """Caption ``job``'s shard; ``captioner`` (built from ``job.settings.blip``) is required
    iff the job captions with BLIP."""
    if (captioner is None) == job.needs_gpu():
        raise ValueError(f"captioner {job.settings.captioner!r} with {captioner!r}")
    if captioner is None:
        captions = job.split.read(CAPTIONS)
        return ShardResult(
            tables={CAPTIONS.name: captions, REJECTS.name: REJECTS.rows_to_arrow([])},
            counts={"captions": captions.num_rows},
        )
    images = [ImageRecord.model_validate(row) for row in table_rows(job.split.read(IMAGES))]
    caption_rows, reject_rows = [], []
    for item in caption_images(
        images,
        image_root=_image_root(job),
        captioner=captioner,
        batch_size=job.settings.blip.batch_size,
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


def _image_root(job: CaptionJob) -> Path:
    if job.image_root is None:
        raise ValueError("captioning with BLIP needs the image root")
    return job.image_root
