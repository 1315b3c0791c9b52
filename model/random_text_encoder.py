"""A small, randomly initialised RoBERTa with a byte-level BPE trained on label texts.

For offline runs where ``roberta-base`` cannot be downloaded (demos, tests, benchmarks): it
has RoBERTa's architecture and interface but no pretrained knowledge, so labels from it are
only as good as what training teaches it.
"""

from collections.abc import Iterable
from pathlib import Path

import torch
from tokenizers import ByteLevelBPETokenizer
from transformers import RobertaConfig, RobertaModel, RobertaTokenizerFast

SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")  # ids 0..4; <pad> = 1 as RoBERTa


def save_random_text_encoder(
    directory: Path,
    texts: Iterable[str],
    *,
    hidden_size: int = 32,
    num_layers: int = 2,
    num_heads: int = 2,
    vocab_size: int = 500,
    seed: int = 0,
) -> Path:
    """Train a byte-level BPE on ``texts``, build a random ``RobertaModel`` over it, and save
    both to ``directory`` (``from_pretrained(directory)`` loads them). Returns ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        list(texts),
        vocab_size=vocab_size,
        min_frequency=1,
        special_tokens=list(SPECIAL_TOKENS),
        show_progress=False,
    )
    bpe.save_model(str(directory))  # vocab.json + merges.txt
    tokenizer = RobertaTokenizerFast.from_pretrained(directory)
    config = small_roberta_config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        num_layers=num_layers,
        num_heads=num_heads,
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = RobertaModel(config)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def small_roberta_config(
    *, vocab_size: int, hidden_size: int = 32, num_layers: int = 2, num_heads: int = 2
) -> RobertaConfig:
    """A RoBERTa configuration of the given size (feed-forward 2x wide, 64 positions), with
    RoBERTa's special token ids (<s> 0, <pad> 1, </s> 2)."""
    return RobertaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        intermediate_size=2 * hidden_size,
        max_position_embeddings=64,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )
