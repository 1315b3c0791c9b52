"""Moving tensors from one state dict's names to another's, keeping account of every name.

A conversion takes each source tensor it uses (:meth:`StateDictMapper.take`), declares the
source tensors it leaves out and why (:meth:`StateDictMapper.ignore`), and puts the target
tensors (:meth:`StateDictMapper.put`). :meth:`StateDictMapper.check` then compares the result
with the names and shapes the target model expects: a source tensor neither taken nor ignored,
a target name not produced, or a shape that differs is an error listing all of them. Works on
meta tensors too (shapes only).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import torch

from data_schemas.errors import RLIPv2InputError

_LISTED = 12
"""How many names an error message lists before counting the rest."""


@dataclass(frozen=True)
class MappingProblems:
    """What stops a conversion: source names left over, target names missing, wrong shapes."""

    unmapped: tuple[str, ...]
    missing: tuple[str, ...]
    wrong_shapes: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.unmapped or self.missing or self.wrong_shapes)

    def describe(self) -> str:
        """One line: each kind of problem with the names it concerns."""
        parts = []
        for label, names in (
            ("keys that map to nothing", self.unmapped),
            ("expected keys missing", self.missing),
            ("keys of the wrong shape", self.wrong_shapes),
        ):
            if names:
                listed = ", ".join(names[:_LISTED])
                more = f" and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
                parts.append(f"{len(names)} {label}: {listed}{more}")
        return "; ".join(parts)


class StateDictMapper:
    """Converts ``source`` (name -> tensor) into a new state dict, one rule at a time."""

    def __init__(self, source: Mapping[str, torch.Tensor]) -> None:
        self.source = dict(source)
        self.target: dict[str, torch.Tensor] = {}
        self.used: set[str] = set()
        self.ignored: dict[str, str] = {}
        self.absent: list[str] = []

    def has(self, name: str) -> bool:
        return name in self.source

    def take(self, name: str) -> torch.Tensor:
        """The source tensor ``name``, marked used; an absent one is recorded (and a zero-size
        placeholder returned, so that the rules run to the end and report every problem)."""
        if name not in self.source:
            self.absent.append(name)
            return torch.empty(0)
        self.used.add(name)
        return self.source[name]

    def take_alias(self, name: str, of: str) -> None:
        """Mark ``name`` used as another name of the tensor ``of`` (tied modules are stored
        under each of their names); real tensors must be equal."""
        tensor, alias = self.source.get(of), self.source.get(name)
        if alias is None:
            return  # an alias is optional
        if tensor is None or (
            not alias.is_meta and (alias.shape != tensor.shape or not torch.equal(alias, tensor))
        ):
            raise RLIPv2InputError(f"{name} should be the same tensor as {of}, but differs")
        self.used.add(name)

    def ignore(self, names: Iterable[str], reason: str) -> None:
        """Leave these source names out of the conversion, for ``reason``."""
        for name in names:
            if name in self.source:
                self.ignored[name] = reason

    def put(self, name: str, tensor: torch.Tensor) -> None:
        if name in self.target:
            raise ValueError(f"two rules produce {name}")
        self.target[name] = tensor

    def copy(self, source_name: str, target_name: str) -> None:
        self.put(target_name, self.take(source_name))

    def copy_renamed(
        self, source_prefix: str, target_prefix: str, renames: Mapping[str, str]
    ) -> None:
        """Copy every source name under ``source_prefix`` whose remainder starts with a key of
        ``renames`` (``{"norm1.": "attention_norm."}``, longest first), to ``target_prefix`` plus
        the renamed remainder."""
        for name in self._names_under(source_prefix):
            renamed = _renamed(name[len(source_prefix) :], renames)
            if renamed is not None:
                self.copy(name, target_prefix + renamed)

    def copy_layers(
        self, source_prefix: str, target_prefix: str, renames: Mapping[str, str], *, count: int
    ) -> None:
        """Like :meth:`copy_renamed` for ``{index}.{rest}`` names (a ModuleList of layers):
        layers ``0 .. count - 1``, each keeping its index."""
        for name in self._names_under(source_prefix):
            index, _, rest = name[len(source_prefix) :].partition(".")
            renamed = _renamed(rest, renames)
            if index.isdigit() and int(index) < count and renamed is not None:
                self.copy(name, f"{target_prefix}{index}.{renamed}")

    def _names_under(self, prefix: str) -> list[str]:
        """Source names starting with ``prefix``, but those ignored."""
        return [
            name for name in self.source if name.startswith(prefix) and name not in self.ignored
        ]

    def problems(self, expected: Mapping[str, torch.Size]) -> MappingProblems:
        """Compare with the target model's names and shapes (``expected``)."""
        unmapped = sorted(set(self.source) - self.used - set(self.ignored))
        missing = sorted((set(expected) - set(self.target)) | set(self.absent))
        extra = sorted(set(self.target) - set(expected))
        wrong = [
            f"{name} {tuple(self.target[name].shape)} != {tuple(expected[name])}"
            for name in sorted(set(self.target) & set(expected))
            if tuple(self.target[name].shape) != tuple(expected[name])
        ]
        return MappingProblems(
            unmapped=tuple(unmapped),
            missing=tuple(missing),
            wrong_shapes=tuple(wrong + [f"{name} (not in the model)" for name in extra]),
        )


def _renamed(rest: str, renames: Mapping[str, str]) -> str | None:
    """``rest`` with its longest matching prefix among ``renames`` replaced, or None."""
    for old in sorted(renames, key=len, reverse=True):
        if rest.startswith(old):
            return renames[old] + rest[len(old) :]
    return None
