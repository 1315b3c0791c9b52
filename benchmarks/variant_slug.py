"""A benchmark variant's display name as a directory and command-line name."""

import re


def slug(name: str) -> str:
    """Lower-case letters and digits joined by ``-``: ``(c) no denoising`` -> ``c-no-denoising``,
    ``ParSeD, tanh gate`` -> ``parsed-tanh-gate``."""
    return re.sub("[^a-z0-9]+", "-", name.lower()).strip("-")
