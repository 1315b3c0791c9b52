"""Checkpoint files: what they hold, and the errors for files that are not rlipv2 checkpoints."""

import argparse
from pathlib import Path

import pytest
import torch
from torch import nn

from data_schemas import RLIPv2InputError
from model.checkpoint import TrainingState, load_checkpoint, read_checkpoint, save_checkpoint


def training_parts(scale: float) -> tuple[nn.Module, torch.optim.Optimizer, object, object]:
    model = nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters())
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
    scaler = torch.amp.GradScaler("cpu", init_scale=scale)
    return model, optimizer, scheduler, scaler


def test_the_gradient_scaler_is_saved_and_restored(tmp_path: Path) -> None:
    model, optimizer, scheduler, scaler = training_parts(scale=1024.0)
    scaler.scale(torch.ones(()))  # its state exists once it has scaled something
    path = save_checkpoint(tmp_path, model=model, optimizer=optimizer, scheduler=scheduler,
                           scaler=scaler, state=TrainingState(epoch=3, step=30), config={})
    _, *others, restored_scaler = training_parts(scale=65536.0)
    state = load_checkpoint(path, model=model, optimizer=others[0], scheduler=others[1],
                            scaler=restored_scaler)
    assert state == TrainingState(epoch=3, step=30)
    assert restored_scaler.get_scale() == 1024.0


def test_a_file_that_is_not_a_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.pt"
    text.write_text("not a checkpoint")
    with pytest.raises(RLIPv2InputError, match="not a torch.save file"):
        read_checkpoint(text)
    foreign = tmp_path / "paper.pth"
    torch.save({"model": {}, "args": argparse.Namespace(lr=1e-4)}, foreign)
    with pytest.raises(RLIPv2InputError, match="objects other than tensors"):
        read_checkpoint(foreign)
    truncated = tmp_path / "truncated.pt"
    model, optimizer, scheduler, scaler = training_parts(scale=1.0)
    whole = save_checkpoint(tmp_path, model=model, optimizer=optimizer, scheduler=scheduler,
                            scaler=scaler, state=TrainingState(epoch=1, step=1), config={})
    truncated.write_bytes(whole.read_bytes()[:-200])
    with pytest.raises(RLIPv2InputError, match="not a readable rlipv2 checkpoint"):
        read_checkpoint(truncated)
    with pytest.raises(RLIPv2InputError, match="not a readable rlipv2 checkpoint"):
        read_checkpoint(tmp_path / "missing.pt")
