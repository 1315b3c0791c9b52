"""The first labelling stage: cut an ingested dataset into shards of consecutive images.

Shard ``i`` holds images ``i * images_per_shard`` ... of the dataset sorted by image id, with
their entities (and their captions, when the run reuses the dataset's captions). Every later
stage reads only its shard's files, so a shard's input digest is the digest of these files.
"""

import logging
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

from data_schemas.captions import CAPTIONS
from data_schemas.entities import ENTITIES
from data_schemas.errors import RLIPv2InputError
from data_schemas.images import IMAGES
from data_schemas.parquet_io import list_shards, read_table
from data_schemas.shard_manifest import ShardManifest
from data_schemas.table_spec import TableSpec
from pipeline.labelling.digests import files_digest, json_digest
from pipeline.labelling.shard_store import ShardResult, ShardStore
from pipeline.labelling.stages import SPLIT_STAGE

logger = logging.getLogger(__name__)


class SplitJob(BaseModel):
    """Cut ``dataset_dir`` (an ingested dataset) into shards of ``images_per_shard`` images."""

    model_config = ConfigDict(frozen=True)

    dataset_dir: Path
    images_per_shard: int
    with_captions: bool
    """Carry the dataset's ``captions`` table into the shards (the run reuses its captions)."""
    code_version: str

    def specs(self) -> list[TableSpec]:
        return [IMAGES, ENTITIES] + ([CAPTIONS] if self.with_captions else [])

    def dataset_digest(self) -> str:
        """Digest of the dataset tables this job reads.

        Raises:
            RLIPv2InputError: a table directory is missing or empty.
        """
        files = []
        for spec in self.specs():
            shards = list_shards(self.dataset_dir / spec.name)
            if not shards:
                raise RLIPv2InputError(
                    f"{self.dataset_dir} has no {spec.name!r} table; give an ingested dataset "
                    "directory (rlipv2 ingest)"
                    + (" with captions, or caption with BLIP" if spec is CAPTIONS else "")
                )
            files += shards
        return files_digest(files, root=self.dataset_dir)

    def shard_key(self, dataset_digest: str, shard_index: int) -> str:
        return json_digest(
            {
                "stage": SPLIT_STAGE,
                "dataset": dataset_digest,
                "images_per_shard": self.images_per_shard,
                "with_captions": self.with_captions,
                "shard": shard_index,
                "code": self.code_version,
            }
        )


def run_split_job(job: SplitJob, store: ShardStore) -> list[ShardManifest]:
    """The shards of ``job.dataset_dir``, reusing those already in ``store``.

    Raises:
        RLIPv2InputError: the dataset is missing a table or has no images.
    """
    if job.images_per_shard < 1:
        raise ValueError(f"images_per_shard must be >= 1, got {job.images_per_shard}")
    dataset_digest = job.dataset_digest()
    images = read_table(job.dataset_dir / IMAGES.name, IMAGES).sort_by("image_id")
    if images.num_rows == 0:
        raise RLIPv2InputError(f"{job.dataset_dir} has no images: nothing to label")
    num_shards = math.ceil(images.num_rows / job.images_per_shard)
    keys = [job.shard_key(dataset_digest, index) for index in range(num_shards)]
    loaded = [store.load(SPLIT_STAGE, index, key) for index, key in enumerate(keys)]
    if all(manifest is not None for manifest in loaded):
        return loaded
    tables = {
        spec.name: _sorted_by_image(read_table(job.dataset_dir / spec.name, spec), spec)
        for spec in job.specs()
        if spec is not IMAGES
    }
    specs = {spec.name: spec for spec in job.specs()}
    manifests = []
    for index, key in enumerate(keys):
        shard_images = images.slice(index * job.images_per_shard, job.images_per_shard)
        manifests.append(
            loaded[index]
            or store.compute(
                SPLIT_STAGE, index, key, specs, lambda: _shard_tables(shard_images, tables)
            )
        )
    logger.info("%s: %d images in %d shards", job.dataset_dir, images.num_rows, num_shards)
    return manifests


def _sorted_by_image(table: pa.Table, spec: TableSpec) -> pa.Table:
    secondary = "entity_id" if spec is ENTITIES else "caption_index"
    return table.sort_by([("image_id", "ascending"), (secondary, "ascending")])


def _shard_tables(images: pa.Table, tables: dict[str, pa.Table]) -> ShardResult:
    """``images`` and the rows of ``tables`` (sorted by image id) of exactly those images."""
    image_ids = images["image_id"].to_numpy()
    result = {IMAGES.name: images}
    for name, table in tables.items():
        ids = table["image_id"].to_numpy()
        start = int(np.searchsorted(ids, image_ids[0], side="left"))
        stop = int(np.searchsorted(ids, image_ids[-1], side="right"))
        rows = table.slice(start, stop - start)
        result[name] = rows.filter(pc.is_in(rows["image_id"], value_set=pa.array(image_ids)))
    return ShardResult(tables=result, counts={"images": images.num_rows})
