"""The first labelling stage: cut an ingested dataset into shards of consecutive images.

Shard ``i`` holds images ``i * images_per_shard`` ... of the dataset sorted by image id, with
their entities, and the rows of those images of the tables the run carries along: the dataset's
captions when it reuses them, or a candidate run's candidates to tag. Every later stage reads only
its shard's files, so a shard's input digest is the digest of these files.
"""

import logging
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, field_validator

from data_schemas import ALL_TABLES
from data_schemas.captions import CAPTIONS
from data_schemas.entities import ENTITIES
from data_schemas.errors import RLIPv2InputError
from data_schemas.images import IMAGES
from data_schemas.parquet_io import list_shards, read_table
from data_schemas.shard_manifest import ShardManifest
from pipeline.labelling.digests import files_digest
from pipeline.labelling.label_settings import LabelSettings
from pipeline.labelling.shard_store import ShardResult, ShardStore
from pipeline.labelling.stage_job import stage_key
from pipeline.labelling.stages import SPLIT_STAGE

logger = logging.getLogger(__name__)

_SPECS = {spec.name: spec for spec in ALL_TABLES}
# Within an image, rows keep this column's order (the others, their table's order).
_ORDER_WITHIN_IMAGE = {ENTITIES.name: "entity_id", CAPTIONS.name: "caption_index"}


class SplitJob(BaseModel):
    """Cut ``dataset_dir`` (an ingested dataset) into shards of ``settings.images_per_shard``
    images, carrying the tables of ``carried`` (table name -> its directory) along."""

    model_config = ConfigDict(frozen=True)

    dataset_dir: Path
    carried: dict[str, Path] = {}
    settings: LabelSettings
    code_version: str

    @field_validator("carried")
    @classmethod
    def _known_tables(cls, carried: dict[str, Path]) -> dict[str, Path]:
        unknown = sorted(set(carried) - set(_SPECS))
        if unknown:
            raise ValueError(f"no table is named {unknown}")
        return carried

    def table_dirs(self) -> dict[str, Path]:
        """Every table the shards hold, by name: the dataset's images and entities, then the
        carried tables."""
        return {
            IMAGES.name: self.dataset_dir / IMAGES.name,
            ENTITIES.name: self.dataset_dir / ENTITIES.name,
        } | self.carried

    def input_digests(self) -> dict[str, str]:
        """Digest of each table this job reads, by name.

        Raises:
            RLIPv2InputError: a table directory is missing or empty.
        """
        return {
            name: files_digest(self._table_files(name, directory), root=directory)
            for name, directory in self.table_dirs().items()
        }

    def shard_key(self, input_digests: dict[str, str], shard_index: int) -> str:
        return stage_key(
            SPLIT_STAGE,
            {"tables": input_digests, "shard": shard_index},
            self.settings.deciding(SPLIT_STAGE),
            self.code_version,
        )

    def _table_files(self, name: str, directory: Path) -> list[Path]:
        shards = list_shards(directory)
        if shards:
            return shards
        if directory != self.dataset_dir / name:
            raise RLIPv2InputError(f"{directory} holds no {name!r} table")
        raise RLIPv2InputError(
            f"{self.dataset_dir} has no {name!r} table; give an ingested dataset directory "
            "(rlipv2 ingest)"
            + (" with captions, or caption with BLIP" if name == CAPTIONS.name else "")
        )


def run_split_job(job: SplitJob, store: ShardStore) -> list[ShardManifest]:
    """The shards of ``job.dataset_dir``, reusing those already in ``store``.

    Raises:
        RLIPv2InputError: a table is missing, or the dataset has no images.
    """
    input_digests = job.input_digests()
    images = read_table(job.dataset_dir / IMAGES.name, IMAGES).sort_by("image_id")
    if images.num_rows == 0:
        raise RLIPv2InputError(f"{job.dataset_dir} has no images: nothing to label")
    images_per_shard = job.settings.images_per_shard
    num_shards = math.ceil(images.num_rows / images_per_shard)
    keys = [job.shard_key(input_digests, index) for index in range(num_shards)]
    loaded = [store.load(SPLIT_STAGE, index, key) for index, key in enumerate(keys)]
    if all(manifest is not None for manifest in loaded):
        return loaded
    tables = {
        name: _sorted_by_image(read_table(directory, _SPECS[name]), name)
        for name, directory in job.table_dirs().items()
        if name != IMAGES.name
    }
    specs = {name: _SPECS[name] for name in job.table_dirs()}
    manifests = []
    for index, key in enumerate(keys):
        shard_images = images.slice(index * images_per_shard, images_per_shard)
        manifests.append(
            loaded[index]
            or store.compute(
                SPLIT_STAGE, index, key, specs, lambda: _shard_tables(shard_images, tables)
            )
        )
    logger.info("%s: %d images in %d shards", job.dataset_dir, images.num_rows, num_shards)
    return manifests


def _sorted_by_image(table: pa.Table, name: str) -> pa.Table:
    """``table`` by image id; within an image, by its order column, or as it was (stable)."""
    order = [("image_id", "ascending")]
    if name in _ORDER_WITHIN_IMAGE:
        order.append((_ORDER_WITHIN_IMAGE[name], "ascending"))
    return table.sort_by(order)


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
