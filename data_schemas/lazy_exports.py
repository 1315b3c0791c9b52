"""Lazy re-exports for a package's ``__init__``: ``from package import name`` imports the
submodule that defines ``name`` when the name is first asked for (PEP 562), so that importing
one light submodule of the package (a settings model, a constant) does not import its heavy
ones (torch, transformers, spaCy). The command line's ``--help`` depends on it.

A name exported this way must not also be a submodule's name: once that submodule is imported,
Python binds the package attribute to the module, which would then shadow the exported name.
"""

import importlib
from collections.abc import Callable, Mapping


def lazy_exports(
    package: str, exports: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], object], list[str]]:
    """``(__getattr__, __all__)`` for ``package``, whose ``exports`` map each submodule (its
    name relative to the package) to the names it defines.

    Raises:
        ValueError: a name is exported twice, or is also the name of an exported submodule.
    """
    module_of: dict[str, str] = {}
    for module, names in exports.items():
        for name in names:
            if name in module_of or name in exports:
                raise ValueError(f"{package}: {name!r} is exported twice or is a submodule")
            module_of[name] = f"{package}.{module}"

    def __getattr__(name: str) -> object:  # noqa: N807 - the module hook's name is fixed
        if name not in module_of:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module_of[name]), name)

    return __getattr__, sorted(module_of)
