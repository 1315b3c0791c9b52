"""Converting an official checkpoint into rlipv2's weights: which architecture it is, rlipv2's
configuration of it, every tensor mapped and checked against the names and shapes rlipv2's
model expects (on the meta device: no full-size tensor is allocated for the check)."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from conversion.detection_keys import INITIALISED_PREFIXES, map_detection
from conversion.official_checkpoint import OfficialCheckpoint, read_official_checkpoint
from conversion.official_config import (
    BACKBONE_PREFIX,
    OfficialArchitecture,
    detector_config,
    official_architecture,
)
from conversion.resnet_keys import map_resnet
from conversion.rlipv2_keys import map_rlipv2
from conversion.state_dict_mapper import StateDictMapper
from conversion.swin_keys import map_swin, swin_architecture
from data_schemas.errors import RLIPv2InputError
from model.backbone import BackboneKind
from model.build_detector import build_relation_detector
from model.config_file import config_as_dict
from model.converted_checkpoint import ConvertedCheckpoint, write_converted_checkpoint
from model.data import TransformConfig
from model.detector_config import DetectorConfig
from model.text_encoder import LabelTextEncoder, build_text_encoder_architecture
from rtagger.box_pair_queries import TaggerReference
from rtagger.build_tagger import build_relation_tagger
from rtagger.tagger_config import EntityTextSource, TaggerQueryConfig, TaggingConfig

RELEASED_TAGGER_QUERIES = TaggerQueryConfig(reference=TaggerReference.POINT)
RELEASED_TAGGING = TaggingConfig(entity_texts=EntityTextSource.DATASET)


@dataclass(frozen=True)
class ConversionPlan:
    """What a checkpoint converts into: its architecture and rlipv2's configuration of it."""

    architecture: OfficialArchitecture
    config: DetectorConfig

    @property
    def is_tagger(self) -> bool:
        return self.architecture is OfficialArchitecture.RTAGGER


def plan_conversion(
    checkpoint: OfficialCheckpoint,
    *,
    text_encoder: str | None,
    target: DetectorConfig | None,
    source: str,
) -> ConversionPlan:
    """The architecture of ``checkpoint`` and the configuration its weights fit: derived from
    its arguments for an RLIPv2 checkpoint (with ``text_encoder``, or the one its arguments
    name), ``target`` for a detection checkpoint (which initialises part of it).

    Raises:
        RLIPv2InputError: an architecture or settings rlipv2 does not convert, a detection
            checkpoint without ``target``, or a ``target`` given for an RLIPv2 checkpoint.
    """
    architecture = official_architecture(checkpoint.args, checkpoint.model, source=source)
    if architecture.is_detection:
        if target is None:
            raise RLIPv2InputError(
                f"{source} is a {architecture.value} checkpoint: name the pretraining config "
                "it initialises with --config"
            )
        return ConversionPlan(architecture=architecture, config=target)
    if target is not None:
        raise RLIPv2InputError(
            f"{source} is an RLIPv2 checkpoint: its configuration comes from its own arguments "
            "(drop --config)"
        )
    name = text_encoder or str(checkpoint.args.get("text_encoder_type", "roberta-base"))
    config = detector_config(
        checkpoint.args, checkpoint.model, architecture, text_encoder=name, source=source
    )
    return ConversionPlan(architecture=architecture, config=config)


def expected_shapes(plan: ConversionPlan, text_encoder: LabelTextEncoder) -> dict[str, torch.Size]:
    """Names and shapes of the state dict of rlipv2's model for ``plan``, built on the meta
    device around ``text_encoder`` (which must be on the meta device too)."""
    with torch.device("meta"):
        model = build_model(plan, text_encoder)
    return {name: tensor.shape for name, tensor in model.state_dict().items()}


def build_model(plan: ConversionPlan, text_encoder: LabelTextEncoder) -> nn.Module:
    """rlipv2's model (detector or R-Tagger) for ``plan``, around ``text_encoder``."""
    if plan.is_tagger:
        return build_relation_tagger(
            plan.config, reference=RELEASED_TAGGER_QUERIES.reference, text_encoder=text_encoder
        )
    return build_relation_detector(plan.config, text_encoder=text_encoder)


def map_checkpoint(
    checkpoint: OfficialCheckpoint, plan: ConversionPlan, *, source: str
) -> StateDictMapper:
    """Every tensor of ``checkpoint`` put to its rlipv2 name (see the key modules)."""
    mapper = StateDictMapper(checkpoint.model)
    detector = "detector." if plan.is_tagger else ""
    backbone = plan.config.backbone
    if backbone.kind is BackboneKind.SWIN:
        map_swin(
            mapper,
            source_prefix=BACKBONE_PREFIX,
            target_prefix=f"{detector}backbone.body.",
            architecture=swin_architecture(str(checkpoint.args.get("backbone", ""))),
            source_file=source,
        )
    else:
        map_resnet(mapper, source_prefix=BACKBONE_PREFIX, target_prefix=f"{detector}backbone.body.")
    if plan.architecture.is_detection:
        map_detection(mapper, plan.config, plan.architecture, source=source)
    else:
        map_rlipv2(mapper, plan.config, plan.architecture)
    return mapper


@dataclass(frozen=True)
class Conversion:
    """Converted weights, and the source tensors left out of them (name -> why)."""

    converted: ConvertedCheckpoint
    ignored: dict[str, str]


def convert(
    checkpoint: OfficialCheckpoint,
    plan: ConversionPlan,
    expected: Mapping[str, torch.Size],
    *,
    source: str,
    source_digest: str,
) -> Conversion:
    """The converted weights of ``checkpoint``.

    Raises:
        RLIPv2InputError: tensors that map to nothing, expected tensors missing (beyond the
            language side a detection checkpoint lacks), or shapes that differ, all listed.
    """
    mapper = map_checkpoint(checkpoint, plan, source=source)
    problems = mapper.problems(expected)
    initialised: tuple[str, ...] = ()
    if plan.architecture.is_detection:
        initialised = tuple(
            name for name in problems.missing if name.startswith(INITIALISED_PREFIXES)
        )
        problems = type(problems)(
            unmapped=problems.unmapped,
            missing=tuple(name for name in problems.missing if name not in initialised),
            wrong_shapes=problems.wrong_shapes,
        )
    if problems:
        raise RLIPv2InputError(f"{source}: not converted: {problems.describe()}")
    converted = ConvertedCheckpoint(
        architecture="rtagger" if plan.is_tagger else "detector",
        source=f"{Path(source).name}@{source_digest}",
        config=_config_record(plan),
        model={name: tensor.contiguous().clone() for name, tensor in mapper.target.items()},
        initialised=initialised,
    )
    return Conversion(converted=converted, ignored=dict(mapper.ignored))


def file_digest(path: Path) -> str:
    """The first 12 hex digits of ``path``'s sha256."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()[:12]


def _config_record(plan: ConversionPlan) -> dict:
    record = {"model": config_as_dict(plan.config)}
    if plan.is_tagger:
        record["queries"] = config_as_dict(RELEASED_TAGGER_QUERIES)
        record["tagging"] = config_as_dict(RELEASED_TAGGING)
        record["data"] = {"transform": config_as_dict(TransformConfig())}
    return record


@dataclass(frozen=True)
class ConversionSummary:
    """What ``rlipv2 convert-checkpoint`` wrote."""

    architecture: OfficialArchitecture
    output: Path
    num_tensors: int
    ignored: dict[str, str]
    initialised: tuple[str, ...]

    def format(self) -> str:
        lines = [f"{self.architecture.value} -> {self.output} ({self.num_tensors} tensors)"]
        reasons: dict[str, int] = {}
        for reason in self.ignored.values():
            reasons[reason] = reasons.get(reason, 0) + 1
        lines += [f"  left out: {count} ({reason})" for reason, count in sorted(reasons.items())]
        if self.initialised:
            lines.append(
                f"  {len(self.initialised)} tensors not in the checkpoint (language side) stay "
                "as initialised when it is loaded as init_from"
            )
        return "\n".join(lines)


def convert_checkpoint_file(
    source: Path,
    output: Path,
    *,
    text_encoder: str | None = None,
    target: DetectorConfig | None = None,
    overwrite: bool = False,
) -> ConversionSummary:
    """Convert the official checkpoint ``source`` into ``output`` (written atomically, only once
    every tensor is accounted for); ``text_encoder`` names the tokenizer and text-encoder
    configuration (default: the checkpoint's ``text_encoder_type``), ``target`` the
    configuration a detection checkpoint initialises.

    Raises:
        RLIPv2InputError: one line naming the file: unreadable, refused, another architecture,
            unmapped or missing tensors, an output over the input or over an existing file.
    """
    if output.resolve() == source.resolve():
        raise RLIPv2InputError(f"{output}: the output would replace its input")
    if output.exists() and not overwrite:
        raise RLIPv2InputError(f"{output} exists (pass --overwrite to replace it)")
    checkpoint = read_official_checkpoint(source)
    plan = plan_conversion(checkpoint, text_encoder=text_encoder, target=target, source=str(source))
    with torch.device("meta"):
        architecture_only = build_text_encoder_architecture(plan.config.text_encoder)
    conversion = convert(
        checkpoint,
        plan,
        expected_shapes(plan, architecture_only),
        source=str(source),
        source_digest=file_digest(source),
    )
    write_converted_checkpoint(output, conversion.converted)
    return ConversionSummary(
        architecture=plan.architecture,
        output=output,
        num_tensors=len(conversion.converted.model),
        ignored=conversion.ignored,
        initialised=conversion.converted.initialised,
    )
