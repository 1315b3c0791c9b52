"""A killed ``rlipv2 label`` resumes: SIGKILL the command (and its temporary Prefect server)
once a few tag shards are done, run it again, and get the tables of an uninterrupted run,
reusing the shards finished before the kill."""

import json
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
    complete_shard_dirs,
    duplicate_keys,
    label_in_a_loop,
    published_rows,
    world_plan,
)

STAGES = ("split", "caption", "parse", "match", "tag", "scene_graphs")
KILLED_RUN_WORKERS = 6
"""Tag shards run six at a time: the kill lands in the first of two waves, which Prefect's GPU
slots keep about 2 s apart."""


@pytest.mark.usefixtures("prefect_harness")
def test_a_killed_label_run_resumes_to_the_tables_of_an_uninterrupted_run(
    labelling_world: LabellingWorld, tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    arguments = label_arguments(labelling_world, out_dir, workers=KILLED_RUN_WORKERS)
    log = tmp_path / "killed-run.log"
    status = kill_when([str(RLIPV2), *arguments], out_dir, "tag", 1, log,
                       subprocess_environment(tmp_path / "prefect"))

    assert status == -signal.SIGKILL, log.read_text()[-3000:]
    assert not (out_dir / "manifest.json").exists()
    assert not any((out_dir / table).exists() for table in PUBLISHED_TABLES)
    finished = complete_shard_dirs(out_dir)
    assert len(finished["split"]) == NUM_IMAGES
    assert 1 <= len(finished["tag"]) < NUM_IMAGES, "the kill must land between tag shards"
    stamps = {
        (stage, name): (out_dir / "work" / stage / name / "manifest.json").stat()
        for stage, names in finished.items() for name in names
    }

    # Resume: the same command line but for more workers (execution only: the shards' keys do
    # not change), run to completion in this process, on the session's Prefect server rather
    # than a second temporary one (which costs seconds to start).
    assert main(label_arguments(labelling_world, out_dir, workers=NUM_IMAGES)) == 0

    resumed = published_rows(out_dir)
    for table in PUBLISHED_TABLES:
        assert duplicate_keys(table, resumed[table]) == [], table
    reference = world_plan(labelling_world, tmp_path / "reference", images_per_shard=1)
    scorer = loaded_models.tagger_scorer(  # the resumed run's tagger, already loaded
        reference.tagger_checkpoint, reference.tagger_checksum, reference.settings.tagger_device
    )
    label_in_a_loop(
        reference,
        parser=loaded_models.caption_parser(reference.parser),
        matcher=loaded_models.phrase_matcher(
            reference.settings.vocabulary, reference.settings.synonyms_file
        ),
        scorer=scorer,
    )
    assert_same_rows(resumed, published_rows(reference.out_dir))

    after = complete_shard_dirs(out_dir)
    assert {stage: len(after[stage]) for stage in STAGES} == {stage: NUM_IMAGES for stage in STAGES}
    assert all(finished[stage] <= after[stage] for stage in finished)
    for (stage, name), stamp in stamps.items():
        now = (out_dir / "work" / stage / name / "manifest.json").stat()
        assert (now.st_ino, now.st_mtime_ns) == (stamp.st_ino, stamp.st_mtime_ns), (stage, name)
    summary = json.loads((out_dir / "manifest.json").read_text())["summary"]
    assert summary["stage_shards"] == len(STAGES) * NUM_IMAGES
    assert summary["reused_shards"] == len(stamps)
