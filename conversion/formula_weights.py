"""The parity fixtures' weights: formula ``rlipv2-parity-v1``, a pure function of each tensor's
name, shape and dtype and a seed (no weight file ships with a fixture).

For a tensor named K with n elements, element i draws ``u`` in [0, 1) from a 32-bit integer
hash of (i, crc32(K), seed), then takes a value by the tensor's kind (batch-norm statistics,
fusion gates around ``gate_center``, embeddings, fan-in-scaled matrices, norm scales, biases),
rounded float64 -> float32 -> float16 -> float32. Tied tensors (``aliases``) take the value of
their group's first name. This is rlipv2's own implementation of the rule written down with the
fixtures (``tests/fixtures/parity/README.md``); ``sha256_le`` in a fixture's ``weights.json``
checks it.
"""

import hashlib
import math
import zlib
from collections.abc import Mapping

import numpy as np
import torch

FORMULA = "rlipv2-parity-v1"


def uniform_draws(name: str, count: int, seed: int) -> np.ndarray:
    """(count,) float64 in [0, 1): the hashed draws of tensor ``name`` (uint32 arithmetic,
    which wraps modulo 2**32)."""
    offset = (zlib.crc32(name.encode("utf-8")) * 0x85EBCA77 + seed) % 2**32
    state = np.arange(count, dtype=np.uint32) * np.uint32(0x9E3779B1) + np.uint32(offset)
    state ^= state >> np.uint32(16)
    state *= np.uint32(0x85EBCA6B)
    state ^= state >> np.uint32(13)
    state *= np.uint32(0xC2B2AE35)
    state ^= state >> np.uint32(16)
    return state / 2.0**32


def value_kind(name: str, shape: tuple[int, ...], dtype: str) -> str:
    """Which rule gives tensor ``name`` its values (the first that applies)."""
    parts = name.split(".")
    last, parent = parts[-1], (parts[-2] if len(parts) > 1 else "")
    if not dtype.startswith("float"):
        return "keep"
    if last in ("running_var", "running_mean"):
        return last
    if last in ("gamma_v", "gamma_l"):
        return "gate"
    is_embedding = parent.endswith(("_embed", "_embeddings")) or parent == "verb_tgt"
    if last.endswith("_embed") or (last == "weight" and is_embedding):
        return "embed"
    if len(shape) >= 2:
        return "fan_in"
    return "one" if last in ("weight", "gamma", "scale") else "bias"


def formula_tensor(
    name: str, shape: tuple[int, ...], dtype: str, *, seed: int, gate_center: float | None
) -> torch.Tensor:
    """The float32 tensor the formula gives ``name``."""
    draws = uniform_draws(name, math.prod(shape), seed)
    kind = value_kind(name, shape, dtype)
    if kind == "fan_in":
        values = (2 * draws - 1) * np.sqrt(3.0 / math.prod(shape[1:]))
    elif kind == "embed":
        values = (2 * draws - 1) * 0.5
    elif kind == "one":
        values = 1 + 0.2 * (draws - 0.5)
    elif kind == "gate":
        values = gate_center + 0.05 * (draws - 0.5)
    elif kind == "running_var":
        values = 0.5 + draws
    elif kind == "running_mean":
        values = 0.2 * (draws - 0.5)
    else:
        values = 0.1 * (draws - 0.5)
    rounded = values.astype(np.float32).astype(np.float16).astype(np.float32)
    return torch.from_numpy(rounded.reshape(shape))


def formula_state_dict(weights: Mapping) -> dict[str, torch.Tensor]:
    """The official state dict of a fixture, from its ``weights.json`` (loaded)."""
    if weights.get("formula") != FORMULA:
        raise ValueError(f"weights follow formula {weights.get('formula')!r}, not {FORMULA!r}")
    first_of_group = {name: group[0] for group in weights["aliases"] for name in group}
    state = {}
    for name, shape, dtype in weights["state_dict_keys"]:
        shape = tuple(shape)
        if value_kind(name, shape, dtype) == "keep":
            values = weights["int_buffers"][name]
            state[name] = torch.tensor(values, dtype=getattr(torch, dtype)).reshape(shape)
        else:
            state[name] = formula_tensor(
                first_of_group.get(name, name),
                shape,
                dtype,
                seed=weights["seed"],
                gate_center=weights["gate_center"],
            )
    return state


def state_dict_digest(weights: Mapping, state: Mapping[str, torch.Tensor]) -> str:
    """sha256 over the tensors' little-endian bytes in ``state_dict_keys`` order (compare with
    ``weights["sha256_le"]``)."""
    digest = hashlib.sha256()
    for name, _, _ in weights["state_dict_keys"]:
        array = np.ascontiguousarray(state[name].numpy())
        digest.update(array.astype(array.dtype.newbyteorder("<")).tobytes())
    return digest.hexdigest()
