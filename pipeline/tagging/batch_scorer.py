"""The batched scorer interface: a scorer whose work splits into preparing one score call's
inputs (image decoding, on the CPU, in DataLoader workers) and scoring a batch of prepared
calls at once (the model); and the adapter that lets a one-call scorer take part."""

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from data_schemas.entities import EntityRecord
from data_schemas.images import ImageRecord
from pipeline.tagging.relation_scorer import RelationScorer, ScoreMatrix


@runtime_checkable
class BatchRelationScorer(Protocol):
    """A scorer that scores several calls (of one image or of several) in one model pass,
    with the same scores as :meth:`RelationScorer.score` one call at a time."""

    @property
    def tagger_id(self) -> str:
        """As :attr:`RelationScorer.tagger_id`."""
        ...

    @property
    def max_pairs(self) -> int:
        """As :attr:`RelationScorer.max_pairs`."""
        ...

    def preparer(self) -> Callable[..., Any]:
        """The CPU work of one :meth:`RelationScorer.score` call, called with its arguments:
        run in DataLoader workers started from a clean process, so it must be picklable, hold
        no model and touch no device.

        Its call raises:
            RLIPv2InputError: this image cannot be used (as ``score`` would).
        """
        ...

    def batch_key(self, prepared: Any) -> Hashable:
        """Prepared calls of equal keys may share a batch without changing their scores (e.g.
        images of one size, where padding would change what a convolution sees)."""
        ...

    def score_prepared(self, batch: Sequence[Any]) -> list[ScoreMatrix]:
        """The scores of each prepared call of ``batch`` (all of one key), as ``score`` would
        return them."""
        ...


@dataclass(frozen=True)
class ScoreCall:
    """The arguments of one :meth:`RelationScorer.score` call."""

    image: ImageRecord
    image_root: Path
    entities: tuple[EntityRecord, ...]
    pairs: tuple[tuple[int, int], ...]
    relation_texts: tuple[str, ...]


class OneCallScorer:
    """A :class:`RelationScorer` without batching as a :class:`BatchRelationScorer`: preparing
    keeps the call's arguments, and a batch is scored call by call."""

    def __init__(self, scorer: RelationScorer) -> None:
        self.scorer = scorer

    @property
    def tagger_id(self) -> str:
        return self.scorer.tagger_id

    @property
    def max_pairs(self) -> int:
        return self.scorer.max_pairs

    def preparer(self) -> type[ScoreCall]:
        return ScoreCall

    def batch_key(self, prepared: ScoreCall) -> Hashable:
        return None

    def score_prepared(self, batch: Sequence[ScoreCall]) -> list[ScoreMatrix]:
        return [
            self.scorer.score(
                call.image, call.image_root, call.entities, call.pairs, call.relation_texts
            )
            for call in batch
        ]


def batch_scorer(scorer: RelationScorer) -> BatchRelationScorer:
    """``scorer`` itself when it batches, else it wrapped in a :class:`OneCallScorer`."""
    if isinstance(scorer, BatchRelationScorer):
        return scorer
    return OneCallScorer(scorer)
