"""Tests of the synthetic demo world: determinism, format validity, and that it is not trivial."""

import json
import os
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image
from pycocotools.coco import COCO

from demo_world import DemoWorldPaths, write_coco_shaped_annotations, write_demo_world
from demo_world.captions import write_captions
from demo_world.drawing import draw_scene
from demo_world.formats import vg_relationships
from demo_world.layout import place_pair
from demo_world.scene import (
    DemoBackground,
    DemoObject,
    DemoRelation,
    DemoScene,
    sample_scene,
)
from demo_world.triplets import DEMO_TRIPLETS, check_triplets
from demo_world.vocabulary import (
    DEMO_CATEGORIES,
    DEMO_PREDICATES,
    PredicateKind,
    category_by_name,
    category_synonym_table,
    predicate_by_name,
)
from demo_world.writer import CocoShapedStyle

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
APPLE_RED = (225, 25, 35)  # the feeding cue's colour; no other painter produces it
NUM_WORLD_IMAGES = 16


def _file_bytes(root: Path) -> dict[str, bytes]:
    files = sorted(path for path in root.rglob("*") if path.is_file())
    return {str(path.relative_to(root)): path.read_bytes() for path in files}


def _sampled_scenes(count: int, seed: int = 0) -> list[DemoScene]:
    return [
        sample_scene(random.Random(f"{seed}:{image_id}"), image_id)
        for image_id in range(1, count + 1)
    ]


def _colours(image: Image.Image) -> set[tuple[int, int, int]]:
    counted = image.getcolors(maxcolors=image.width * image.height)
    assert counted is not None
    return {colour for _, colour in counted}


def _words(caption: str) -> list[str]:
    return re.findall(r"[a-z]+", caption)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> DemoWorldPaths:
    return write_demo_world(tmp_path_factory.mktemp("world"), num_images=NUM_WORLD_IMAGES, seed=0)


def test_paths_follow_the_documented_layout(world: DemoWorldPaths) -> None:
    assert world.images_dir == world.root / "images"
    assert world.instances_json == world.root / "annotations" / "instances.json"
    assert world.captions_json == world.root / "annotations" / "captions.json"
    assert world.vg_image_data_json == world.root / "vg" / "image_data.json"
    assert world.vg_objects_json == world.root / "vg" / "objects.json"
    assert world.vg_relationships_json == world.root / "vg" / "relationships.json"
    assert not [path for path in world.root.rglob("*") if path.name.endswith(".tmp")]


def test_same_seed_gives_byte_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    first = _file_bytes(write_demo_world(tmp_path / "a", num_images=6, seed=7).root)
    second = _file_bytes(write_demo_world(tmp_path / "b", num_images=6, seed=7).root)
    other = _file_bytes(write_demo_world(tmp_path / "c", num_images=6, seed=8).root)
    assert len(first) == 6 + 5
    assert first == second
    assert first.keys() == other.keys()
    assert first["annotations/instances.json"] != other["annotations/instances.json"]
    assert first["images/000001.png"] != other["images/000001.png"]


def test_output_does_not_depend_on_the_process_hash_seed(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from demo_world import write_demo_world; "
        "write_demo_world(Path(sys.argv[1]), num_images=3, seed=5)"
    )
    for hash_seed in ("1", "2"):
        environment = {
            **os.environ,
            "PYTHONHASHSEED": hash_seed,
            "PYTHONPATH": str(REPOSITORY_ROOT),
        }
        command = [sys.executable, "-c", script, str(tmp_path / hash_seed)]
        subprocess.run(command, check=True, env=environment)
    in_process = _file_bytes(write_demo_world(tmp_path / "here", num_images=3, seed=5).root)
    assert _file_bytes(tmp_path / "1") == _file_bytes(tmp_path / "2") == in_process


def test_coco_instances_load_and_boxes_lie_inside_their_images(world: DemoWorldPaths) -> None:
    coco = COCO(str(world.instances_json))
    assert sorted(coco.getImgIds()) == list(range(1, NUM_WORLD_IMAGES + 1))
    category_names = {category["name"] for category in coco.loadCats(coco.getCatIds())}
    assert category_names == {category.name for category in DEMO_CATEGORIES}
    instances = json.loads(world.instances_json.read_text())
    annotation_ids = [annotation["id"] for annotation in instances["annotations"]]
    assert len(annotation_ids) == len(set(annotation_ids))
    for annotation in instances["annotations"]:
        image = coco.imgs[annotation["image_id"]]
        x, y, width, height = annotation["bbox"]
        assert all(isinstance(value, float) for value in annotation["bbox"])
        assert width > 0 and height > 0 and annotation["area"] == width * height
        assert 0 <= x and x + width <= image["width"]
        assert 0 <= y and y + height <= image["height"]
        assert annotation["iscrowd"] == 0
    for image in instances["images"]:
        assert image["file_name"] == f"{image['id']:06d}.png"
        with Image.open(world.images_dir / image["file_name"]) as picture:
            assert picture.size == (image["width"], image["height"])
            assert picture.mode == "RGB"


def test_visual_genome_relations_point_at_objects_of_their_own_image(
    world: DemoWorldPaths,
) -> None:
    instances = json.loads(world.instances_json.read_text())
    coco_boxes = {annotation["id"]: annotation["bbox"] for annotation in instances["annotations"]}
    image_data = json.loads(world.vg_image_data_json.read_text())
    expected_names = [f"{index:06d}.png" for index in range(1, NUM_WORLD_IMAGES + 1)]
    assert [entry["file_name"] for entry in image_data] == expected_names
    assert all(entry["coco_id"] is None and entry["url"] == "" for entry in image_data)
    objects_by_image = {
        entry["image_id"]: {vg_object["object_id"]: vg_object for vg_object in entry["objects"]}
        for entry in json.loads(world.vg_objects_json.read_text())
    }
    for objects in objects_by_image.values():
        for object_id, vg_object in objects.items():
            vg_box = [vg_object["x"], vg_object["y"], vg_object["w"], vg_object["h"]]
            assert vg_box == coco_boxes[object_id]
    relationships = json.loads(world.vg_relationships_json.read_text())
    relationship_ids = [
        item["relationship_id"] for entry in relationships for item in entry["relationships"]
    ]
    assert relationship_ids == list(range(1, len(relationship_ids) + 1))
    predicate_phrases = {phrase for predicate in DEMO_PREDICATES
                         for phrase in predicate.caption_phrases}
    for entry in relationships:
        assert 1 <= len(entry["relationships"]) <= 4
        objects = objects_by_image[entry["image_id"]]
        for relationship in entry["relationships"]:
            assert relationship["predicate"] in predicate_phrases
            for role in ("subject", "object"):
                assert objects[relationship[role]["object_id"]] == relationship[role]
            assert relationship["subject"]["object_id"] != relationship["object"]["object_id"]


def test_visual_genome_predicates_are_phrased_like_free_form_annotations() -> None:
    """Each relation is written with a phrase of its own predicate; over many relations both
    the predicate names and their paraphrases occur."""
    scenes = _sampled_scenes(200)
    used: Counter[str] = Counter()
    for scene in scenes:
        object_ids = range(1, len(scene.objects) + 1)
        written = vg_relationships(scene, object_ids, 1, random.Random(scene.image_id))
        for relation, relationship in zip(scene.relations, written["relationships"], strict=True):
            assert relationship["predicate"] in relation.predicate.caption_phrases
            used[relationship["predicate"]] += 1
    names = {predicate.name for predicate in DEMO_PREDICATES}
    assert len(set(used) & names) >= 8
    assert {"carrying", "beside", "on top of"} <= set(used) - names


def test_captions_file_has_several_captions_per_image(world: DemoWorldPaths) -> None:
    captions = json.loads(world.captions_json.read_text())
    image_ids = list(range(1, NUM_WORLD_IMAGES + 1))
    assert [image["id"] for image in captions["images"]] == image_ids
    per_image = Counter(annotation["image_id"] for annotation in captions["annotations"])
    assert sorted(per_image) == image_ids and min(per_image.values()) >= 5
    caption_ids = [annotation["id"] for annotation in captions["annotations"]]
    assert caption_ids == list(range(1, len(caption_ids) + 1))


def test_sampled_scenes_respect_the_limits() -> None:
    for scene in _sampled_scenes(500):
        assert 224 <= scene.width <= 320 and 192 <= scene.height <= 256
        assert 2 <= len(scene.objects) <= 8 and 1 <= len(scene.relations) <= 4
        for demo_object in scene.objects:
            assert demo_object.box.is_inside(scene.width, scene.height, margin=1)
        for relation in scene.relations:
            assert relation.subject_index != relation.object_index
            assert max(relation.subject_index, relation.object_index) < len(scene.objects)


def test_vocabulary_tables_are_consistent() -> None:
    check_triplets(DEMO_TRIPLETS)
    category_ids = [category.category_id for category in DEMO_CATEGORIES]
    assert category_ids == list(range(1, len(DEMO_CATEGORIES) + 1))
    assert len(DEMO_CATEGORIES) >= 10 and len(DEMO_PREDICATES) >= 8
    assert sum(" " in category.name for category in DEMO_CATEGORIES) >= 3
    assert sum(predicate.is_spatial for predicate in DEMO_PREDICATES) >= 4
    table = category_synonym_table()
    assert list(table) == [category.name for category in DEMO_CATEGORIES]
    assert table["dining table"][0] == "dining table" and "table" in table["dining table"]
    assert {"man", "women", "people", "children"} <= set(table["person"])
    with pytest.raises(KeyError, match="unknown demo category"):
        category_by_name("zebra")


def test_visual_cue_predicates_share_placement_and_triplets() -> None:
    cue_predicates = [
        predicate for predicate in DEMO_PREDICATES if predicate.kind is PredicateKind.VISUAL_CUE
    ]
    assert {predicate.name for predicate in cue_predicates} == {"feeding", "petting"}
    assert len({predicate.placement for predicate in cue_predicates}) == 1
    pairs = {
        name: {(t.subject_name, t.object_name) for t in DEMO_TRIPLETS if t.predicate_name == name}
        for name in ("feeding", "petting")
    }
    assert pairs["feeding"] == pairs["petting"]


def test_feeding_and_petting_differ_only_in_pixels() -> None:
    """Same boxes, same appearance seeds: only the apple and the arm tell the two apart."""
    person, dog = category_by_name("person"), category_by_name("dog")
    placement = predicate_by_name("feeding").placement
    layout = place_pair(
        placement, person, dog, center_x=110, ground_y=180, scale=1.2, rng=random.Random(3)
    )
    objects = (
        DemoObject(dog, layout.object_box, layout.object_facing, appearance_seed=1),
        DemoObject(person, layout.subject_box, layout.subject_facing, appearance_seed=2),
    )
    background = DemoBackground((200, 220, 240), (120, 170, 100), horizon_y=90)
    images = {}
    for name in ("feeding", "petting"):
        relations = (DemoRelation(1, predicate_by_name(name), 0),)
        images[name] = draw_scene(DemoScene(1, 240, 200, background, objects, relations))
    assert images["feeding"].tobytes() != images["petting"].tobytes()
    assert APPLE_RED in _colours(images["feeding"])
    assert APPLE_RED not in _colours(images["petting"])


def test_world_is_not_trivial() -> None:
    scenes = _sampled_scenes(300)
    objects = [demo_object for scene in scenes for demo_object in scene.objects]
    relations = [relation for scene in scenes for relation in scene.relations]
    assert len({demo_object.category.name for demo_object in objects}) >= 10
    predicates = Counter(relation.predicate.name for relation in relations)
    assert len(predicates) >= 8
    assert predicates["feeding"] >= 10 and predicates["petting"] >= 10
    category_counts = [Counter(o.category.name for o in scene.objects) for scene in scenes]
    assert sum(max(counts.values()) >= 2 for counts in category_counts) >= 0.3 * len(scenes)
    persons_outnumber_person_relations = sum(
        counts["person"]
        > sum(scene.objects[r.subject_index].category.name == "person" for r in scene.relations)
        >= 1
        for counts, scene in zip(category_counts, scenes)
    )
    assert persons_outnumber_person_relations >= 0.1 * len(scenes)


def test_captions_use_synonyms_plurals_and_non_relational_sentences() -> None:
    captions = [
        caption.lower().rstrip(".")
        for scene in _sampled_scenes(200)
        for caption in write_captions(scene, random.Random(f"0:{scene.image_id}:captions"))
    ]
    words = Counter(word for caption in captions for word in _words(caption))
    assert words["man"] and words["woman"] and words["puppy"] and words["bike"]
    assert any(re.search(r"(?<!dining )\btable\b", caption) for caption in captions)
    assert any("teddy bear" in caption for caption in captions)
    assert words["men"] and words["women"] and words["people"] and words["children"]
    assert words["two"] and words["three"]
    all_synonyms = {word for synonyms in category_synonym_table().values() for word in synonyms}
    non_relational = [
        caption for caption in captions if not set(_words(caption)) & all_synonyms
    ]
    assert len(non_relational) >= 0.03 * len(captions)
    phrases = [phrase for predicate in DEMO_PREDICATES for phrase in predicate.caption_phrases]
    relational = [
        caption for caption in captions if any(f" {phrase} " in caption for phrase in phrases)
    ]
    assert len(relational) >= 0.4 * len(captions)


@pytest.mark.parametrize("dataset", ["coco", "objects365"])
def test_coco_shaped_annotations_stream_has_the_right_counts(
    tmp_path: Path, dataset: CocoShapedStyle
) -> None:
    path = tmp_path / "instances.json"
    write_coco_shaped_annotations(path, num_images=2000, seed=1, dataset=dataset)
    content = json.loads(path.read_text())
    assert [image["id"] for image in content["images"]] == list(range(1, 2001))
    annotation_ids = [annotation["id"] for annotation in content["annotations"]]
    assert annotation_ids == list(range(1, len(annotation_ids) + 1))
    assert 2 * 2000 <= len(annotation_ids) <= 8 * 2000
    assert len(content["categories"]) == len(DEMO_CATEGORIES)
    images = {image["id"]: image for image in content["images"]}
    for annotation in content["annotations"]:
        image = images[annotation["image_id"]]
        x, y, width, height = annotation["bbox"]
        assert width > 0 and height > 0
        assert x + width <= image["width"] and y + height <= image["height"]
    if dataset == "coco":
        assert images[7]["file_name"] == "000000000007.jpg"
    else:
        assert images[7]["file_name"] == "images/v1/patch0/objects365_v1_00000007.jpg"
        assert content["annotations"][0]["isfake"] == 0
    assert [path.name for path in tmp_path.iterdir()] == ["instances.json"]


def test_coco_shaped_annotations_reuse_the_demo_scenes(tmp_path: Path) -> None:
    write_coco_shaped_annotations(tmp_path / "stream.json", num_images=5, seed=4, dataset="coco")
    streamed = json.loads((tmp_path / "stream.json").read_text())
    world = write_demo_world(tmp_path / "world", num_images=5, seed=4)
    drawn = json.loads(world.instances_json.read_text())
    assert streamed["annotations"] == drawn["annotations"]
    assert streamed["categories"] == drawn["categories"]
    streamed_sizes = [(image["width"], image["height"]) for image in streamed["images"]]
    assert streamed_sizes == [(image["width"], image["height"]) for image in drawn["images"]]


def test_invalid_arguments_raise(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="num_images"):
        write_demo_world(tmp_path, num_images=0, seed=0)
    with pytest.raises(ValueError, match="dataset"):
        write_coco_shaped_annotations(
            tmp_path / "x.json", num_images=3, seed=0, dataset="lvis"  # type: ignore[arg-type]
        )
    assert not list(tmp_path.iterdir())


def test_one_image_world(tmp_path: Path) -> None:
    paths = write_demo_world(tmp_path, num_images=1, seed=123)
    assert [path.name for path in paths.images_dir.iterdir()] == ["000001.png"]
    assert len(json.loads(paths.vg_objects_json.read_text())) == 1
