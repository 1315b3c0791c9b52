"""``rlipv2 ingest hico-det | open-images``: the HOI codebases' layout -> label space,
combinations and one table directory per split, with every dropped record in the rejects."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data_schemas import REJECTS, RELATIONS, SCENE_GRAPHS, RLIPv2InputError, read_table
from data_schemas.label_combinations import LABEL_COMBINATIONS
from data_schemas.label_space import LABEL_SPACE
from evaluation.benchmark_tables import BenchmarkDirectory
from flows.cli import main
from hoi_benchmark_files import person_rides_horse, write_hoi_layout
from pipeline.ingest.benchmark_vocabulary import read_benchmark_vocabulary, shipped_vocabulary
from pipeline.ingest.relation_benchmark import HICO_DET, OPEN_IMAGES, ingest_relation_benchmark


def ingest(root: Path, out: Path, *extra: str) -> int:
    return main(
        ["ingest", "hico-det", str(root), "--out", str(out),
         "--vocabulary", str(root / "annotations" / "vocabulary.json"), *extra]
    )


def test_a_hico_layout_becomes_a_label_space_combinations_and_split_tables(tmp_path: Path) -> None:
    root = write_hoi_layout(tmp_path / "hico")
    assert ingest(root, tmp_path / "out") == 0
    benchmark = BenchmarkDirectory(tmp_path / "out")
    assert benchmark.benchmark == "hico-det" and benchmark.splits == ("train", "test")
    labels = benchmark.label_space()
    assert labels.object_names == ("person", "horse", "cup")
    assert labels.predicate_names == ("ride", "hold", "no interaction")
    assert benchmark.combinations("UC-X") == {(1, 1)}  # hold horse
    assert benchmark.correct_combinations().tolist() == [
        [False, True, False], [False, True, True], [True, True, True]
    ]
    relations = read_table(tmp_path / "out" / "train" / "relations", RELATIONS).to_pylist()
    assert len(relations) == 12 and {row["confidence"] for row in relations} == {None}
    assert sorted({row["predicate"] for row in relations}) == ["hold", "ride"]
    graphs = read_table(tmp_path / "out" / "test" / "scene_graphs", SCENE_GRAPHS).to_pylist()
    assert [graph["image_id"] for graph in graphs] == [1, 2]  # HICO_test2015_00000001.jpg -> 1
    assert [obj["category_name"] for obj in graphs[0]["objects"]] == ["person", "horse", "cup"]
    assert (graphs[0]["objects"][1]["x1"], graphs[0]["objects"][1]["y2"]) == (20.0, 46.0)
    assert benchmark.image_root("test") == (root / "images" / "test2015").resolve()
    truth = benchmark.relation_truth("test")
    assert truth.images[0].relations.tolist() == [[0, 1, 0], [0, 1, 1], [0, 2, 1]]
    assert truth.images[0].labels.tolist() == [0, 1, 2]
    for table in (LABEL_SPACE, LABEL_COMBINATIONS):
        assert read_table(tmp_path / "out" / table.name, table).num_rows > 0


def test_bad_records_are_rejected_with_their_reasons_and_the_rest_is_kept(tmp_path: Path) -> None:
    good = person_rides_horse("HICO_train2015_00000001.jpg")
    bad_boxes = person_rides_horse("HICO_train2015_00000002.jpg")
    bad_boxes["annotations"][1]["bbox"] = [60, 14, 20, 46]  # x2 < x1
    bad_boxes["annotations"][2]["category_id"] = 999
    bad_relations = person_rides_horse("HICO_train2015_00000003.jpg")
    bad_relations["hoi_annotation"] = [
        {"subject_id": 0, "object_id": 7, "category_id": 88},
        {"subject_id": 0, "object_id": -1, "category_id": 37},
        {"subject_id": 0, "object_id": 1, "category_id": 5},
        {"subject_id": 1, "object_id": 1, "category_id": 37},
        {"subject_id": "0", "object_id": 1, "category_id": 37},
    ]
    train = [
        good,
        bad_boxes,
        bad_relations,
        person_rides_horse("../../etc/passwd"),
        person_rides_horse("HICO_train2015_00000001.jpg"),  # the same image again
        person_rides_horse("HICO_train2015_00000009.jpg"),  # no such file
        "not an entry",
    ]
    root = write_hoi_layout(tmp_path / "hico", train=train)
    (root / "images" / "train2015" / "HICO_train2015_00000009.jpg").unlink()
    assert ingest(root, tmp_path / "out") == 0
    rejects = read_table(tmp_path / "out" / "train" / "rejects", REJECTS).to_pylist()
    reasons = sorted(row["reason"] for row in rejects)
    assert reasons == sorted(
        ["degenerate_box", "unknown_category",  # the bad boxes
         "unknown_entity", "unknown_entity", "unknown_entity",  # relations of those boxes
         "unknown_entity", "missing_object", "unknown_predicate", "self_relation",
         "malformed_record",  # the relations of image 3
         "path_escapes_root", "duplicate_id", "missing_image_file", "malformed_record"]
    )
    kept = read_table(tmp_path / "out" / "train" / "relations", RELATIONS).num_rows
    assert kept == 3 + 0 + 0  # image 1 whole; image 2 lost its horse and cup; image 3 nothing
    manifest = json.loads((tmp_path / "out" / "train" / "manifest.json").read_text())
    assert manifest["rejects"]["unknown_entity"] == 4


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"images": [], "annotations": [], "categories": []}, "is not a hico-det annotation file"),
        ([{"file_name": "a.jpg", "annotations": []}], "'hoi_annotation'"),
    ],
)
def test_a_file_of_another_format_is_one_line_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture, payload: object, expected: str
) -> None:
    root = write_hoi_layout(tmp_path / "hico")
    (root / "annotations" / "test_hico.json").write_text(json.dumps(payload))
    assert ingest(root, tmp_path / "out") == 2
    error = capsys.readouterr().err
    assert error.startswith("rlipv2: error: ") and expected in error and error.count("\n") == 1
    assert not (tmp_path / "out").exists()
    assert [path.name for path in tmp_path.iterdir()] == ["hico"]  # no staging left


def test_a_combination_file_of_another_shape_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    root = write_hoi_layout(tmp_path / "hico")
    np.save(root / "annotations" / "corre_hico.npy", np.ones((117, 80)))
    assert ingest(root, tmp_path / "out") == 2
    assert "is (117, 80), but the vocabulary has 3 predicates and 3" in capsys.readouterr().err


def test_the_shipped_hico_det_vocabulary_is_the_official_one() -> None:
    vocabulary = read_benchmark_vocabulary(shipped_vocabulary("hico-det"))
    assert len(vocabulary.objects) == 80 and len(vocabulary.predicates) == 117
    assert vocabulary.objects[11].name == "stop sign" and vocabulary.objects[11].source_id == 13
    assert vocabulary.predicates[0].name == "adjust"
    assert vocabulary.predicates[57].name == "no interaction"
    object_label = {entry.name: label for label, entry in enumerate(vocabulary.objects)}
    predicate_label = {entry.name: label for label, entry in enumerate(vocabulary.predicates)}
    for setting in ("UC-RF", "UC-NF"):
        assert len(vocabulary.zero_shot[setting]) == 120
    # HOI 510 (0-based 509, the first of the official UC-RF list) is "hug suitcase", HOI 39
    # (38, UC-NF's first) "ride boat", as hico_verb_obj_pair.txt lists them.
    assert (predicate_label["hug"], object_label["suitcase"]) in vocabulary.zero_shot["UC-RF"]
    assert (predicate_label["ride"], object_label["boat"]) in vocabulary.zero_shot["UC-NF"]


def test_the_shipped_v_coco_vocabulary_is_the_official_one() -> None:
    vocabulary = read_benchmark_vocabulary(shipped_vocabulary("v-coco"))
    assert len(vocabulary.objects) == 80 and len(vocabulary.predicates) == 29
    # V-COCO's converted files number the verbs 0..28 in vcoco_verb_names.txt's order.
    assert [vocabulary.predicates[index].name for index in (0, 6, 7, 28)] == [
        "hold", "hit with", "hit", "snowboard"
    ]
    assert vocabulary.predicates[28].source_id == 28 and not vocabulary.zero_shot


def test_open_images_reads_its_category_files_and_numbers_images_by_position(
    tmp_path: Path,
) -> None:
    root = tmp_path / "oi"
    annotations = root / "annotations"
    annotations.mkdir(parents=True)
    (annotations / "categories_dict.json").write_text(
        json.dumps({"obj": ["Man", "Guitar", "Table", "Chair"], "rel": ["plays", "on", "at"]})
    )
    (annotations / "OI_SGG_trainval_test_categories_dict.json").write_text(
        json.dumps({"obj": ["Man", "Table", "Guitar"], "rel": ["plays", "on", "at"]})
    )
    images = root / "images"
    images.mkdir()
    entries = []
    for name in ("ca5267a6336b71ea.jpg", "0a1b2c3d4e5f6789.jpg"):
        Image.new("RGB", (50, 40)).save(images / name)
        entries.append(
            {
                "file_name": name,
                "annotations": [
                    {"bbox": [1, 1, 20, 30], "category_id": 0},
                    {"bbox": [10, 5, 40, 35], "category_id": 1},
                ],
                "rel_annotations": [{"subject_id": 0, "object_id": 1, "category_id": 0}],
            }
        )
    for file_name in ("OI_SGG_train_finetuning.json", "OI_SGG_test.json"):
        (annotations / file_name).write_text(json.dumps(entries))
    assert main(["ingest", "open-images", str(root), "--out", str(tmp_path / "out")]) == 0
    benchmark = BenchmarkDirectory(tmp_path / "out")
    assert benchmark.label_space().object_names == ("Man", "Table", "Guitar")
    truth = benchmark.relation_truth("test")
    assert [image.image_id for image in truth.images] == [1, 2]
    assert truth.images[0].labels.tolist() == [0, 2]  # Man, Guitar (id 1 in the full list)
    assert truth.images[0].relations.tolist() == [[0, 1, 0]]
    assert benchmark.correct_combinations().all()  # Open Images declares none: no mask


def test_the_layouts_name_the_official_files() -> None:
    assert [split.annotation_file for split in HICO_DET.splits] == [
        "trainval_hico.json", "test_hico.json"
    ]
    assert OPEN_IMAGES.file_format.relation_key == "rel_annotations"


def test_an_existing_output_needs_overwrite(tmp_path: Path) -> None:
    root = write_hoi_layout(tmp_path / "hico")
    vocabulary = read_benchmark_vocabulary(root / "annotations" / "vocabulary.json")
    (tmp_path / "out").mkdir()
    with pytest.raises(RLIPv2InputError, match="--overwrite"):
        ingest_relation_benchmark(
            HICO_DET, root, out_dir=tmp_path / "out", vocabulary=vocabulary,
            vocabulary_source="test", rows_per_shard=100, overwrite=False,
        )
