"""Which official architecture a checkpoint is, and rlipv2's configuration of it, from the
training script's arguments (and, for what they do not say, the tensors' shapes)."""

import enum
from collections.abc import Mapping

import torch

from conversion.resnet_keys import resnet_depths
from conversion.swin_keys import swin_architecture
from data_schemas.errors import RLIPv2InputError
from model.backbone import BackboneConfig, BackboneKind
from model.decoder_config import DecoderConfig, DecoderKind, RelationContent
from model.detector_config import DetectorConfig
from model.fused_encoder import FusionConfig, FusionKind
from model.gated_cross_attention import GateKind, ResidualBase
from model.input_projection import ExtraLevelMask
from model.position_encoding import PIXEL_CENTRE_OFFSET
from model.text_encoder import TextEncoderConfig

BACKBONE_PREFIX = "backbone.0.body."


class OfficialArchitecture(enum.Enum):
    """The official architectures rlipv2 converts."""

    PARSEDA = "RLIP-ParSeDA"
    PARSED = "RLIP-ParSeD"
    RTAGGER = "R-Tagger (RLIP-ParSeD with --verb_tagger)"
    DEFORMABLE_DETR = "Deformable-DETR"
    DAB_DEFORMABLE_DETR = "DAB-Deformable-DETR"

    @property
    def is_detection(self) -> bool:
        return self in (
            OfficialArchitecture.DEFORMABLE_DETR,
            OfficialArchitecture.DAB_DEFORMABLE_DETR,
        )


_RELATION_CONTENT = {"vanilla": RelationContent.LEARNED, "vanilla_MBF": RelationContent.FUSED}
_GATES = {"VXAc": GateKind.LEARNABLE_SCALAR, "GLIP": GateKind.PER_CHANNEL}
_FUSION_FLAG_NAMES = (
    "RLIP_ParSe",
    "RLIP_ParSe_v2",
    "RLIP_ParSeD",
    "ParSe",
    "ParSeD",
    "ParSeDABDDETR",
    "ParSeDABDETR",
    "RLIPParSeDABDETR",
    "OCN",
    "SepDETRHOI",
    "SeqDETRHOI",
    "CDNHOI",
    "DDETRHOI",
    "SepDETRHOIv3",
    "HOICVAE",
    "SemanticDETRHOI",
    "IterativeDETRHOI",
    "DETRHOIhm",
)


def official_architecture(
    args: Mapping, model: Mapping[str, torch.Tensor], *, source: str
) -> OfficialArchitecture:
    """Which architecture trained this checkpoint.

    Raises:
        RLIPv2InputError: another of the official code's models, or none of them.
    """
    if args.get("RLIP_ParSeDA_v2"):
        return OfficialArchitecture.PARSEDA
    if args.get("RLIP_ParSeD_v2"):
        return (
            OfficialArchitecture.RTAGGER if args.get("verb_tagger") else OfficialArchitecture.PARSED
        )
    other = [name for name in _FUSION_FLAG_NAMES if args.get(name)]
    if other:
        raise RLIPv2InputError(
            f"{source} is a {other[0]} checkpoint; rlipv2 converts RLIP-ParSeDA, RLIP-ParSeD "
            "(and its R-Tagger), Deformable-DETR and DAB-Deformable-DETR checkpoints"
        )
    if "transformer.decoder.layers.0.cross_attn.sampling_offsets.weight" in model:
        if "refpoint_embed.weight" in model:
            return OfficialArchitecture.DAB_DEFORMABLE_DETR
        return OfficialArchitecture.DEFORMABLE_DETR
    raise RLIPv2InputError(
        f"{source} is not a checkpoint of a model rlipv2 converts (RLIP-ParSeDA, RLIP-ParSeD, "
        "Deformable-DETR, DAB-Deformable-DETR)"
    )


def backbone_config(
    args: Mapping, model: Mapping[str, torch.Tensor], *, source: str
) -> BackboneConfig:
    """The backbone the checkpoint's arguments name, its depths read from the tensors."""
    name = str(args.get("backbone", ""))
    num_levels = int(args.get("num_feature_levels", 4))
    hidden_dim = int(args.get("hidden_dim", 256))
    if name.startswith("swin"):
        swin = swin_architecture(name)
        return BackboneConfig(
            kind=BackboneKind.SWIN,
            hidden_dim=hidden_dim,
            num_levels=num_levels,
            embed_dim=swin.embed_dim,
            swin_depths=swin.depths,
            swin_num_heads=swin.num_heads,
            window_size=swin.window_size,
            drop_path_rate=float(args.get("drop_path_rate", 0.2)),
        )
    if name != "resnet50":
        raise RLIPv2InputError(
            f"{source}: backbone {name!r} is not one rlipv2 converts (resnet50, swin_*)"
        )
    if args.get("dilation"):
        raise RLIPv2InputError(f"{source}: a dilated ResNet backbone is not supported")
    depths = resnet_depths(list(model), prefix=BACKBONE_PREFIX)
    return BackboneConfig(
        kind=BackboneKind.RESNET50,
        hidden_dim=hidden_dim,
        num_levels=num_levels,
        depths=None if depths == (3, 4, 6, 3) else depths,
    )


def detector_config(
    args: Mapping,
    model: Mapping[str, torch.Tensor],
    architecture: OfficialArchitecture,
    *,
    text_encoder: str,
    source: str,
) -> DetectorConfig:
    """rlipv2's configuration of an RLIPv2 checkpoint (not a detection one).

    Raises:
        RLIPv2InputError: arguments rlipv2 cannot reproduce (each named).
    """
    unsupported = {
        "two_stage": bool(args.get("two_stage")),
        "with_box_refine off": not args.get("with_box_refine"),
        "fusion_type other than GLIP_attn": args.get("fusion_type") != "GLIP_attn",
        "fusion_last_vis off": not args.get("fusion_last_vis"),
        "lang_aux_loss off": not args.get("lang_aux_loss"),
        "separate_bidirectional": bool(args.get("separate_bidirectional")),
        "num_patterns": int(args.get("num_patterns", 0) or 0) != 0,
        "random_refpoints_xy": bool(args.get("random_refpoints_xy")),
        "enc_n_points != dec_n_points": args.get("enc_n_points") != args.get("dec_n_points"),
        f"gating_mechanism {args.get('gating_mechanism')}": args.get("gating_mechanism")
        not in _GATES,
        f"verb_query_tgt_type {args.get('verb_query_tgt_type')}": (
            args.get("verb_query_tgt_type") not in _RELATION_CONTENT
            or (
                architecture is not OfficialArchitecture.PARSEDA
                and args.get("verb_query_tgt_type") != "vanilla"
            )
        ),
    }
    refused = [name for name, is_set in unsupported.items() if is_set]
    if refused:
        raise RLIPv2InputError(
            f"{source}: its {architecture.value} was trained with settings rlipv2 does not "
            f"reproduce: {', '.join(refused)}"
        )
    backbone = backbone_config(args, model, source=source)
    return DetectorConfig(
        backbone=backbone,
        text_encoder=TextEncoderConfig(text_encoder),
        fusion=FusionConfig(
            kind=FusionKind.ALIF,
            fusion_interval=int(args["fusion_interval"]),
            gate_kind=_GATES[args["gating_mechanism"]],
            residual_base=ResidualBase.NORMALISED,
            mask_padding=False,
        ),
        decoder=DecoderConfig(
            kind=DecoderKind.PARSEDA
            if architecture is OfficialArchitecture.PARSEDA
            else DecoderKind.PARSED,
            relation_content=_RELATION_CONTENT[args["verb_query_tgt_type"]],
            relation_box_refinement=True,
        ),
        position_offset=PIXEL_CENTRE_OFFSET if backbone.kind is BackboneKind.SWIN else 0.0,
        extra_level_mask=ExtraLevelMask.IMAGE,
        hidden_dim=int(args["hidden_dim"]),
        num_pairs=_num_pairs(args, source=source),
        encoder_layers=int(args["enc_layers"]),
        decoder_layers=int(args["dec_layers"]),
        feedforward_dim=int(args["dim_feedforward"]),
        num_heads=int(args["nheads"]),
        num_points=int(args["dec_n_points"]),
        dropout=float(args["dropout"]),
    )


def _num_pairs(args: Mapping, *, source: str) -> int:
    num_queries = int(args["num_queries"])
    if num_queries % 2:
        raise RLIPv2InputError(f"{source}: num_queries {num_queries} is odd; pairs need two each")
    return num_queries // 2
