"""Nucleus sampling whose random draws depend only on the seed, the image and the caption number.

Hugging Face's sampler draws tokens from the global torch RNG, so a sampled caption depends on
what else is in its batch and on everything sampled before it. Here every caption gets its own
stream of uniform draws, from numpy's PCG64 seeded with ``(seed, image_content_key(image),
caption_index)``, and :class:`SeededNucleusSampler` turns the draw of each step into a token by
inverting the CDF of the top-k/top-p filtered distribution. Captions are then independent of batch
size, batch composition, input order and the global RNG state.
"""

import hashlib
from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image
from transformers import LogitsProcessor, TopKLogitsWarper, TopPLogitsWarper


def image_content_key(image: Image.Image) -> int:
    """A 128-bit integer naming an image by its mode, size and pixels (not by file or id)."""
    digest = hashlib.sha256(f"{image.mode} {image.width}x{image.height}\n".encode())
    digest.update(image.tobytes())
    return int.from_bytes(digest.digest()[:16], "big")


def caption_uniforms(
    seed: int, image_keys: Sequence[int], *, num_captions: int, num_steps: int
) -> torch.Tensor:
    """Uniform draws in [0, 1) for every caption of every image.

    Returns:
        ``(len(image_keys) * num_captions, num_steps)`` float64: row ``i * num_captions + k``
        holds the draws of caption ``k`` of image ``i``, one per generated token.
    """
    rows = [
        np.random.default_rng([seed, image_key, caption_index]).random(num_steps)
        for image_key in image_keys
        for caption_index in range(num_captions)
    ]
    return torch.from_numpy(np.stack(rows))


class SeededNucleusSampler(LogitsProcessor):
    """The last logits processor of a sampling ``generate``: filters and draws the token itself.

    Keeps the ``top_k`` most likely tokens, then the smallest set of them holding ``top_p`` of the
    probability (the order and ``min_tokens_to_keep=1`` of Hugging Face's warpers), and picks the
    token at which the cumulative probability first exceeds the row's uniform draw for this step.
    It returns scores that are 0 at the chosen token and -inf elsewhere, so the multinomial draw
    that ``generate`` makes next selects that token with probability 1.

    ``generate`` must be called with warpers off (``top_k=0``, ``top_p=1.0``, ``temperature=1.0``):
    they would run after this processor.
    """

    def __init__(
        self, *, top_k: int, top_p: float, uniforms: torch.Tensor, prompt_length: int
    ) -> None:
        """
        Args:
            uniforms: ``(num_rows, num_steps)`` float64 draws on the generation device, row ``r``
                for the ``r``-th sequence of the expanded batch (image-major, as ``generate``
                lays out ``num_return_sequences``).
            prompt_length: tokens the decoder starts from; step ``t`` generates token
                ``prompt_length + t``.
        """
        self._top_k = TopKLogitsWarper(top_k=top_k)
        self._top_p = TopPLogitsWarper(top_p=top_p)
        self._uniforms = uniforms
        self._prompt_length = prompt_length

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        """
        Args:
            input_ids: ``(num_rows, current_length)`` tokens so far, prompt included.
            scores: ``(num_rows, vocab_size)`` float32 logits after the other processors
                (repetition penalty, minimum length).

        Returns:
            ``(num_rows, vocab_size)``: 0 at each row's chosen token, -inf elsewhere.
        """
        assert scores.shape[0] == self._uniforms.shape[0], "one uniform row per sequence"
        filtered = self._top_p(input_ids, self._top_k(input_ids, scores))
        cumulative = filtered.double().softmax(dim=-1).cumsum(dim=-1)  # (num_rows, vocab_size)
        total = cumulative[:, -1:]
        step = input_ids.shape[1] - self._prompt_length
        threshold = self._uniforms[:, step : step + 1] * total  # (num_rows, 1)
        # u * total can round up to total; stay below it so a token with mass is always found.
        threshold = torch.minimum(threshold, torch.nextafter(total, torch.zeros_like(total)))
        chosen = torch.searchsorted(cumulative, threshold, right=True)  # (num_rows, 1)
        return torch.full_like(scores, -float("inf")).scatter_(1, chosen, 0.0)
