"""The trained R-Tagger as the tagging stage's ``RelationScorer``: one image at a time."""

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import torch
from pydantic import TypeAdapter

from data_schemas.entities import EntityRecord
from data_schemas.errors import RLIPv2InputError
from data_schemas.images import ImageRecord
from model.checkpoint import read_checkpoint, restore_checkpoint
from model.data import PairedTransform, build_eval_transform, load_rgb_image, pad_images
from model.targets import NO_OBJECT_TEXT, LabelTexts
from rtagger.box_pair_queries import TaggerPairs
from rtagger.build_tagger import build_relation_tagger
from rtagger.relation_tagger import RelationTagger
from rtagger.tagger_config import TaggerTrainingConfig

logger = logging.getLogger(__name__)


class RelationTaggerScorer:
    """Scores (pair, relation text) combinations of an image with a trained tagger.

    The image goes through the evaluation transform (resize only); each pair's boxes become
    the subject/object queries, labelled with their category names; the relation texts are
    the image's candidate texts. Scores are the last decoder layer's relation sigmoids.
    At most ``max_pairs`` pairs per call (the tagger's slots).
    """

    def __init__(
        self,
        *,
        tagger: RelationTagger,
        transform: PairedTransform,
        device: torch.device,
        tagger_id: str,
        max_pairs: int,
    ) -> None:
        self.tagger = tagger.to(device).eval()
        self.transform = transform
        self.device = device
        self._tagger_id = tagger_id
        self.max_pairs = max_pairs

    @property
    def tagger_id(self) -> str:
        return self._tagger_id

    @torch.no_grad()
    def score(
        self,
        image: ImageRecord,
        image_root: Path,
        entities: Sequence[EntityRecord],
        pairs: Sequence[tuple[int, int]],
        relation_texts: Sequence[str],
    ) -> torch.Tensor:
        """(len(pairs), len(relation_texts)) probabilities in [0, 1]."""
        if len(pairs) > self.max_pairs:
            raise ValueError(f"{len(pairs)} pairs for a tagger of {self.max_pairs} slots")
        by_id = {entity.entity_id: entity for entity in entities}
        picture = load_rgb_image(
            image_root / image.file_name,
            image_root=image_root,
            expected_size=(image.width, image.height),
        )
        names = list(
            dict.fromkeys(by_id[entity_id].category_name for pair in pairs for entity_id in pair)
        )
        label_texts = LabelTexts(
            entity_texts=(*names, NO_OBJECT_TEXT), relation_texts=tuple(relation_texts)
        )
        pair_boxes = torch.tensor(
            [[_xyxy(by_id[subject]), _xyxy(by_id[object_])] for subject, object_ in pairs],
            dtype=torch.float32,
        )  # (num_pairs, 2, 4) xyxy absolute
        transformed = self.transform(picture, pair_boxes, torch.Generator())
        images, pixel_mask, _ = pad_images([transformed.image])
        index = {name: position for position, name in enumerate(names)}
        tagger_pairs = TaggerPairs(
            subject_boxes=transformed.pair_boxes[None, :, 0],
            object_boxes=transformed.pair_boxes[None, :, 1],
            subject_labels=torch.tensor([[index[by_id[s].category_name] for s, _ in pairs]]),
            object_labels=torch.tensor([[index[by_id[o].category_name] for _, o in pairs]]),
            padding_mask=torch.zeros(1, len(pairs), dtype=torch.bool),
        )
        output = self.tagger(
            images.to(self.device),
            pixel_mask.to(self.device),
            label_texts,
            tagger_pairs.to(self.device),
        )
        return output.final.relation_logits[0].sigmoid().float().cpu()


def load_tagger_scorer(checkpoint: Path, *, device: str = "auto") -> RelationTaggerScorer:
    """Rebuild the tagger of a ``rlipv2 train-tagger`` checkpoint (its text encoder and
    tokenizer are loaded from the path the training config named).

    Raises:
        RLIPv2InputError: not a tagger checkpoint.
    """
    if not checkpoint.is_file():
        raise RLIPv2InputError(f"tagger checkpoint {checkpoint} does not exist")
    payload = read_checkpoint(checkpoint)
    try:
        config = TypeAdapter(TaggerTrainingConfig).validate_python(payload["config"])
    except (KeyError, ValueError) as error:
        raise RLIPv2InputError(f"{checkpoint} is not an R-Tagger checkpoint: {error}") from None
    tagger = build_relation_tagger(config.model)
    restore_checkpoint(payload, model=tagger, source=str(checkpoint))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    with open(checkpoint, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()[:12]
    return RelationTaggerScorer(
        tagger=tagger,
        transform=build_eval_transform(config.data.transform),
        device=torch.device(device),
        tagger_id=f"{checkpoint.name}@{digest}",
        max_pairs=config.model.num_pairs,
    )


def _xyxy(entity: EntityRecord) -> list[float]:
    return [entity.x1, entity.y1, entity.x2, entity.y2]
