"""The BLIP captioner (Hugging Face ``BlipForConditionalGeneration``) and its builder."""

import logging
from collections.abc import Sequence

import torch
from PIL import Image
from transformers import (
    AutoTokenizer,
    BlipForConditionalGeneration,
    BlipImageProcessorPil,
    BlipProcessor,
)

from data_schemas.captions import DecodingSettings
from model.device import resolve_device
from model.pretrained_files import load_pretrained
from pipeline.captioning.blip_config import BlipCaptionerConfig
from pipeline.captioning.captioner import DecodingMethod
from pipeline.captioning.decoding import BeamSearch, DecodingStrategy, NucleusSampling
from pipeline.captioning.fingerprint import captioner_fingerprint
from pipeline.captioning.shrinking_batches import ShrinkingBatches

logger = logging.getLogger(__name__)


class BlipCaptioner:
    """Captions images with BLIP, prompting the text decoder with ``prompt`` and returning what
    follows it.

    Each batch of images goes through the vision encoder once; ``generate`` then repeats the
    image embeddings for the beams or the ``num_captions`` samples of each image. Captions are
    grouped per image by position in the expanded batch (image-major), so a partial last batch
    is grouped exactly. A batch that runs out of CUDA memory is retried in halves. What is
    reproducible is set by the strategy (see :class:`NucleusSampling`).
    """

    def __init__(
        self,
        model: BlipForConditionalGeneration,
        processor: BlipProcessor,
        *,
        strategy: DecodingStrategy,
        prompt: str,
        batch_size: int,
        captioner_id: str,
    ) -> None:
        if not captioner_id:
            raise ValueError("captioner_id must not be empty")
        tokenizer = processor.tokenizer
        # (1, prompt_tokens): [CLS] prompt [SEP]; BLIP's generate swaps [CLS] for its start
        # token and drops [SEP], so the decoder starts from prompt_tokens - 1 tokens.
        prompt_ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
        if prompt_ids[0, -1].item() != tokenizer.sep_token_id:
            raise ValueError(
                "BLIP needs a BERT-style tokenizer that ends each text with [SEP]; "
                f"{type(tokenizer).__name__} does not"
            )
        self.prompt_length = prompt_ids.shape[1] - 1
        if strategy.max_length <= self.prompt_length:
            raise ValueError(
                f"max_length {strategy.max_length} leaves no room to generate after the "
                f"{self.prompt_length} start and prompt tokens of {prompt!r}"
            )
        self.model = model
        self.processor = processor
        self.strategy = strategy
        self.captioner_id = captioner_id
        self._prompt_ids = prompt_ids
        self._prompt_text = tokenizer.decode(prompt_ids[0], skip_special_tokens=True)
        self._batches = ShrinkingBatches(batch_size)

    @property
    def method(self) -> DecodingMethod:
        return self.strategy.method

    @property
    def num_captions(self) -> int:
        return self.strategy.num_captions

    @property
    def decoding(self) -> DecodingSettings:
        return self.strategy.settings()

    @property
    def batch_size(self) -> int:
        """Images per forward pass (smaller than configured after an out-of-memory retry)."""
        return self._batches.batch_size

    def caption(self, images: Sequence[Image.Image]) -> list[list[str]]:
        """``num_captions`` captions per image, in input order: ``result[i][k]`` is caption
        ``k`` of ``images[i]``, with the decoded prompt removed from its start and whitespace
        collapsed."""
        return self._batches.map(images, self._caption_batch)

    def _caption_batch(self, images: Sequence[Image.Image]) -> list[list[str]]:
        device = self.model.device
        pixel_values = self.processor(images=list(images), return_tensors="pt")["pixel_values"]
        pixel_values = pixel_values.to(device=device, dtype=self.model.dtype)  # (batch, 3, H, W)
        input_ids = self._prompt_ids.repeat(len(images), 1).to(device)  # (batch, prompt_tokens)
        generate_kwargs = self.strategy.generate_kwargs(
            images, prompt_length=self.prompt_length, device=device
        )
        with torch.inference_mode():
            sequences = self.model.generate(
                pixel_values=pixel_values,
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                **generate_kwargs,
            )  # (batch * num_captions, <= max_length), image-major
        texts = self.processor.batch_decode(sequences, skip_special_tokens=True)
        captions = [self._strip_prompt(text) for text in texts]
        per_image = self.num_captions
        assert len(captions) == len(images) * per_image, "generate returns num_captions per image"
        return [captions[index : index + per_image] for index in range(0, len(captions), per_image)]

    def _strip_prompt(self, text: str) -> str:
        if text.startswith(self._prompt_text):
            text = text[len(self._prompt_text) :]
        return " ".join(text.split())


def _decoding_strategy(config: BlipCaptionerConfig) -> DecodingStrategy:
    if config.num_captions == 1:
        return BeamSearch(
            num_beams=config.num_beams, max_length=config.max_length, min_length=config.min_length
        )
    return NucleusSampling(
        num_captions=config.num_captions,
        top_p=config.top_p,
        repetition_penalty=config.repetition_penalty,
        max_length=config.max_length,
        min_length=config.min_length,
        seed=config.seed,
    )


def build_blip_captioner(config: BlipCaptionerConfig) -> BlipCaptioner:
    """Load the model and processor named by ``config.model`` and wrap them as a captioner.

    The model is loaded in float32, fingerprinted (``captioner_id`` is ``"<model>@<12 hex>"``),
    then moved to the device (float16 on CUDA) and put in eval mode.

    Raises:
        RLIPv2InputError: the model or its processor files cannot be loaded.
    """
    device = resolve_device(config.device)
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    processor, model = load_pretrained(
        "the BLIP captioner",
        config.model,
        lambda: (
            # Without torchvision the fast image processor is unavailable; the PIL one is the same.
            BlipProcessor(
                image_processor=BlipImageProcessorPil.from_pretrained(config.model),
                tokenizer=AutoTokenizer.from_pretrained(config.model),
            ),
            BlipForConditionalGeneration.from_pretrained(config.model, dtype=torch.float32),
        ),
    )
    captioner_id = f"{config.model}@{captioner_fingerprint(model, processor)}"
    model.to(device=device, dtype=dtype).eval()
    logger.info("loaded captioner %s on %s (%s)", captioner_id, device, dtype)
    return BlipCaptioner(
        model,
        processor,
        strategy=_decoding_strategy(config),
        prompt=config.prompt,
        batch_size=config.batch_size,
        captioner_id=captioner_id,
    )
