"""ParSeD decoding: parallel subject/object decoding, then sequential relation decoding.

Stage 1 decodes the subject and object queries of every pair slot together (self-attention
over all of them, deformable cross-attention to the image), refining their boxes layer by layer.
Stage 2 builds one relation query per pair from the final subject and object states and decodes
it at the pair's mean box.
"""

import copy
from dataclasses import dataclass

import torch
from torch import nn

from model.inverse_sigmoid import inverse_sigmoid
from model.mlp import MLP
from model.pair_queries import PairQueries
from model.visual_memory import VisualMemory

POINT_QUERY_BOX_SIZE_LOGIT = -2.0
"""The first box head's size bias for queries that start from points (Deformable-DETR's)."""


@dataclass(frozen=True)
class ParsedDecoderOutput:
    """States and boxes of every decoder layer.

    Attributes:
        entity_states: per layer (batch, 2 * num_pairs, hidden_dim); subject slots first.
        entity_boxes: per layer (batch, 2 * num_pairs, 4) cxcywh in [0, 1].
        relation_states: per layer (batch, num_pairs, hidden_dim).
    """

    entity_states: tuple[torch.Tensor, ...]
    entity_boxes: tuple[torch.Tensor, ...]
    relation_states: tuple[torch.Tensor, ...]


class ParsedDecoder(nn.Module):
    """Two decoders of ``num_layers`` layers each, with per-layer subject and object box heads.

    Args:
        entity_layer: one deformable decoder layer, cloned ``num_layers`` times for stage 1.
        relation_layer: likewise for stage 2.
        num_layers: layers per stage (each pairs with one language-fusion stage).
        num_pairs: pair slots of the learned relation-query content.
        hidden_dim: query width.
        first_box_size_logit: initial bias of the first layer's box-size logits. Queries that
            start from points (the detector) take :data:`POINT_QUERY_BOX_SIZE_LOGIT`, a box of
            sigmoid(-2) = 0.12 of the image around the point, as Deformable-DETR initialises
            it; queries that start from given boxes (the R-Tagger) take 0, so the boxes pass
            through unchanged at initialisation. Later layers refine boxes and start at 0.
    """

    def __init__(
        self,
        *,
        entity_layer: nn.Module,
        relation_layer: nn.Module,
        num_layers: int,
        num_pairs: int,
        hidden_dim: int,
        first_box_size_logit: float,
    ) -> None:
        super().__init__()
        self.entity_layers = _clones(entity_layer, num_layers)
        self.relation_layers = _clones(relation_layer, num_layers)
        self.subject_box_heads = _box_heads(hidden_dim, num_layers, first_box_size_logit)
        self.object_box_heads = _box_heads(hidden_dim, num_layers, first_box_size_logit)
        self.relation_content = nn.Embedding(num_pairs, hidden_dim)

    def forward(self, queries: PairQueries, memory: VisualMemory) -> ParsedDecoderOutput:
        num_pairs = queries.num_pairs
        states, reference = queries.content, queries.reference_points
        entity_states, entity_boxes = [], []
        for layer, subject_head, object_head in zip(
            self.entity_layers, self.subject_box_heads, self.object_box_heads, strict=True
        ):
            states = layer(
                queries=states,
                query_position=queries.position,
                reference_points=_scaled_reference(reference, memory.valid_ratios),
                memory=memory.features,
                spatial_shapes=memory.spatial_shapes,
                level_start_index=memory.level_start_index,
                memory_padding_mask=memory.padding_mask,
                query_padding_mask=queries.padding_mask,
                self_attention_mask=queries.self_attention_mask,
            )
            deltas = torch.cat(
                [subject_head(states[:, :num_pairs]), object_head(states[:, num_pairs:])], dim=1
            )
            boxes = _refine(reference, deltas)
            entity_states.append(states)
            entity_boxes.append(boxes)
            reference = boxes.detach()

        subject_states, object_states = states[:, :num_pairs], states[:, num_pairs:]
        relation_position = subject_states + object_states
        relation_states = self.relation_content.weight[:num_pairs].unsqueeze(0).expand_as(
            relation_position
        )
        final_boxes = entity_boxes[-1].detach()
        relation_reference = (final_boxes[:, :num_pairs] + final_boxes[:, num_pairs:]) / 2
        pair_padding = queries.padding_mask[:, :num_pairs] & queries.padding_mask[:, num_pairs:]
        relation_outputs = []
        for layer in self.relation_layers:
            relation_states = layer(
                queries=relation_states,
                query_position=relation_position,
                reference_points=_scaled_reference(relation_reference, memory.valid_ratios),
                memory=memory.features,
                spatial_shapes=memory.spatial_shapes,
                level_start_index=memory.level_start_index,
                memory_padding_mask=memory.padding_mask,
                query_padding_mask=pair_padding,
                self_attention_mask=None,
            )
            relation_outputs.append(relation_states)
        return ParsedDecoderOutput(
            entity_states=tuple(entity_states),
            entity_boxes=tuple(entity_boxes),
            relation_states=tuple(relation_outputs),
        )


def _refine(reference: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
    """Boxes from reference points (..., 2) or boxes (..., 4) plus deltas (..., 4), in logit
    space; a 2-d reference is a box centre whose size comes from the deltas alone.

    Float32 whatever the deltas' dtype: the boxes are the next layer's references, and
    bfloat16 under mixed precision would round coordinates in [0.5, 1) to steps of 0.004.
    """
    with torch.autocast(device_type=deltas.device.type, enabled=False):
        logits = deltas.float()
        if reference.shape[-1] == 4:
            logits = logits + inverse_sigmoid(reference.float())
        else:
            logits = torch.cat(
                [logits[..., :2] + inverse_sigmoid(reference.float()), logits[..., 2:]], dim=-1
            )
        return logits.sigmoid()


def _scaled_reference(reference: torch.Tensor, valid_ratios: torch.Tensor) -> torch.Tensor:
    """(batch, num_queries, 2|4) in [0, 1] of the unpadded image -> (batch, num_queries,
    num_levels, 2|4) in [0, 1] of each padded level."""
    ratios = valid_ratios if reference.shape[-1] == 2 else torch.cat([valid_ratios] * 2, dim=-1)
    return reference[:, :, None] * ratios[:, None]


def _clones(module: nn.Module, count: int) -> nn.ModuleList:
    return nn.ModuleList(copy.deepcopy(module) for _ in range(count))


def _box_heads(hidden_dim: int, num_layers: int, first_box_size_logit: float) -> nn.ModuleList:
    """One box head per layer (clones of one), predicting its reference unchanged at
    initialisation (zero deltas), except the first layer's box size (``first_box_size_logit``)."""
    head = MLP(hidden_dim, hidden_dim, 4, 3)
    nn.init.zeros_(head.layers[-1].weight)
    nn.init.zeros_(head.layers[-1].bias)
    heads = _clones(head, num_layers)
    nn.init.constant_(heads[0].layers[-1].bias[2:], first_box_size_logit)
    return heads
