"""The trained R-Tagger as the tagging stage's ``RelationScorer``: score calls prepared on the
CPU (in DataLoader workers), then scored in batches."""

import hashlib
import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from pydantic import TypeAdapter

from data_schemas.entities import EntityRecord
from data_schemas.errors import RLIPv2InputError
from data_schemas.images import ImageRecord
from model.checkpoint import read_checkpoint
from model.converted_checkpoint import converted_from_payload, is_converted
from model.data import (
    PairedTransform,
    TransformConfig,
    build_eval_transform,
)
from model.detector_config import DetectorConfig
from model.device import resolve_device
from model.engine import autocast_dtype
from model.gated_cross_attention import GatedCrossAttention
from rtagger.build_tagger import build_relation_tagger
from rtagger.relation_tagger import RelationTagger
from rtagger.tagger_item_preparer import TaggerItemPreparer
from rtagger.tagger_items import TaggerItem, canvas_size, collate_tagger_items
from rtagger.tagger_config import EntityTextSource, TaggerQueryConfig, TaggingConfig
from rtagger.tagger_identity import tagger_id_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaggerInferenceConfig:
    """What tagging needs of a tagger checkpoint's configuration: the sections of its
    ``train-tagger`` config (or of a converted checkpoint's) that rebuild and feed the model."""

    model: DetectorConfig
    transform: TransformConfig
    queries: TaggerQueryConfig = field(default_factory=TaggerQueryConfig)
    tagging: TaggingConfig = field(default_factory=TaggingConfig)

    @classmethod
    def from_record(cls, record: dict) -> "TaggerInferenceConfig":
        """From a stored configuration (plain values); raises KeyError, TypeError or
        ValueError when it is not a tagger's."""
        return TypeAdapter(cls).validate_python(
            {
                "model": record["model"],
                "transform": record["data"]["transform"],
                "queries": record.get("queries", {}),
                "tagging": record.get("tagging", {}),
            }
        )


class RelationTaggerScorer:
    """Scores (pair, relation text) combinations of an image with a trained tagger.

    The image goes through the evaluation transform (resize only) and is padded to its canvas
    (:mod:`rtagger.tagger_items`); each pair's boxes become
    the subject/object queries, labelled with their category names, which index the entity
    texts: the categories of the image's pairs, or (``dataset_categories`` given) every category
    of the dataset; "no objects" last. The relation texts are the image's candidate texts.
    Scores are the last decoder layer's relation sigmoids. At most ``max_pairs`` pairs per call
    (the tagger's slots).
    """

    def __init__(
        self,
        *,
        tagger: RelationTagger,
        transform: PairedTransform,
        device: torch.device,
        tagger_id: str,
        max_pairs: int,
        entity_texts: EntityTextSource = EntityTextSource.IMAGE,
        dataset_categories: tuple[str, ...] | None = None,
    ) -> None:
        self.tagger = tagger.to(device).eval()
        self.transform = transform
        self.device = device
        self._tagger_id = tagger_id
        self.max_pairs = max_pairs
        self.entity_texts = entity_texts
        self.dataset_categories = dataset_categories
        self._masks_text_padding = not any(
            isinstance(module, GatedCrossAttention) and not module.mask_padding
            for module in tagger.modules()
        )

    def for_categories(self, category_names: Sequence[str]) -> "RelationTaggerScorer":
        """This scorer (sharing its model) for a dataset of these categories: a tagger shown
        the dataset's categories needs them; for one shown the image's, nothing changes."""
        if self.entity_texts is EntityTextSource.IMAGE:
            return self
        return RelationTaggerScorer(
            tagger=self.tagger,
            transform=self.transform,
            device=self.device,
            tagger_id=self._tagger_id,
            max_pairs=self.max_pairs,
            entity_texts=self.entity_texts,
            dataset_categories=tuple(dict.fromkeys(category_names)),
        )

    @property
    def tagger_id(self) -> str:
        return self._tagger_id

    def score(
        self,
        image: ImageRecord,
        image_root: Path,
        entities: Sequence[EntityRecord],
        pairs: Sequence[tuple[int, int]],
        relation_texts: Sequence[str],
    ) -> torch.Tensor:
        """(len(pairs), len(relation_texts)) probabilities in [0, 1]."""
        return self.score_prepared(
            [self.preparer()(image, image_root, entities, pairs, relation_texts)]
        )[0]

    def preparer(self) -> TaggerItemPreparer:
        """The CPU part of :meth:`score` (image decoding and resizing, boxes, texts), without
        the model: DataLoader workers run it."""
        return TaggerItemPreparer(
            transform=self.transform,
            max_pairs=self.max_pairs,
            entity_texts=self.entity_texts,
            dataset_categories=self.dataset_categories,
        )

    def batch_key(self, prepared: TaggerItem) -> Hashable:
        """The image's canvas (see :mod:`rtagger.tagger_items`); and its numbers of texts too
        when the tagger's fusion ignores padding masks (as the released R-Tagger's does), since
        padded texts would then reach the image features."""
        canvas = canvas_size(prepared)
        if self._masks_text_padding:
            return canvas
        texts = prepared.label_texts
        return (*canvas, len(texts.entity_texts), len(texts.relation_texts))

    @torch.no_grad()
    def score_prepared(self, batch: Sequence[TaggerItem]) -> list[torch.Tensor]:
        """The scores of each prepared call (all of one :meth:`batch_key`) in one forward pass;
        under autocast on CUDA (bfloat16 where supported, else float16), none on the CPU."""
        tagger_batch = collate_tagger_items(batch)
        amp_dtype = autocast_dtype(self.device)
        with torch.autocast(self.device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            output = self.tagger(
                tagger_batch.images.to(self.device),
                tagger_batch.pixel_mask.to(self.device),
                tagger_batch.label_texts,
                tagger_batch.pairs.to(self.device),
            )
        probabilities = output.final.relation_logits.float().sigmoid().cpu()
        # (batch, slots, texts) -> each call's (num_pairs, num_relation_texts), padding cut off
        return [
            probabilities[position, : len(item.subject_labels), : len(texts.relation_texts)]
            for position, (item, texts) in enumerate(zip(batch, tagger_batch.label_texts))
        ]


def load_tagger_scorer(checkpoint: Path, *, device: str = "auto") -> RelationTaggerScorer:
    """Rebuild the tagger of a ``rlipv2 train-tagger`` checkpoint or of a converted R-Tagger
    (``rlipv2 convert-checkpoint``); its text encoder and tokenizer are loaded from the path its
    configuration names, then take the checkpoint's weights.

    Raises:
        RLIPv2InputError: not a tagger checkpoint, or weights that do not fit its model.
    """
    resolved_device = resolve_device(device, what="tagger device")
    if not checkpoint.is_file():
        raise RLIPv2InputError(f"tagger checkpoint {checkpoint} does not exist")
    payload = read_checkpoint(checkpoint)
    record, weights = payload.get("config"), payload.get("model")
    if is_converted(payload):
        converted = converted_from_payload(payload, source=checkpoint)
        if converted.architecture != "rtagger":
            raise RLIPv2InputError(
                f"{checkpoint} is a converted {converted.architecture} checkpoint, not an R-Tagger"
            )
        record, weights = converted.config, converted.model
    try:
        config = TaggerInferenceConfig.from_record(record)
    except (KeyError, TypeError, ValueError) as error:
        raise RLIPv2InputError(f"{checkpoint} is not an R-Tagger checkpoint: {error}") from None
    tagger = build_relation_tagger(config.model, reference=config.queries.reference)
    try:
        tagger.load_state_dict(weights)
    except (RuntimeError, TypeError) as error:
        raise RLIPv2InputError(f"{checkpoint} does not fit its own R-Tagger: {error}") from None
    with open(checkpoint, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return RelationTaggerScorer(
        tagger=tagger,
        transform=build_eval_transform(config.transform),
        device=resolved_device,
        tagger_id=tagger_id_of(checkpoint.name, digest),
        max_pairs=config.model.num_pairs,
        entity_texts=config.tagging.entity_texts,
    )
