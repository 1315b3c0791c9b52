"""``pipeline.labelling`` without Prefect: the split into image shards, the stage keys, the
atomic shard store, and a plain loop over the shard jobs in shards of a few images against the
reference run of the labelling world (``rlipv2 candidates`` and ``rlipv2 tag``'s runs, the whole
dataset as one shard)."""

import dataclasses
import json
import math
import shutil
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from pydantic import BaseModel, ValidationError

import data_schemas as ds
from data_schemas.option import settings_of
from labelling_world import (
    NUM_IMAGES,
    PUBLISHED_TABLES,
    REFERENCE_SAVE_THRESHOLD,
    LabellingWorld,
    assert_same_rows,
    label_in_a_loop,
    published_rows,
    world_models,
    world_plan,
)
from pipeline.labelling import (
    CAPTION_STAGE,
    MATCH_STAGE,
    PARSE_STAGE,
    SCENE_GRAPH_STAGE,
    SPLIT_STAGE,
    TAG_STAGE,
    BlipSettings,
    CaptionJob,
    LabelSettings,
    ShardManifest,
    ShardStore,
    SplitJob,
    run_split_job,
)
from pipeline.labelling.shard_store import ShardResult
from pipeline.labelling.stage_run import run_tag_stages


def rows(path: Path) -> list[dict]:
    """Every row of a Parquet file or table directory, read with pyarrow alone."""
    return pq.read_table(path).to_pylist()


def by_json(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=str))


@pytest.fixture(scope="module")
def models(labelling_world: LabellingWorld) -> dict:
    """The real parser, matcher and tiny tagger, loaded once for the module."""
    return world_models(labelling_world)


def split_job(
    dataset_dir: Path, *, images_per_shard: int, with_captions: bool = True,
    code_version: str = "test",
) -> SplitJob:
    """The split of ``dataset_dir``, carrying its captions unless ``with_captions`` is False."""
    return SplitJob(
        dataset_dir=dataset_dir,
        carried={"captions": dataset_dir / "captions"} if with_captions else {},
        settings=LabelSettings(images_per_shard=images_per_shard),
        code_version=code_version,
    )


# --- split ----------------------------------------------------------------------------------


@pytest.mark.parametrize("images_per_shard", [1, 5, NUM_IMAGES, NUM_IMAGES + 1])
def test_split_cuts_images_in_id_order_and_gives_each_shard_exactly_its_rows(
    labelling_world: LabellingWorld, tmp_path: Path, images_per_shard: int
) -> None:
    dataset = labelling_world.dataset_dir
    job = split_job(dataset, images_per_shard=images_per_shard)
    manifests = run_split_job(job, ShardStore(tmp_path))

    image_ids = sorted(row["image_id"] for row in rows(dataset / "images"))
    assert len(image_ids) == NUM_IMAGES
    expected = [image_ids[start:start + images_per_shard]
                for start in range(0, NUM_IMAGES, images_per_shard)]
    assert len(manifests) == math.ceil(NUM_IMAGES / images_per_shard)
    assert [manifest.shard_index for manifest in manifests] == list(range(len(expected)))
    entities, captions = rows(dataset / "entities"), rows(dataset / "captions")
    for manifest, shard_ids in zip(manifests, expected, strict=True):
        assert manifest.stage == SPLIT_STAGE and not manifest.reused
        assert set(manifest.tables) == {"images", "entities", "captions"}
        assert [row["image_id"] for row in rows(manifest.table_path(ds.IMAGES))] == shard_ids
        assert by_json(rows(manifest.table_path(ds.ENTITIES))) == by_json(
            [row for row in entities if row["image_id"] in shard_ids]
        )
        assert by_json(rows(manifest.table_path(ds.CAPTIONS))) == by_json(
            [row for row in captions if row["image_id"] in shard_ids]
        )
        assert manifest.counts == {"images": len(shard_ids)}
        assert {name: table.rows for name, table in manifest.tables.items()} == {
            "images": len(shard_ids),
            "entities": sum(row["image_id"] in shard_ids for row in entities),
            "captions": sum(row["image_id"] in shard_ids for row in captions),
        }


def test_split_without_captions_and_its_reuse(
    labelling_world: LabellingWorld, tmp_path: Path
) -> None:
    job = split_job(labelling_world.dataset_dir, images_per_shard=5, with_captions=False)
    first = run_split_job(job, ShardStore(tmp_path))
    assert all(set(manifest.tables) == {"images", "entities"} for manifest in first)
    again = run_split_job(job, ShardStore(tmp_path))
    assert all(manifest.reused for manifest in again)
    assert [manifest.key for manifest in again] == [manifest.key for manifest in first]


def test_split_refuses_an_empty_dataset_a_missing_table_and_a_zero_shard_size(
    labelling_world: LabellingWorld, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    for spec in (ds.IMAGES, ds.ENTITIES, ds.CAPTIONS):
        ds.write_table_atomic(spec.rows_to_arrow([]), ds.shard_path(empty / spec.name, 0), spec)
    store = ShardStore(tmp_path / "work")
    with pytest.raises(ds.RLIPv2InputError, match="has no images: nothing to label"):
        run_split_job(split_job(empty, images_per_shard=5), store)

    without_captions = tmp_path / "without-captions"
    shutil.copytree(labelling_world.dataset_dir, without_captions,
                    ignore=shutil.ignore_patterns("captions"))
    job = split_job(without_captions, images_per_shard=5)
    with pytest.raises(ds.RLIPv2InputError, match="has no 'captions' table"):
        run_split_job(job, store)
    elsewhere = job.model_copy(update={"carried": {"captions": tmp_path / "captions"}})
    with pytest.raises(ds.RLIPv2InputError, match=r"captions holds no 'captions' table"):
        run_split_job(elsewhere, store)
    assert not (tmp_path / "work").exists()
    assert len(run_split_job(job.model_copy(update={"carried": {}}), store)) == 3

    with pytest.raises(ValidationError, match="images_per_shard"):
        LabelSettings(images_per_shard=0)


# --- keys -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loop_run(labelling_world: LabellingWorld, models: dict, tmp_path_factory) -> dict:
    """The manifests of a loop over the world in shards of 5 images (not to be changed)."""
    plan = world_plan(labelling_world, tmp_path_factory.mktemp("loop") / "out",
                      images_per_shard=5)
    stages, _ = label_in_a_loop(plan, **models)
    return {"plan": plan, "stages": stages}


def with_digest(manifest: ShardManifest, table: str, digest: str) -> ShardManifest:
    """``manifest`` as if its ``table`` file had other content."""
    tables = dict(manifest.tables)
    tables[table] = tables[table].model_copy(update={"digest": digest})
    return manifest.model_copy(update={"tables": tables})


def assert_keys(job, *, changed_by: dict, unchanged_by: dict | None = None) -> None:
    """``job.key()`` is stable (also after a JSON round trip, as between processes), differs
    for each update of ``changed_by`` (field -> new value) and not for ``unchanged_by``."""
    key = job.key()
    assert job.key() == key
    assert type(job).model_validate_json(job.model_dump_json()).key() == key
    for field, value in changed_by.items():
        assert job.model_copy(update={field: value}).key() != key, field
    for field, value in (unchanged_by or {}).items():
        assert job.model_copy(update={field: value}).key() == key, field


def assert_settings_keys(job, *, changed_by: dict, unchanged_by: dict) -> None:
    """Like :func:`assert_keys`, for the options of ``job.settings`` (by dotted name)."""
    for name, value in changed_by.items():
        assert job.model_copy(update={"settings": with_option(job.settings, name, value)}).key() \
            != job.key(), name
    for name, value in unchanged_by.items():
        assert job.model_copy(update={"settings": with_option(job.settings, name, value)}).key() \
            == job.key(), name


def with_option(settings: BaseModel, name: str, value: object) -> BaseModel:
    """``settings`` with the option of dotted ``name`` set to ``value`` (validated)."""
    outer, _, inner = name.partition(".")
    if inner:
        value = with_option(getattr(settings, outer), inner, value)
    return type(settings).model_validate(settings.model_dump() | {outer: value})


def assert_config_keys(job, config_field: str, *, changed_by: dict, unchanged_by: dict) -> None:
    """Like :func:`assert_keys`, for the fields of the dataclass config ``job.<config_field>``."""
    config = getattr(job, config_field)

    def key_with(name: str, value: object) -> str:
        replaced = dataclasses.replace(config, **{name: value})
        return job.model_copy(update={config_field: replaced}).key()

    for name, value in changed_by.items():
        assert key_with(name, value) != job.key(), name
    for name, value in unchanged_by.items():
        assert key_with(name, value) == job.key(), name


def test_split_keys_change_with_dataset_shard_size_captions_and_code(
    labelling_world: LabellingWorld, tmp_path: Path
) -> None:
    job = split_job(labelling_world.dataset_dir, images_per_shard=5, code_version="v1")
    digest = job.input_digests()
    key = job.shard_key(digest, 0)
    assert job.model_copy().shard_key(job.input_digests(), 0) == key
    assert job.shard_key(digest, 1) != key
    changes = {"settings": LabelSettings(images_per_shard=4), "code_version": "v2"}
    for field, value in changes.items():
        assert job.model_copy(update={field: value}).shard_key(digest, 0) != key, field
    without_captions = job.model_copy(update={"carried": {}})
    assert without_captions.shard_key(without_captions.input_digests(), 0) != key

    edited = tmp_path / "edited"
    shutil.copytree(labelling_world.dataset_dir, edited)
    captions = ds.read_table(edited / "captions", ds.CAPTIONS).to_pylist()
    captions[0]["text"] += " again"
    for file in (edited / "captions").glob("shard-*.parquet"):
        file.unlink()
    ds.write_table_atomic(ds.CAPTIONS.rows_to_arrow(captions),
                          ds.shard_path(edited / "captions", 0), ds.CAPTIONS)
    assert split_job(edited, images_per_shard=5).input_digests() != digest


def test_stage_keys_change_with_inputs_settings_models_and_code_but_not_execution_settings(
    loop_run: dict, labelling_world: LabellingWorld, tmp_path: Path
) -> None:
    plan, stages = loop_run["plan"], loop_run["stages"]
    split, captions, triplets, candidates, tagged = (
        stages[stage][0] for stage in (SPLIT_STAGE, CAPTION_STAGE, PARSE_STAGE, MATCH_STAGE,
                                       TAG_STAGE)
    )
    edited_images = tmp_path / "images"
    shutil.copytree(labelling_world.images_dir, edited_images)
    first_image = ds.read_table(split.table_path(ds.IMAGES), ds.IMAGES)["file_name"][0].as_py()
    (edited_images / first_image).write_bytes((edited_images / first_image).read_bytes() + b"\0")
    missing_image = tmp_path / "missing"
    shutil.copytree(labelling_world.images_dir, missing_image)
    (missing_image / first_image).unlink()

    existing = plan.caption_job(split)
    assert_keys(existing, changed_by={
        "code_version": "other",
        "split": with_digest(split, "captions", "0" * 16),
    }, unchanged_by={"image_root": edited_images})
    # Reused captions depend on none of BLIP's settings.
    assert_settings_keys(existing, changed_by={}, unchanged_by={
        "blip.num_captions": 3, "blip.seed": 1, "blip.model": "/elsewhere/blip-dir",
    })

    blip = CaptionJob(
        split=split, settings=LabelSettings(captioner="blip", blip=BlipSettings(model="blip-dir")),
        model_checksum="a" * 16, image_root=labelling_world.images_dir, code_version="v1",
    )
    assert_keys(blip, changed_by={
        "model_checksum": "b" * 16,
        "image_root": edited_images,
        "code_version": "v2",
        "split": with_digest(split, "images", "0" * 16),
    })
    # The model is keyed by the checksum of its files (above), not by its name or path.
    assert_settings_keys(blip, changed_by={"blip.num_captions": 3, "blip.seed": 1}, unchanged_by={
        "blip.batch_size": 2, "blip.device": "cpu", "blip.model": "/elsewhere/blip-dir",
    })
    assert blip.model_copy(update={"image_root": missing_image}).key() != blip.key()

    parse = plan.parse_job(captions)
    assert_keys(parse, changed_by={
        "code_version": "other", "captions": with_digest(captions, "captions", "0" * 16),
        "parser_versions": parse.parser_versions | {"spacy": "3.9.0"},
    })
    assert_config_keys(parse, "parser", changed_by={
        "spacy_model": "other_model", "max_text_length": 500, "collective_nouns": frozenset(),
    }, unchanged_by={"batch_size": 3, "n_process": 2})

    match = plan.match_job(split, triplets)
    assert_keys(match, changed_by={
        "synonyms_digest": "0" * 16,
        "code_version": "other",
        "triplets": with_digest(triplets, "triplets", "0" * 16),
        "split": with_digest(split, "entities", "0" * 16),
    })
    assert_settings_keys(match, changed_by={"max_pairs_per_triplet": 3}, unchanged_by={
        "save_threshold": 0.5, "images_per_shard": 4,
    })

    tag = plan.tag_job(split, candidates)
    assert_keys(tag, changed_by={
        "tagger_checksum": "0" * 16,
        "code_version": "other",
        "image_root": edited_images,
        "candidates": with_digest(candidates, "candidates", "0" * 16),
        "split": with_digest(split, "entities", "0" * 16),
    })
    assert_settings_keys(tag, changed_by={"save_threshold": 0.5, "top_k_per_pair": 1},
                         unchanged_by={"tagger_device": "cuda", "max_pairs_per_triplet": 3})

    [graphs] = plan.scene_graph_jobs([split], [tagged])
    assert_keys(graphs, changed_by={
        "first_relationship_id": 2,
        "code_version": "other",
        "tagged": with_digest(tagged, "tagged_relations", "0" * 16),
    })


OTHER_VALUES = {
    "images_per_shard": (4, 5),
    "captioner": ("existing", "blip"),
    "blip.model": ("other-blip",),
    "blip.num_captions": (3, 4),
    "blip.batch_size": (2, 3),
    "blip.seed": (1, 2),
    "blip.device": ("cpu", "cuda"),
    "vocabulary": ("coco", "demo"),
    "synonyms_file": (Path("synonyms.json"),),
    "max_pairs_per_triplet": (3, 4),
    "save_threshold": (0.5, 0.6),
    "top_k_per_pair": (1, 2),
    "tagger_device": ("cpu", "cuda"),
    "tagger_batch_size": (3, 4),
    "tagger_workers": (0, 1),
}
"""For every label option, values of which at least one differs from any job's."""


def test_every_option_deciding_a_stage_by_value_is_in_its_key_and_no_other_is(
    loop_run: dict, labelling_world: LabellingWorld
) -> None:
    """The settings models declare what decides each stage; the keys follow, for every option
    there is and will be."""
    plan, stages = loop_run["plan"], loop_run["stages"]
    split, captions, triplets, candidates, tagged = (
        stages[stage][0] for stage in (SPLIT_STAGE, CAPTION_STAGE, PARSE_STAGE, MATCH_STAGE,
                                       TAG_STAGE)
    )
    blip_settings = plan.settings.model_copy(update={"captioner": "blip"})
    split_job_, digests = plan.split_job(), plan.split_job().input_digests()
    jobs = {
        CAPTION_STAGE: plan.caption_job(split).model_copy(
            update={"settings": blip_settings, "model_checksum": "a" * 16}
        ),
        PARSE_STAGE: plan.parse_job(captions),
        MATCH_STAGE: plan.match_job(split, triplets),
        TAG_STAGE: plan.tag_job(split, candidates),
        SCENE_GRAPH_STAGE: plan.scene_graph_jobs([split], [tagged])[0],
    }
    keys = {stage: (lambda settings, job=job: job.model_copy(update={"settings": settings}).key())
            for stage, job in jobs.items()}
    keys[SPLIT_STAGE] = lambda settings: split_job_.model_copy(
        update={"settings": settings}
    ).shard_key(digests, 0)
    settings = {stage: job.settings for stage, job in jobs.items()} | {SPLIT_STAGE: plan.settings}
    assert set(OTHER_VALUES) == {setting.name for setting in settings_of(LabelSettings)}
    for stage, key_of in keys.items():
        for setting in settings_of(LabelSettings):
            current = settings[stage]
            value = next(v for v in OTHER_VALUES[setting.name] if v != current.value(setting.name))
            changed = key_of(with_option(current, setting.name, value)) != key_of(current)
            decides = setting.option.decides == stage and not setting.option.by_content
            assert changed == decides, (stage, setting.name)


# --- the shard store ------------------------------------------------------------------------


IMAGE_ROW = {"image_id": 1, "dataset": "d", "split": "s", "file_name": "1.png", "width": 4,
             "height": 3}
SPECS = {"images": ds.IMAGES}


def images_result(*image_ids: int) -> ShardResult:
    table = ds.IMAGES.rows_to_arrow([IMAGE_ROW | {"image_id": i} for i in image_ids])
    return ShardResult(tables={"images": table}, counts={"images": len(image_ids)})


def entries(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir()) if directory.exists() else []


def test_a_failed_compute_leaves_no_shard_directory(tmp_path: Path) -> None:
    store = ShardStore(tmp_path)

    def broken() -> ShardResult:
        raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError, match="model crashed"):
        store.compute("stage", 0, "k0", SPECS, broken)
    wrong_table = ShardResult(tables={"images": ds.ENTITIES.rows_to_arrow([])})
    with pytest.raises(ds.SchemaMismatchError):
        store.compute("stage", 0, "k0", SPECS, lambda: wrong_table)
    with pytest.raises(ValueError, match="without a spec"):
        store.compute("stage", 0, "k0", {}, lambda: images_result(1))
    assert entries(tmp_path / "stage") == []
    assert store.load("stage", 0, "k0") is None


def test_a_stray_temporary_directory_is_ignored_and_a_complete_one_is_reused(
    tmp_path: Path
) -> None:
    store = ShardStore(tmp_path)
    stray = store.directory("stage", 3, "k3").with_name(".shard-00003-k3.0badc0de.tmp")
    stray.mkdir(parents=True)
    ds.write_table_atomic(ds.IMAGES.rows_to_arrow([IMAGE_ROW]), stray / "images.parquet", ds.IMAGES)
    (stray / "manifest.json").write_text("{")
    assert store.load("stage", 3, "k3") is None

    calls = []
    first = store.compute("stage", 3, "k3", SPECS, lambda: calls.append(1) or images_result(7, 8))
    assert calls == [1] and not first.reused
    assert first.directory == tmp_path / "stage" / "shard-00003-k3"
    assert [row["image_id"] for row in rows(first.table_path(ds.IMAGES))] == [7, 8]
    assert first.tables["images"].rows == 2 and first.counts == {"images": 2}

    def must_not_run() -> ShardResult:
        raise AssertionError("a complete shard was computed again")

    again = store.compute("stage", 3, "k3", SPECS, must_not_run)
    assert again.reused
    assert again.model_dump(exclude={"reused"}) == first.model_dump(exclude={"reused"})
    assert store.load("stage", 3, "k3") == again
    assert store.load("stage", 3, "other-key") is None
    assert entries(tmp_path / "stage") == [stray.name, "shard-00003-k3"]


def test_of_two_writers_of_one_shard_the_first_complete_directory_is_kept(
    tmp_path: Path,
) -> None:
    store = ShardStore(tmp_path)

    def slow_writer() -> ShardResult:
        store.compute("stage", 0, "k0", SPECS, lambda: images_result(1))  # the other worker
        return images_result(1)

    manifest = store.compute("stage", 0, "k0", SPECS, slow_writer)
    assert manifest.directory == tmp_path / "stage" / "shard-00000-k0"
    assert entries(tmp_path / "stage") == ["shard-00000-k0"]
    assert [row["image_id"] for row in rows(manifest.table_path(ds.IMAGES))] == [1]


# --- a loop over the jobs against the whole-dataset run -------------------------------------


def relationship_ids(scene_graphs: list[dict]) -> list[int]:
    """Relationship ids in image order, then the order of each image's list."""
    graphs = sorted(scene_graphs, key=lambda graph: graph["image_id"])
    return [item["relationship_id"] for graph in graphs for item in graph["relationships"]]


@pytest.mark.parametrize("images_per_shard", [1, 5, 100])
def test_a_loop_over_the_shard_jobs_publishes_the_tables_of_the_whole_dataset_run(
    labelling_world: LabellingWorld, models: dict, tmp_path: Path, images_per_shard: int
) -> None:
    plan = world_plan(labelling_world, tmp_path / "out", images_per_shard=images_per_shard)
    _, summary = label_in_a_loop(plan, **models)

    published = published_rows(tmp_path / "out")
    reference = labelling_world.reference_rows()
    # Scores to a relative 1e-5: other shards batch the tagger's calls otherwise.
    assert_same_rows(published, reference)
    assert len(published["tagged_relations"]) > 0
    assert min(row["score"] for row in published["tagged_relations"]) >= REFERENCE_SAVE_THRESHOLD
    kept = len(published["tagged_relations"])
    assert relationship_ids(published["scene_graphs"]) == list(range(1, kept + 1))
    shards = math.ceil(NUM_IMAGES / images_per_shard)
    assert (summary.shards, summary.stage_shards, summary.reused_shards) == (shards, 6 * shards, 0)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["table_shards"] == {
        table: shards * (2 if table == "rejects" else 1) for table in PUBLISHED_TABLES
    }


REJECTED_IMAGE_ID = 7


class FakeUnreadableImageError(ds.RLIPv2InputError):
    """What a real scorer raises for an image it cannot read."""


class HashedFakeScorer:
    """Scores each (subject, object, text) from a hash of it, spread over [0, 1], three pairs a
    call; raises :class:`FakeUnreadableImageError` for image ``REJECTED_IMAGE_ID``."""

    tagger_id = "fake-hashed-scorer"
    max_pairs = 3

    def score(self, image: ds.ImageRecord, image_root: Path, entities: Sequence[ds.EntityRecord],
              pairs: Sequence[tuple[int, int]], relation_texts: Sequence[str]) -> np.ndarray:
        if image.image_id == REJECTED_IMAGE_ID:
            raise FakeUnreadableImageError(f"{image_root / image.file_name} cannot be decoded")
        scores = [[zlib.crc32(f"{subject}|{object_}|{text}".encode()) % 1001 / 1000
                   for text in relation_texts] for subject, object_ in pairs]
        return np.array(scores, dtype=np.float64).reshape(len(pairs), len(relation_texts))


def test_with_a_fake_scorer_rejecting_an_image_shards_match_the_whole_dataset_run(
    labelling_world: LabellingWorld, models: dict, tmp_path: Path
) -> None:
    scorer = HashedFakeScorer()
    whole = tmp_path / "whole"
    plan = world_plan(labelling_world, tmp_path / "out", images_per_shard=5, save_threshold=0.3,
                      top_k_per_pair=1)
    stand_in = tmp_path / "fake-tagger.pt"  # the checkpoint keying the whole run's shards
    stand_in.write_text(scorer.tagger_id)
    run_tag_stages(
        plan.settings.model_copy(update={"images_per_shard": NUM_IMAGES}),
        labelling_world.dataset_dir, labelling_world.reference_candidates_dir, whole,
        tagger_checkpoint=stand_in, scorer=scorer, image_root=labelling_world.images_dir,
        rows_per_shard=1000, overwrite=False,
    )
    label_in_a_loop(plan, parser=models["parser"], matcher=models["matcher"], scorer=scorer)

    published = published_rows(tmp_path / "out")
    for table in ("tagged_relations", "scene_graphs", "rejects"):
        assert published[table] == by_json(rows(whole / table)), table
    assert [(row["stage"], row["image_id"]) for row in published["rejects"]] == [
        ("tag", REJECTED_IMAGE_ID)
    ]
    graph_ids = [graph["image_id"] for graph in published["scene_graphs"]]
    assert REJECTED_IMAGE_ID not in graph_ids and len(graph_ids) == NUM_IMAGES - 1
    kept = len(published["tagged_relations"])
    assert kept > 0 and relationship_ids(published["scene_graphs"]) == list(range(1, kept + 1))


def test_a_second_loop_reuses_every_shard_and_publish_replaces_a_previous_runs_tables(
    labelling_world: LabellingWorld, models: dict, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    plan = world_plan(labelling_world, out, images_per_shard=5)
    label_in_a_loop(plan, **models)
    first = published_rows(out)

    stages, summary = label_in_a_loop(plan, **models)
    assert summary.reused_shards == summary.stage_shards == 18
    assert all(manifest.reused for manifests in stages.values() for manifest in manifests)
    assert published_rows(out) == first

    other = world_plan(labelling_world, out, images_per_shard=NUM_IMAGES, save_threshold=0.02)
    label_in_a_loop(other, **models)
    for table in PUBLISHED_TABLES:
        expected = ["shard-00000.parquet"] + (["shard-00001.parquet"] if table == "rejects" else [])
        assert entries(out / table) == expected, table
    assert [name for name in entries(out) if name.startswith(".")] == []
    replaced = published_rows(out)
    assert_same_rows(  # scores to a relative 1e-5: other shards batch the tagger's calls otherwise
        {"tagged_relations": replaced["tagged_relations"]},
        {"tagged_relations": [row for row in first["tagged_relations"] if row["score"] >= 0.02]},
    )
    assert 0 < len(replaced["tagged_relations"]) < len(first["tagged_relations"])
    assert relationship_ids(replaced["scene_graphs"]) == list(
        range(1, len(replaced["tagged_relations"]) + 1)
    )
    for table in ("captions", "triplets", "candidates"):
        assert replaced[table] == first[table]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["summary"]["save_threshold"] == 0.02
    assert manifest["summary"]["relations_kept"] == len(replaced["tagged_relations"])


def test_a_moved_run_directory_is_reused_from_its_new_place(
    labelling_world: LabellingWorld, models: dict, tmp_path: Path
) -> None:
    label_in_a_loop(world_plan(labelling_world, tmp_path / "first", images_per_shard=5), **models)
    first = published_rows(tmp_path / "first")
    moved = (tmp_path / "first").rename(tmp_path / "moved")

    stages, summary = label_in_a_loop(
        world_plan(labelling_world, moved, images_per_shard=5), **models
    )
    assert summary.reused_shards == summary.stage_shards
    assert all(
        manifest.directory.is_relative_to(moved)
        for manifests in stages.values() for manifest in manifests
    )
    assert published_rows(moved) == first
