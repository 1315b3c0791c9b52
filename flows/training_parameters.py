"""The parameters of the ``train-tagger`` and ``pretrain`` flows (forms in the Prefect UI)."""

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class TrainTaggerParameters(BaseModel):
    """Train the R-Tagger by denoising on human scene graphs (resumes from its checkpoints)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    config_file: Path = Field(description="a TOML config of rlipv2 train-tagger")
    overrides: list[str] = Field(
        [], description="KEY=VALUE overrides, e.g. optimization.epochs=2"
    )


class PretrainParameters(BaseModel):
    """Pretrain RLIPv2 on scene graphs (resumes from its checkpoints)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    config_file: Path = Field(description="a TOML config of rlipv2 pretrain")
    overrides: list[str] = Field(
        [], description="KEY=VALUE overrides, e.g. optimization.epochs=2"
    )
    relation_threshold: float | None = Field(
        None, ge=0.0, le=1.0,
        description="keep pseudo-relations with confidence >= this (default: the config's, 0.20)",
    )
    then_evaluate: Path | None = Field(
        None, description="then score the last checkpoint, without fine-tuning, on this ingested "
        "benchmark's test split (rlipv2 ingest hico-det | v-coco | open-images)",
    )

    def all_overrides(self) -> list[str]:
        threshold = (
            [] if self.relation_threshold is None
            else [f"data.relation_threshold={self.relation_threshold!r}"]
        )
        return [*self.overrides, *threshold]
