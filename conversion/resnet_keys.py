"""torchvision ResNet names (the official backbones) -> transformers ``ResNetBackbone`` names.

- ``conv1``, ``bn1`` -> ``embedder.embedder.convolution``, ``.normalization``;
- ``layer{s}.{b}.conv{i}``, ``.bn{i}`` ->
  ``encoder.stages.{s-1}.layers.{b}.layer.{i-1}.convolution``, ``.normalization``;
- ``layer{s}.{b}.downsample.0``, ``.1`` ->
  ``encoder.stages.{s-1}.layers.{b}.shortcut.convolution``, ``.normalization``.

Both put the stride of a bottleneck in its 3x3 convolution (ResNet v1.5).
"""

import re

from conversion.state_dict_mapper import StateDictMapper

_BLOCK = re.compile(r"^layer(\d)\.(\d+)\.(conv|bn)(\d)\.(.+)$")
_SHORTCUT = re.compile(r"^layer(\d)\.(\d+)\.downsample\.([01])\.(.+)$")
_STEM = re.compile(r"^(conv|bn)1\.(.+)$")


def map_resnet(mapper: StateDictMapper, *, source_prefix: str, target_prefix: str) -> None:
    """Every ResNet tensor under ``source_prefix`` to ``target_prefix`` (a ``ResNetBackbone``);
    batch-norm step counters (``num_batches_tracked``) are left out."""
    for name in [name for name in mapper.source if name.startswith(source_prefix)]:
        rest = name[len(source_prefix) :]
        if rest.endswith("num_batches_tracked"):
            mapper.ignore([name], "a batch-norm step counter (rlipv2's batch norm is frozen)")
        elif match := _STEM.match(rest):
            part = "convolution" if match[1] == "conv" else "normalization"
            mapper.copy(name, f"{target_prefix}embedder.embedder.{part}.{match[2]}")
        elif match := _BLOCK.match(rest):
            stage, block, kind, index, leaf = match.groups()
            part = "convolution" if kind == "conv" else "normalization"
            mapper.copy(
                name,
                f"{target_prefix}encoder.stages.{int(stage) - 1}.layers.{block}."
                f"layer.{int(index) - 1}.{part}.{leaf}",
            )
        elif match := _SHORTCUT.match(rest):
            stage, block, index, leaf = match.groups()
            part = "convolution" if index == "0" else "normalization"
            mapper.copy(
                name,
                f"{target_prefix}encoder.stages.{int(stage) - 1}.layers.{block}."
                f"shortcut.{part}.{leaf}",
            )


def resnet_depths(names: list[str], *, prefix: str) -> tuple[int, ...]:
    """Blocks per stage of the ResNet whose tensors are ``names`` under ``prefix``."""
    depths = [0, 0, 0, 0]
    for name in names:
        if match := _BLOCK.match(name[len(prefix) :]) if name.startswith(prefix) else None:
            stage, block = int(match[1]), int(match[2])
            depths[stage - 1] = max(depths[stage - 1], block + 1)
    return tuple(depths)
