"""Official checkpoints for the conversion tests, made from the parity fixtures: a fixture's
formula weights saved as the official code saves a checkpoint, a text-encoder directory of the
fixture's tokenizer and RoBERTa size, and the full-size key listings as meta tensors."""

import argparse
import json
from pathlib import Path

import torch
from transformers import RobertaConfig, RobertaModel, RobertaTokenizerFast

from conversion.formula_weights import formula_state_dict
from conversion.official_checkpoint import OfficialCheckpoint
from model.text_encoder import LabelTextEncoder

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parity"
LISTINGS = sorted(path.stem for path in (FIXTURES / "keys").glob("*.json"))
ROBERTA_BASE = RobertaConfig(
    vocab_size=50265,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    max_position_embeddings=514,
    type_vocab_size=1,
    layer_norm_eps=1e-5,
    pad_token_id=1,
)


def listed_checkpoint(name: str) -> OfficialCheckpoint:
    """The listing's state dict as meta tensors, and its script's arguments."""
    listing = json.loads((FIXTURES / "keys" / f"{name}.json").read_text())
    model = {
        key: torch.empty(shape, dtype=getattr(torch, dtype), device="meta")
        for key, shape, dtype in listing["state_dict"]
    }
    return OfficialCheckpoint(model=model, args=listing["args"])


def roberta_base_architecture() -> LabelTextEncoder:
    tokenizer = RobertaTokenizerFast.from_pretrained(FIXTURES / "rtagger_r50_small" / "tokenizer")
    with torch.device("meta"):
        return LabelTextEncoder(model=RobertaModel(ROBERTA_BASE), tokenizer=tokenizer)


def fixture_state_dict(name: str) -> dict[str, torch.Tensor]:
    return formula_state_dict(json.loads((FIXTURES / name / "weights.json").read_text()))


def fixture_args(name: str) -> dict:
    return json.loads((FIXTURES / name / "args.json").read_text())["args"]


def save_official_checkpoint(path: Path, state: dict[str, torch.Tensor], args: dict) -> Path:
    """``state`` and ``args`` saved as the official training script saves a checkpoint."""
    torch.save(
        {
            "model": state,
            "optimizer": {"state": {}, "param_groups": [{"lr": 1e-4, "params": []}]},
            "lr_scheduler": {"step_size": 15, "gamma": 0.1, "last_epoch": 20},
            "epoch": 19,
            "args": argparse.Namespace(**args),
        },
        path,
    )
    return path


def save_fixture_text_encoder(directory: Path, name: str) -> Path:
    """A directory ``from_pretrained`` loads: a RoBERTa of the fixture's size (random weights,
    replaced by the converted ones) and the fixture's tokenizer."""
    meta = json.loads((FIXTURES / name / "args.json").read_text())
    RobertaModel(RobertaConfig(**meta["text_config"])).save_pretrained(directory)
    RobertaTokenizerFast.from_pretrained(FIXTURES / name / "tokenizer").save_pretrained(directory)
    return directory


def dab_deformable_detr_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A DAB-Deformable-DETR checkpoint's tensors, in that codebase's names, made from a ParSeDA
    fixture's: its backbone, encoder, entity decoder and subject box heads as the detector's,
    plus class heads (a stand-in of the detection checkpoints ParSeDA starts from)."""
    renamed = {}
    for name, tensor in state.items():
        if name.startswith(
            (
                "backbone.",
                "input_proj.",
                "transformer.level_embed",
                "transformer.encoder.layers.",
                "tgt_embed.",
                "refpoint_embed.",
            )
        ):
            renamed[name] = tensor
        elif name.startswith("transformer.ho_decoder.") and "bbox_embed" not in name:
            renamed[name.replace("transformer.ho_decoder.", "transformer.decoder.")] = tensor
        elif name.startswith(("sub_bbox_embed.0.", "sub_bbox_embed.1.")):
            detection_name = name.replace("sub_bbox_embed.", "bbox_embed.")
            renamed[detection_name] = tensor
            renamed["transformer.decoder." + detection_name] = tensor
    hidden_dim = state["transformer.level_embed"].shape[1]
    for layer in (0, 1):
        renamed[f"class_embed.{layer}.weight"] = torch.zeros(91, hidden_dim)
        renamed[f"class_embed.{layer}.bias"] = torch.zeros(91)
    return renamed
