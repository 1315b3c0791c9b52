"""The CPU part of an R-Tagger score call, apart from the model: decode and resize the image,
turn the pairs into boxes and labels, gather the texts. Small and picklable, so that DataLoader
workers started from a clean process (forkserver) receive it without the model."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from data_schemas.entities import EntityRecord
from data_schemas.images import ImageRecord
from model.data import PairedTransform, load_rgb_image
from model.targets import NO_OBJECT_TEXT, LabelTexts
from rtagger.tagger_config import EntityTextSource
from rtagger.tagger_items import TaggerItem


@dataclass(frozen=True)
class TaggerItemPreparer:
    """Prepares score calls for a tagger of ``max_pairs`` slots whose entity texts are the
    categories of the call's pairs (``IMAGE``), or every category of the dataset
    (``dataset_categories``, which must then be given)."""

    transform: PairedTransform
    max_pairs: int
    entity_texts: EntityTextSource = EntityTextSource.IMAGE
    dataset_categories: tuple[str, ...] | None = None

    def __call__(
        self,
        image: ImageRecord,
        image_root: Path,
        entities: Sequence[EntityRecord],
        pairs: Sequence[tuple[int, int]],
        relation_texts: Sequence[str],
    ) -> TaggerItem:
        """The call's inputs: ``image``'s file is ``image_root / image.file_name``, ``entities``
        all its entities (boxes xyxy in absolute pixels), ``pairs`` at most ``max_pairs``
        (subject, object) entity ids.

        Raises:
            ImageFileError: the image file cannot be used.
            ValueError: more pairs than slots, or categories the dataset's do not hold.
        """
        if len(pairs) > self.max_pairs:
            raise ValueError(f"{len(pairs)} pairs for a tagger of {self.max_pairs} slots")
        by_id = {entity.entity_id: entity for entity in entities}
        picture = load_rgb_image(
            image_root / image.file_name,
            image_root=image_root,
            expected_size=(image.width, image.height),
        )
        names = self._entity_names([by_id[entity_id] for pair in pairs for entity_id in pair])
        pair_boxes = torch.tensor(
            [[_xyxy(by_id[subject]), _xyxy(by_id[object_])] for subject, object_ in pairs],
            dtype=torch.float32,
        )  # (num_pairs, 2, 4) xyxy absolute
        transformed = self.transform(picture, pair_boxes, torch.Generator())
        index = {name: position for position, name in enumerate(names)}
        return TaggerItem(
            image=transformed.image,
            subject_boxes=transformed.pair_boxes[:, 0],
            object_boxes=transformed.pair_boxes[:, 1],
            subject_labels=torch.tensor([index[by_id[s].category_name] for s, _ in pairs]),
            object_labels=torch.tensor([index[by_id[o].category_name] for _, o in pairs]),
            label_texts=LabelTexts(
                entity_texts=(*names, NO_OBJECT_TEXT), relation_texts=tuple(relation_texts)
            ),
        )

    def _entity_names(self, entities: Sequence[EntityRecord]) -> list[str]:
        """The entity texts but "no objects": the pairs' categories in first-seen order, or
        the dataset's categories (which must hold the pairs')."""
        names = list(dict.fromkeys(entity.category_name for entity in entities))
        if self.entity_texts is EntityTextSource.IMAGE:
            return names
        if self.dataset_categories is None:
            raise ValueError(
                "this tagger is shown every category of the dataset: call for_categories first"
            )
        unknown = sorted(set(names) - set(self.dataset_categories))
        if unknown:
            raise ValueError(f"categories {unknown} are not among the dataset's categories")
        return list(self.dataset_categories)


def _xyxy(entity: EntityRecord) -> list[float]:
    return [entity.x1, entity.y1, entity.x2, entity.y2]
