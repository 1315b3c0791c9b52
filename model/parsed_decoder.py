"""ParSeD decoding: parallel subject/object decoding, then sequential relation decoding.

Stage 1 decodes the subject and object queries of every pair slot together (self-attention
over all of them, deformable cross-attention to the image), refining their boxes layer by layer.
Stage 2 builds one relation query per pair from the final subject and object states and decodes
it at the pair's mean box.

Variants (all of the released code's are here):

- query positions: fixed per query (ParSeD, the R-Tagger) or derived at every layer from the
  query's current box (ParSeDA: :class:`~model.anchor_position.AnchorQueryPosition`, one for
  each stage). A ParSeD relation query's position is the sum of its subject and object states.
- relation-query content: a learned vector per pair slot, plus, optionally, the multi-branch
  fusion of the final subject and object states (:class:`~model.multi_branch_fusion.
  MultiBranchFusion`, the released ParSeDA's ``vanilla_MBF``).
- relation boxes: the pair's final entity boxes throughout stage 2, or refined at every relation
  layer by stage-2 box heads of their own (the released code's ``with_box_refine``), so that
  each relation layer reads at the mean of the refined boxes.
"""

import copy
from dataclasses import dataclass

import torch
from torch import nn

from model.anchor_position import AnchorQueryPosition
from model.inverse_sigmoid import inverse_sigmoid
from model.mlp import MLP
from model.multi_branch_fusion import MultiBranchFusion
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
        entity_position: None (stage 1 uses the queries' own positions), or the anchor
            position embedding of stage 1 (ParSeDA).
        relation_position: None (a relation query's position is the sum of its final subject
            and object states), or the anchor position embedding of stage 2 (ParSeDA).
        relation_fusion: None, or the multi-branch fusion whose output is added to the learned
            relation-query content.
        relation_box_refinement: refine the pair boxes in stage 2 (see the module docstring).
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
        entity_position: AnchorQueryPosition | None = None,
        relation_position: AnchorQueryPosition | None = None,
        relation_fusion: MultiBranchFusion | None = None,
        relation_box_refinement: bool = False,
    ) -> None:
        super().__init__()
        self.entity_layers = _clones(entity_layer, num_layers)
        self.relation_layers = _clones(relation_layer, num_layers)
        self.subject_box_heads = _box_heads(hidden_dim, num_layers, first_box_size_logit)
        self.object_box_heads = _box_heads(hidden_dim, num_layers, first_box_size_logit)
        self.relation_content = nn.Embedding(num_pairs, hidden_dim)
        self.entity_position = entity_position
        self.relation_position = relation_position
        self.relation_fusion = relation_fusion
        refined_layers = num_layers if relation_box_refinement else 0
        self.relation_subject_box_heads = _box_heads(hidden_dim, refined_layers, 0.0)
        self.relation_object_box_heads = _box_heads(hidden_dim, refined_layers, 0.0)

    def forward(self, queries: PairQueries, memory: VisualMemory) -> ParsedDecoderOutput:
        """
        Args:
            queries: the subject and object queries (``position`` None only with an
                ``entity_position``); pair k is slots k and ``num_pairs + k``.
            memory: the encoder's output.
        """
        if queries.position is None and self.entity_position is None:
            raise ValueError("queries without a position need a decoder with an entity_position")
        num_pairs = queries.num_pairs
        states, reference = queries.content, queries.reference_points
        entity_states, entity_boxes = [], []
        for index, (layer, subject_head, object_head) in enumerate(
            zip(self.entity_layers, self.subject_box_heads, self.object_box_heads, strict=True)
        ):
            scaled_reference = _scaled_reference(reference, memory.valid_ratios)
            position = queries.position
            if self.entity_position is not None:
                position = self.entity_position(
                    scaled_reference[:, :, 0], states if index > 0 else None
                )
            states = layer(
                queries=states,
                query_position=position,
                reference_points=scaled_reference,
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

        relation_states = self._decode_relations(
            states[:, :num_pairs], states[:, num_pairs:], reference, queries, memory
        )
        return ParsedDecoderOutput(
            entity_states=tuple(entity_states),
            entity_boxes=tuple(entity_boxes),
            relation_states=relation_states,
        )

    def _decode_relations(
        self,
        subject_states: torch.Tensor,
        object_states: torch.Tensor,
        entity_boxes: torch.Tensor,
        queries: PairQueries,
        memory: VisualMemory,
    ) -> tuple[torch.Tensor, ...]:
        """Stage 2: one relation query per pair, from the final entity states (batch,
        num_pairs, hidden_dim) each and their boxes (batch, 2 * num_pairs, 4), detached."""
        num_pairs = subject_states.shape[1]
        states = self.relation_content.weight[:num_pairs].unsqueeze(0).expand_as(subject_states)
        if self.relation_fusion is not None:
            states = self.relation_fusion(subject_states, object_states) + states
        summed_position = subject_states + object_states
        subject_boxes, object_boxes = entity_boxes[:, :num_pairs], entity_boxes[:, num_pairs:]
        pair_padding = queries.padding_mask[:, :num_pairs] & queries.padding_mask[:, num_pairs:]
        outputs = []
        for index, layer in enumerate(self.relation_layers):
            scaled_reference = _scaled_reference(
                (subject_boxes + object_boxes) / 2, memory.valid_ratios
            )
            position = summed_position
            if self.relation_position is not None:
                position = self.relation_position(
                    scaled_reference[:, :, 0], states if index > 0 else None
                )
            states = layer(
                queries=states,
                query_position=position,
                reference_points=scaled_reference,
                memory=memory.features,
                spatial_shapes=memory.spatial_shapes,
                level_start_index=memory.level_start_index,
                memory_padding_mask=memory.padding_mask,
                query_padding_mask=pair_padding,
                self_attention_mask=None,
            )
            outputs.append(states)
            if len(self.relation_subject_box_heads) > 0:
                subject_boxes = _refine(
                    subject_boxes, self.relation_subject_box_heads[index](states)
                ).detach()
                object_boxes = _refine(
                    object_boxes, self.relation_object_box_heads[index](states)
                ).detach()
        return tuple(outputs)


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
    if num_layers > 0:
        nn.init.constant_(heads[0].layers[-1].bias[2:], first_box_size_logit)
    return heads
