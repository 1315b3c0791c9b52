"""The pre-training ``DataLoader``: shuffled per epoch from a seed, optionally sharded across
processes."""

from torch.utils.data import DataLoader, DistributedSampler

from model.data.collate import PretrainCollator
from model.data.scene_graph_dataset import SceneGraphDataset


def build_data_loader(
    dataset: SceneGraphDataset,
    *,
    collator: PretrainCollator,
    batch_size: int,
    shuffle: bool,
    num_workers: int,
    seed: int,
    distributed: bool,
    drop_last: bool = False,
    pin_memory: bool = False,
) -> DataLoader:
    """Batches of :class:`~model.data.collate.PretrainBatch`.

    ``distributed`` shards the data across the processes of the initialised
    ``torch.distributed`` process group (``batch_size`` is per process); otherwise this process
    reads it all. Call :func:`set_loader_epoch` before each epoch: an epoch's order depends only
    on ``seed`` and the epoch, so a resumed run reads what the uninterrupted run would have.
    Workers are not persistent, so each epoch's workers see the dataset's current epoch.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if num_workers < 0:
        raise ValueError(f"num_workers must be >= 0, got {num_workers}")
    # One process is a world of one: DistributedSampler then shuffles by (seed, epoch).
    world = {} if distributed else {"num_replicas": 1, "rank": 0}
    sampler = DistributedSampler(dataset, shuffle=shuffle, seed=seed, drop_last=drop_last, **world)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=num_workers,
        # Workers start from a clean server process, not a fork of this one: a fork inherits
        # the parent's threads and at-exit hooks (Prefect's, in a flow run) in a broken state.
        multiprocessing_context="forkserver" if num_workers > 0 else None,
        collate_fn=collator,
        drop_last=drop_last,
        pin_memory=pin_memory,
    )


def set_loader_epoch(data_loader: DataLoader, epoch: int) -> None:
    """Re-seed augmentation, text sampling and shuffling for ``epoch``."""
    data_loader.dataset.set_epoch(epoch)
    data_loader.sampler.set_epoch(epoch)
