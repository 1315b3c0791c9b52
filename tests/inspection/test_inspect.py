"""``rlipv2 inspect``: summaries match counts made independently with duckdb and pyarrow; one
image's records come with their evidence; bad paths and unknown images are clear errors. The
run inspected is :mod:`label_run`'s.
"""

import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import data_schemas as ds
from data_schemas.label_run_manifest import LabelRunManifest
from data_schemas.manifest_file import write_manifest
from flows.cli import main
from inspection import image_detail_text, inspect_image, summarize_run
from label_run import NUM_IMAGES, UNREADABLE_IMAGE_ID, LabelRun, shared_label_run


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> LabelRun:
    return shared_label_run(tmp_path_factory)


def sql(query: str) -> list[tuple]:
    return duckdb.sql(query).fetchall()


def parquet(directory: Path) -> str:
    return f"'{directory}/*.parquet'"


# --- run summaries -------------------------------------------------------------------------


def test_run_summary_counts_match_duckdb(run: LabelRun) -> None:
    summary = summarize_run(run.label_dir, min_confidence=0.2, top=5)
    assert [table.table for table in summary.tables] == [
        "captions", "triplets", "candidates", "tagged_relations", "scene_graphs", "rejects"
    ]
    for table in summary.tables:
        directory = run.label_dir / table.table
        [(rows, images)] = sql(
            f"SELECT count(*), count(DISTINCT image_id) FROM {parquet(directory)}"
        )
        assert (table.rows, table.images) == (rows, images), table.table
        assert table.schema_version == 1
        assert table.min_confidence == 0.2

    tagged = summary.table("tagged_relations")
    source = parquet(run.label_dir / "tagged_relations")
    [(kept, below)] = sql(
        f"SELECT count(*) FILTER (score >= 0.2), count(*) FILTER (score < 0.2) FROM {source}"
    )
    assert (tagged.relations, tagged.relations_below_cut) == (kept, below)
    assert 0 < kept and 0 < below
    predicates = sql(
        f"SELECT relation, count(*) AS n FROM {source} WHERE score >= 0.2 "
        "GROUP BY relation ORDER BY n DESC, relation LIMIT 5"
    )
    assert [(item.name, item.count) for item in tagged.top_predicates] == predicates
    [(kinds,)] = sql(f"SELECT count(DISTINCT relation) FROM {source} WHERE score >= 0.2")
    assert tagged.predicate_kinds == kinds
    per_image = sql(
        f"SELECT n, count(*) FROM (SELECT image_id, count(*) FILTER (score >= 0.2) AS n "
        f"FROM {source} GROUP BY image_id) GROUP BY n ORDER BY n"
    )
    distribution = tagged.relations_per_image
    assert list(zip(distribution.counts, distribution.images_with)) == per_image
    assert distribution.total == kept and distribution.images == tagged.images
    histogram = sql(
        f"SELECT least(floor(score * 10), 9)::INT AS bin, count(*) FROM {source} "
        "GROUP BY bin ORDER BY bin"
    )
    expected_bins = [0] * 10
    for bin_index, count in histogram:
        expected_bins[bin_index] = count
    assert list(tagged.confidence_histogram.counts) == expected_bins
    assert tagged.confidence_histogram.unscored == 0
    assert sum(expected_bins[:2]) == below  # every score below 0.2 falls in the first two bins
    pairs = sql(
        f"SELECT s.category_name, o.category_name, count(*) AS n FROM {source} t "
        f"JOIN {parquet(run.dataset_dir / 'entities')} s ON s.entity_id = t.subject_entity_id "
        f"JOIN {parquet(run.dataset_dir / 'entities')} o ON o.entity_id = t.object_entity_id "
        "WHERE t.score >= 0.2 GROUP BY ALL ORDER BY n DESC, 1, 2 LIMIT 5"
    )
    assert [(pair.subject, pair.object, pair.count) for pair in tagged.top_entity_pairs] == pairs

    rejects = summary.table("rejects")
    by_reason = sql(
        f"SELECT reason, count(*) AS n FROM {parquet(run.label_dir / 'rejects')} "
        "GROUP BY reason ORDER BY n DESC, reason"
    )
    assert [(item.name, item.count) for item in rejects.rejects_by_reason] == by_reason
    assert {"unreadable_image", "degenerate_box"} <= {reason for reason, _ in by_reason}
    assert summary.table("captions").relations is None


def test_scene_graph_summary_counts_images_without_relations_as_zero(run: LabelRun) -> None:
    summary = summarize_run(run.label_dir / "scene_graphs", min_confidence=0.9)
    [scene_graphs] = summary.tables
    source = parquet(run.label_dir / "scene_graphs")
    per_image = sql(
        "SELECT n, count(*) FROM (SELECT image_id, "
        "len(list_filter(relationships, lambda r: r.confidence >= 0.9)) AS n "
        f"FROM {source}) GROUP BY n ORDER BY n"
    )
    distribution = scene_graphs.relations_per_image
    assert list(zip(distribution.counts, distribution.images_with)) == per_image
    assert distribution.counts[0] == 0, "some image keeps no relation at 0.9"
    [(rows,)] = sql(f"SELECT count(*) FROM {source}")
    assert scene_graphs.images == rows == NUM_IMAGES - 1  # the unreadable image has no graph
    [(relations,)] = sql(
        f"SELECT count(*) FROM (SELECT unnest(relationships) AS r FROM {source}) "
        "WHERE r.confidence >= 0.9"
    )
    assert scene_graphs.relations == relations


def test_human_relations_always_count_and_are_unscored(run: LabelRun) -> None:
    summary = summarize_run(run.vg_dir, min_confidence=1.0)
    relations = summary.table("relations")
    [(rows,)] = sql(f"SELECT count(*) FROM {parquet(run.vg_dir / 'relations')}")
    assert relations.relations == rows and relations.relations_below_cut == 0
    assert relations.confidence_histogram.unscored == rows
    assert relations.confidence_histogram.scored == 0
    # the VG dataset's own entities name its relations' entity ids
    assert relations.top_entity_pairs and relations.top_entity_pairs[0].subject != "?"
    assert summary.table("images").relations is None


def test_one_shard_file_is_summarised_alone(run: LabelRun) -> None:
    shards = sorted((run.label_dir / "candidates").glob("shard-*.parquet"))
    assert len(shards) > 1
    summary = summarize_run(shards[1])
    [table] = summary.tables
    assert table.rows == pq.ParquetFile(shards[1]).metadata.num_rows
    assert table.path == shards[1]


def test_summary_as_dict_is_json_and_markdown_has_every_table(run: LabelRun) -> None:
    summary = summarize_run(run.label_dir, min_confidence=0.2)
    as_dict = json.loads(json.dumps(summary.as_dict()))
    assert set(as_dict["tables"]) == {table.table for table in summary.tables}
    assert as_dict["tables"]["tagged_relations"]["relations"] == summary.table(
        "tagged_relations"
    ).relations
    markdown = summary.as_markdown()
    for table in summary.tables:
        assert f"`{table.table}`" in markdown
    assert "| predicate | relations |" in markdown
    rows = summary.as_table_rows()
    assert [row["table"] for row in rows] == [table.table for table in summary.tables]
    assert rows[-1]["rejects"] == summary.table("rejects").rows


def test_entity_pairs_need_the_dataset_and_dataset_can_be_given(run: LabelRun, tmp_path) -> None:
    moved = tmp_path / "moved"
    shutil.copytree(run.label_dir, moved)
    write_manifest(moved, LabelRunManifest(dataset=tmp_path / "gone", plan={}, summary={}))
    candidates = summarize_run(moved).table("candidates")
    assert candidates.top_entity_pairs is None and candidates.relations > 0
    named = summarize_run(moved, dataset_dir=run.dataset_dir).table("candidates")
    original = summarize_run(run.label_dir).table("candidates")
    assert named.top_entity_pairs == original.top_entity_pairs


# --- one image -----------------------------------------------------------------------------


def test_image_detail_gathers_rows_across_the_run_with_provenance(run: LabelRun) -> None:
    image_id = 3
    detail = inspect_image(run.label_dir, image_id, min_confidence=0.2)
    [image_row] = pq.read_table(
        run.dataset_dir / "images", filters=[("image_id", "=", image_id)]
    ).to_pylist()
    assert detail.image.model_dump() == image_row
    for field, directory in (
        ("entities", run.dataset_dir / "entities"),
        ("captions", run.label_dir / "captions"),
        ("triplets", run.label_dir / "triplets"),
        ("candidates", run.label_dir / "candidates"),
    ):
        [(rows,)] = sql(f"SELECT count(*) FROM {parquet(directory)} WHERE image_id = {image_id}")
        assert len(getattr(detail, field)) == rows > 0, field
    tagged = pq.read_table(
        run.label_dir / "tagged_relations", filters=[("image_id", "=", image_id)]
    ).to_pylist()
    kept = sorted((row["score"] for row in tagged if row["score"] >= 0.2), reverse=True)
    assert [relation.confidence for relation in detail.kept_relations] == kept
    assert detail.relations_below_cut == len(tagged) - len(kept)
    assert [reject.reason for reject in detail.rejects] == [ds.RejectReason.DEGENERATE_BOX]
    candidate_keys = {
        (row["subject_entity_id"], row["object_entity_id"], row["relation"]): row["provenance"]
        for row in pq.read_table(
            run.label_dir / "candidates", filters=[("image_id", "=", image_id)]
        ).to_pylist()
    }
    for relation in detail.kept_relations:
        key = (relation.subject_entity_id, relation.object_entity_id, relation.predicate)
        expected = candidate_keys.get(key, [])
        assert [evidence.model_dump() for evidence in relation.provenance] == expected

    text = image_detail_text(detail)
    assert detail.captions[0].text in text
    with_evidence = next(relation for relation in detail.candidates if relation.provenance)
    evidence = with_evidence.provenance[0]
    assert f"{evidence.subject_words!r} matched synonym {evidence.subject_synonym!r}" in text
    as_dict = json.loads(json.dumps(detail.as_dict()))
    assert as_dict["image"]["file_name"] == image_row["file_name"]
    assert len(as_dict["kept_relations"]) == len(kept)


def test_image_detail_of_a_tagging_run_follows_its_manifest(run: LabelRun) -> None:
    detail = inspect_image(run.tagged_dir / "scene_graphs", 4)
    assert detail.captions and detail.triplets and detail.candidates  # from the candidates run
    assert detail.image is not None and detail.entities  # from the dataset
    assert all(relation.relationship_id is not None for relation in detail.kept_relations)


def test_rejected_image_shows_its_reject(run: LabelRun) -> None:
    detail = inspect_image(run.label_dir, UNREADABLE_IMAGE_ID)
    assert detail.kept_relations == ()
    assert [reject.reason for reject in detail.rejects] == [ds.RejectReason.UNREADABLE_IMAGE]
    assert "unreadable_image" in image_detail_text(detail)


def test_unknown_image_id_is_an_error_naming_id_and_path(run: LabelRun) -> None:
    with pytest.raises(ds.RLIPv2InputError, match=rf"image id 4242 is not in {run.label_dir}"):
        inspect_image(run.label_dir, 4242)


# --- bad paths -----------------------------------------------------------------------------


def test_wrong_file_types_are_clear_errors(run: LabelRun, tmp_path: Path) -> None:
    text_file = tmp_path / "notes.csv"
    text_file.write_text("image_id,relation\n1,on\n")
    with pytest.raises(ds.RLIPv2InputError, match="notes.csv is not a Parquet file"):
        summarize_run(text_file)
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"image_id": [1]}), plain)
    with pytest.raises(ds.RLIPv2InputError, match="not an rlipv2 table"):
        summarize_run(plain)
    foreign = tmp_path / "foreign.parquet"
    pq.write_table(
        pa.table({"x": [1]}).replace_schema_metadata(
            {b"rlipv2.table": b"hoi_predictions", b"rlipv2.schema_version": b"3"}
        ),
        foreign,
    )
    with pytest.raises(ds.RLIPv2InputError, match="'hoi_predictions'.*does not know"):
        summarize_run(foreign)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ds.RLIPv2InputError, match="holds no rlipv2 table"):
        summarize_run(empty)
    with pytest.raises(ds.RLIPv2InputError, match="does not exist"):
        summarize_run(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        summarize_run(run.label_dir, min_confidence=1.5)


# --- command line --------------------------------------------------------------------------


def test_inspect_command_prints_text_or_json(run: LabelRun, capsys) -> None:
    assert main(["inspect", str(run.label_dir), "--min-confidence", "0.2"]) == 0
    text = capsys.readouterr().out
    for table in ("captions", "triplets", "candidates", "tagged_relations", "scene_graphs"):
        assert f"{table} (schema v1)" in text
    assert "rejects by reason:" in text and "degenerate_box" in text

    assert main(["inspect", str(run.label_dir), "--format", "json", "--top", "3"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(summarize_run(run.label_dir, top=3).as_dict()))

    assert main(["inspect", str(run.label_dir), "--image-id", "3", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["image_id"] == 3


def test_inspect_command_errors_are_one_line(run: LabelRun, tmp_path: Path, capsys) -> None:
    assert main(["inspect", str(run.label_dir), "--image-id", "4242"]) == 2
    error = capsys.readouterr().err
    assert "rlipv2: error: image id 4242 is not in" in error and "Traceback" not in error
    manifest = run.label_dir / "manifest.json"
    assert main(["inspect", str(manifest)]) == 2
    assert "manifest.json is not a Parquet file" in capsys.readouterr().err
