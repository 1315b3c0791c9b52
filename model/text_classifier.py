"""Open-vocabulary classification: similarity between query states and label-text features."""

import math

import torch
from torch import nn
from torch.nn import functional


class TextSimilarityClassifier(nn.Module):
    """Logits of queries against label texts: ``(state + bias) . project(normalise(text) / 2)``.

    A constant prior bias ``-log((1 - 0.01) / 0.01)`` starts every sigmoid near 0.01, as
    RLIPv2's heads do, so that focal-loss training is stable at the start. The texts change
    per batch, so the classifier has no fixed number of classes.

    Args:
        text_projection: ``project``, a (hidden_dim -> hidden_dim) linear map; RLIPv2 shares
            one between its entity and relation classifiers (the builder passes the same one).
        hidden_dim: query width; ``query_bias`` is this classifier's own.
    """

    def __init__(
        self, *, text_projection: nn.Linear, hidden_dim: int, prior_probability: float = 0.01
    ) -> None:
        super().__init__()
        if (text_projection.in_features, text_projection.out_features) != (hidden_dim, hidden_dim):
            raise ValueError(
                f"text_projection must map {hidden_dim} to {hidden_dim} features, got "
                f"{text_projection.in_features} -> {text_projection.out_features}"
            )
        self.text_projection = text_projection
        self.query_bias = nn.Parameter(torch.zeros(hidden_dim))
        self.prior_logit = -math.log((1.0 - prior_probability) / prior_probability)

    def forward(self, query_states: torch.Tensor, text_features: torch.Tensor) -> torch.Tensor:
        """
        Args:
            query_states: (batch, num_queries, hidden_dim).
            text_features: (batch, num_texts, hidden_dim), one row per label text.

        Returns:
            (batch, num_queries, num_texts) logits.
        """
        texts = self.text_projection(functional.normalize(text_features, dim=-1) / 2.0)
        similarity = torch.einsum("bqd,btd->bqt", query_states + self.query_bias, texts)
        return similarity + self.prior_logit
