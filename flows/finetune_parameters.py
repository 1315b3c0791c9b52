"""The parameters of the ``finetune`` flow (its form in the Prefect UI)."""

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class FinetuneParameters(BaseModel):
    """Fine-tune the detector on an ingested relation benchmark (resumes from its checkpoints),
    then, if asked, score the last checkpoint on the test split."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    config_file: Path = Field(description="a TOML config of rlipv2 finetune")
    overrides: list[str] = Field(
        [], description="KEY=VALUE overrides, e.g. optimization.epochs=2"
    )
    then_evaluate: bool = Field(
        True, description="then score the last checkpoint on the benchmark's test split"
    )
