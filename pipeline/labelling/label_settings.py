"""The settings of a labelling run: each option defined once.

A field of :class:`LabelSettings` (or of :class:`BlipSettings`, its BLIP group) is one option:
its name, type, default, bounds and help text are the field's, and its
:class:`~data_schemas.option.Option` gives its ``rlipv2 label`` flag and the stage whose outputs
it decides. The command line and the Prefect form of ``flows`` are derived from these fields, and
every stage job keys its output on :meth:`LabelSettings.deciding` its stage, so an option that
changes a stage's outputs cannot be left out of that stage's cache key.
"""

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from data_schemas.option import Option, settings_of
from pipeline.captioning import DEFAULT_BLIP_MODEL, BlipCaptionerConfig
from pipeline.labelling.stages import CAPTION_STAGE, MATCH_STAGE, SPLIT_STAGE, TAG_STAGE
from pipeline.matching import BuiltinVocabulary
from pipeline.tagging import DEFAULT_SAVE_THRESHOLD

CaptionSource = Literal["existing", "blip"]

_BLIP = "BLIP captioning (--captioner blip)"
_MATCHING = "matching"
_TAGGING = "tagging"
_BLIP_DEFAULTS = BlipCaptionerConfig()


class BlipSettings(BaseModel):
    """How BLIP captions the images (captioner ``blip``); the rest of the captioner's
    configuration is the paper's (:class:`~pipeline.captioning.BlipCaptionerConfig`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: Annotated[str, Option("--blip-model", decides=CAPTION_STAGE, by_content=True)] = Field(
        _BLIP_DEFAULTS.model, description="hub name or local directory"
    )
    num_captions: Annotated[int, Option("--num-captions", decides=CAPTION_STAGE)] = Field(
        _BLIP_DEFAULTS.num_captions, ge=1,
        description="1: beam search; N > 1: N nucleus samples per image",
    )
    batch_size: Annotated[int, Option("--batch-size")] = Field(
        _BLIP_DEFAULTS.batch_size, ge=1, description="images per forward pass"
    )
    seed: Annotated[int, Option("--seed", decides=CAPTION_STAGE)] = Field(
        _BLIP_DEFAULTS.seed, ge=0, description="nucleus sampling seed"
    )
    device: Annotated[str, Option("--blip-device")] = Field(
        _BLIP_DEFAULTS.device, description="auto, cpu, cuda, cuda:1, ..."
    )

    def captioner_config(self) -> BlipCaptionerConfig:
        return BlipCaptionerConfig(**self.model_dump())


class LabelSettings(BaseModel):
    """What a labelling run computes and how (the dataset, the output and the models it reads
    are its inputs, not settings)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    images_per_shard: Annotated[int, Option("--images-per-shard", decides=SPLIT_STAGE)] = Field(
        1000, ge=1, description="images per task of every stage"
    )
    captioner: Annotated[CaptionSource, Option("--captioner", decides=CAPTION_STAGE)] = Field(
        "existing", description="reuse the dataset's captions, or caption with BLIP"
    )
    blip: Annotated[BlipSettings, Option(group=_BLIP)] = BlipSettings()
    vocabulary: Annotated[
        BuiltinVocabulary,
        Option("--vocabulary", decides=MATCH_STAGE, by_content=True, group=_MATCHING),
    ] = Field("coco", description="built-in synonym table of the dataset's categories")
    synonyms_file: Annotated[
        Path | None, Option("--synonyms", decides=MATCH_STAGE, by_content=True, group=_MATCHING)
    ] = Field(None, description="JSON file of extra synonyms")
    max_pairs_per_triplet: Annotated[
        int | None, Option("--max-pairs-per-triplet", decides=MATCH_STAGE, group=_MATCHING)
    ] = Field(None, ge=1, description="drop a triplet giving more ordered pairs than this")
    save_threshold: Annotated[
        float, Option("--save-threshold", decides=TAG_STAGE, group=_TAGGING)
    ] = Field(
        DEFAULT_SAVE_THRESHOLD, ge=0.0, le=1.0,
        description="keep tagged relations scoring at least this (pretraining cuts later)",
    )
    top_k_per_pair: Annotated[
        int | None, Option("--top-k-per-pair", decides=TAG_STAGE, group=_TAGGING)
    ] = Field(
        None, ge=1,
        description="keep at most the k best texts of each pair (default: every text above the "
        "threshold, as the paper); 1 suits data whose pairs rarely hold two relations",
    )
    tagger_device: Annotated[str, Option("--tagger-device", group=_TAGGING)] = Field(
        "auto", description="auto, cpu, cuda, ..."
    )
    tagger_batch_size: Annotated[int, Option("--tagger-batch-size", group=_TAGGING)] = Field(
        8, ge=1, description="score calls per tagger forward pass (images of one size share one)"
    )
    tagger_workers: Annotated[int, Option("--tagger-workers", group=_TAGGING)] = Field(
        0, ge=0, description="processes decoding images ahead of the tagger (0: the tagging "
        "thread decodes them)"
    )

    def deciding(self, stage: str) -> dict[str, Any]:
        """The values of the options that decide ``stage``'s outputs by value, by dotted name:
        what ``stage``'s cache key holds of the settings (the options deciding it by content
        enter as the digests the stage takes in their place)."""
        return {
            setting.name: self.value(setting.name)
            for setting in settings_of(type(self))
            if setting.option.decides == stage and not setting.option.by_content
        }

    def value(self, dotted_name: str) -> Any:
        """The value of the option of ``dotted_name`` (``"blip.seed"``)."""
        value: Any = self
        for name in dotted_name.split("."):
            value = getattr(value, name)
        return value
