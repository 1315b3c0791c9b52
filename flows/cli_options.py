"""Command-line options derived from the settings of a pydantic model.

Each setting (:func:`~data_schemas.option.settings_of`) with a flag becomes one option whose
type, choices, default, bounds and help text are its field's, so a command and the Prefect form
of the same settings cannot drift apart; :func:`option_values` reads the parsed options back as
the model's (nested) field values.
"""

import argparse
from collections.abc import Collection, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin

from annotated_types import Ge
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from data_schemas.errors import RLIPv2InputError
from data_schemas.option import Setting, settings_of
from flows.cli_arguments import non_negative_int, positive_int

_Model = TypeVar("_Model", bound=BaseModel)


def add_options(
    parser: argparse.ArgumentParser,
    model: type[BaseModel],
    *,
    only: Collection[str] | None = None,
    flags: Mapping[str, str] | None = None,
) -> None:
    """Add the flagged settings of ``model`` to ``parser``, each under its group's heading.

    ``only`` keeps the settings of those (dotted) names; ``flags`` spells some settings another
    way for this command.
    """
    groups: dict[str, argparse._ArgumentGroup] = {}
    for setting in _flagged(model, only, flags or {}):
        group = setting.option.group
        target = parser if group is None else groups.get(group) or groups.setdefault(
            group, parser.add_argument_group(group)
        )
        target.add_argument(setting.option.flag, dest=setting.name, **_argument(setting))


def option_values(arguments: argparse.Namespace, model: type[BaseModel]) -> dict[str, Any]:
    """The parsed values of the settings of ``model`` that :func:`add_options` added, nested
    as its fields."""
    values: dict[str, Any] = {}
    for setting in settings_of(model):
        if not hasattr(arguments, setting.name):
            continue
        *outer, name = setting.name.split(".")
        target = values
        for part in outer:
            target = target.setdefault(part, {})
        target[name] = getattr(arguments, setting.name)
    return values


def _flagged(
    model: type[BaseModel], only: Collection[str] | None, flags: Mapping[str, str]
) -> list[Setting]:
    """The settings of ``model`` offered on the command line, with this command's spellings."""
    flagged = []
    for setting in settings_of(model):
        if only is not None and setting.name not in only:
            continue
        if setting.name in flags:
            setting = replace(setting, option=replace(setting.option, flag=flags[setting.name]))
        if setting.option.flag is not None:
            flagged.append(setting)
    return flagged


def _argument(setting: Setting) -> dict[str, Any]:
    """The ``add_argument`` keywords of a setting: from its field's type, default and bounds."""
    field = setting.field
    annotation = _without_none(field.annotation)
    keywords: dict[str, Any] = {"help": _help(field)}
    if get_origin(annotation) is not Literal:  # argparse shows the choices of a Literal
        # The value's name is the flag's, as if the option's destination were named after it.
        keywords["metavar"] = setting.option.metavar or setting.option.flag.lstrip("-").replace(
            "-", "_"
        ).upper()
    if setting.required:
        keywords["required"] = True
    else:
        keywords["default"] = None if field.is_required() else field.get_default(
            call_default_factory=True
        )
    if setting.option.parse is not None:
        keywords["type"] = setting.option.parse
    elif get_origin(annotation) is Literal:
        keywords["choices"] = get_args(annotation)
    elif get_origin(annotation) is list:
        keywords["action"] = "append"
        (keywords["type"],) = get_args(annotation)
    elif annotation is int:
        keywords["type"] = _int_type(field)
    elif annotation in (str, float, Path):
        keywords["type"] = annotation
    else:
        raise TypeError(f"no command-line form for setting {setting.name} of type {annotation}")
    return keywords


def _without_none(annotation: Any) -> Any:
    members = [member for member in get_args(annotation) if member is not type(None)]
    return members[0] if len(members) == 1 and type(None) in get_args(annotation) else annotation


def _int_type(field: FieldInfo):
    """``int``, or argparse's check of the field's lower bound when it has one of 0 or 1."""
    minimum = next((item.ge for item in field.metadata if isinstance(item, Ge)), None)
    return {0: non_negative_int, 1: positive_int}.get(minimum, int)


def _help(field: FieldInfo) -> str:
    """The field's description, with its default when it has one worth showing."""
    default = field.default
    if field.is_required() or default is None or isinstance(default, (BaseModel, list)):
        return field.description or ""
    return f"{field.description} ({default})"


def model_from_options(
    model: type[_Model], values: Mapping[str, Any], *, command: str
) -> _Model:
    """``model`` of the option ``values`` of ``rlipv2 <command>``.

    Raises:
        RLIPv2InputError: a value the model refuses (e.g. a save threshold above 1).
    """
    try:
        return model(**values)
    except ValidationError as error:
        raise RLIPv2InputError(f"invalid {command} options: {one_line(error)}") from None


def one_line(error: ValidationError) -> str:
    """What ``error`` refuses, on one line: each option's problem and the value given."""
    problems = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        given = f" (got {problem['input']!r})" if where else ""
        problems.append(f"{where or 'options'}: {problem['msg']}{given}")
    return "; ".join(problems)
