"""Join images, entities and relations into one scene-graph row per image."""

from collections.abc import Iterator

import pyarrow as pa

from data_schemas.image_groups import ImageGroupCursor, table_rows


def assemble_scene_graphs(
    images: pa.Table, entities: pa.Table, relations: pa.Table
) -> Iterator[dict]:
    """Yield one ``scene_graphs`` row per image, in ascending ``image_id`` order.

    ``images``, ``entities`` and ``relations`` are tables of the schemas of the same names.
    Objects and relationships keep their tables' order within an image. The tables are sorted
    by ``image_id`` and merge-joined batch by batch, so only one batch of rows is held as
    Python objects at a time.
    """
    entity_rows = ImageGroupCursor(entities)
    relation_rows = ImageGroupCursor(relations)
    for image in table_rows(images.sort_by("image_id")):
        image_id = image["image_id"]
        yield {
            **image,
            "objects": [_without_image_id(row) for row in entity_rows.rows_of(image_id)],
            "relationships": [_without_image_id(row) for row in relation_rows.rows_of(image_id)],
        }


def _without_image_id(row: dict) -> dict:
    """An entities/relations row as a scene-graph object/relationship (the image is implied)."""
    return {key: value for key, value in row.items() if key != "image_id"}
