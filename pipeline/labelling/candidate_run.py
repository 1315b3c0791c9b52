"""The candidate stages of one dataset: captions -> triplets -> relation candidates.

Reads an ingested dataset (``images``, ``entities`` tables) and a stream of captions (from BLIP
or an existing ``captions`` table) and writes one directory::

    OUT/manifest.json        counts, parse statistics, dropped triplets by reason
    OUT/captions/…           the captions used (BLIP's, or a copy of the existing ones)
    OUT/triplets/…           parsed (subject, relation, object) triplets
    OUT/candidates/…         candidate (subject entity, object entity, relation text) rows
    OUT/rejects/…            images that could not be captioned
"""

import logging
import statistics
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from data_schemas.candidates import CANDIDATES
from data_schemas.captions import CAPTIONS, CaptionRecord
from data_schemas.entities import ENTITIES
from data_schemas.images import IMAGES
from data_schemas.parquet_io import ShardedTableWriter, read_table
from data_schemas.rejects import REJECTS, RejectRecord
from data_schemas.stage_run_manifest import StageRunManifest, StageTotals
from data_schemas.staged_output import StagedDatasetOutput
from data_schemas.triplets import TRIPLETS
from pipeline.labelling.stages import CAPTION_STAGE, MATCH_STAGE, PARSE_STAGE
from pipeline.matching import CandidateStats, PhraseMatcher, match_images
from pipeline.parsing import CaptionParser, ParsingStats, parse_captions

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CandidateRunSummary:
    """What a candidate run read, kept and dropped."""

    out_dir: Path
    captions: int
    caption_rejects: int
    parsing: ParsingStats
    candidates: CandidateStats
    seconds: float

    def format(self) -> str:
        per_image = sorted(self.candidates.candidates_per_image.elements())
        lines = [
            f"candidates written to {self.out_dir} in {self.seconds:.1f}s",
            f"  captions            {self.captions:>10,}",
            f"  rejected images     {self.caption_rejects:>10,}",
            f"  distinct texts      {self.parsing.texts_parsed:>10,}",
            f"  no triplet          {self.parsing.captions_without_triplets:>10,} captions",
            f"  triplets            {self.candidates.triplets:>10,}",
            f"  matched triplets    {self.candidates.matched_triplets:>10,}",
            f"  candidates          {self.candidates.candidates:>10,}",
        ]
        if per_image:
            lines.append(
                f"  candidates/image    median {statistics.median(per_image):g}, "
                f"90th pct {per_image[int(0.9 * (len(per_image) - 1))]}, max {per_image[-1]}"
            )
        lines.append("  dropped triplets:" + ("" if self.candidates.dropped else " none"))
        lines += [
            f"    {reason.value:<30} {count:>8,}"
            for reason, count in self.candidates.dropped.most_common()
        ]
        return "\n".join(lines)

    def manifest(self, dataset_dir: Path) -> StageRunManifest:
        return StageRunManifest(
            command="candidates",
            dataset=dataset_dir,
            stages={
                CAPTION_STAGE: StageTotals(
                    counts={"captions": self.captions, "rejects": self.caption_rejects}
                ),
                PARSE_STAGE: StageTotals(counts=self.parsing.as_dict()),
                MATCH_STAGE: StageTotals(
                    counts={
                        "triplets": self.candidates.triplets,
                        "matched_triplets": self.candidates.matched_triplets,
                        "candidates": self.candidates.candidates,
                    },
                    histograms={
                        "dropped_triplets": {
                            reason.value: count
                            for reason, count in self.candidates.dropped.items()
                        },
                        "candidates_per_image": {
                            str(count): images
                            for count, images in sorted(
                                self.candidates.candidates_per_image.items()
                            )
                        },
                    },
                ),
            },
        )


def run_candidate_stages(
    dataset_dir: Path,
    out_dir: Path,
    *,
    captions: Iterable[CaptionRecord | RejectRecord],
    parser: CaptionParser,
    matcher: PhraseMatcher,
    max_pairs_per_triplet: int | None,
    rows_per_shard: int,
    overwrite: bool,
) -> CandidateRunSummary:
    """Parse ``captions``, match them to ``dataset_dir``'s entities, write candidates.

    ``captions`` may interleave rejects (images the captioner could not read), which go to
    the ``rejects`` table. The output directory appears only once complete.
    """
    started = time.perf_counter()
    images = read_table(dataset_dir / IMAGES.name, IMAGES)
    entities = read_table(dataset_dir / ENTITIES.name, ENTITIES)
    parsing = ParsingStats()
    candidate_stats = CandidateStats()
    with StagedDatasetOutput(out_dir, rows_per_shard=rows_per_shard, overwrite=overwrite) as output:
        caption_writer = output.writer(CAPTIONS)
        reject_writer = output.writer(REJECTS)
        triplet_writer = output.writer(TRIPLETS)
        for triplet in parse_captions(
            _written_captions(captions, caption_writer, reject_writer), parser, stats=parsing
        ):
            triplet_writer.append(triplet.model_dump())
        for spec in (CAPTIONS, REJECTS, TRIPLETS):
            output.close_writer(spec)
        candidate_writer = output.writer(CANDIDATES)
        for candidate in match_images(
            images,
            entities,
            read_table(output.table_dir(TRIPLETS), TRIPLETS),
            matcher,
            max_pairs_per_triplet=max_pairs_per_triplet,
            stats=candidate_stats,
        ):
            candidate_writer.append(candidate.model_dump())
        summary = CandidateRunSummary(
            out_dir=out_dir,
            captions=caption_writer.rows_written,
            caption_rejects=reject_writer.rows_written,
            parsing=parsing,
            candidates=candidate_stats,
            seconds=time.perf_counter() - started,
        )
        output.commit(summary.manifest(dataset_dir))
    return summary


def _written_captions(
    stream: Iterable[CaptionRecord | RejectRecord],
    captions: ShardedTableWriter,
    rejects: ShardedTableWriter,
) -> Iterator[CaptionRecord]:
    """Pass the captions of ``stream`` on, writing them and its rejects on the way."""
    for item in stream:
        if isinstance(item, RejectRecord):
            rejects.append(item.model_dump(mode="json"))
            continue
        captions.append(item.model_dump())
        yield item
