"""The demo world's HICO-DET-style task reads as HICO-DET does: its vocabulary, allowed and
unseen combinations, and person interactions survive ``rlipv2 ingest hico-det``."""

from pathlib import Path

from evaluation.benchmark_tables import BenchmarkDirectory
from flows.cli import main
from demo_world.hoi_benchmark import (
    HOI_VERBS,
    UNSEEN_COMBINATIONS,
    ZERO_SHOT_SETTING,
    hoi_combinations,
    write_demo_hoi_benchmark,
)


def test_the_demo_hoi_task_ingests_as_hico_det(tmp_path: Path) -> None:
    paths = write_demo_hoi_benchmark(tmp_path / "files", train_images=6, test_images=3, seed=2)
    out = tmp_path / "hoi"
    status = main(
        ["ingest", "hico-det", str(paths.root), "--vocabulary", str(paths.vocabulary),
         "--out", str(out)]
    )
    assert status == 0
    benchmark = BenchmarkDirectory(out)
    labels = benchmark.label_space()
    assert labels.predicate_names == HOI_VERBS
    combinations = {
        (labels.predicate_names[verb], labels.object_names[object_])
        for verb, object_ in zip(*benchmark.correct_combinations().nonzero())
    }
    assert combinations == set(hoi_combinations()) and len(combinations) == 19
    unseen = {
        (labels.predicate_names[verb], labels.object_names[object_])
        for verb, object_ in benchmark.combinations(ZERO_SHOT_SETTING)
    }
    assert unseen == set(UNSEEN_COMBINATIONS) and unseen <= combinations
    truth = benchmark.relation_truth("test")
    person = labels.object_label()["person"]
    assert len(truth.images) == 3
    assert sum(len(image.relations) for image in truth.images) > 0
    for image in truth.images:
        assert (image.labels[image.relations[:, 0]] == person).all()
