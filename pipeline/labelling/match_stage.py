"""The match stage of one shard: triplets + annotated entities -> relation candidates."""

from typing import Any, ClassVar

from data_schemas.candidates import CANDIDATES
from data_schemas.entities import ENTITIES
from data_schemas.images import IMAGES
from data_schemas.shard_manifest import ShardManifest
from data_schemas.table_spec import TableSpec
from data_schemas.triplets import TRIPLETS
from pipeline.labelling.shard_store import ShardResult, ShardStore
from pipeline.labelling.stage_job import StageJob
from pipeline.labelling.stages import MATCH_STAGE
from pipeline.matching import CandidateStats, PhraseMatcher, match_images


class MatchJob(StageJob):
    """Match the triplets of one shard to the shard's entities."""

    STAGE: ClassVar[str] = MATCH_STAGE
    OUTPUTS: ClassVar[tuple[TableSpec, ...]] = (CANDIDATES,)

    split: ShardManifest
    triplets: ShardManifest
    synonyms_digest: str
    """Digest of the synonym table of ``settings.vocabulary`` and ``settings.synonyms_file``."""

    @property
    def shard_index(self) -> int:
        return self.split.shard_index

    def inputs(self) -> dict[str, Any]:
        return {
            "images": self.split.digest_of(IMAGES),
            "entities": self.split.digest_of(ENTITIES),
            "triplets": self.triplets.digest_of(TRIPLETS),
            "synonyms": self.synonyms_digest,
        }


def run_match_job(job: MatchJob, store: ShardStore, matcher: PhraseMatcher) -> ShardManifest:
    """The candidates of ``job``'s shard (see :func:`match_shard`)."""
    return job.run(store, lambda: match_shard(job, matcher))


def match_shard(job: MatchJob, matcher: PhraseMatcher) -> ShardResult:
    """Match ``job``'s triplets with ``matcher``, built from the synonyms of the job's digest."""
    stats = CandidateStats()
    rows = [
        candidate.model_dump()
        for candidate in match_images(
            job.split.read(IMAGES),
            job.split.read(ENTITIES),
            job.triplets.read(TRIPLETS),
            matcher,
            max_pairs_per_triplet=job.settings.max_pairs_per_triplet,
            stats=stats,
        )
    ]
    return ShardResult(
        tables={CANDIDATES.name: CANDIDATES.rows_to_arrow(rows)},
        counts={
            "triplets": stats.triplets,
            "matched_triplets": stats.matched_triplets,
            "candidates": stats.candidates,
        },
        histograms={
            "dropped_triplets": {reason.value: count for reason, count in stats.dropped.items()},
            "candidates_per_image": {
                str(count): images for count, images in sorted(stats.candidates_per_image.items())
            },
        },
    )
