"""How many tasks a labelling run makes: consecutive shards grouped, one task per stage and
group, so that the number of Prefect task runs stays bounded however large the dataset.

Shards keep their size (``images_per_shard``, 1000 by default), so a task's working set is
one shard's whatever the dataset, and the shard store still keeps and reuses every shard on
its own; a group's task runs its shards one after the other. A run of at most
:data:`MAX_GROUPS_PER_STAGE` shards has one task per stage and shard, as before.
"""

import math

from pipeline.labelling.stages import LABEL_STAGES, SPLIT_STAGE

MAX_GROUPS_PER_STAGE = 200
"""Tasks per stage at most: enough to keep a few dozen workers busy (a group is 1/200 of the
run), few enough that the Prefect UI lists a run's tasks in a few pages."""
RUN_TASKS = ("resolve-plan", SPLIT_STAGE)
"""The label flow's tasks that run once per run, before the stage x group tasks (the ingest,
when asked for, is one more)."""


def shard_groups(num_shards: int, max_groups: int = MAX_GROUPS_PER_STAGE) -> list[range]:
    """Shards ``0 .. num_shards - 1`` in at most ``max_groups`` runs of consecutive shards, all of
    one size but the last (smaller)."""
    if num_shards < 0 or max_groups < 1:
        raise ValueError(
            f"need num_shards >= 0 and max_groups >= 1, got {num_shards} and {max_groups}"
        )
    group_size = max(1, math.ceil(num_shards / max_groups))
    return [
        range(start, min(start + group_size, num_shards))
        for start in range(0, num_shards, group_size)
    ]


def label_task_runs(
    num_images: int,
    images_per_shard: int,
    *,
    ingest: bool = False,
    max_groups: int = MAX_GROUPS_PER_STAGE,
) -> int:
    """The task runs of one ``rlipv2 label`` run over ``num_images`` images: the run's own
    (:data:`RUN_TASKS`, and the ingest), then one per stage after the split and shard group."""
    num_groups = len(shard_groups(math.ceil(num_images / images_per_shard), max_groups))
    per_group_stages = len(LABEL_STAGES) - 1  # all but the split, which runs once
    return len(RUN_TASKS) + int(ingest) + per_group_stages * num_groups
