"""``rlipv2 compare``: relations matched one to one by predicate, categories and box overlap,
on the images two runs share, at each confidence cut."""

import json
from pathlib import Path

import pytest

import data_schemas as ds
from flows.cli import main
from inspection.relation_agreement import GraphRelation, match_relations
from inspection.run_comparison import compare_runs
from scene_graph_tables import relationship, scene_graph, scene_object, write_scene_graphs

PERSON, HORSE = (10, 10, 50, 90), (40, 50, 120, 110)
NEAR_PERSON = (12, 12, 52, 92)  # IoU with PERSON about 0.9
CUP, TABLE = (5, 5, 20, 20), (0, 15, 100, 60)


def pseudo_run(root: Path) -> Path:
    return write_scene_graphs(root / "scene_graphs", [
        scene_graph(1, "1.jpg", (128, 128), [scene_object(1, "person", PERSON),
                                             scene_object(2, "horse", HORSE)],
                    [relationship(1, 1, 2, "riding", 0.9), relationship(2, 1, 2, "near", 0.1),
                     relationship(3, 1, 2, "on", 0.3)]),
        scene_graph(2, "2.jpg", (128, 128), [scene_object(3, "cup", CUP),
                                             scene_object(4, "table", TABLE)],
                    [relationship(4, 3, 4, "on", 0.5)]),
        scene_graph(3, "3.jpg", (128, 128), [scene_object(5, "cup", CUP),
                                             scene_object(6, "table", TABLE)],
                    [relationship(5, 5, 6, "on", 0.8)]),
    ])


def reviewed_run(root: Path) -> Path:
    """The reference: other entity ids, a moved person box, human relations only."""
    return write_scene_graphs(root / "scene_graphs", [
        scene_graph(1, "1.jpg", (128, 128), [scene_object(70, "Person", NEAR_PERSON),
                                             scene_object(71, "horse", HORSE)],
                    [relationship(9, 70, 71, "riding", None),
                     relationship(10, 70, 71, "feeding", None)]),
        scene_graph(2, "2.jpg", (128, 128), [scene_object(72, "cup", CUP),
                                             scene_object(73, "table", TABLE)],
                    [relationship(11, 72, 73, "on", None)]),
        scene_graph(4, "4.jpg", (128, 128), [scene_object(74, "cup", CUP)], []),
    ])


def test_precision_and_recall_against_the_reference_at_each_cut(tmp_path: Path) -> None:
    comparison = compare_runs(
        pseudo_run(tmp_path / "a"), reviewed_run(tmp_path / "b"), cuts=(0.2, 0.05)
    )
    assert (comparison.images_a, comparison.images_b, comparison.shared_images) == (3, 3, 2)
    at_20, at_05 = comparison.cuts
    assert (at_20.relations_a, at_20.relations_b, at_20.relations_matched) == (3, 3, 2)
    assert at_20.precision == pytest.approx(2 / 3) and at_20.recall == pytest.approx(2 / 3)
    assert (at_20.pairs_a, at_20.pairs_b, at_20.pairs_matched) == (2, 2, 2)
    assert (at_20.images_with_relations_a, at_20.images_with_relations_b) == (2, 2)
    # A: riding 1/3, on 2/3; B: riding, feeding, on 1/3 each
    assert at_20.predicate_overlap == pytest.approx(2 / 3)
    assert {item.predicate: (item.relations_a, item.relations_b, item.matched)
            for item in at_20.top_predicates} == {
        "riding": (1, 1, 1), "feeding": (0, 1, 0), "on": (2, 1, 1)
    }
    assert (at_05.relations_a, at_05.relations_matched, at_05.precision) == (4, 2, 0.5)
    text = comparison.as_text()
    assert "shared images 2" in text and "0.667" in text


def test_a_relation_matches_once_and_only_with_overlapping_boxes_of_its_categories() -> None:
    def relation(predicate, subject_box, object_category="horse", confidence=None):
        return GraphRelation(predicate, "person", subject_box, object_category, HORSE, confidence)

    reference = [relation("riding", PERSON)]
    found = [
        relation("riding", NEAR_PERSON, confidence=0.4), relation("riding", PERSON, confidence=0.9)
    ]
    assert match_relations(found, reference, iou_threshold=0.5) == [(1, 0)]  # strongest first
    far = (90, 0, 128, 40)
    assert match_relations([relation("riding", far)], reference, iou_threshold=0.5) == []
    assert match_relations([relation("riding", PERSON, "dog")], reference, iou_threshold=0.5) == []
    assert match_relations([relation("on", PERSON)], reference, iou_threshold=0.5) == []


def test_compare_command_prints_a_table_or_json_and_refuses_bad_input(
    tmp_path: Path, capsys
) -> None:
    run_a, run_b = pseudo_run(tmp_path / "a"), reviewed_run(tmp_path / "b")
    assert main(["compare", str(run_a), str(run_b), "--min-confidence", "0.2", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "prec" in out and "predicates at 0.5" in out
    assert main(["compare", str(run_a), str(run_b), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cuts"][0]["precision"] == pytest.approx(0.6667)
    lonely = write_scene_graphs(tmp_path / "c" / "scene_graphs", [
        scene_graph(99, "99.jpg", (10, 10), [], [])
    ])
    assert main(["compare", str(run_a), str(lonely)]) == 2
    assert "share no image id" in capsys.readouterr().err
    assert main(["compare", str(run_a), str(run_b), "--iou", "0"]) == 2
    assert "IoU must be in (0, 1]" in capsys.readouterr().err
    with pytest.raises(ds.RLIPv2InputError, match="does not exist"):
        compare_runs(tmp_path / "nowhere", run_b)
