"""The image backbone: a transformers ResNet-50 or Swin with frozen batch norm, returning the
feature maps of strides 8, 16 and 32 with their padding masks.

Stages are named as in transformers (``stem``, ``stage1`` .. ``stage4``); the backbone returns
``stage2``, ``stage3`` and ``stage4``:

========  ======  ===========================  ==============================
stage     stride  ResNet-50 channels           Swin channels (embed_dim C)
========  ======  ===========================  ==============================
stage2    8       hidden_sizes[1] (512)        2 C (Swin-T 192, Swin-L 384)
stage3    16      hidden_sizes[2] (1024)       4 C (Swin-T 384, Swin-L 768)
stage4    32      hidden_sizes[3] (2048)       8 C (Swin-T 768, Swin-L 1536)
========  ======  ===========================  ==============================

A map of an (H, W) input is (ceil(H / stride), ceil(W / stride)). The projection of these maps
to the transformer width, and the extra coarser levels, are :mod:`model.input_projection`.
"""

import enum
import logging
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional
from transformers import ResNetBackbone, ResNetConfig, SwinBackbone, SwinConfig

from model.pretrained_files import load_pretrained

logger = logging.getLogger(__name__)

OUTPUT_STAGES = ("stage2", "stage3", "stage4")


class BackboneKind(enum.Enum):
    RESNET50 = "resnet50"
    SWIN = "swin"


@dataclass(frozen=True)
class BackboneConfig:
    """Which backbone, from which weights, trained or not.

    Attributes:
        kind: ResNet-50 (bottleneck ResNet) or Swin.
        pretrained: a hub name (``"microsoft/resnet-50"``,
            ``"microsoft/swin-tiny-patch4-window7-224"``) or a local directory written by
            ``save_pretrained``, loaded with ``from_pretrained`` by :func:`build_backbone`; None
            builds a randomly initialised backbone from the architecture below.
        train_backbone: False freezes every parameter (learning rate 0). True trains it, except
            what Deformable-DETR / RLIPv2 keep frozen: the ResNet stem and first stage, and
            Swin's norms and relative position bias tables.
        hidden_dim: width of the projected levels (256), see :mod:`model.input_projection`.
        num_levels: levels after the input projection (4 in RLIPv2): the 3 backbone levels plus
            ``num_levels - 3`` stride-2 convolutions.
        hidden_sizes, depths, embedding_size: ResNet architecture overrides (None = ResNet-50's
            (256, 512, 1024, 2048), (3, 4, 6, 3) and 64); only without ``pretrained``.
        embed_dim, swin_depths, swin_num_heads, window_size: Swin architecture overrides
            (None = Swin-T's 96, (2, 2, 6, 2), (3, 6, 12, 24), 7); only without ``pretrained``.
        drop_path_rate: Swin's stochastic depth rate (None = the checkpoint's or 0.1).
    """

    kind: BackboneKind = BackboneKind.RESNET50
    pretrained: str | None = None
    train_backbone: bool = True
    hidden_dim: int = 256
    num_levels: int = 4
    hidden_sizes: tuple[int, ...] | None = None
    depths: tuple[int, ...] | None = None
    embedding_size: int | None = None
    embed_dim: int | None = None
    swin_depths: tuple[int, ...] | None = None
    swin_num_heads: tuple[int, ...] | None = None
    window_size: int | None = None
    drop_path_rate: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.kind, BackboneKind):
            raise ValueError(f"kind must be a BackboneKind, got {self.kind!r}")
        resnet_overrides = {
            "hidden_sizes": self.hidden_sizes,
            "depths": self.depths,
            "embedding_size": self.embedding_size,
        }
        swin_overrides = {
            "embed_dim": self.embed_dim,
            "swin_depths": self.swin_depths,
            "swin_num_heads": self.swin_num_heads,
            "window_size": self.window_size,
        }
        own, other = (
            (resnet_overrides, swin_overrides)
            if self.kind is BackboneKind.RESNET50
            else (swin_overrides, resnet_overrides)
        )
        misplaced = sorted(name for name, value in other.items() if value is not None)
        if misplaced:
            raise ValueError(f"{misplaced} do not apply to a {self.kind.value} backbone")
        overridden = sorted(name for name, value in own.items() if value is not None)
        if self.pretrained is not None and overridden:
            raise ValueError(
                f"{overridden} cannot override the architecture of pretrained "
                f"{self.pretrained!r}; set pretrained=None for a custom architecture"
            )
        for name in ("hidden_sizes", "depths", "swin_depths", "swin_num_heads"):
            value = getattr(self, name)
            if value is not None and len(value) != 4:
                raise ValueError(f"{name} needs one entry per stage (4), got {value}")
        if self.num_levels < len(OUTPUT_STAGES):
            raise ValueError(
                f"num_levels must be >= {len(OUTPUT_STAGES)} (the backbone's levels), "
                f"got {self.num_levels}"
            )
        if self.hidden_dim < 1:
            raise ValueError(f"hidden_dim must be >= 1, got {self.hidden_dim}")
        if self.drop_path_rate is not None and not 0.0 <= self.drop_path_rate < 1.0:
            raise ValueError(f"drop_path_rate must be in [0, 1), got {self.drop_path_rate}")


class FrozenBatchNorm2d(nn.Module):
    """Batch norm with fixed statistics and affine parameters, all stored as buffers.

    Computes ``(x - running_mean) / sqrt(running_var + eps) * weight + bias`` per channel;
    nothing is learned or updated, in training mode too. Loads ``BatchNorm2d`` state dicts
    (their ``num_batches_tracked`` is dropped).

    Args:
        num_features: channels.
        eps: added to the variance.
    """

    def __init__(self, *, num_features: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    @classmethod
    def from_batch_norm(cls, batch_norm: nn.BatchNorm2d) -> "FrozenBatchNorm2d":
        """A frozen copy of ``batch_norm``'s statistics and affine parameters (same device and
        dtype)."""
        if not (batch_norm.affine and batch_norm.track_running_stats):
            raise ValueError("only affine batch norms that track running statistics can be frozen")
        frozen = cls(num_features=batch_norm.num_features, eps=batch_norm.eps)
        frozen = frozen.to(device=batch_norm.running_mean.device, dtype=batch_norm.weight.dtype)
        with torch.no_grad():
            frozen.weight.copy_(batch_norm.weight)
            frozen.bias.copy_(batch_norm.bias)
            frozen.running_mean.copy_(batch_norm.running_mean)
            frozen.running_var.copy_(batch_norm.running_var)
        return frozen

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ) -> None:
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """inputs: (batch, num_features, height, width) -> same shape."""
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        shift = self.bias - self.running_mean * scale
        return inputs * scale[None, :, None, None] + shift[None, :, None, None]

    def extra_repr(self) -> str:
        return f"{self.weight.shape[0]}, eps={self.eps}"


def freeze_batch_norm(module: nn.Module) -> int:
    """Replaces, in place, every ``BatchNorm2d`` inside ``module`` (not ``module`` itself) by a
    :class:`FrozenBatchNorm2d` with the same statistics. Returns how many were replaced."""
    replaced = 0
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            setattr(module, name, FrozenBatchNorm2d.from_batch_norm(child))
            replaced += 1
        else:
            replaced += freeze_batch_norm(child)
    return replaced


@dataclass(frozen=True)
class MultiScaleFeatures:
    """Feature maps of several levels, finest first, with their padding masks.

    Attributes:
        feature_maps: per level (batch, channels_l, height_l, width_l).
        padding_masks: per level (batch, height_l, width_l) bool, True = padding.
    """

    feature_maps: tuple[torch.Tensor, ...]
    padding_masks: tuple[torch.Tensor, ...]


class Backbone(nn.Module):
    """A transformers backbone (``BackboneMixin`` model) and the padding masks of its maps.

    Args:
        body: called as ``body(pixel_values).feature_maps``, a tuple of
            (batch, channels_l, height_l, width_l) maps, finest first.
        channels: channels of each returned map.
        strides: input pixels per feature-map pixel of each returned map.
    """

    def __init__(
        self, *, body: nn.Module, channels: tuple[int, ...], strides: tuple[int, ...]
    ) -> None:
        super().__init__()
        if len(channels) != len(strides):
            raise ValueError(f"{len(channels)} channel counts for {len(strides)} strides")
        self.body = body
        self.channels = channels
        self.strides = strides

    def forward(self, images: torch.Tensor, pixel_mask: torch.Tensor) -> MultiScaleFeatures:
        """
        Args:
            images: (batch, 3, height, width) float, normalised, zero-padded at the bottom and
                right.
            pixel_mask: (batch, height, width) bool, True = padding.

        Returns:
            maps (batch, channels[l], ceil(height / strides[l]), ceil(width / strides[l])) and
            masks (batch, same height, same width) bool, True = padding (nearest-neighbour
            downsampling of ``pixel_mask``).
        """
        if pixel_mask.shape != (images.shape[0], *images.shape[2:]):
            raise ValueError(
                f"pixel_mask {tuple(pixel_mask.shape)} does not match images {tuple(images.shape)}"
            )
        feature_maps = tuple(self.body(images).feature_maps)
        masks = tuple(downsample_mask(pixel_mask, feature.shape[-2:]) for feature in feature_maps)
        return MultiScaleFeatures(feature_maps=feature_maps, padding_masks=masks)


def downsample_mask(padding_mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(batch, height, width) bool -> (batch, *size) bool by nearest-neighbour sampling."""
    resized = functional.interpolate(padding_mask[:, None].to(torch.float32), size=tuple(size))
    return resized[:, 0].to(torch.bool)


def build_backbone(config: BackboneConfig) -> Backbone:
    """Builds (and, with ``config.pretrained``, loads) the backbone, freezes its batch norm and
    sets which parameters train.

    Raises:
        RLIPv2InputError: ``config.pretrained`` cannot be loaded.
    """
    body: ResNetBackbone | SwinBackbone
    if config.kind is BackboneKind.RESNET50:
        if config.pretrained is not None:
            logger.info("loading ResNet backbone weights from %s", config.pretrained)
            body = load_pretrained(
                "the ResNet backbone",
                config.pretrained,
                lambda: ResNetBackbone.from_pretrained(
                    config.pretrained, out_features=list(OUTPUT_STAGES)
                ),
            )
        else:
            body = ResNetBackbone(_resnet_config(config))
        if body.config.layer_type != "bottleneck" or body.config.downsample_in_first_stage:
            raise ValueError(
                "expected a bottleneck ResNet without downsampling in its first stage, got "
                f"layer_type={body.config.layer_type!r}, "
                f"downsample_in_first_stage={body.config.downsample_in_first_stage}"
            )
        # Stem: stride 4 (7x7 stride-2 convolution + stride-2 max pool); stages 2-4 halve it.
        strides = tuple(4 * 2 ** (int(stage[-1]) - 1) for stage in OUTPUT_STAGES)
    else:
        overrides = {}
        if config.drop_path_rate is not None:
            overrides["drop_path_rate"] = config.drop_path_rate
        if config.pretrained is not None:
            logger.info("loading Swin backbone weights from %s", config.pretrained)
            body = load_pretrained(
                "the Swin backbone",
                config.pretrained,
                lambda: SwinBackbone.from_pretrained(
                    config.pretrained, out_features=list(OUTPUT_STAGES), **overrides
                ),
            )
        else:
            body = SwinBackbone(_swin_config(config, overrides))
        patch_size = body.config.patch_size
        if not isinstance(patch_size, int):
            raise ValueError(f"expected a square Swin patch size, got {patch_size}")
        # Patch embedding: stride patch_size; every later stage merges 2x2 patches.
        strides = tuple(patch_size * 2 ** (int(stage[-1]) - 1) for stage in OUTPUT_STAGES)

    replaced = freeze_batch_norm(body)
    logger.info("froze %d batch norm layers", replaced)
    _set_trainable(body, kind=config.kind, train_backbone=config.train_backbone)
    return Backbone(body=body, channels=tuple(body.channels), strides=strides)


def _resnet_config(config: BackboneConfig) -> ResNetConfig:
    architecture = {
        "hidden_sizes": None if config.hidden_sizes is None else list(config.hidden_sizes),
        "depths": None if config.depths is None else list(config.depths),
        "embedding_size": config.embedding_size,
    }
    return ResNetConfig(
        layer_type="bottleneck",
        out_features=list(OUTPUT_STAGES),
        **{name: value for name, value in architecture.items() if value is not None},
    )


def _swin_config(config: BackboneConfig, overrides: dict[str, float]) -> SwinConfig:
    architecture = {
        "embed_dim": config.embed_dim,
        "depths": None if config.swin_depths is None else list(config.swin_depths),
        "num_heads": None if config.swin_num_heads is None else list(config.swin_num_heads),
        "window_size": config.window_size,
    }
    return SwinConfig(
        out_features=list(OUTPUT_STAGES),
        **{name: value for name, value in architecture.items() if value is not None},
        **overrides,
    )


def _set_trainable(body: nn.Module, *, kind: BackboneKind, train_backbone: bool) -> None:
    """Sets ``requires_grad`` on every parameter of ``body``.

    Trained when ``train_backbone``, except: ResNet's stem (``embedder``) and first stage, as
    in Deformable-DETR; Swin's LayerNorms and relative position bias tables, as in RLIPv2's
    Swin backbone, and ``swin.layernorm`` (the classifier's final norm, unused by a backbone:
    a trainable unused parameter would break DistributedDataParallel).
    """
    body.requires_grad_(train_backbone)
    if not train_backbone:
        return
    if kind is BackboneKind.RESNET50:
        body.embedder.requires_grad_(False)
        body.encoder.stages[0].requires_grad_(False)
        return
    for module in body.modules():
        if isinstance(module, nn.LayerNorm):
            module.requires_grad_(False)
    for name, parameter in body.named_parameters():
        if name.endswith("relative_position_bias_table"):
            parameter.requires_grad_(False)
