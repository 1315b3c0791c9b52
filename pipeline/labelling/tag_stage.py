"""The tag stage of one shard: score its candidates with the R-Tagger.

Every (pair, text) scored at or above the save threshold is kept with its raw score; the
confidence cut of pretraining (0.20) is applied later, so changing it never re-tags.
"""

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from data_schemas.candidates import CANDIDATES
from data_schemas.entities import ENTITIES
from data_schemas.images import IMAGES
from data_schemas.rejects import REJECTS, RejectRecord
from data_schemas.tagged_relations import TAGGED_RELATIONS
from pipeline.labelling.digests import json_digest
from pipeline.labelling.image_files import image_files_digest
from pipeline.labelling.rejects_histogram import rejects_by_reason
from pipeline.labelling.shard_store import ShardManifest, ShardResult, ShardStore
from pipeline.tagging import (
    RelationScorer,
    TaggingCounts,
    check_scorer_max_pairs,
    check_tagging_options,
)
from pipeline.tagging.relation_scorer import scorer_for_categories
from pipeline.tagging.tagging_run import tag_images

TAG_STAGE = "tag"

_OUTPUT_SPECS = {TAGGED_RELATIONS.name: TAGGED_RELATIONS, REJECTS.name: REJECTS}


class TagJob(BaseModel):
    """Tag the candidates of one shard."""

    model_config = ConfigDict(frozen=True)

    split: ShardManifest
    candidates: ShardManifest
    tagger_checksum: str
    """Checksum of the tagger checkpoint file."""
    save_threshold: float
    top_k_per_pair: int | None
    image_root: Path
    code_version: str
    category_names: tuple[str, ...]
    """The dataset's categories: the entity texts of a tagger shown them all."""

    @property
    def shard_index(self) -> int:
        return self.split.shard_index

    def key(self) -> str:
        images = self.split.read(IMAGES)
        return json_digest(
            {
                "stage": TAG_STAGE,
                "images": self.split.digest_of(IMAGES),
                "image_files": image_files_digest(self.image_root, images["file_name"].to_pylist()),
                "entities": self.split.digest_of(ENTITIES),
                "candidates": self.candidates.digest_of(CANDIDATES),
                "tagger": self.tagger_checksum,
                "save_threshold": self.save_threshold,
                "top_k_per_pair": self.top_k_per_pair,
                "categories": list(self.category_names),
                "code": self.code_version,
            }
        )


def run_tag_job(job: TagJob, store: ShardStore, scorer: RelationScorer) -> ShardManifest:
    """The tagged relations of ``job``'s shard, scored by ``scorer`` (loaded from the checkpoint
    of ``job.tagger_checksum``). How many pairs share a score call, which changes the scores
    (the tagger's queries attend to each other), is ``scorer.max_pairs``: part of the
    checkpoint, so ``job.tagger_checksum`` in the key covers it."""
    check_tagging_options(save_threshold=job.save_threshold, top_k_per_pair=job.top_k_per_pair)
    check_scorer_max_pairs(scorer)
    return store.compute(
        TAG_STAGE, job.shard_index, job.key(), _OUTPUT_SPECS, lambda: _tag_shard(job, scorer)
    )


def _tag_shard(job: TagJob, scorer: RelationScorer) -> ShardResult:
    scorer = scorer_for_categories(scorer, job.category_names)
    counts = TaggingCounts()
    relation_rows, reject_rows = [], []
    for item in tag_images(
        job.split.read(IMAGES),
        job.split.read(ENTITIES),
        job.candidates.read(CANDIDATES),
        scorer,
        image_root=job.image_root,
        save_threshold=job.save_threshold,
        top_k_per_pair=job.top_k_per_pair,
        counts=counts,
        candidates_source=job.candidates.directory,
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
                if threshold >= job.save_threshold
            },
        },
    )
