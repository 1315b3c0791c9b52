"""What every stage job of a labelling run is: one stage on one image shard, keyed on its inputs,
the settings that decide the stage, and the code version.

A job's key is the digest of what it reads (:meth:`StageJob.inputs`: the digests of its input
tables, image files and models), of :meth:`~pipeline.labelling.label_settings.LabelSettings.
deciding` its stage, and of the code version, so the shard store reuses a shard output exactly
when nothing that decides it has changed.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from data_schemas.shard_manifest import ShardManifest
from data_schemas.table_spec import TableSpec
from pipeline.labelling.digests import json_digest
from pipeline.labelling.label_settings import LabelSettings
from pipeline.labelling.shard_store import ShardResult, ShardStore


def stage_key(
    stage: str, inputs: Mapping[str, Any], settings: Mapping[str, Any], code_version: str
) -> str:
    """The key of a stage's output on one shard: a digest of the stage, what it reads, the
    settings that decide it and the code version."""
    return json_digest(
        {"stage": stage, "inputs": dict(inputs), "settings": dict(settings), "code": code_version}
    )


class StageJob(BaseModel, ABC):
    """One stage on one shard (see the module docstring)."""

    model_config = ConfigDict(frozen=True)

    STAGE: ClassVar[str]
    OUTPUTS: ClassVar[tuple[TableSpec, ...]]

    settings: LabelSettings
    code_version: str

    @property
    @abstractmethod
    def shard_index(self) -> int:
        """The shard the job is of."""

    @abstractmethod
    def inputs(self) -> dict[str, Any]:
        """Digests of what the job reads, by name."""

    def key_settings(self) -> dict[str, Any]:
        """The settings in the job's key: those that decide its stage."""
        return self.settings.deciding(self.STAGE)

    def key(self) -> str:
        return stage_key(self.STAGE, self.inputs(), self.key_settings(), self.code_version)

    def run(self, store: ShardStore, compute: Callable[[], ShardResult]) -> ShardManifest:
        """The job's output in ``store``: reused when complete, else computed by ``compute``
        and written there."""
        return store.compute(
            self.STAGE,
            self.shard_index,
            self.key(),
            {spec.name: spec for spec in self.OUTPUTS},
            compute,
        )
