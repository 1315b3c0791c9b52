"""Counts and timings that add up field by field (per source, per batch)."""

from dataclasses import fields
from typing import Self


class FieldwiseSum:
    """Mixin for a dataclass of numbers: ``a + b`` adds each field."""

    def __add__(self, other: Self) -> Self:
        return type(self)(**{
            field.name: getattr(self, field.name) + getattr(other, field.name)
            for field in fields(self)  # type: ignore[arg-type]
        })
