"""A killed ``rlipv2 label`` resumes: SIGKILL the command (and its temporary Prefect server)
once a few tag shards are done, run it again, and get the tables of an uninterrupted run,
reusing the shards finished before the kill."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows import loaded_models
from flows.cli import main
from labelling_world import (
    NUM_IMAGES,
    PUBLISHED_TABLES,
    REFERENCE_SAVE_THRESHOLD,
    VOCABULARY,
    LabellingWorld,
    assert_same_rows,
    complete_shard_dirs,
    duplicate_keys,
    label_in_a_loop,
    published_rows,
    world_plan,
)

RLIPV2 = Path(sys.executable).parent / "rlipv2"
STAGES = ("split", "caption", "parse", "match", "tag", "scene_graphs")
POLL_SECONDS = 0.02
START_TIMEOUT_SECONDS = 240
KILLED_RUN_WORKERS = 6
"""Tag shards run six at a time: the kill lands in the first of two waves, which Prefect's GPU
slots keep about 2 s apart."""


def label_arguments(world: LabellingWorld, out_dir: Path, *, workers: int) -> list[str]:
    """One image per shard: twelve shards per stage, so a kill lands between tag shards."""
    return [
        "label", "--dataset", str(world.dataset_dir), "--out", str(out_dir),
        "--tagger-checkpoint", str(world.tagger_checkpoint), "--vocabulary", VOCABULARY,
        "--images-per-shard", "1", "--save-threshold", str(REFERENCE_SAVE_THRESHOLD),
        "--tagger-device", "cpu", "--max-workers", str(workers),
        "--gpu-concurrency", str(workers),
    ]


def subprocess_environment(prefect_home: Path) -> dict[str, str]:
    """This environment, with a temporary Prefect home, no server URL and no analytics (the
    command then starts its own temporary server), offline."""
    environment = dict(os.environ)
    environment.pop("PREFECT_API_URL", None)
    environment |= {
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }
    return environment


def kill_after_first_tag_shard(
    command: list[str], out_dir: Path, log: Path, env: dict[str, str]
) -> int:
    """Start ``command`` in its own process group; SIGKILL the group as soon as a complete tag
    shard exists under ``out_dir``. Returns the command's exit status."""
    tag_dir = out_dir / "work" / "tag"
    with open(log, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
        try:
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while process.poll() is None and time.monotonic() < deadline:
                if any(tag_dir.glob("shard-*/manifest.json")):
                    os.killpg(process.pid, signal.SIGKILL)
                    break
                time.sleep(POLL_SECONDS)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


@pytest.mark.usefixtures("prefect_harness")
def test_a_killed_label_run_resumes_to_the_tables_of_an_uninterrupted_run(
    labelling_world: LabellingWorld, tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    arguments = label_arguments(labelling_world, out_dir, workers=KILLED_RUN_WORKERS)
    log = tmp_path / "killed-run.log"
    status = kill_after_first_tag_shard(
        [str(RLIPV2), *arguments], out_dir, log, subprocess_environment(tmp_path / "prefect")
    )

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
