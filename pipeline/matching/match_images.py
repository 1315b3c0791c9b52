"""Candidate relations of every image of a table: the images' entities and triplets, image by
image, through :func:`~pipeline.matching.candidates.build_candidates`."""

from collections.abc import Iterator

import pyarrow as pa

from data_schemas.candidates import CandidateRecord
from data_schemas.entities import EntityRecord
from data_schemas.image_groups import ImageGroupCursor, table_rows
from data_schemas.triplets import TripletRecord
from pipeline.matching.candidates import CandidateStats, build_candidates
from pipeline.matching.phrase_matcher import PhraseMatcher


def match_images(
    images: pa.Table,
    entities: pa.Table,
    triplets: pa.Table,
    matcher: PhraseMatcher,
    *,
    max_pairs_per_triplet: int | None,
    stats: CandidateStats,
) -> Iterator[CandidateRecord]:
    """The candidates of every image of ``images`` (by ascending id) from its ``entities`` and
    ``triplets`` (tables sorted by image id), counting into ``stats``."""
    triplet_groups = ImageGroupCursor(triplets)
    entity_groups = ImageGroupCursor(entities)
    for image in table_rows(images.sort_by("image_id")):
        image_id = image["image_id"]
        candidates, image_stats = build_candidates(
            image_id,
            [EntityRecord.model_validate(row) for row in entity_groups.rows_of(image_id)],
            [TripletRecord.model_validate(row) for row in triplet_groups.rows_of(image_id)],
            matcher,
            max_pairs_per_triplet=max_pairs_per_triplet,
        )
        stats.add(image_stats)
        yield from candidates
