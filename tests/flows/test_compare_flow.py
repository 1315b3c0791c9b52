"""The ``compare`` flow publishes the comparison as Prefect artifacts (read back through the
API of the test server, ``prefect_harness``)."""

from pathlib import Path

import pytest

from flows.compare_flow import (
    CUTS_ARTIFACT_KEY,
    PREDICATES_ARTIFACT_KEY,
    SUMMARY_ARTIFACT_KEY,
    CompareParameters,
    compare,
)
from prefect_artifacts import artifacts_of_run
from scene_graph_tables import relationship, scene_graph, scene_object, write_scene_graphs

pytestmark = pytest.mark.usefixtures("prefect_harness")

PERSON, HORSE = (10, 10, 50, 90), (40, 50, 120, 110)


def run_of(root: Path, confidence: float | None) -> Path:
    objects = [scene_object(1, "person", PERSON), scene_object(2, "horse", HORSE)]
    return write_scene_graphs(root / "scene_graphs", [
        scene_graph(1, "1.jpg", (128, 128), objects,
                    [relationship(1, 1, 2, "riding", confidence)]),
    ])


def test_compare_flow_publishes_markdown_and_tables(tmp_path: Path) -> None:
    parameters = CompareParameters(
        run_a=run_of(tmp_path / "a", 0.4), run_b=run_of(tmp_path / "b", None),
        min_confidence=[0.2, 0.5],
    )
    state = compare(parameters, return_state=True)
    result = state.result()
    assert [row["precision"] for row in result["cuts"]] == [1.0, None]
    keys = [SUMMARY_ARTIFACT_KEY, CUTS_ARTIFACT_KEY, PREDICATES_ARTIFACT_KEY]
    artifacts = artifacts_of_run(state.state_details.flow_run_id, keys)
    assert {key: len(found) for key, found in artifacts.items()} == {key: 1 for key in keys}
    [summary] = artifacts[SUMMARY_ARTIFACT_KEY]
    assert summary.type == "markdown" and "1 shared images" in summary.data
    [cuts] = artifacts[CUTS_ARTIFACT_KEY]
    assert cuts.type == "table" and "riding" not in cuts.data and "0.5" in cuts.data
    [predicates] = artifacts[PREDICATES_ARTIFACT_KEY]
    assert "riding" in predicates.data
