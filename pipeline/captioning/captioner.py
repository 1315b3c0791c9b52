"""The captioner interface: what the captioning stage needs from a captioning model."""

from collections.abc import Sequence
from typing import Literal, Protocol

from PIL import Image

from data_schemas.captions import DecodingSettings

DecodingMethod = Literal["beam", "nucleus"]


class Captioner(Protocol):
    """Captions images: the BLIP captioner, or a named fake in tests."""

    @property
    def captioner_id(self) -> str:
        """Names the model and a checksum of it; caches of captions key on it."""
        ...

    @property
    def method(self) -> DecodingMethod: ...

    @property
    def num_captions(self) -> int:
        """How many captions :meth:`caption` returns per image."""
        ...

    @property
    def decoding(self) -> DecodingSettings:
        """The decoding settings every caption is made with (stored beside each caption)."""
        ...

    def caption(self, images: Sequence[Image.Image]) -> list[list[str]]:
        """``num_captions`` captions for each image, in input order: ``result[i][k]`` is caption
        ``k`` of ``images[i]``."""
        ...
