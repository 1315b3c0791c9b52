"""A tiny random RoBERTa with a byte-level BPE trained on label texts, saved like a hub model."""

import itertools
from pathlib import Path

from transformers import RobertaConfig

from model.random_text_encoder import save_random_text_encoder, small_roberta_config

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
    return small_roberta_config(vocab_size=vocab_size)


def save_tiny_roberta(directory: Path) -> Path:
    """A random RoBERTa of width 32 with a BPE trained on :func:`label_texts`, saved into
    ``directory`` through the package's own writer, as drawn: the tests that use it check
    mechanics, not learning, and spreading ~400 texts would cost each of them seconds."""
    return save_random_text_encoder(directory, label_texts(), spread_max_steps=0)
