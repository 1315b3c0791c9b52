"""The parameters of the ``label`` flow: one pydantic model, shown as a form in the Prefect UI,
from which ``rlipv2 label``'s options are derived (:mod:`flows.cli_options`).

The form is flat: the run's inputs (:class:`LabelInputs`), then its settings
(:class:`~pipeline.labelling.label_settings.LabelSettings`), then how it is executed.
"""

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from data_schemas.option import Option
from flows.training_parameters import PretrainParameters
from pipeline.ingest import DEFAULT_ROWS_PER_SHARD
from pipeline.labelling.label_settings import LabelSettings

TaskRunnerKind = Literal["threads", "dask"]

_INGEST = "ingest COCO-format files first"
_EXECUTION = "execution"


def _pretraining_with_config(config_file: str) -> PretrainParameters:
    return PretrainParameters(config_file=Path(config_file))


class CocoSource(BaseModel):
    """A COCO-format dataset (COCO or Objects365) to ingest before labelling."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    instances: Annotated[Path, Option("--coco-instances")] = Field(
        description="COCO-format instances JSON (boxes and categories)"
    )
    captions: Annotated[Path | None, Option("--coco-captions")] = Field(
        None, description="COCO captions JSON, needed when captioner is 'existing'"
    )
    image_root: Annotated[Path, Option()] = Field(description="directory of the image files")
    dataset: Annotated[str, Option("--dataset-name")] = Field(
        "coco", description="dataset name recorded in every row"
    )
    split: Annotated[str, Option("--split")] = Field(
        "train", description="split name recorded in every row"
    )


class LabelInputs(BaseModel):
    """What a labelling run reads and where it writes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset_dir: Annotated[Path, Option("--dataset")] = Field(
        description="an ingested dataset (rlipv2 ingest); with `ingest`, where to ingest it"
    )
    out_dir: Annotated[Path, Option("--out")] = Field(description="output directory of the run")
    tagger_checkpoint: Annotated[Path, Option("--tagger-checkpoint")] = Field(
        description="an R-Tagger checkpoint (rlipv2 train-tagger or convert-checkpoint)"
    )
    ingest: Annotated[CocoSource | None, Option(group=_INGEST)] = Field(
        None, description="ingest these COCO-format files first"
    )
    image_root: Annotated[Path | None, Option("--image-root")] = Field(
        None, description="image directory (default: the one recorded at ingest)"
    )


class LabelParameters(LabelSettings, LabelInputs):
    """Label a detection dataset with relations: caption -> parse -> match -> tag -> scene graphs.

    Outputs go to ``out_dir``: one table directory per stage (captions, triplets, candidates,
    tagged_relations, scene_graphs, rejects), ``manifest.json``, and ``work/`` (finished shards,
    reused by a re-run with the same inputs and settings).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_runner: Annotated[TaskRunnerKind, Option("--task-runner", group=_EXECUTION)] = Field(
        "threads", description="threads, or a Dask cluster (pip install 'rlipv2[dask]')"
    )
    max_workers: Annotated[int, Option("--max-workers", group=_EXECUTION)] = Field(
        4, ge=1, description="threads, or local Dask worker processes"
    )
    dask_address: Annotated[str | None, Option("--dask-address", group=_EXECUTION)] = Field(
        None, description="scheduler address of an existing Dask cluster (default: start one)"
    )
    gpu_concurrency: Annotated[int, Option("--gpu-concurrency", group=_EXECUTION)] = Field(
        1, ge=1, description="GPU stage shards running at once"
    )
    ingest_rows_per_shard: Annotated[int, Option()] = Field(
        DEFAULT_ROWS_PER_SHARD, ge=1, description="rows per Parquet file of the ingest"
    )
    then_pretrain: Annotated[
        PretrainParameters | None,
        Option("--then-pretrain", metavar="CONFIG", parse=_pretraining_with_config),
    ] = Field(
        None,
        description="pretrain when labelling is done, with this rlipv2 pretrain config "
        "(and, in the form, overrides)",
    )

    def settings(self) -> LabelSettings:
        """The run's settings alone (what the plan and its stage jobs take)."""
        return LabelSettings(
            **self.model_dump(include=set(LabelSettings.model_fields)),
        )

    @model_validator(mode="after")
    def _check_consistent(self) -> "LabelParameters":
        out, dataset = self.out_dir.resolve(), self.dataset_dir.resolve()
        if out.is_relative_to(dataset) or dataset.is_relative_to(out):  # equal ones included
            raise ValueError(
                f"out_dir {self.out_dir} and dataset_dir {self.dataset_dir} must be separate "
                "directories: publishing the run would replace the dataset's tables"
            )
        if self.dask_address is not None and self.task_runner != "dask":
            raise ValueError("dask_address is used only with task_runner 'dask'")
        return self
