"""How many ground-truth relations the caption candidates cover, and how many they add."""

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class CandidateRecall:
    """Candidates measured against human relations of the same images and entities.

    A ground-truth relation is *pair-recalled* when some candidate has its (subject, object)
    entity pair, and *triplet-recalled* when a candidate also has its predicate as relation
    text (exact, lower-case: a caption's "seated on" does not recall "sitting on").
    """

    ground_truth_relations: int
    pair_recalled: int
    triplet_recalled: int
    candidates: int
    candidates_in_ground_truth: int

    @property
    def pair_recall(self) -> float:
        return self.pair_recalled / max(self.ground_truth_relations, 1)

    @property
    def triplet_recall(self) -> float:
        return self.triplet_recalled / max(self.ground_truth_relations, 1)

    @property
    def candidate_precision(self) -> float:
        """Share of candidates that are ground-truth triplets (what the R-Tagger starts from)."""
        return self.candidates_in_ground_truth / max(self.candidates, 1)

    def format(self) -> str:
        return "\n".join(
            [
                f"candidate recall against {self.ground_truth_relations:,} ground-truth relations:",
                f"  entity pair recalled       {self.pair_recall:7.1%} ({self.pair_recalled:,})",
                f"  pair + predicate recalled  {self.triplet_recall:7.1%} "
                f"({self.triplet_recalled:,})",
                f"  candidates that are ground truth {self.candidate_precision:7.1%} "
                f"({self.candidates_in_ground_truth:,} of {self.candidates:,})",
            ]
        )


def measure_candidate_recall(candidates: pa.Table, ground_truth: pa.Table) -> CandidateRecall:
    """Compare a ``candidates`` table with a ``relations`` table over the same entity ids."""
    candidate_triplets = {
        (row["subject_entity_id"], row["object_entity_id"], _normalised(row["relation"]))
        for row in candidates.select(["subject_entity_id", "object_entity_id", "relation"])
        .to_pylist()
    }
    candidate_pairs = {(subject, object_) for subject, object_, _ in candidate_triplets}
    truth = [
        (row["subject_entity_id"], row["object_entity_id"], _normalised(row["predicate"]))
        for row in ground_truth.select(["subject_entity_id", "object_entity_id", "predicate"])
        .to_pylist()
    ]
    truth_triplets = set(truth)
    return CandidateRecall(
        ground_truth_relations=len(truth),
        pair_recalled=sum((subject, object_) in candidate_pairs for subject, object_, _ in truth),
        triplet_recalled=sum(triplet in candidate_triplets for triplet in truth),
        candidates=len(candidate_triplets),
        candidates_in_ground_truth=len(candidate_triplets & truth_triplets),
    )


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())
