"""The parse stage of one shard: captions -> (subject, relation, object) triplets."""

import dataclasses

from pydantic import BaseModel, ConfigDict

from data_schemas.captions import CAPTIONS
from data_schemas.shard_manifest import ShardManifest
from data_schemas.triplets import TRIPLETS
from pipeline.captioning.existing_captions import read_existing_captions
from pipeline.labelling.digests import json_digest
from pipeline.labelling.shard_store import ShardResult, ShardStore
from pipeline.labelling.stages import PARSE_STAGE
from pipeline.parsing import CaptionParser, CaptionParserConfig, ParsingStats, parse_captions

_OUTPUT_SPECS = {TRIPLETS.name: TRIPLETS}
# Settings that change speed but not the triplets.
_EXECUTION_ONLY = ("batch_size", "n_process")


class ParseJob(BaseModel):
    """Parse the captions of one caption-stage shard."""

    model_config = ConfigDict(frozen=True)

    captions: ShardManifest
    parser: CaptionParserConfig
    parser_versions: dict[str, str]
    """spaCy's, its pipeline's and SceneGraphParser's (see ``parser_software_versions``)."""
    code_version: str

    @property
    def shard_index(self) -> int:
        return self.captions.shard_index

    def key(self) -> str:
        settings = {
            name: sorted(value) if isinstance(value, frozenset) else value
            for name, value in dataclasses.asdict(self.parser).items()
            if name not in _EXECUTION_ONLY
        }
        return json_digest(
            {
                "stage": PARSE_STAGE,
                "captions": self.captions.digest_of(CAPTIONS),
                "settings": settings,
                "versions": self.parser_versions,
                "code": self.code_version,
            }
        )


def run_parse_job(job: ParseJob, store: ShardStore, parser: CaptionParser) -> ShardManifest:
    """The triplets of ``job``'s shard, parsed by ``parser`` (built from ``job.parser``)."""
    return store.compute(
        PARSE_STAGE,
        job.shard_index,
        job.key(),
        _OUTPUT_SPECS,
        lambda: _parse_shard(job, parser),
    )


def _parse_shard(job: ParseJob, parser: CaptionParser) -> ShardResult:
    stats = ParsingStats()
    captions = read_existing_captions(job.captions.table_path(CAPTIONS))
    rows = [triplet.model_dump() for triplet in parse_captions(captions, parser, stats=stats)]
    return ShardResult(tables={TRIPLETS.name: TRIPLETS.rows_to_arrow(rows)}, counts=stats.as_dict())
