"""A short checksum of a captioning model: its weights, image preprocessing and vocabulary."""

import hashlib
import json

import torch
from transformers import BlipProcessor

FINGERPRINT_LENGTH = 12


def captioner_fingerprint(model: torch.nn.Module, processor: BlipProcessor) -> str:
    """The first 12 hex digits of a SHA-256 over everything that decides the captions.

    Hashes every state-dict entry (name, dtype, shape, bytes; in name order), the image
    processor's settings and the tokenizer's vocabulary. Hash the model as loaded, before any
    device or dtype cast, so the fingerprint is the same on every machine.
    """
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(f"{name} {tensor.dtype} {tuple(tensor.shape)}\n".encode())
        flat = tensor.detach().to("cpu").contiguous().reshape(-1)
        digest.update(flat.view(torch.uint8).numpy())
    digest.update(processor.image_processor.to_json_string().encode())
    vocabulary = sorted(processor.tokenizer.get_vocab().items())
    digest.update(json.dumps(vocabulary, ensure_ascii=False).encode())
    return digest.hexdigest()[:FINGERPRINT_LENGTH]
