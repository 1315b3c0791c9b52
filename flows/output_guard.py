"""Where a command may write: the one check every writing command makes before it starts.

An output (the file or directory a command creates, replaces or resumes) may not

- be the current directory, or one above it (``--out .``, ``--out ..``): replacing it would
  delete the directory the user is working in;
- be, hold, or lie inside one of the command's inputs (datasets, runs, image roots, annotation
  files, checkpoints, configs): writing there would destroy or corrupt what it reads;
- exist already, unless the user passed ``--overwrite`` (commands that resume their own
  earlier output, ``label`` and training, check only the place and what they resume).

Paths are compared after resolving symbolic links, so a link does not hide an input.
"""

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from data_schemas.errors import RLIPv2InputError

Inputs = Mapping[str, Path | None]
"""A command's inputs by what they are ("image root", "tagger checkpoint"); None: not given."""


def check_output(
    output: Path,
    inputs: Inputs,
    *,
    overwrite: bool,
    option: str = "--out",
) -> None:
    """Raise unless ``output`` may be written (see the module docstring).

    Raises:
        RLIPv2InputError: one line naming ``option``, the output and what is in the way.
    """
    check_output_place(output, inputs, option=option)
    if output.exists() and not overwrite:
        raise RLIPv2InputError(f"{output} already exists; pass --overwrite to replace it")


def check_output_place(output: Path, inputs: Inputs, *, option: str = "--out") -> None:
    """Raise if ``output`` is the current directory (or above it), or is, holds or lies inside
    one of ``inputs``; for commands that resume into an existing output (training).

    Raises:
        RLIPv2InputError: one line naming ``option``, the output and the input in the way.
    """
    target = output.resolve()
    working = Path.cwd().resolve()
    if working.is_relative_to(target):
        raise RLIPv2InputError(
            f"{option} {output} is the current directory or one above it; name a new "
            "directory or file for the output"
        )
    for what, path in inputs.items():
        if path is None:
            continue
        source = path.resolve()
        if target == source:
            relation = "is"
        elif source.is_relative_to(target):
            relation = "holds"
        elif target.is_relative_to(source):
            relation = "lies inside"
        else:
            continue
        raise RLIPv2InputError(
            f"{option} {output} {relation} the {what} {path}; write the output elsewhere "
            "(a command never writes over, into or around its inputs)"
        )


def run_inputs(
    path: Path, *, dataset_dir: Path | None = None, image_root: Path | None = None
) -> dict[str, Path | None]:
    """The inputs of a command that reads the run (or table) at ``path``: it, the run's
    directory and the directories its manifests name, the dataset and the image root (given,
    or recorded at ingest)."""
    from inspection import locate_output

    run = locate_output(path, dataset_dir=dataset_dir).run
    inputs: dict[str, Path | None] = {"input": path, "dataset": dataset_dir,
                                      "image root": image_root}
    pending, seen = [run], set()
    while pending:
        directory = pending.pop()
        if directory.root.resolve() not in seen:
            seen.add(directory.root.resolve())
            name = "run directory" if len(seen) == 1 else f"directory {len(seen)} it links"
            inputs[name] = directory.root
            pending.extend(directory.links)
    if image_root is None:
        try:
            inputs["image root recorded at ingest"] = run.image_root()
        except RLIPv2InputError:
            pass  # the command itself says so if it needs the images
    return inputs


def config_inputs(config_file: Path, config: object) -> dict[str, Path | None]:
    """The inputs of a training run: its config file and every path of ``config`` (a tree of
    dataclasses) but ``output_dir``, named by their place in the tree."""
    inputs: dict[str, Path | None] = {"config file": config_file}
    pending: list[tuple[str, object]] = [("", config)]
    while pending:
        name, value = pending.pop()
        if isinstance(value, Path) and name != "output_dir":
            inputs[name] = value
        elif dataclasses.is_dataclass(value):
            pending.extend((f"{name}.{field.name}".lstrip("."), getattr(value, field.name))
                           for field in dataclasses.fields(value))
        elif isinstance(value, (tuple, list)):
            pending.extend((f"{name}[{index}]", item) for index, item in enumerate(value))
    return inputs
