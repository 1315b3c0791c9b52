"""The two decoding strategies of RLIPv2's captioning: beam search and seeded nucleus sampling.

Each strategy knows the ``DecodingSettings`` record it stamps on its captions and the keyword
arguments of ``BlipForConditionalGeneration.generate`` that realise it. Every setting that affects
the result is passed explicitly, so a model's own ``generation_config.json`` cannot change it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import torch
from PIL import Image
from transformers import LogitsProcessorList

from data_schemas.captions import DecodingSettings
from pipeline.captioning.captioner import DecodingMethod
from pipeline.captioning.seeded_sampling import (
    SeededNucleusSampler,
    caption_uniforms,
    image_content_key,
)

NUCLEUS_TOP_K = 50
"""BLIP's sampling relied on the Hugging Face default of its time, ``top_k=50``, applied before
``top_p``; it is fixed here and recorded in each caption's ``DecodingSettings``."""


def _check_lengths(max_length: int, min_length: int) -> None:
    if not 0 <= min_length <= max_length:
        raise ValueError(
            f"need 0 <= min_length <= max_length, got min_length={min_length}, "
            f"max_length={max_length}"
        )


@dataclass(frozen=True)
class BeamSearch:
    """Deterministic beam search, one caption per image (BLIP ``sample=False``; repetition
    penalty 1.0). ``max_length`` and ``min_length`` count the start token and prompt."""

    num_beams: int
    max_length: int
    min_length: int

    method: ClassVar[DecodingMethod] = "beam"
    num_captions: ClassVar[int] = 1

    def __post_init__(self) -> None:
        if self.num_beams < 1:
            raise ValueError(f"num_beams must be >= 1, got {self.num_beams}")
        _check_lengths(self.max_length, self.min_length)

    def settings(self) -> DecodingSettings:
        return DecodingSettings(
            num_beams=self.num_beams,
            max_length=self.max_length,
            min_length=self.min_length,
            repetition_penalty=1.0,
        )

    def generate_kwargs(
        self, images: Sequence[Image.Image], *, prompt_length: int, device: torch.device
    ) -> dict[str, object]:
        """Keyword arguments of ``generate`` for a batch of ``images`` (unused: beam search
        needs no per-image state)."""
        return {
            "do_sample": False,
            "num_beams": self.num_beams,
            "num_return_sequences": 1,
            "max_length": self.max_length,
            "min_length": self.min_length,
            "repetition_penalty": 1.0,
            "length_penalty": 1.0,
            "no_repeat_ngram_size": 0,
            "early_stopping": False,
        }


@dataclass(frozen=True)
class NucleusSampling:
    """``num_captions`` nucleus samples per image (BLIP ``sample=True``), reproducible per image.

    Caption ``k`` of an image is a function of the model, these settings and the image's pixels
    only (see :mod:`pipeline.captioning.seeded_sampling`): the same whatever batch it is in, at
    whatever position, after any out-of-memory retry, and across runs with the same ``seed``.
    This is exact while the model's logits for the image are bitwise the same. Kernels for other
    batch shapes or devices (CUDA float16 against CPU float32) can change the last bits, which
    changes a token only when a draw falls within that rounding of a CDF step.
    """

    num_captions: int
    top_p: float
    repetition_penalty: float
    max_length: int
    min_length: int
    seed: int

    method: ClassVar[DecodingMethod] = "nucleus"

    def __post_init__(self) -> None:
        if self.num_captions < 1:
            raise ValueError(f"num_captions must be >= 1, got {self.num_captions}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if not self.repetition_penalty > 0.0:
            raise ValueError(f"repetition_penalty must be > 0, got {self.repetition_penalty}")
        if not 0 <= self.seed < 2**63:
            raise ValueError(f"seed must be in [0, 2**63), got {self.seed}")
        _check_lengths(self.max_length, self.min_length)

    def settings(self) -> DecodingSettings:
        return DecodingSettings(
            top_k=NUCLEUS_TOP_K,
            top_p=self.top_p,
            max_length=self.max_length,
            min_length=self.min_length,
            repetition_penalty=self.repetition_penalty,
            seed=self.seed,
        )

    def generate_kwargs(
        self, images: Sequence[Image.Image], *, prompt_length: int, device: torch.device
    ) -> dict[str, object]:
        """Keyword arguments of ``generate`` for a batch of ``images``: Hugging Face's warpers
        off, and a :class:`SeededNucleusSampler` holding each caption's uniform draws."""
        uniforms = caption_uniforms(
            self.seed,
            [image_content_key(image) for image in images],
            num_captions=self.num_captions,
            num_steps=self.max_length - prompt_length,
        )
        sampler = SeededNucleusSampler(
            top_k=NUCLEUS_TOP_K,
            top_p=self.top_p,
            uniforms=uniforms.to(device),
            prompt_length=prompt_length,
        )
        return {
            "do_sample": True,
            "num_beams": 1,
            "num_return_sequences": self.num_captions,
            "max_length": self.max_length,
            "min_length": self.min_length,
            "repetition_penalty": self.repetition_penalty,
            "temperature": 1.0,
            "top_k": 0,
            "top_p": 1.0,
            "no_repeat_ngram_size": 0,
            "logits_processor": LogitsProcessorList([sampler]),
        }


DecodingStrategy = BeamSearch | NucleusSampling
