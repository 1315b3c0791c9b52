"""The official Swin backbone's names (Swin-Transformer's detection code) -> transformers
``SwinBackbone`` names; the fused ``attn.qkv`` projection is split into query, key and value.

- ``patch_embed.proj``, ``.norm`` -> ``swin.embeddings.patch_embeddings.projection``,
  ``swin.embeddings.norm``;
- in ``layers.{i}.blocks.{j}`` (-> ``swin.encoder.layers.{i}.blocks.{j}``): ``norm1``, ``norm2``
  -> ``layernorm_before``, ``layernorm_after``; ``attn.qkv`` -> ``attention.q_proj``,
  ``k_proj``, ``v_proj`` (its rows in three); ``attn.proj`` -> ``attention.o_proj``;
  ``attn.relative_position_bias_table`` -> ``attention.relative_position_bias.`` the same;
  ``mlp.fc1``, ``mlp.fc2`` the same;
- ``layers.{i}.downsample.reduction``, ``.norm`` -> ``swin.encoder.layers.{i}.downsample.`` the
  same;
- ``norm1``, ``norm2``, ``norm3`` (of outputs 1-3) -> ``hidden_states_norms.stage2``, ``stage3``,
  ``stage4``.
"""

import math
import re
from dataclasses import dataclass

import torch

from conversion.state_dict_mapper import StateDictMapper
from data_schemas.errors import RLIPv2InputError


@dataclass(frozen=True)
class SwinArchitecture:
    """A Swin variant as the official code builds it from its backbone name."""

    embed_dim: int
    depths: tuple[int, int, int, int]
    num_heads: tuple[int, int, int, int]
    window_size: int


def swin_architecture(backbone_name: str) -> SwinArchitecture:
    """The architecture the official code gives ``backbone_name`` (``swin_tiny``,
    ``swin_small``, ``swin_base[_384]``, ``swin_large[_384]``)."""
    window = 12 if "384" in backbone_name else 7
    if "large" in backbone_name:
        return SwinArchitecture(192, (2, 2, 18, 2), (6, 12, 24, 48), window)
    if "base" in backbone_name:
        return SwinArchitecture(128, (2, 2, 18, 2), (4, 8, 16, 32), window)
    if "small" in backbone_name:
        return SwinArchitecture(96, (2, 2, 18, 2), (3, 6, 12, 24), 7)
    return SwinArchitecture(96, (2, 2, 6, 2), (3, 6, 12, 24), 7)


_BLOCK = re.compile(r"^layers\.(\d+)\.blocks\.(\d+)\.(.+)$")
_BLOCK_RENAMES = {
    "norm1.": "layernorm_before.",
    "norm2.": "layernorm_after.",
    "attn.proj.": "attention.o_proj.",
    "attn.relative_position_bias_table": (
        "attention.relative_position_bias.relative_position_bias_table"
    ),
    "mlp.": "mlp.",
}


def map_swin(
    mapper: StateDictMapper,
    *,
    source_prefix: str,
    target_prefix: str,
    architecture: SwinArchitecture,
    source_file: str,
) -> None:
    """Every Swin tensor under ``source_prefix`` to ``target_prefix`` (a ``SwinBackbone``);
    the relative position indices (buffers computed from the window size) are checked, not
    copied, and the classifier norm transformers keeps (``swin.layernorm``, unused by a
    backbone) is set to the identity.

    Raises:
        RLIPv2InputError: the relative position tables are not of ``architecture``'s window.
    """
    tables = [
        name
        for name in mapper.source
        if name.startswith(source_prefix) and name.endswith("relative_position_bias_table")
    ]
    for name in tables:
        rows = mapper.source[name].shape[0]
        window = (math.isqrt(rows) + 1) // 2
        if (2 * window - 1) ** 2 != rows or window != architecture.window_size:
            raise RLIPv2InputError(
                f"{source_file}: the Swin backbone's relative position table {name} has {rows} "
                f"rows, not the {(2 * architecture.window_size - 1) ** 2} of its named "
                f"architecture's window size {architecture.window_size}"
            )
    mapper.ignore(
        [
            name
            for name in mapper.source
            if name.startswith(source_prefix) and name.endswith("relative_position_index")
        ],
        "a buffer computed from the window size",
    )
    mapper.copy_renamed(
        source_prefix,
        f"{target_prefix}swin.embeddings.",
        {"patch_embed.proj.": "patch_embeddings.projection.", "patch_embed.norm.": "norm."},
    )
    for stage in range(4):
        mapper.copy_renamed(
            f"{source_prefix}layers.{stage}.downsample.",
            f"{target_prefix}swin.encoder.layers.{stage}.downsample.",
            {"reduction.": "reduction.", "norm.": "norm."},
        )
    for output in (1, 2, 3):
        mapper.copy_renamed(
            f"{source_prefix}norm{output}.",
            f"{target_prefix}hidden_states_norms.stage{output + 1}.",
            {"weight": "weight", "bias": "bias"},
        )
    for name in [name for name in mapper.source if name.startswith(source_prefix)]:
        match = _BLOCK.match(name[len(source_prefix) :])
        if match is None:
            continue
        stage, block, rest = match.groups()
        target = f"{target_prefix}swin.encoder.layers.{stage}.blocks.{block}."
        if rest.startswith("attn.qkv."):
            leaf = rest[len("attn.qkv.") :]
            for part, tensor in zip(
                ("q", "k", "v"), mapper.take(name).chunk(3, dim=0), strict=True
            ):
                mapper.put(f"{target}attention.{part}_proj.{leaf}", tensor)
            continue
        for old, new in _BLOCK_RENAMES.items():
            if rest.startswith(old):
                mapper.copy(name, target + new + rest[len(old) :])
    width = 8 * architecture.embed_dim
    device = next(iter(mapper.source.values())).device  # meta in a dry run
    mapper.put(f"{target_prefix}swin.layernorm.weight", torch.ones(width, device=device))
    mapper.put(f"{target_prefix}swin.layernorm.bias", torch.zeros(width, device=device))
