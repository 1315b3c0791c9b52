"""The built-in synonym tables (pipeline/matching/vocabularies/*.json) are well-formed."""

import hashlib
import json
import re
from pathlib import Path

import pytest

VOCABULARIES = Path(__file__).resolve().parents[3] / "pipeline" / "matching" / "vocabularies"

# The 80 COCO thing categories: official ids (1..90 with gaps) and names.
COCO_CATEGORIES = {
    1: "person", 2: "bicycle", 3: "car", 4: "motorcycle", 5: "airplane", 6: "bus", 7: "train",
    8: "truck", 9: "boat", 10: "traffic light", 11: "fire hydrant", 13: "stop sign",
    14: "parking meter", 15: "bench", 16: "bird", 17: "cat", 18: "dog", 19: "horse", 20: "sheep",
    21: "cow", 22: "elephant", 23: "bear", 24: "zebra", 25: "giraffe", 27: "backpack",
    28: "umbrella", 31: "handbag", 32: "tie", 33: "suitcase", 34: "frisbee", 35: "skis",
    36: "snowboard", 37: "sports ball", 38: "kite", 39: "baseball bat", 40: "baseball glove",
    41: "skateboard", 42: "surfboard", 43: "tennis racket", 44: "bottle", 46: "wine glass",
    47: "cup", 48: "fork", 49: "knife", 50: "spoon", 51: "bowl", 52: "banana", 53: "apple",
    54: "sandwich", 55: "orange", 56: "broccoli", 57: "carrot", 58: "hot dog", 59: "pizza",
    60: "donut", 61: "cake", 62: "chair", 63: "couch", 64: "potted plant", 65: "bed",
    67: "dining table", 70: "toilet", 72: "tv", 73: "laptop", 74: "mouse", 75: "remote",
    76: "keyboard", 77: "cell phone", 78: "microwave", 79: "oven", 80: "toaster", 81: "sink",
    82: "refrigerator", 84: "book", 85: "clock", 86: "vase", 87: "scissors", 88: "teddy bear",
    89: "hair drier", 90: "toothbrush",
}

# Objects365 v2 (zhiyuan_objv2) names keep the annotation file's spelling, typos included.
# The three names with a trailing space in the raw file are stored stripped, as ingest does.
OBJECTS365_SPOT_CHECKS = {
    1: "Person", 2: "Sneakers", 3: "Chair", 4: "Other Shoes", 5: "Hat", 6: "Car",
    8: "Glasses", 13: "Cabinet/shelf", 20: "Gloves", 38: "Moniter/TV", 45: "Trash bin Can",
    53: "Bakset", 91: "Ballon", 99: "Dinning Table", 123: "Tea pot", 197: "Cigar/Cigarette",
    203: "Extention Cord", 208: "earphone", 229: "Hotair ballon", 290: "Hamimelon",
    292: "Mushroon", 300: "Tape Measur/ Ruler", 308: "Campel", 309: "Formula 1",
    314: "Meat ball", 322: "Buttefly", 340: "French", 351: "Noddles",
    355: "Table Teniis paddle", 365: "Table Tennis",
}
# sha256 of "\n".join(f"{id}:{name}") over all 365 categories in id order. The names were
# checked against Detic's categories_v2 and mmdetection's Objects365V2Dataset class list.
OBJECTS365_NAMES_SHA256 = "b7c753ddf7b42a41bb6dadc64e71d9ec7d73a7d5113d229a2892c6f45a0e0083"

# What the matcher can tokenise (pipeline/matching/phrase_matcher.py: words joined by spaces).
_WORD = r"[a-z0-9]+(?:['-][a-z0-9]+)*"
_PLAIN_PHRASE = re.compile(rf"{_WORD}(?: {_WORD})*")
# Body parts are never synonyms of the object they belong to ("hand" is not a person).
_BODY_PARTS = frozenset(
    {"hand", "head", "hair", "arm", "leg", "foot", "feet", "face", "finger", "eye", "ear",
     "mouth", "nose", "shoulder", "knee", "lap", "back", "body", "chest", "trunk", "horn",
     "tail", "paw", "neck", "heel", "toe", "lip", "tooth", "teeth", "skin", "beard", "hoof"}
)


def _load(name: str) -> dict:
    return json.loads((VOCABULARIES / f"{name}.json").read_text(encoding="utf-8"))


def _synonyms_by_name(table: dict) -> dict[str, list[str]]:
    return {entry["name"]: entry["synonyms"] for entry in table["categories"]}


@pytest.fixture(scope="module", params=["coco", "objects365"])
def table(request: pytest.FixtureRequest) -> dict:
    return _load(request.param)


def test_header(table: dict) -> None:
    assert table["dataset"] in {"coco", "objects365"}
    assert table["version"] == 1
    assert isinstance(table["categories"], list)


def test_entries_are_well_formed(table: dict) -> None:
    ids = [entry["id"] for entry in table["categories"]]
    names = [entry["name"] for entry in table["categories"]]
    assert len(ids) == len(set(ids)), "category ids must be unique"
    assert len(names) == len(set(names)), "category names must be unique"
    for entry in table["categories"]:
        assert set(entry) == {"id", "name", "synonyms"}, entry
        assert isinstance(entry["id"], int) and not isinstance(entry["id"], bool)
        name = entry["name"]
        assert isinstance(name, str) and name and name == name.strip(), repr(name)
        synonyms = entry["synonyms"]
        assert isinstance(synonyms, list) and synonyms, name
        assert synonyms[0] == " ".join(name.lower().split()), f"{name}: own name must come first"
        assert len(synonyms) == len(set(synonyms)), f"{name}: duplicate synonyms"
        for synonym in synonyms:
            assert isinstance(synonym, str) and synonym, name
            assert synonym == synonym.strip(), f"{name}: {synonym!r} has outer spaces"
            assert synonym == synonym.lower(), f"{name}: {synonym!r} is not lower-case"
            assert "  " not in synonym, f"{name}: {synonym!r} has a double space"
        for synonym in synonyms[1:]:
            assert _PLAIN_PHRASE.fullmatch(synonym), f"{name}: {synonym!r} is not plain words"


def test_no_body_parts(table: dict) -> None:
    for entry in table["categories"]:
        assert not _BODY_PARTS & set(entry["synonyms"]), entry["name"]


def test_coco_has_the_80_official_categories() -> None:
    coco = _load("coco")
    assert coco["dataset"] == "coco"
    assert {entry["id"]: entry["name"] for entry in coco["categories"]} == COCO_CATEGORIES
    assert [entry["id"] for entry in coco["categories"]] == sorted(COCO_CATEGORIES)


def test_objects365_has_365_categories_with_ids_1_to_365() -> None:
    objects365 = _load("objects365")
    assert objects365["dataset"] == "objects365"
    assert [entry["id"] for entry in objects365["categories"]] == list(range(1, 366))
    names = {entry["id"]: entry["name"] for entry in objects365["categories"]}
    for category_id, name in OBJECTS365_SPOT_CHECKS.items():
        assert names[category_id] == name, category_id
    digest = hashlib.sha256(
        "\n".join(f"{category_id}:{names[category_id]}" for category_id in range(1, 366)).encode()
    ).hexdigest()
    assert digest == OBJECTS365_NAMES_SHA256


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("person", {"man", "woman", "child", "boy", "girl", "skier", "batter", "umpire"}),
        ("airplane", {"jetliner", "plane", "aeroplane"}),
        ("dining table", {"table"}),
        ("cell phone", {"phone"}),
        ("sports ball", {"ball"}),
        ("teddy bear", {"bear"}),
        ("traffic light", {"light"}),
        ("fire hydrant", {"hydrant"}),
        ("stop sign", {"sign"}),
        ("wine glass", {"glass"}),
        ("hair drier", {"hair dryer", "dryer"}),
        ("toothbrush", {"brush"}),
        ("donut", {"doughnut"}),
        ("oven", {"stove"}),
        ("suitcase", {"luggage"}),
        ("sandwich", {"burger"}),
        ("cow", {"cattle"}),
        ("tv", {"television", "monitor", "screen"}),
        ("laptop", {"monitor", "screen"}),
    ],
)
def test_coco_spot_checks(category: str, expected: set[str]) -> None:
    assert expected <= set(_synonyms_by_name(_load("coco"))[category])


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("Person", {"man", "woman", "child"}),
        ("Sneakers", {"sneaker"}),
        ("Other Shoes", {"shoe"}),
        ("Glasses", {"glasses", "eyeglasses", "sunglasses"}),
        ("Gloves", {"glove"}),
        ("Moniter/TV", {"monitor", "tv", "television"}),
        ("Dinning Table", {"dining table", "table"}),
        ("Airplane", {"jetliner"}),
        ("Scissors", {"scissors"}),
        ("Table Tennis", {"ping pong ball"}),
    ],
)
def test_objects365_spot_checks(category: str, expected: set[str]) -> None:
    assert expected <= set(_synonyms_by_name(_load("objects365"))[category])


def test_person_excludes_body_parts_in_both_tables() -> None:
    for name, person in (("coco", "person"), ("objects365", "Person")):
        synonyms = set(_synonyms_by_name(_load(name))[person])
        assert not {"hand", "head", "hair", "face", "arm", "leg"} & synonyms
