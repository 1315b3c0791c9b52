"""Join images, entities and relations into one scene-graph row per image."""

from collections.abc import Iterator

import pyarrow as pa

_BATCH_ROWS = 65_536


def assemble_scene_graphs(
    images: pa.Table, entities: pa.Table, relations: pa.Table
) -> Iterator[dict]:
    """Yield one ``scene_graphs`` row per image, in ascending ``image_id`` order.

    ``images``, ``entities`` and ``relations`` are tables of the schemas of the same names.
    Objects and relationships keep their tables' order within an image. The three tables are
    sorted by ``image_id`` and merge-joined batch by batch, so only one batch of rows is held
    as Python objects at a time.
    """
    entity_groups = _groups_by_image(entities.sort_by("image_id"))
    relation_groups = _groups_by_image(relations.sort_by("image_id"))
    next_entities = next(entity_groups, None)
    next_relations = next(relation_groups, None)
    for image in _rows(images.sort_by("image_id")):
        image_id = image["image_id"]
        objects: list[dict] = []
        relationships: list[dict] = []
        while next_entities is not None and next_entities[0] < image_id:
            next_entities = next(entity_groups, None)
        if next_entities is not None and next_entities[0] == image_id:
            objects = [_without_image_id(row) for row in next_entities[1]]
            next_entities = next(entity_groups, None)
        while next_relations is not None and next_relations[0] < image_id:
            next_relations = next(relation_groups, None)
        if next_relations is not None and next_relations[0] == image_id:
            relationships = [_without_image_id(row) for row in next_relations[1]]
            next_relations = next(relation_groups, None)
        yield {**image, "objects": objects, "relationships": relationships}


def _rows(table: pa.Table) -> Iterator[dict]:
    for batch in table.to_batches(max_chunksize=_BATCH_ROWS):
        yield from batch.to_pylist()


def _groups_by_image(sorted_table: pa.Table) -> Iterator[tuple[int, list[dict]]]:
    """(image_id, rows of that image) for a table sorted by ``image_id``."""
    current_id: int | None = None
    current_rows: list[dict] = []
    for row in _rows(sorted_table):
        if row["image_id"] != current_id:
            if current_rows:
                yield current_id, current_rows
            current_id, current_rows = row["image_id"], []
        current_rows.append(row)
    if current_rows:
        yield current_id, current_rows


def _without_image_id(row: dict) -> dict:
    """An entities/relations row as a scene-graph object/relationship (the image is implied)."""
    return {key: value for key, value in row.items() if key != "image_id"}
