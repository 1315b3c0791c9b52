"""A tiny random RoBERTa with a byte-level BPE trained on label texts, saved like a hub model."""

import itertools
from pathlib import Path

import torch
from tokenizers import ByteLevelBPETokenizer
from transformers import RobertaConfig, RobertaModel, RobertaTokenizerFast

SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # ids 0..4; <pad> = 1 as in RoBERTa

OBJECT_NAMES = [
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "bench", "bird", "cat", "dog", "horse",
    "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag",
    "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite", "baseball bat",
    "skateboard", "surfboard", "tennis racket", "bottle", "wine glass", "cup", "fork", "knife",
    "spoon", "bowl", "banana", "apple", "sandwich", "orange", "broccoli", "carrot", "pizza",
    "cake", "chair", "couch", "potted plant", "bed", "dining table", "toilet", "laptop",
    "keyboard", "cell phone", "book", "clock", "vase", "teddy bear", "no objects",
]
RELATION_TEXTS = [
    "riding", "sitting on", "holding", "next to", "on", "in front of", "behind", "wearing",
    "eating", "looking at", "standing on", "carrying", "walking on", "near", "under", "above",
    "has", "with", "playing with", "lying on", "hanging on", "parked on", "in", "throwing",
]


def label_texts() -> list[str]:
    """A few hundred label strings: object names, relation texts and relation triplets."""
    triplets = [
        f"{subject} {relation} {obj}"
        for subject, relation, obj in itertools.product(
            OBJECT_NAMES[:8], RELATION_TEXTS, OBJECT_NAMES[8:16]
        )
    ]
    return OBJECT_NAMES + RELATION_TEXTS + triplets[::5]


def tiny_roberta_config(vocab_size: int = 300) -> RobertaConfig:
    """A RoBERTa configuration of width 32 (2 layers, 2 heads, 64 positions)."""
    return RobertaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )


def save_tiny_roberta(directory: Path) -> Path:
    """Trains a byte-level BPE (vocabulary <= 500) on :func:`label_texts`, builds a random
    ``RobertaModel`` of :func:`tiny_roberta_config` over it and saves model and tokenizer into
    ``directory``, loadable with ``from_pretrained(directory)``. Returns ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        label_texts(), vocab_size=500, min_frequency=1, special_tokens=SPECIAL_TOKENS,
        show_progress=False,
    )
    bpe.save_model(str(directory))  # vocab.json + merges.txt
    tokenizer = RobertaTokenizerFast.from_pretrained(directory)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = RobertaModel(tiny_roberta_config(vocab_size=len(tokenizer)))
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
