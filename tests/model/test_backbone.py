"""Backbones on tiny random transformers ResNet / Swin models, and the input projection."""

import math
from pathlib import Path

import pytest
import torch
from torch import nn
from transformers import ResNetBackbone, ResNetConfig, SwinBackbone, SwinConfig

from model.backbone import (
    BackboneConfig,
    BackboneKind,
    FrozenBatchNorm2d,
    MultiScaleFeatures,
    build_backbone,
)
from model.input_projection import InputProjection, build_input_projection

TINY_RESNET = {"hidden_sizes": (8, 16, 32, 64), "depths": (1, 1, 1, 1), "embedding_size": 8}
TINY_SWIN = {
    "embed_dim": 8,
    "swin_depths": (1, 1, 1, 1),
    "swin_num_heads": (1, 1, 2, 2),
    "window_size": 2,
}
HEIGHT, WIDTH = 70, 45


def _padded_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """Two images: 70x45 and 33x20 (padded to 70x45 at the bottom and right)."""
    generator = torch.Generator().manual_seed(0)
    images = torch.randn(2, 3, HEIGHT, WIDTH, generator=generator)
    pixel_mask = torch.zeros(2, HEIGHT, WIDTH, dtype=torch.bool)
    pixel_mask[1, 33:, :] = True
    pixel_mask[1, :, 20:] = True
    images[pixel_mask[:, None].expand_as(images)] = 0.0
    return images, pixel_mask


def _tiny_resnet_config(**changes) -> ResNetConfig:
    """The transformers configuration of TINY_RESNET."""
    return ResNetConfig(
        embedding_size=8, hidden_sizes=[8, 16, 32, 64], depths=[1, 1, 1, 1], **changes
    )


def _tiny_config(kind: BackboneKind, **changes) -> BackboneConfig:
    architecture = TINY_RESNET if kind is BackboneKind.RESNET50 else TINY_SWIN
    return BackboneConfig(kind=kind, hidden_dim=32, **architecture, **changes)


@pytest.mark.parametrize(
    ("kind", "channels"),
    [(BackboneKind.RESNET50, (16, 32, 64)), (BackboneKind.SWIN, (16, 32, 64))],
)
def test_feature_maps_and_masks_for_a_padded_batch(kind: BackboneKind, channels) -> None:
    backbone = build_backbone(_tiny_config(kind)).eval()
    images, pixel_mask = _padded_batch()

    features = backbone(images, pixel_mask)

    assert backbone.channels == channels
    assert backbone.strides == (8, 16, 32)
    for feature_map, mask, stride, num_channels in zip(
        features.feature_maps, features.padding_masks, backbone.strides, channels, strict=True
    ):
        size = (math.ceil(HEIGHT / stride), math.ceil(WIDTH / stride))
        assert feature_map.shape == (2, num_channels, *size)
        assert mask.shape == (2, *size) and mask.dtype == torch.bool
        assert not mask[0].any()
        # Image 1 covers 33x20 pixels: about that share of each map is not padding.
        assert not mask[1, 0, 0] and mask[1, -1, -1]
        assert abs(int((~mask[1]).any(dim=1).sum()) - 33 / stride) <= 1
        assert abs(int((~mask[1]).any(dim=0).sum()) - 20 / stride) <= 1


def test_every_batch_norm_is_frozen_and_stays_unchanged_by_training() -> None:
    backbone = build_backbone(_tiny_config(BackboneKind.RESNET50)).train()
    frozen = [module for module in backbone.modules() if isinstance(module, FrozenBatchNorm2d)]
    buffers_before = {name: buffer.clone() for name, buffer in backbone.named_buffers()}
    trainable = [parameter for parameter in backbone.parameters() if parameter.requires_grad]
    optimizer = torch.optim.SGD(trainable, lr=0.1)
    images, pixel_mask = _padded_batch()

    feature_maps = backbone(images, pixel_mask).feature_maps
    loss = sum(feature_map.square().mean() for feature_map in feature_maps)
    loss.backward()
    optimizer.step()

    batch_norm_types = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)
    assert not any(isinstance(module, batch_norm_types) for module in backbone.modules())
    unfrozen = ResNetBackbone(_tiny_resnet_config())
    assert len(frozen) == sum(isinstance(module, nn.BatchNorm2d) for module in unfrozen.modules())
    assert all(not any(True for _ in module.parameters()) for module in frozen)
    for name, buffer in backbone.named_buffers():
        assert torch.equal(buffer, buffers_before[name]), name
    assert all(parameter.grad is not None for parameter in trainable)


def test_swin_uses_layer_norm_only() -> None:
    backbone = build_backbone(_tiny_config(BackboneKind.SWIN))
    assert not any(isinstance(module, nn.BatchNorm2d) for module in backbone.modules())
    assert not any(isinstance(module, FrozenBatchNorm2d) for module in backbone.modules())


def test_which_parameters_train() -> None:
    resnet = build_backbone(_tiny_config(BackboneKind.RESNET50))
    body = resnet.body
    assert not any(parameter.requires_grad for parameter in body.embedder.parameters())
    assert not any(parameter.requires_grad for parameter in body.encoder.stages[0].parameters())
    assert all(parameter.requires_grad for parameter in body.encoder.stages[1].parameters())

    swin = build_backbone(_tiny_config(BackboneKind.SWIN))
    frozen_names = {
        name for name, parameter in swin.named_parameters() if not parameter.requires_grad
    }
    assert any(name.endswith("relative_position_bias_table") for name in frozen_names)
    assert any("layernorm" in name for name in frozen_names)
    assert any(parameter.requires_grad for parameter in swin.parameters())

    for kind in BackboneKind:
        frozen_backbone = build_backbone(_tiny_config(kind, train_backbone=False))
        assert not any(parameter.requires_grad for parameter in frozen_backbone.parameters())


def test_pretrained_resnet_loads_through_from_pretrained(tmp_path: Path) -> None:
    torch.manual_seed(0)
    saved = ResNetBackbone(_tiny_resnet_config(out_features=["stage4"])).eval()
    for module in saved.modules():  # non-trivial statistics, to see them carried over
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
    saved.save_pretrained(tmp_path)
    images, pixel_mask = _padded_batch()

    backbone = build_backbone(
        BackboneConfig(kind=BackboneKind.RESNET50, pretrained=str(tmp_path), hidden_dim=32)
    ).eval()

    assert backbone.channels == (16, 32, 64)
    loaded = backbone.body.state_dict()
    for name, tensor in saved.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            assert torch.equal(loaded[name], tensor), name
    expected = saved(images, output_hidden_states=True).hidden_states[-1]
    torch.testing.assert_close(backbone(images, pixel_mask).feature_maps[-1], expected)


def test_pretrained_swin_loads_through_from_pretrained(tmp_path: Path) -> None:
    torch.manual_seed(0)
    saved = SwinBackbone(
        SwinConfig(
            embed_dim=8,
            depths=[1, 1, 1, 1],
            num_heads=[1, 1, 2, 2],
            window_size=2,
            out_features=["stage2", "stage3", "stage4"],
        )
    ).eval()
    saved.save_pretrained(tmp_path)
    images, pixel_mask = _padded_batch()

    backbone = build_backbone(
        BackboneConfig(
            kind=BackboneKind.SWIN, pretrained=str(tmp_path), hidden_dim=32, drop_path_rate=0.0
        )
    ).eval()

    assert backbone.body.config.drop_path_rate == 0.0
    expected = saved(images).feature_maps
    for feature_map, expected_map in zip(
        backbone(images, pixel_mask).feature_maps, expected, strict=True
    ):
        torch.testing.assert_close(feature_map, expected_map)


def test_frozen_batch_norm_matches_batch_norm_in_eval_and_loads_its_state() -> None:
    batch_norm = nn.BatchNorm2d(4).eval()
    with torch.no_grad():
        batch_norm.weight.uniform_(0.5, 1.5)
        batch_norm.bias.uniform_(-1, 1)
        batch_norm.running_mean.uniform_(-1, 1)
        batch_norm.running_var.uniform_(0.5, 2)
    inputs = torch.randn(2, 4, 3, 3)
    frozen = FrozenBatchNorm2d(num_features=4)

    frozen.load_state_dict(batch_norm.state_dict())  # num_batches_tracked is dropped

    torch.testing.assert_close(frozen(inputs), batch_norm(inputs))
    copied = FrozenBatchNorm2d.from_batch_norm(batch_norm)
    torch.testing.assert_close(copied(inputs), batch_norm(inputs))


def test_input_projection_adds_coarser_levels() -> None:
    config = _tiny_config(BackboneKind.RESNET50, num_levels=5)
    backbone = build_backbone(config).eval()
    projection = build_input_projection(config, in_channels=backbone.channels)
    images, pixel_mask = _padded_batch()

    levels = projection(backbone(images, pixel_mask), pixel_mask)

    assert isinstance(levels, MultiScaleFeatures)
    expected_sizes = [(9, 6), (5, 3), (3, 2), (2, 1), (1, 1)]  # strides 8 .. 128
    assert [tuple(level.shape[-2:]) for level in levels.feature_maps] == expected_sizes
    assert all(level.shape[:2] == (2, 32) for level in levels.feature_maps)
    assert [tuple(mask.shape[-2:]) for mask in levels.padding_masks] == expected_sizes
    assert all(not mask[0].any() and not mask[1, 0, 0] for mask in levels.padding_masks)


@pytest.mark.parametrize(
    "arguments",
    [
        {"kind": "resnet50"},
        {"kind": BackboneKind.SWIN, "hidden_sizes": (8, 16, 32, 64)},
        {"kind": BackboneKind.RESNET50, "pretrained": "a/b", "depths": (1, 1, 1, 1)},
        {"kind": BackboneKind.RESNET50, "depths": (1, 1, 1)},
        {"kind": BackboneKind.RESNET50, "num_levels": 2},
    ],
)
def test_invalid_configs_are_rejected(arguments) -> None:
    with pytest.raises(ValueError):
        BackboneConfig(**arguments)


def test_input_projection_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError, match="num_groups"):
        InputProjection(in_channels=(8, 16), hidden_dim=48, num_levels=3)
    with pytest.raises(ValueError, match="num_levels"):
        InputProjection(in_channels=(8, 16), hidden_dim=32, num_levels=1)
