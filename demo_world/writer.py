"""Write the demo world to disk: PNG images, COCO instances and captions, Visual Genome relations.

Everything is a function of ``(num_images, seed)``: image ``i`` is sampled from
``random.Random(f"{seed}:{i}")``, captioned from ``random.Random(f"{seed}:{i}:captions")``, and
its Visual Genome predicates are phrased from ``random.Random(f"{seed}:{i}:annotators")`` (string
seeds hash with SHA-512, independent of ``PYTHONHASHSEED``), so the output files are
byte-identical across runs and processes. Every file is written atomically.
"""

import json
import logging
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Literal, TypeVar

from tqdm import tqdm

from data_schemas.atomic_files import atomic_output, save_png_atomic, write_json_atomic
from data_schemas.temporary_siblings import new_temporary_sibling
from demo_world import formats
from demo_world.captions import write_captions
from demo_world.drawing import draw_scene
from demo_world.scene import DemoScene, sample_scene

logger = logging.getLogger(__name__)

_PROGRESS_BAR_MIN_IMAGES = 8
# write_coco_shaped_annotations samples this many scenes and reuses them: the sampler takes about
# 0.15 ms per scene, which would make 200,000 images spend ~30 s on sampling alone.
_SCENE_POOL_SIZE = 4096
_CHUNK = 1024  # images formatted per write

CocoShapedStyle = Literal["coco", "objects365"]
_Item = TypeVar("_Item")


@dataclass(frozen=True)
class DemoWorldPaths:
    """Where :func:`write_demo_world` puts each file; every path derives from ``root``."""

    root: Path
    images_dir: Path
    instances_json: Path
    captions_json: Path
    vg_image_data_json: Path
    vg_objects_json: Path
    vg_relationships_json: Path

    @classmethod
    def under(cls, root: Path) -> "DemoWorldPaths":
        return cls(
            root=root,
            images_dir=root / "images",
            instances_json=root / "annotations" / "instances.json",
            captions_json=root / "annotations" / "captions.json",
            vg_image_data_json=root / "vg" / "image_data.json",
            vg_objects_json=root / "vg" / "objects.json",
            vg_relationships_json=root / "vg" / "relationships.json",
        )


def _info(seed: int) -> dict[str, object]:
    return {"description": "rlipv2 synthetic relational demo world", "version": "1.0", "seed": seed}


def _scene(seed: int, image_id: int) -> DemoScene:
    return sample_scene(random.Random(f"{seed}:{image_id}"), image_id)


def _check_arguments(num_images: int, seed: int) -> None:
    if num_images < 1:
        raise ValueError(f"num_images must be >= 1, got {num_images}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")


def write_demo_world(out_dir: Path, *, num_images: int, seed: int) -> DemoWorldPaths:
    """Draw ``num_images`` scenes (ids 1..num_images) under ``out_dir`` and write their annotations.

    Images are ``images/{image_id:06d}.png``; the COCO file names are relative to ``images/``.
    Annotation ids count from 1 across the dataset and double as Visual Genome object ids.
    """
    _check_arguments(num_images, seed)
    paths = DemoWorldPaths.under(Path(out_dir))
    paths.images_dir.mkdir(parents=True, exist_ok=True)
    images: list[formats.CocoImage] = []
    annotations: list[formats.CocoAnnotation] = []
    captions: list[formats.CocoCaption] = []
    vg_images: list[formats.VgImage] = []
    vg_objects: list[formats.VgImageObjects] = []
    vg_relationships: list[formats.VgImageRelationships] = []
    next_object_id, next_relationship_id = 1, 1
    progress = tqdm(
        range(1, num_images + 1),
        desc="demo world",
        unit="image",
        disable=None if num_images > _PROGRESS_BAR_MIN_IMAGES else True,
    )
    for image_id in progress:
        scene = _scene(seed, image_id)
        file_name = f"{image_id:06d}.png"
        save_png_atomic(draw_scene(scene), paths.images_dir / file_name)
        object_ids = range(next_object_id, next_object_id + len(scene.objects))
        scene_captions = write_captions(scene, random.Random(f"{seed}:{image_id}:captions"))
        images.append(formats.coco_image(scene, file_name))
        annotations.extend(formats.coco_annotations(scene, object_ids))
        captions.extend(formats.coco_captions(image_id, scene_captions, len(captions) + 1))
        vg_images.append(formats.vg_image(scene, file_name))
        vg_objects.append(formats.vg_objects(scene, object_ids))
        vg_relationships.append(formats.vg_relationships(
            scene, object_ids, next_relationship_id, random.Random(f"{seed}:{image_id}:annotators")
        ))
        next_object_id += len(scene.objects)
        next_relationship_id += len(scene.relations)
    categories = formats.coco_categories()
    instances = {"images": images, "annotations": annotations, "categories": categories}
    write_json_atomic(paths.instances_json, {"info": _info(seed), **instances})
    write_json_atomic(
        paths.captions_json, {"info": _info(seed), "images": images, "annotations": captions}
    )
    write_json_atomic(paths.vg_image_data_json, vg_images)
    write_json_atomic(paths.vg_objects_json, vg_objects)
    write_json_atomic(paths.vg_relationships_json, vg_relationships)
    logger.info(
        "demo world: %d images, %d objects, %d relations, %d captions under %s",
        num_images,
        next_object_id - 1,
        next_relationship_id - 1,
        len(captions),
        paths.root,
    )
    return paths


def _compact_json(payload: object) -> str:
    return json.dumps(payload, separators=(",", ":"))


def _coco_shaped_file_name(image_id: int, dataset: CocoShapedStyle) -> str:
    if dataset == "coco":
        return f"{image_id:012d}.jpg"
    return f"images/v1/patch{(image_id - 1) // 50_000}/objects365_v1_{image_id:08d}.jpg"


def _annotation_bodies(scene: DemoScene, dataset: CocoShapedStyle) -> list[str]:
    """Each object's annotation JSON without the braces and the ``id`` and ``image_id`` members."""
    extra = ',"isfake":0,"isreflected":0' if dataset == "objects365" else ""
    return [
        f'"category_id":{record["category_id"]},"bbox":{_compact_json(record["bbox"])},'
        f'"area":{record["area"]!r},"iscrowd":0{extra}'
        for record in formats.coco_annotations(scene, range(len(scene.objects)))
    ]


def _coco_shaped_records(
    num_images: int, seed: int, dataset: CocoShapedStyle
) -> Iterator[tuple[str, list[str]]]:
    """Per image, in id order: its image JSON and its annotations' JSON (ids counted from 1)."""
    pool = [_scene(seed, image_id) for image_id in range(1, min(num_images, _SCENE_POOL_SIZE) + 1)]
    pool_bodies = [_annotation_bodies(scene, dataset) for scene in pool]
    chooser = random.Random(f"{seed}:coco-shaped")
    next_annotation_id = 1
    for image_id in range(1, num_images + 1):
        pool_index = image_id - 1 if image_id <= len(pool) else chooser.randrange(len(pool))
        scene = pool[pool_index]
        file_name = _coco_shaped_file_name(image_id, dataset)
        image_json = (
            f'{{"id":{image_id},"file_name":"{file_name}",'
            f'"width":{scene.width},"height":{scene.height}}}'
        )
        annotation_jsons = [
            f'{{"id":{annotation_id},"image_id":{image_id},{body}}}'
            for annotation_id, body in enumerate(pool_bodies[pool_index], start=next_annotation_id)
        ]
        next_annotation_id += len(annotation_jsons)
        yield image_json, annotation_jsons


def _chunks(items: Iterator[_Item], size: int) -> Iterator[list[_Item]]:
    """Consecutive lists of ``size`` items (the last one shorter) until ``items`` is exhausted."""
    while chunk := list(islice(items, size)):
        yield chunk


def write_coco_shaped_annotations(
    path: Path, *, num_images: int, seed: int, dataset: CocoShapedStyle = "objects365"
) -> None:
    """Stream a COCO-shaped instances JSON of ``num_images`` images (no pixels) to ``path``.

    For benchmarks of streaming readers at 10^5..10^6 images. Memory stays flat: images go straight
    to the output, annotations to a temporary file that is appended afterwards. Image ``i`` has the
    size and boxes of demo scene ``i`` for ``i <= 4096`` and of a seeded random one of those beyond,
    so boxes are as realistic as the demo world's. ``dataset`` picks the file-name style
    (``"000000000001.jpg"`` or ``"images/v1/patch0/objects365_v1_00000001.jpg"``); objects365
    annotations also carry ``isfake`` and ``isreflected``. Categories are the demo categories.
    """
    _check_arguments(num_images, seed)
    if dataset not in ("coco", "objects365"):
        raise ValueError(f"dataset must be 'coco' or 'objects365', got {dataset!r}")
    path = Path(path)
    records = _coco_shaped_records(num_images, seed, dataset)
    spill_path = new_temporary_sibling(path)
    num_boxes = 0
    try:
        with atomic_output(path) as output, spill_path.open("w+", encoding="utf-8") as spill:
            output.write(f'{{"info":{_compact_json(_info(seed))},"images":[')
            for chunk_index, chunk in enumerate(_chunks(records, _CHUNK)):
                output.write(("," if chunk_index else "") + ",".join(image for image, _ in chunk))
                annotations = [annotation for _, per_image in chunk for annotation in per_image]
                if annotations:
                    spill.write(("," if num_boxes else "") + ",".join(annotations))
                    num_boxes += len(annotations)
            output.write('],"annotations":[')
            spill.seek(0)
            shutil.copyfileobj(spill, output)
            output.write(f'],"categories":{_compact_json(formats.coco_categories())}}}')
    finally:
        spill_path.unlink(missing_ok=True)
    logger.info(
        "COCO-shaped %s file: %d images, %d boxes in %s", dataset, num_images, num_boxes, path
    )
