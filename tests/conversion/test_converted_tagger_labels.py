"""A tagger converted from the released format labels the demo world through ``rlipv2 label``
(the Prefect flow), shown every category of the dataset, as the released generator does."""

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows.cli import main
from model.checkpoint import read_checkpoint
from model.converted_checkpoint import (
    converted_from_payload,
    write_converted_checkpoint,
)
from pipeline.tagging.relation_scorer import dataset_category_names
from rtagger.tagger_scorer import load_tagger_scorer
from labelling_world import LabellingWorld
from official_files import (
    fixture_args,
    fixture_state_dict,
    save_fixture_text_encoder,
    save_official_checkpoint,
)

FIXTURE = "rtagger_r50_small"


@pytest.mark.usefixtures("prefect_harness")
def test_rlipv2_label_runs_with_a_converted_released_tagger(
    labelling_world: LabellingWorld, tmp_path: Path
) -> None:
    released = save_official_checkpoint(
        tmp_path / "tagger.pth", fixture_state_dict(FIXTURE), fixture_args(FIXTURE)
    )
    text_encoder = save_fixture_text_encoder(tmp_path / "roberta", FIXTURE)
    tagger = tmp_path / "tagger.pt"
    assert (
        main(
            [
                "convert-checkpoint",
                str(released),
                "-o",
                str(tagger),
                "--text-encoder",
                str(text_encoder),
            ]
        )
        == 0
    )
    _evaluate_at_demo_size(tagger)
    out = tmp_path / "label"

    assert (
        main(
            [
                "label",
                "--dataset",
                str(labelling_world.dataset_dir),
                "--out",
                str(out),
                "--tagger-checkpoint",
                str(tagger),
                "--vocabulary",
                "demo",
                "--tagger-device",
                "cpu",
                "--save-threshold",
                "0",
                "--max-workers",
                "1",
            ]
        )
        == 0
    )

    tagged = pq.read_table(out / "tagged_relations")
    candidates = pq.read_table(out / "candidates")
    assert tagged.num_rows >= candidates.num_rows > 0  # every candidate scored, threshold 0
    scores = tagged.column("score").to_pylist()
    assert all(0.0 <= score <= 1.0 for score in scores) and len(set(scores)) > 1
    assert pq.read_table(out / "scene_graphs").num_rows > 0
    scorer = load_tagger_scorer(tagger, device="cpu")
    categories = dataset_category_names(labelling_world.dataset_dir)
    bound = scorer.for_categories(categories)  # as the flow's tag stage does
    assert bound.dataset_categories == categories and bound.tagger is scorer.tagger


def _evaluate_at_demo_size(tagger: Path) -> None:
    """The converted tagger resizes images as the paper evaluates (shorter side 800); the demo
    world's images are about 300 pixels, so this test has it keep them near their size."""
    converted = converted_from_payload(read_checkpoint(tagger), source=tagger)
    converted.config["data"]["transform"].update(
        shorter_sides=[192], max_size=320, eval_shorter_side=192
    )
    write_converted_checkpoint(tagger, converted)
