"""Label vocabulary (text frequencies) and the per-batch label texts with sampled negatives.

RLIPv2 classifies entities and relations by similarity with label texts. A batch's texts are the
union of the names and predicates of its images plus negatives drawn from the dataset's
vocabulary until ``total_texts`` is reached (``entity_fraction`` of them entity texts, the rest
relation texts; paper: 500 texts, 333 entity + 167 relation), then "no objects" is appended to
the entity texts.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch

from model.data.training_annotations import TrainingAnnotations
from model.targets import NO_OBJECT_TEXT, LabelTexts

NegativeSampling = Literal["frequency", "uniform"]
"""How negatives are drawn (without replacement): weighted by their dataset count, or uniformly."""


@dataclass(frozen=True)
class TextSamplingConfig:
    """Texts per batch: ``int(total_texts * entity_fraction)`` entity texts (plus "no objects")
    and the remainder relation texts. A batch whose own texts exceed a budget keeps all of them
    and gets no negatives of that kind."""

    total_texts: int = 500
    entity_fraction: float = 2 / 3
    negative_sampling: NegativeSampling = "frequency"

    def __post_init__(self) -> None:
        if self.total_texts < 0:
            raise ValueError(f"total_texts must be >= 0, got {self.total_texts}")
        if not 0.0 <= self.entity_fraction <= 1.0:
            raise ValueError(f"entity_fraction must be in [0, 1], got {self.entity_fraction}")
        if self.negative_sampling not in ("frequency", "uniform"):
            raise ValueError(
                "negative_sampling must be 'frequency' or 'uniform', "
                f"got {self.negative_sampling!r}"
            )

    @property
    def entity_budget(self) -> int:
        """Entity texts per batch, "no objects" not included."""
        return int(self.total_texts * self.entity_fraction)

    @property
    def relation_budget(self) -> int:
        return self.total_texts - self.entity_budget


@dataclass(frozen=True)
class LabelVocabulary:
    """Entity names and predicates of a dataset with their counts, most frequent first (ties by
    name). An entity name counts once per related entity (distinct name and box of an image);
    a predicate counts once per pair it labels."""

    entity_counts: tuple[tuple[str, int], ...]
    relation_counts: tuple[tuple[str, int], ...]

    def __post_init__(self) -> None:
        for kind, counts in (("entity", self.entity_counts), ("relation", self.relation_counts)):
            names = [name for name, _ in counts]
            if len(set(names)) != len(names):
                raise ValueError(f"{kind} vocabulary has duplicate texts")
            if any(count < 1 for _, count in counts):
                raise ValueError(f"{kind} vocabulary counts must be >= 1")
        if any(name == NO_OBJECT_TEXT for name, _ in self.entity_counts):
            raise ValueError(f"{NO_OBJECT_TEXT!r} is reserved and cannot be an entity name")

    @property
    def entity_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.entity_counts)

    @property
    def relation_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.relation_counts)


def build_label_vocabulary(annotations: TrainingAnnotations) -> LabelVocabulary:
    """Count the entity names and predicates of kept relation pairs (column-wise, without
    decoding the images one by one)."""
    entity_counter, relation_counter = annotations.related_counts()
    return LabelVocabulary(
        entity_counts=_most_frequent_first(entity_counter),
        relation_counts=_most_frequent_first(relation_counter),
    )


def _most_frequent_first(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def sample_label_texts(
    entity_names: Sequence[str],
    predicates: Sequence[str],
    *,
    vocabulary: LabelVocabulary,
    config: TextSamplingConfig,
    generator: torch.Generator,
) -> LabelTexts:
    """A batch's label texts: its own texts (deduplicated, in first-seen order), then negatives.

    Args:
        entity_names: subject and object names of every pair of the batch, and the names of
            its unrelated entities (repeats allowed).
        predicates: predicates of every pair of the batch (repeats allowed).
        generator: the only source of randomness; the same seed gives the same texts.

    Returns:
        ``entity_texts`` ending with "no objects", ``relation_texts``; no duplicates.
    """
    present_entities = tuple(dict.fromkeys(entity_names))
    present_relations = tuple(dict.fromkeys(predicates))
    if NO_OBJECT_TEXT in present_entities:
        raise ValueError(f"{NO_OBJECT_TEXT!r} is reserved and cannot be an entity name")
    entity_negatives = sample_negatives(
        vocabulary.entity_counts,
        exclude=set(present_entities),
        num_samples=config.entity_budget - len(present_entities),
        strategy=config.negative_sampling,
        generator=generator,
    )
    relation_negatives = sample_negatives(
        vocabulary.relation_counts,
        exclude=set(present_relations),
        num_samples=config.relation_budget - len(present_relations),
        strategy=config.negative_sampling,
        generator=generator,
    )
    return LabelTexts(
        entity_texts=present_entities + entity_negatives + (NO_OBJECT_TEXT,),
        relation_texts=present_relations + relation_negatives,
    )


def sample_negatives(
    counts: Sequence[tuple[str, int]],
    *,
    exclude: set[str],
    num_samples: int,
    strategy: NegativeSampling,
    generator: torch.Generator,
) -> tuple[str, ...]:
    """Up to ``num_samples`` distinct texts not in ``exclude``, drawn without replacement with
    probability proportional to their count (``"frequency"``) or uniformly (``"uniform"``)."""
    candidates = [(name, count) for name, count in counts if name not in exclude]
    num_samples = min(num_samples, len(candidates))
    if num_samples <= 0:
        return ()
    if strategy == "frequency":
        weights = torch.tensor([count for _, count in candidates], dtype=torch.float64)
    else:
        weights = torch.ones(len(candidates), dtype=torch.float64)
    chosen = torch.multinomial(weights, num_samples, replacement=False, generator=generator)
    return tuple(candidates[index][0] for index in chosen.tolist())
