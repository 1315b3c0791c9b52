"""The reports ``rlipv2 candidates`` and ``rlipv2 tag`` print: a stage run's totals, from its
manifest."""

import statistics
from collections import Counter

from pipeline.labelling.stage_run import StageRunSummary
from pipeline.labelling.stages import CAPTION_STAGE, MATCH_STAGE, PARSE_STAGE, TAG_STAGE

TOP_PREDICATES = 5


def candidate_run_report(summary: StageRunSummary) -> str:
    """Captions, parsing and matching totals, candidates per image, dropped triplets."""
    stages = summary.manifest.stages
    captions, parsing, matching = (stages[name] for name in (CAPTION_STAGE, PARSE_STAGE, MATCH_STAGE))
    per_image = sorted(
        Counter(
            {int(count): images for count, images in matching.histograms["candidates_per_image"].items()}
        ).elements()
    )
    dropped = Counter(matching.histograms["dropped_triplets"])
    lines = [
        f"candidates written to {summary.out_dir} in {summary.seconds:.1f}s",
        f"  captions            {captions.counts['captions']:>10,}",
        f"  rejected images     {captions.counts.get('rejects', 0):>10,}",
        f"  distinct texts      {parsing.counts['texts_parsed']:>10,}",
        f"  no triplet          {parsing.counts['captions_without_triplets']:>10,} captions",
        f"  triplets            {matching.counts['triplets']:>10,}",
        f"  matched triplets    {matching.counts['matched_triplets']:>10,}",
        f"  candidates          {matching.counts['candidates']:>10,}",
    ]
    if per_image:
        lines.append(
            f"  candidates/image    median {statistics.median(per_image):g}, "
            f"90th pct {per_image[int(0.9 * (len(per_image) - 1))]}, max {per_image[-1]}"
        )
    lines.append("  dropped triplets:" + ("" if dropped else " none"))
    lines += [f"    {reason:<30} {count:>8,}" for reason, count in dropped.most_common()]
    return "\n".join(lines)


def tag_run_report(summary: StageRunSummary) -> str:
    """What was scored and kept, relations at the reported confidences, top predicates."""
    settings = summary.manifest.settings
    tagging = summary.manifest.stages[TAG_STAGE]
    counts = tagging.counts
    top_k = settings["top_k_per_pair"]
    lines = [
        f"tagged relations written to {summary.out_dir} in {summary.seconds:.1f}s",
        f"  tagger              {settings['tagger_id']}",
        f"  images              {counts['images']:>10,}",
        f"  with candidates     {counts['images_with_candidates']:>10,}",
        f"  rejected images     {counts['images_rejected']:>10,}",
        f"  pairs scored        {counts['pairs_scored']:>10,}",
        f"  (pair, text) scored {counts['pair_texts_scored']:>10,}",
        f"  relations kept      {counts['relations_kept']:>10,} "
        f"(score >= {settings['save_threshold']:g}"
        + ("" if top_k is None else f", top {top_k} per pair")
        + ")",
    ]
    lines += [
        f"    score >= {threshold:<8} {count:>10,}"
        for threshold, count in tagging.histograms["relations_at_threshold"].items()
    ]
    top = Counter(tagging.histograms["predicates"]).most_common(TOP_PREDICATES)
    if top:
        lines.append(
            "  top predicates      " + ", ".join(f"{text} ({count:,})" for text, count in top)
        )
    return "\n".join(lines)
