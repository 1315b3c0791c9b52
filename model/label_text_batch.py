"""The label texts of a batch as the encoder takes them: one vocabulary shared by the batch
(training), or one per image (batched tagging), padded to a common length."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from model.targets import LabelTexts

TextEncoder = Callable[[Sequence[str]], torch.Tensor]
"""Texts -> (num_texts, text_dim) pooled features, one row per text, each text encoded alone."""


@dataclass(frozen=True)
class LabelTextBatch:
    """Pooled label-text features laid out per image: entity texts, then relation texts.

    Attributes:
        features: (batch, num_entity_texts + num_relation_texts, text_dim); image ``b``'s
            entity texts in rows ``[0, E_b)``, its relation texts in rows
            ``[num_entity_texts, num_entity_texts + R_b)``, zeros elsewhere.
        padding_mask: (batch, num_texts) bool, True = padding; None when every image has the
            same texts (a shared vocabulary).
        num_entity_texts: rows before the relation texts (the most entity texts of an image).
        relation_text_features: (num_relation_texts, text_dim) the features of the batch's
            relation texts, before fusion (with one vocabulary per image: of their union, in
            first-seen order).
    """

    features: torch.Tensor
    padding_mask: torch.Tensor | None
    num_entity_texts: int
    relation_text_features: torch.Tensor


def encode_label_texts(
    text_encoder: TextEncoder,
    label_texts: LabelTexts | Sequence[LabelTexts],
    *,
    batch_size: int,
) -> LabelTextBatch:
    """Encode a shared vocabulary once, or the union of per-image vocabularies once and lay it
    out per image (each text's features do not depend on the other texts).

    Raises:
        ValueError: per-image vocabularies whose number is not ``batch_size``.
    """
    if isinstance(label_texts, LabelTexts):
        texts = [*label_texts.entity_texts, *label_texts.relation_texts]
        features = text_encoder(texts)  # (num_texts, text_dim)
        num_entity_texts = len(label_texts.entity_texts)
        return LabelTextBatch(
            features=features.unsqueeze(0).expand(batch_size, *features.shape),
            padding_mask=None,
            num_entity_texts=num_entity_texts,
            relation_text_features=features[num_entity_texts:],
        )
    if len(label_texts) != batch_size:
        raise ValueError(f"{len(label_texts)} vocabularies for a batch of {batch_size} images")
    unique = list(
        dict.fromkeys(
            text for texts in label_texts for text in (*texts.entity_texts, *texts.relation_texts)
        )
    )
    row_of = {text: row for row, text in enumerate(unique)}
    features = text_encoder(unique)  # (num_unique_texts, text_dim)
    num_entity_texts = max(len(texts.entity_texts) for texts in label_texts)
    num_texts = num_entity_texts + max(len(texts.relation_texts) for texts in label_texts)
    rows = torch.zeros(batch_size, num_texts, dtype=torch.int64)
    padding_mask = torch.ones(batch_size, num_texts, dtype=torch.bool)
    for image, texts in enumerate(label_texts):
        for start, names in ((0, texts.entity_texts), (num_entity_texts, texts.relation_texts)):
            rows[image, start : start + len(names)] = torch.tensor([row_of[n] for n in names])
            padding_mask[image, start : start + len(names)] = False
    padding_mask = padding_mask.to(features.device)
    laid_out = features[rows.to(features.device)].masked_fill(padding_mask[..., None], 0.0)
    relation_rows = [
        row_of[text] for text in dict.fromkeys(
            text for texts in label_texts for text in texts.relation_texts
        )
    ]
    return LabelTextBatch(
        features=laid_out,
        padding_mask=padding_mask,
        num_entity_texts=num_entity_texts,
        relation_text_features=features[relation_rows],
    )
