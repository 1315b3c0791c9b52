"""The match stage of one shard: triplets + annotated entities -> relation candidates."""

from pydantic import BaseModel, ConfigDict

from data_schemas.candidates import CANDIDATES
from data_schemas.entities import ENTITIES
from data_schemas.images import IMAGES
from data_schemas.shard_manifest import ShardManifest
from data_schemas.triplets import TRIPLETS
from pipeline.labelling.digests import json_digest
from pipeline.labelling.shard_store import ShardResult, ShardStore
from pipeline.labelling.stages import MATCH_STAGE
from pipeline.matching import CandidateStats, PhraseMatcher, match_images

_OUTPUT_SPECS = {CANDIDATES.name: CANDIDATES}


class MatchJob(BaseModel):
    """Match the triplets of one shard to the shard's entities."""

    model_config = ConfigDict(frozen=True)

    split: ShardManifest
    triplets: ShardManifest
    synonyms_digest: str
    """Digest of the synonym table the matcher is built from."""
    max_pairs_per_triplet: int | None
    code_version: str

    @property
    def shard_index(self) -> int:
        return self.split.shard_index

    def key(self) -> str:
        return json_digest(
            {
                "stage": MATCH_STAGE,
                "images": self.split.digest_of(IMAGES),
                "entities": self.split.digest_of(ENTITIES),
                "triplets": self.triplets.digest_of(TRIPLETS),
                "synonyms": self.synonyms_digest,
                "max_pairs_per_triplet": self.max_pairs_per_triplet,
                "code": self.code_version,
            }
        )


def run_match_job(job: MatchJob, store: ShardStore, matcher: PhraseMatcher) -> ShardManifest:
    """The candidates of ``job``'s shard; ``matcher`` uses the synonyms of the job's digest."""
    return store.compute(
        MATCH_STAGE,
        job.shard_index,
        job.key(),
        _OUTPUT_SPECS,
        lambda: _match_shard(job, matcher),
    )


def _match_shard(job: MatchJob, matcher: PhraseMatcher) -> ShardResult:
    stats = CandidateStats()
    rows = [
        candidate.model_dump()
        for candidate in match_images(
            job.split.read(IMAGES),
            job.split.read(ENTITIES),
            job.triplets.read(TRIPLETS),
            matcher,
            max_pairs_per_triplet=job.max_pairs_per_triplet,
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
