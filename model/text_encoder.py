"""Label-text encoder: RoBERTa's pooled feature of every label text, one text per sequence."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from transformers import (
    AutoConfig,
    AutoTokenizer,
    PreTrainedTokenizerBase,
    RobertaConfig,
    RobertaModel,
)

from model.pretrained_files import load_pretrained

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextEncoderConfig:
    """Where the RoBERTa weights and tokenizer come from.

    Attributes:
        name_or_path: a hub model name (RLIPv2: ``roberta-base``) or a local directory written
            by ``save_pretrained`` (model and tokenizer together).
    """

    name_or_path: str = "roberta-base"

    def __post_init__(self) -> None:
        if not isinstance(self.name_or_path, str) or not self.name_or_path.strip():
            raise ValueError(
                "name_or_path must name a hub model or a local directory, "
                f"got {self.name_or_path!r}"
            )


class LabelTextEncoder(nn.Module):
    """Encodes each label text separately into RoBERTa's ``pooler_output``, as RLIPv2 does.

    Each text is its own sequence (``<s> text </s>``), so a text's feature does not depend on
    the other texts in the list; sequences are padded to the longest one.

    Args:
        model: a RoBERTa with its pooling layer.
        tokenizer: the model's tokenizer; its padding id must be the model's.
    """

    def __init__(self, *, model: RobertaModel, tokenizer: PreTrainedTokenizerBase) -> None:
        super().__init__()
        if model.pooler is None:
            raise ValueError("the RobertaModel needs its pooling layer (add_pooling_layer=True)")
        if tokenizer.pad_token_id != model.config.pad_token_id:
            raise ValueError(
                f"tokenizer pad id {tokenizer.pad_token_id} != model pad id "
                f"{model.config.pad_token_id}: RoBERTa derives positions from the pad id, so "
                "they must agree"
            )
        self.model = model
        self.tokenizer = tokenizer

    @property
    def config(self) -> RobertaConfig:
        """The RoBERTa configuration, to build extra language layers of the same size."""
        return self.model.config

    @property
    def text_dim(self) -> int:
        """Width of the pooled features (768 for roberta-base)."""
        return self.model.config.hidden_size

    @property
    def max_length(self) -> int:
        """Most tokens per text, ``<s>`` and ``</s>`` included: RoBERTa's positions start after
        the pad id, so ``max_position_embeddings - pad_token_id - 1`` (512 for roberta-base)."""
        return self.model.config.max_position_embeddings - self.model.config.pad_token_id - 1

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        """
        Args:
            texts: label texts (object names, relation phrases), num_texts of them.

        Returns:
            (num_texts, text_dim) pooled features; (0, text_dim) for no texts.
        """
        device = self.model.device
        if len(texts) == 0:
            return torch.zeros(0, self.text_dim, device=device, dtype=self.model.dtype)
        tokens = self.tokenizer(
            list(texts),
            padding="longest",
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        output = self.model(
            input_ids=tokens["input_ids"].to(device),
            attention_mask=tokens["attention_mask"].to(device),
        )
        return output.pooler_output


def build_text_encoder(config: TextEncoderConfig) -> LabelTextEncoder:
    """Loads RoBERTa and its tokenizer by hub name or local directory.

    Raises:
        RLIPv2InputError: they cannot be loaded from ``config.name_or_path``.
    """
    logger.info("loading the label-text encoder from %s", config.name_or_path)
    tokenizer, model = load_pretrained(
        "the label-text encoder",
        config.name_or_path,
        lambda: (
            AutoTokenizer.from_pretrained(config.name_or_path),
            RobertaModel.from_pretrained(config.name_or_path, add_pooling_layer=True),
        ),
    )
    return LabelTextEncoder(model=model, tokenizer=tokenizer)


def build_text_encoder_architecture(config: TextEncoderConfig) -> LabelTextEncoder:
    """The label-text encoder of ``config`` without its weights: the model's configuration and
    the tokenizer are loaded, the model is built (on the current default device, e.g. under
    ``torch.device("meta")``) with fresh parameters, to receive converted weights.

    Raises:
        RLIPv2InputError: the configuration or tokenizer cannot be loaded.
    """
    tokenizer, model_config = load_pretrained(
        "the label-text encoder",
        config.name_or_path,
        lambda: (
            AutoTokenizer.from_pretrained(config.name_or_path),
            AutoConfig.from_pretrained(config.name_or_path),
        ),
    )
    return LabelTextEncoder(
        model=RobertaModel(model_config, add_pooling_layer=True), tokenizer=tokenizer
    )
