"""Process-group set-up for ``torchrun`` (DDP); a plain run is a world of one."""

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.distributed as torch_distributed

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class ProcessContext:
    """This process's place in the run and the device it computes on."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def start_process(device: str) -> ProcessContext:
    """Join the ``torchrun`` process group when launched by it, and pick the device.

    ``device`` "auto" means CUDA when present (``cuda:<LOCAL_RANK>`` under torchrun), else CPU.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device == "auto":
        device = f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu"
    resolved = torch.device(device)
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} was asked for, but CUDA is not available")
        torch.cuda.set_device(resolved)
    if world_size > 1 and not torch_distributed.is_initialized():
        torch_distributed.init_process_group(backend="nccl" if resolved.type == "cuda" else "gloo")
        logger.info("rank %d of %d on %s", torch_distributed.get_rank(), world_size, resolved)
    rank = torch_distributed.get_rank() if torch_distributed.is_initialized() else 0
    return ProcessContext(rank=rank, world_size=world_size, device=resolved)


def resolve_device(device: str) -> torch.device:
    """``"auto"``: CUDA when present, else the CPU; any other name as it is."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def end_process(context: ProcessContext) -> None:
    if context.is_distributed and torch_distributed.is_initialized():
        torch_distributed.destroy_process_group()


def _in_process_group() -> bool:
    return torch_distributed.is_available() and torch_distributed.is_initialized()


def computed_on_rank_zero(compute: Callable[[], T]) -> T:
    """``compute()`` run by rank 0 only, its (picklable) result sent to every rank, so that all
    ranks act on one answer; outside a process group, just ``compute()``."""
    if not _in_process_group():
        return compute()
    result = [compute() if torch_distributed.get_rank() == 0 else None]
    torch_distributed.broadcast_object_list(result, src=0)
    return result[0]


def once_per_host(action: Callable[[], T]) -> T | None:
    """``action()`` run by the first process of each host (``LOCAL_RANK`` 0) while the others
    wait for it; its result there, None on the other processes. Outside a process group, just
    ``action()``."""
    if not _in_process_group():
        return action()
    result = action() if int(os.environ.get("LOCAL_RANK", "0")) == 0 else None
    torch_distributed.barrier()
    return result


def finite_on_every_rank(value: torch.Tensor) -> bool:
    """Whether ``value`` is finite in every process (one all-reduce under a process group), so
    that all ranks skip a step together: a rank that skipped alone would leave the others
    waiting for its gradients."""
    finite = torch.isfinite(value).all().to(torch.int32)
    if _in_process_group():
        torch_distributed.all_reduce(finite, op=torch_distributed.ReduceOp.MIN)
    return bool(finite.item())


def mean_over_ranks(value: float, *, device: torch.device) -> float:
    """The mean of ``value`` over every process (one all-reduce); outside a group, ``value``."""
    if not _in_process_group():
        return value
    total = torch.tensor(value, dtype=torch.float64, device=device)
    torch_distributed.all_reduce(total)
    return total.item() / torch_distributed.get_world_size()
