"""The tag stage of one shard: score its candidates with the R-Tagger.

Every (pair, text) scored at or above the save threshold is kept with its raw score; the
confidence cut of pretraining (0.20) is applied later, so changing it never re-tags.
"""

from pathlib import Path
from typing import Any, ClassVar

from data_schemas.candidates import CANDIDATES
from data_schemas.entities import ENTITIES
from data_schemas.images import IMAGES
from data_schemas.rejects import REJECTS, RejectRecord
from data_schemas.shard_manifest import ShardManifest
from data_schemas.table_spec import TableSpec
from data_schemas.tagged_relations import TAGGED_RELATIONS
from pipeline.labelling.image_files import image_files_digest
from pipeline.labelling.rejects_histogram import rejects_by_reason
from pipeline.labelling.shard_store import ShardResult, ShardStore
from pipeline.labelling.stage_job import StageJob
from pipeline.labelling.stages import TAG_STAGE
from pipeline.tagging import RelationScorer, TaggingCounts, tag_images
from pipeline.tagging.relation_scorer import scorer_for_categories


class TagJob(StageJob):
    """Tag the candidates of one shard (those of a match shard, or of a candidate run cut along
    with the images: then ``candidates`` is the split shard itself)."""

    STAGE: ClassVar[str] = TAG_STAGE
    OUTPUTS: ClassVar[tuple[TableSpec, ...]] = (TAGGED_RELATIONS, REJECTS)

    split: ShardManifest
    candidates: ShardManifest
    tagger_checksum: str
    """Checksum of the tagger checkpoint file."""
    image_root: Path
    category_names: tuple[str, ...]
    """The dataset's categories: the entity texts of a tagger shown them all."""

    @property
    def shard_index(self) -> int:
        return self.split.shard_index

    def inputs(self) -> dict[str, Any]:
        images = self.split.read(IMAGES)
        return {
            "images": self.split.digest_of(IMAGES),
            "image_files": image_files_digest(self.image_root, images["file_name"].to_pylist()),
            "entities": self.split.digest_of(ENTITIES),
            "candidates": self.candidates.digest_of(CANDIDATES),
            "tagger": self.tagger_checksum,
            "categories": list(self.category_names),
        }


def run_tag_job(job: TagJob, store: ShardStore, scorer: RelationScorer) -> ShardManifest:
    """The tagged relations of ``job``'s shard, scored by ``scorer`` (see :func:`tag_shard`)."""
    return job.run(store, lambda: tag_shard(job, scorer))


def tag_shard(job: TagJob, scorer: RelationScorer) -> ShardResult:
    """Tag ``job``'s shard with ``scorer``, loaded from the checkpoint of
    ``job.tagger_checksum``. How many pairs share a score call, which changes the scores (the
    tagger's queries attend to each other), is ``scorer.max_pairs``: part of the checkpoint, so
    the checksum in the key covers it. The batch size and the workers change no score."""
    settings = job.settings
    scorer = scorer_for_categories(scorer, job.category_names)
    counts = TaggingCounts()
    relation_rows, reject_rows = [], []
    for item in tag_images(
        job.split.read(IMAGES),
        job.split.read(ENTITIES),
        job.candidates.read(CANDIDATES),
        scorer,
        image_root=job.image_root,
        save_threshold=settings.save_threshold,
        top_k_per_pair=settings.top_k_per_pair,
        counts=counts,
        candidates_source=job.candidates.directory,
        batch_size=settings.tagger_batch_size,
        workers=settings.tagger_workers,
    ):
        if isinstance(item, RejectRecord):
            reject_rows.append(item.model_dump(mode="json"))
        else:
            relation_rows += [relation.model_dump() for relation in item.relations]
    return ShardResult(
        tables={
            TAGGED_RELATIONS.name: TAGGED_RELATIONS.rows_to_arrow(relation_rows),
            REJECTS.name: REJECTS.rows_to_arrow(reject_rows),
        },
        counts=counts.totals(),
        histograms={
            "predicates": dict(counts.predicates.most_common()),
            "rejects": rejects_by_reason(reject_rows),
            "relations_at_threshold": {
                f"{threshold:g}": count
                for threshold, count in sorted(counts.relations_at_threshold.items())
                if threshold >= settings.save_threshold
            },
        },
    )
