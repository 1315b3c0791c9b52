"""Fault injection: SIGKILL ``rlipv2 label`` at random points across its stages, several times
in one output directory, then let it finish: the tables are those of a clean run, with no lost
or duplicated rows.

Opt-in (``bash scripts/test.sh -m faults``): each killed run starts its own temporary Prefect
server, so a seed costs about a minute.
"""

import random
import signal
from pathlib import Path

import pytest

from flows import loaded_models
from flows.cli import main
from label_process import RLIPV2, kill_when, label_arguments, subprocess_environment
from labelling_world import (
    NUM_IMAGES,
    PUBLISHED_TABLES,
    LabellingWorld,
    assert_same_rows,
    duplicate_keys,
    label_in_a_loop,
    published_rows,
    world_plan,
)
from pipeline.labelling import LABEL_STAGES

SEEDS = (0, 1, 2)
KILLS_PER_SEED = 2


@pytest.fixture(scope="module")
def clean_run(labelling_world: LabellingWorld, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The published rows of an uninterrupted run (one image per shard)."""
    reference = world_plan(labelling_world, tmp_path_factory.mktemp("clean") / "out",
                           images_per_shard=1)
    label_in_a_loop(
        reference,
        parser=loaded_models.caption_parser(reference.parser),
        matcher=loaded_models.phrase_matcher(reference.settings.vocabulary,
                                             reference.settings.synonyms_file),
        scorer=loaded_models.tagger_scorer(reference.tagger_checkpoint,
                                           reference.tagger_checksum,
                                           reference.settings.tagger_device),
    )
    return published_rows(reference.out_dir)


@pytest.mark.faults
@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("seed", SEEDS)
def test_label_killed_at_random_points_ends_with_the_tables_of_a_clean_run(
    labelling_world: LabellingWorld, clean_run: dict, tmp_path: Path, seed: int
) -> None:
    generator = random.Random(seed)
    out_dir = tmp_path / "out"
    log = tmp_path / "killed-runs.log"
    environment = subprocess_environment(tmp_path / "prefect")
    for _ in range(KILLS_PER_SEED):
        stage = generator.choice(LABEL_STAGES)
        shards = generator.randint(1, NUM_IMAGES)
        status = kill_when([str(RLIPV2), *label_arguments(labelling_world, out_dir, workers=4)],
                           out_dir, stage, shards, log, environment)
        assert status in (0, -signal.SIGKILL), log.read_text()[-3000:]

    assert main(label_arguments(labelling_world, out_dir, workers=NUM_IMAGES)) == 0
    finished = published_rows(out_dir)
    for table in PUBLISHED_TABLES:
        assert duplicate_keys(table, finished[table]) == [], table
    assert_same_rows(finished, clean_run)
