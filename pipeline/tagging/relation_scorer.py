"""The scorer interface: what the tagging stage needs from a relation tagger (the R-Tagger)."""

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeAlias, runtime_checkable

import numpy as np

from data_schemas.categories import CATEGORIES
from data_schemas.entities import EntityRecord
from data_schemas.images import ImageRecord
from data_schemas.parquet_io import read_table

if TYPE_CHECKING:  # torch is not imported at run time: the command line's --help reads this
    import torch

ScoreMatrix: TypeAlias = "torch.Tensor | np.ndarray"
"""Scores of shape ``(num_pairs, num_texts)``, probabilities in [0, 1]."""


class RelationScorer(Protocol):
    """Scores every (subject-object pair, relation text) of one image: the R-Tagger, or a named
    fake in tests."""

    @property
    def tagger_id(self) -> str:
        """Names the checkpoint and a checksum of it; stored beside every tagged relation."""
        ...

    @property
    def max_pairs(self) -> int:
        """The most pairs one score call takes (the tagger's pair slots); an image with more
        pairs is scored in consecutive chunks of this size. It is part of the checkpoint, so the
        tagger id covers it."""
        ...

    def score(
        self,
        image: ImageRecord,
        image_root: Path,
        entities: Sequence[EntityRecord],
        pairs: Sequence[tuple[int, int]],
        relation_texts: Sequence[str],
    ) -> ScoreMatrix:
        """Probabilities that each pair is related by each text.

        ``image``'s file is ``image_root / image.file_name``; ``entities`` are all the image's
        entities (boxes xyxy in absolute pixels); ``pairs`` are at most ``max_pairs``
        ``(subject_entity_id, object_entity_id)`` of those entities. Returns
        ``(len(pairs), len(relation_texts))`` scores in [0, 1], ``result[i, j]`` for
        ``pairs[i]`` and ``relation_texts[j]``.

        Raises:
            RLIPv2InputError: this image cannot be used (e.g. its file is missing or unreadable);
                the tagging run rejects the image and goes on, with the ``reason`` of an
                :class:`~model.data.image_files.ImageFileError`, else ``unreadable_image``.
        """
        ...


@runtime_checkable
class CategoryAwareScorer(Protocol):
    """A scorer that may show its model every category of the dataset (the released R-Tagger's
    entity texts) and so must be told them before scoring."""

    def for_categories(self, category_names: Sequence[str]) -> RelationScorer:
        """The scorer to use on a dataset of these categories."""
        ...


def dataset_category_names(dataset_dir: Path) -> tuple[str, ...]:
    """The names of an ingested dataset's ``categories`` table, in its order."""
    return tuple(read_table(dataset_dir / CATEGORIES.name, CATEGORIES)["name"].to_pylist())


def scorer_for_categories(scorer: RelationScorer, category_names: Sequence[str]) -> RelationScorer:
    """``scorer`` told the dataset's categories when it is a :class:`CategoryAwareScorer`."""
    if isinstance(scorer, CategoryAwareScorer):
        return scorer.for_categories(category_names)
    return scorer


def checked_scores(scores: ScoreMatrix, *, num_pairs: int, num_texts: int) -> np.ndarray:
    """``scores`` as a float64 ``(num_pairs, num_texts)`` array, checked against the contract.

    Raises:
        ValueError: the shape differs, or a score is not a number in [0, 1].
    """
    if hasattr(scores, "detach"):  # a torch tensor
        scores = scores.detach().cpu().double().numpy()
    array = np.asarray(scores, dtype=np.float64)
    if array.shape != (num_pairs, num_texts):
        raise ValueError(
            f"scorer returned scores of shape {array.shape}, expected (pairs, texts) = "
            f"({num_pairs}, {num_texts})"
        )
    if not np.all((array >= 0.0) & (array <= 1.0)):  # also False for NaN
        raise ValueError(
            "scorer returned scores outside [0, 1] (or NaN); it must return probabilities, "
            "e.g. sigmoid(logits)"
        )
    return array
