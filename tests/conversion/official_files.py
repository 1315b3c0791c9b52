"""Files in the official checkpoint layout, made from the parity fixtures (for the tests of
``rlipv2 convert-checkpoint``): a fixture's formula weights saved as the official code saves a
checkpoint, and a text-encoder directory of the fixture's tokenizer and RoBERTa size."""

import argparse
import json
from pathlib import Path

import torch
from transformers import RobertaConfig, RobertaModel, RobertaTokenizerFast

from conversion.formula_weights import formula_state_dict

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parity"


def fixture_state_dict(name: str) -> dict[str, torch.Tensor]:
    return formula_state_dict(json.loads((FIXTURES / name / "weights.json").read_text()))


def fixture_args(name: str) -> dict:
    return json.loads((FIXTURES / name / "args.json").read_text())["args"]


def save_official_checkpoint(
    path: Path, state: dict[str, torch.Tensor], args: dict
) -> Path:
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
