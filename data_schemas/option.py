"""How a setting of a run is offered on the command line and whether it decides outputs.

A setting is a field of a pydantic model (a flow's Prefect form, the settings of a labelling
run): its name, type, default, bounds and help text are the field's. An :class:`Option` attached
with ``Annotated`` says what the field cannot: the setting's command-line spelling, the heading
it is listed under, and which stage's outputs it changes. The command line, the form and the
cache keys are derived from that one field.
"""

import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

_UNIONS = (Union, types.UnionType)


@dataclass(frozen=True)
class Option:
    """``Annotated`` metadata of a setting.

    Attributes:
        flag: its command-line spelling (``"--images-per-shard"``); None for a setting of the
            Prefect form only.
        decides: the labelling stage whose outputs it changes; None when it changes only speed,
            memory or where the work runs (a batch size, a device, a number of workers).
        by_content: it decides ``decides``'s outputs through the content of what it names (a
            model, a synonym file), which the stage digests into its cache key in its place;
            otherwise its value enters the key.
        group: the heading it is listed under in ``--help``; a nested model's group is its
            fields'.
        metavar: the name of its value in ``--help`` (argparse's by default).
        parse: how the command line reads its value, where the field's type does not say (a
            nested model given by one flag).
    """

    flag: str | None = None
    decides: str | None = None
    by_content: bool = False
    group: str | None = None
    metavar: str | None = None
    parse: Callable[[str], Any] | None = None


@dataclass(frozen=True)
class Setting:
    """One setting of a model: ``name`` is its field's, dotted under a nested model's
    (``"blip.num_captions"``); ``option`` carries the group of the nested model it is in;
    ``required`` is whether a value must be given (its field's and every enclosing one's)."""

    name: str
    field: FieldInfo
    option: Option
    required: bool


def settings_of(model: type[BaseModel]) -> Iterator[Setting]:
    """Every setting of ``model`` in field order; a nested model's, in its place, unless the
    nested model is given by one flag of its own.

    Raises:
        TypeError: a field has no :class:`Option` (every field of a settings model must say
            whether it decides outputs).
    """
    for name, field in model.model_fields.items():
        option = next((item for item in field.metadata if isinstance(item, Option)), None)
        if option is None:
            raise TypeError(f"{model.__name__}.{name} has no Option")
        nested = nested_model(field)
        if nested is None or option.flag is not None:
            yield Setting(name, field, option, field.is_required())
            continue
        for setting in settings_of(nested):
            yield Setting(
                f"{name}.{setting.name}",
                setting.field,
                replace(setting.option, group=setting.option.group or option.group),
                setting.required and field.is_required(),
            )


def nested_model(field: FieldInfo) -> type[BaseModel] | None:
    """The model type of a field holding one (or None), else None."""
    members = get_args(field.annotation) if get_origin(field.annotation) in _UNIONS else ()
    for annotation in (field.annotation, *members):
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
    return None
