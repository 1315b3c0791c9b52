"""The parameters of the ``label`` flow: one pydantic model, shown as a form in the Prefect UI."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from flows.cli_arguments import TOP_K_PER_PAIR_HELP
from flows.training_parameters import PretrainParameters
from pipeline.captioning.blip_config import DEFAULT_BLIP_MODEL
from pipeline.ingest import DEFAULT_ROWS_PER_SHARD
from pipeline.tagging import DEFAULT_SAVE_THRESHOLD

TaskRunnerKind = Literal["threads", "dask"]


class CocoSource(BaseModel):
    """A COCO-format dataset (COCO or Objects365) to ingest before labelling."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    instances: Path = Field(description="COCO-format instances JSON (boxes and categories)")
    captions: Path | None = Field(
        None, description="COCO captions JSON, needed when captioner is 'existing'"
    )
    image_root: Path = Field(description="directory of the image files")
    dataset: str = Field("coco", description="dataset name recorded in every row")
    split: str = Field("train", description="split name recorded in every row")


class BlipParameters(BaseModel):
    """How BLIP captions the images (captioner 'blip')."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str = Field(DEFAULT_BLIP_MODEL, description="hub name or local directory")
    num_captions: int = Field(10, ge=1, description="1: beam search; N > 1: N nucleus samples")
    batch_size: int = Field(32, ge=1, description="images per forward pass")
    seed: int = Field(0, ge=0, description="nucleus sampling seed")
    device: str = Field("auto", description="auto, cpu, cuda, cuda:1, ...")


class LabelParameters(BaseModel):
    """Label a detection dataset with relations: caption -> parse -> match -> tag -> scene graphs.

    Outputs go to ``out_dir``: one table directory per stage (captions, triplets, candidates,
    tagged_relations, scene_graphs, rejects), ``manifest.json``, and ``work/`` (finished shards,
    reused by a re-run with the same inputs and settings).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset_dir: Path = Field(
        description="an ingested dataset (rlipv2 ingest); with `ingest`, where to ingest it"
    )
    out_dir: Path = Field(description="output directory of the run")
    tagger_checkpoint: Path = Field(description="an R-Tagger checkpoint (rlipv2 train-tagger)")
    ingest: CocoSource | None = Field(None, description="ingest these COCO files first")
    image_root: Path | None = Field(
        None, description="image directory (default: the one recorded at ingest)"
    )
    images_per_shard: int = Field(1000, ge=1, description="images per task of every stage")
    captioner: Literal["existing", "blip"] = Field(
        "existing", description="reuse the dataset's captions, or caption with BLIP"
    )
    blip: BlipParameters = BlipParameters()
    vocabulary: Literal["coco", "objects365", "demo"] = Field(
        "coco", description="built-in synonym table of the dataset's categories"
    )
    synonyms_file: Path | None = Field(None, description="JSON file of extra synonyms")
    max_pairs_per_triplet: int | None = Field(
        None, ge=1, description="drop a triplet giving more ordered pairs than this"
    )
    save_threshold: float = Field(
        DEFAULT_SAVE_THRESHOLD, ge=0.0, le=1.0,
        description="keep tagged relations scoring at least this (pretraining cuts later)",
    )
    top_k_per_pair: int | None = Field(None, ge=1, description=TOP_K_PER_PAIR_HELP)
    tagger_device: str = Field("auto", description="auto, cpu, cuda, ...")
    task_runner: TaskRunnerKind = Field("threads", description="threads, or a Dask cluster")
    max_workers: int = Field(4, ge=1, description="threads, or local Dask workers")
    dask_address: str | None = Field(
        None, description="scheduler address of an existing Dask cluster (default: start one)"
    )
    gpu_concurrency: int = Field(1, ge=1, description="GPU stage shards running at once")
    ingest_rows_per_shard: int = Field(DEFAULT_ROWS_PER_SHARD, ge=1)
    then_pretrain: PretrainParameters | None = Field(
        None, description="start this pretraining run when labelling has finished"
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
