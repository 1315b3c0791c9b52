"""Loading a pretrained model or tokenizer by hub name or local directory, with one clear error."""

from collections.abc import Callable
from typing import TypeVar

from data_schemas.errors import RLIPv2InputError

T = TypeVar("T")


def load_pretrained(what: str, name_or_path: str, load: Callable[[], T]) -> T:
    """``load()``; a missing or unusable model (``from_pretrained`` raises ``OSError`` or
    ``ValueError``) becomes an :class:`RLIPv2InputError` naming ``what`` and ``name_or_path``."""
    try:
        return load()
    except (OSError, ValueError) as error:
        reason = str(error).rstrip(".")
        raise RLIPv2InputError(
            f"cannot load {what} {name_or_path!r}: {reason}. Give a local directory holding its "
            "files (save_pretrained), or a hub name this machine can download or has cached"
        ) from error
