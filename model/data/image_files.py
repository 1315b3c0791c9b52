"""Image files named by records (scene graphs in training, images in tagging): checked cheaply
before training, decoded in training and tagging.

:func:`image_file_problem` reads only a file's header, so a training run can set aside every
missing, foreign or resized image before its first step; :func:`load_rgb_image` decodes the
pixels, where a file truncated after its header still shows, and raises with the same reasons.
"""

import struct
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from data_schemas.errors import RLIPv2InputError
from data_schemas.image_files import image_file_location_problem
from data_schemas.rejects import Rejection, RejectReason

DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    zlib.error,
    Image.DecompressionBombError,
)
"""What Pillow raises on missing, truncated, corrupt or oversized files."""

_CHECK_THREADS = 8


class ImageFileError(RLIPv2InputError):
    """An image file is missing, outside its image root, unreadable, or not the size its record
    says; ``reason`` says which, as a reject would store it (and a note of the traceback).

    A DataLoader worker's error reaches the main process rebuilt by torch from one string: "Caught
    ImageFileError in DataLoader worker process N.", then the worker's traceback, which ends with
    this error's message and note. Built so (``reason`` None), the error takes its message and
    reason back from that traceback, so that the run still ends with one line naming the file.
    """

    def __init__(self, message: str, *, reason: RejectReason | None = None) -> None:
        if reason is None:
            message, reason = _message_and_reason(message)
        super().__init__(message)
        self.reason = reason
        self.add_note(f"{_REASON_NOTE}{reason.value}")


_REASON_NOTE = "reject reason: "


def _message_and_reason(text: str) -> tuple[str, RejectReason]:
    """The worker's message and reason in torch's rebuilt ``text`` (see :class:`ImageFileError`);
    ``text`` itself and ``unreadable_image`` when it is not one."""
    lines = text.splitlines()
    heading = f"{ImageFileError.__module__}.{ImageFileError.__qualname__}: "
    headings = [position for position, line in enumerate(lines) if line.startswith(heading)]
    if not text.startswith(f"Caught {ImageFileError.__name__} ") or not headings:
        return text, RejectReason.UNREADABLE_IMAGE
    last = headings[-1]  # the worker's error: its causes are printed before it
    reasons = [line.removeprefix(_REASON_NOTE) for line in lines[last + 1 :]
               if line.startswith(_REASON_NOTE)]
    reason = RejectReason(reasons[0]) if reasons else RejectReason.UNREADABLE_IMAGE
    return lines[last].removeprefix(heading), reason


def image_file_problem(
    image_path: Path, *, image_root: Path, expected_size: tuple[int, int]
) -> Rejection | None:
    """Why ``image_path`` cannot be trained on, from its location (see
    :func:`~data_schemas.image_files.image_file_location_problem`) and header alone; None when
    it can. Never raises.

    ``image_root`` must be resolved (absolute, no symlinks). ``expected_size`` is (width,
    height) from the table: an image of another size would misplace every box.
    """
    problem = image_file_location_problem(image_path, image_root=image_root)
    if problem is not None:
        return problem
    try:
        with Image.open(image_path) as opened:
            size = opened.size
    except DECODE_ERRORS as error:
        return Rejection(
            RejectReason.UNREADABLE_IMAGE,
            f"cannot read {image_path}: {type(error).__name__}: {error}",
        )
    if size != expected_size:
        return Rejection(
            RejectReason.IMAGE_SIZE_MISMATCH,
            f"{image_path} is {size[0]}x{size[1]} pixels but its table records "
            f"{expected_size[0]}x{expected_size[1]}; its boxes would be misplaced",
        )
    return None


def image_file_problems(
    files: Sequence[tuple[Path, tuple[int, int]]], *, image_root: Path
) -> list[Rejection | None]:
    """:func:`image_file_problem` of each (path, expected size) under ``image_root`` (resolved
    here), in order; headers are read by several threads, as they wait on storage."""
    root = image_root.resolve()

    def problem(file: tuple[Path, tuple[int, int]]) -> Rejection | None:
        path, size = file
        return image_file_problem(path, image_root=root, expected_size=size)

    with ThreadPoolExecutor(max_workers=_CHECK_THREADS) as pool:
        return list(pool.map(problem, files))


def load_rgb_image(
    image_path: Path, *, image_root: Path, expected_size: tuple[int, int] | None
) -> Image.Image:
    """Decode every pixel of ``image_path`` as RGB, after the location check of
    :func:`~data_schemas.image_files.image_file_location_problem` under ``image_root`` (resolved
    here). ``expected_size`` is (width, height) from the image's record; None takes any size
    (captioning, which reads no boxes).

    Raises:
        ImageFileError: the file resolves outside ``image_root`` (``path_escapes_root``), is
            missing (``missing_image_file``), cannot be read or decoded (``unreadable_image``),
            or has another size (``image_size_mismatch``); the message names the file.
    """
    problem = image_file_location_problem(image_path, image_root=image_root.resolve())
    if problem is not None:
        raise ImageFileError(problem.detail, reason=problem.reason)
    try:
        with Image.open(image_path) as opened:
            image = opened.convert("RGB")
    except (FileNotFoundError, NotADirectoryError) as error:  # removed since the check above
        raise ImageFileError(
            f"{image_path} does not exist", reason=RejectReason.MISSING_IMAGE_FILE
        ) from error
    except DECODE_ERRORS as error:
        raise ImageFileError(
            f"cannot read image {image_path}: {type(error).__name__}: {error}",
            reason=RejectReason.UNREADABLE_IMAGE,
        ) from error
    if expected_size is not None and image.size != expected_size:
        raise ImageFileError(
            f"image {image_path} is {image.width}x{image.height} pixels but its record says "
            f"{expected_size[0]}x{expected_size[1]}; its boxes would be misplaced",
            reason=RejectReason.IMAGE_SIZE_MISMATCH,
        )
    return image
