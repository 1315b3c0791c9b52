"""rlipv2's evaluators give the official RLIPv2 evaluators' values (to 1e-6) on the synthetic
fixtures in tests/fixtures/{hico_det,open_images,vcoco} (their READMEs say how the official
values were produced)."""

import json

import numpy as np
import pytest

from evaluation import (
    HicoDetSettings,
    OpenImagesSettings,
    PairNms,
    TripletSplit,
    evaluate_hico_det,
    evaluate_open_images,
    evaluate_vcoco,
    read_detections,
    vcoco_truth_from_official,
)
from evaluation_fixtures import FIXTURES, load_relation_truth, official_metrics, triplet_key

TOLERANCE = 1e-6
NMS_SETTINGS = {"pair_nms": PairNms(), "no_nms": None}


def close(mine: float, official: float) -> bool:
    return abs(mine - official) <= TOLERANCE


@pytest.mark.parametrize("setting", ["pair_nms", "no_nms"])
def test_hico_det_matches_the_official_evaluator(setting: str) -> None:
    root = FIXTURES / "hico_det"
    payload = json.loads((root / "truth.json").read_text())
    split = TripletSplit.from_training_counts(
        {tuple(row[:3]): row[3] for row in payload["training_triplet_counts"]}
    )
    metrics = evaluate_hico_det(
        load_relation_truth(root / "truth.json"),
        read_detections(root / "detections.json"),
        correct_combinations=np.asarray(payload["correct_combinations"], dtype=bool),
        split=split,
        settings=HicoDetSettings(pair_nms=NMS_SETTINGS[setting]),
    )
    official = official_metrics("hico_det")[setting]
    for name in ("full", "rare", "non_rare"):
        assert close(getattr(metrics.default, name), official["default"][name]), name
        assert close(getattr(metrics.known_object, name), official["known_object"][name]), name
    assert {triplet_key(triplet) for triplet in metrics.triplet_ap} == set(official["triplet_ap"])
    for triplet, ap in metrics.triplet_ap.items():
        assert close(ap, official["triplet_ap"][triplet_key(triplet)]), triplet
        known_object = official["known_object_triplet_ap"][triplet_key(triplet)]
        assert close(metrics.known_object_triplet_ap[triplet], known_object), triplet


@pytest.mark.parametrize("setting", ["pair_nms", "no_nms"])
def test_open_images_matches_the_official_evaluator(setting: str) -> None:
    root = FIXTURES / "open_images"
    nms = NMS_SETTINGS[setting]
    metrics = evaluate_open_images(
        load_relation_truth(root / "truth.json"),
        read_detections(root / "detections.json"),
        settings=OpenImagesSettings(pair_nms=nms, phrase_nms_threshold=0.5 if nms else None),
    )
    official = official_metrics("open_images")[setting]
    assert close(metrics.recall, official["recall_at_50"])
    assert close(metrics.weighted_map_relation, official["weighted_map_relation"])
    assert close(metrics.weighted_map_phrase, official["weighted_map_phrase"])
    assert close(metrics.score_wtd, official["score_wtd"])
    for mine, theirs in (
        (metrics.relation_triplet_ap, official["relation_triplet_ap"]),
        (metrics.phrase_triplet_ap, official["phrase_triplet_ap"]),
    ):
        assert {triplet_key(triplet) for triplet in mine} == set(theirs)
        for triplet, ap in mine.items():
            assert close(ap, theirs[triplet_key(triplet)]), triplet


def test_vcoco_matches_the_official_evaluator() -> None:
    root = FIXTURES / "vcoco"
    truth = vcoco_truth_from_official(
        json.loads((root / "vcoco_test.json").read_text()),
        json.loads((root / "instances_vcoco_test.json").read_text()),
        [int(line) for line in (root / "vcoco_test.ids").read_text().split()],
    )
    verbs = json.loads((root / "verbs.json").read_text())
    metrics = evaluate_vcoco(
        truth,
        read_detections(root / "detections.json"),
        verb_names=verbs["verb_names"],
        correct_combinations=np.asarray(verbs["correct_combinations"], dtype=bool),
    )
    official = official_metrics("vcoco")
    for scenario in ("scenario_1", "scenario_2"):
        mine, theirs = getattr(metrics, scenario), official[scenario]
        assert close(mine.mean, theirs["mean"])
        assert close(mine.mean_without_point, theirs["mean_without_point"])
        assert {f"{action}-{role}" for action, role in mine.role_ap} == set(theirs["role_ap"])
        for (action, role), ap in mine.role_ap.items():
            assert close(ap, theirs["role_ap"][f"{action}-{role}"]), (action, role)
    assert metrics.scenario_1.mean != metrics.scenario_2.mean  # the fixture tells them apart


def test_the_generator_rewrites_the_stored_inputs(tmp_path) -> None:
    """The inputs are what the committed generator writes (the fixture READMEs' command)."""
    from synthetic_relations import main

    main(tmp_path)
    written = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*") if path.is_file())
    assert written
    for relative in written:
        assert (tmp_path / relative).read_bytes() == (FIXTURES / relative).read_bytes(), relative
