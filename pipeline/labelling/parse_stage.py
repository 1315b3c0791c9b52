"""The parse stage of one shard: captions -> (subject, relation, object) triplets."""

import dataclasses
from typing import Any, ClassVar

from data_schemas.captions import CAPTIONS
from data_schemas.shard_manifest import ShardManifest
from data_schemas.table_spec import TableSpec
from data_schemas.triplets import TRIPLETS
from pipeline.captioning.existing_captions import read_existing_captions
from pipeline.labelling.shard_store import ShardResult, ShardStore
from pipeline.labelling.stage_job import StageJob
from pipeline.labelling.stages import PARSE_STAGE
from pipeline.parsing import CaptionParser, CaptionParserConfig, ParsingStats, parse_captions

# Parser settings that change speed but not the triplets.
_EXECUTION_ONLY = ("batch_size", "n_process")


class ParseJob(StageJob):
    """Parse the captions of one caption-stage shard."""

    STAGE: ClassVar[str] = PARSE_STAGE
    OUTPUTS: ClassVar[tuple[TableSpec, ...]] = (TRIPLETS,)

    captions: ShardManifest
    parser: CaptionParserConfig
    parser_versions: dict[str, str]
    """spaCy's, its pipeline's and SceneGraphParser's (see ``parser_software_versions``)."""

    @property
    def shard_index(self) -> int:
        return self.captions.shard_index

    def inputs(self) -> dict[str, Any]:
        parser = {
            name: sorted(value) if isinstance(value, frozenset) else value
            for name, value in dataclasses.asdict(self.parser).items()
            if name not in _EXECUTION_ONLY
        }
        return {
            "captions": self.captions.digest_of(CAPTIONS),
            "parser": parser,
            "versions": self.parser_versions,
        }


def run_parse_job(job: ParseJob, store: ShardStore, parser: CaptionParser) -> ShardManifest:
    """The triplets of ``job``'s shard (see :func:`parse_shard`)."""
    return job.run(store, lambda: parse_shard(job, parser))


def parse_shard(job: ParseJob, parser: CaptionParser) -> ShardResult:
    """Parse ``job``'s captions with ``parser`` (built from ``job.parser``)."""
    stats = ParsingStats()
    captions = read_existing_captions(job.captions.table_path(CAPTIONS))
    rows = [triplet.model_dump() for triplet in parse_captions(captions, parser, stats=stats)]
    return ShardResult(tables={TRIPLETS.name: TRIPLETS.rows_to_arrow(rows)}, counts=stats.as_dict())
