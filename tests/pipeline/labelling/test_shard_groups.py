"""The label flow's task plan: shards grouped so that a run's task count stays bounded."""

import pytest

from pipeline.labelling.shard_groups import (
    MAX_GROUPS_PER_STAGE,
    label_task_runs,
    shard_groups,
)

OBJECTS365_IMAGES = 1_742_292
"""Objects365 v2's training images."""


def test_groups_cover_every_shard_once_in_order_with_one_group_size() -> None:
    for num_shards, max_groups in ((0, 5), (1, 5), (5, 5), (6, 5), (1743, 200), (10_000, 7)):
        groups = shard_groups(num_shards, max_groups)
        assert [shard for group in groups for shard in group] == list(range(num_shards))
        assert len(groups) <= max_groups
        assert len({len(group) for group in groups[:-1]}) <= 1
        assert all(len(group) >= 1 for group in groups)


def test_a_run_of_few_shards_keeps_one_task_per_shard() -> None:
    assert shard_groups(12, 200) == [range(index, index + 1) for index in range(12)]


def test_an_objects365_run_makes_about_a_thousand_task_runs() -> None:
    """1,743 shards of 1,000 images in 194 groups of 9: ingest, plan, split, and 5 x 194."""
    runs = label_task_runs(OBJECTS365_IMAGES, 1000, ingest=True)
    assert runs == 3 + 5 * 194 == 973
    assert runs <= 3 + 5 * MAX_GROUPS_PER_STAGE
    assert label_task_runs(OBJECTS365_IMAGES, 100) <= 2 + 5 * MAX_GROUPS_PER_STAGE
    assert label_task_runs(12, 1) == 2 + 5 * 12  # the labelling world: one task per shard


def test_nonsense_plans_are_refused() -> None:
    with pytest.raises(ValueError, match="max_groups >= 1"):
        shard_groups(3, 0)
