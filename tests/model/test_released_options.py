"""The released RLIPv2 code's choices as options of rlipv2's modules: position offset, the extra
level's mask, per-channel gates on a normalised residual, unmasked fusion, multi-branch fusion,
anchor positions, and the ParSeDA decoder with relation-stage box refinement."""

import math

import pytest
import torch
from torch import nn

from model.anchor_position import AnchorQueryPosition
from model.backbone import MultiScaleFeatures, downsample_mask
from model.deformable_decoder_layer import DeformableDecoderLayer
from model.gated_cross_attention import (
    RELEASED_GATE_INIT,
    GatedCrossAttention,
    GateKind,
    ResidualBase,
)
from model.input_projection import ExtraLevelMask, InputProjection
from model.multi_branch_fusion import MultiBranchFusion
from model.pair_queries import AnchorPairQueries
from model.parsed_decoder import ParsedDecoder
from model.position_encoding import SinePositionEncoding, sine_box_embedding
from model.visual_memory import VisualMemory


def test_the_position_offset_moves_every_pixel_by_half_a_pixel() -> None:
    mask = torch.zeros(1, 1, 4, dtype=torch.bool)
    centred = SinePositionEncoding(hidden_dim=8)(mask)
    edges = SinePositionEncoding(hidden_dim=8, offset=0.0)(mask)
    # x channels (the last 4): channel 4 is sin(x) at temperature power 0.
    column_centres = torch.tensor([0.5, 1.5, 2.5, 3.5]) / 4 * 2 * math.pi
    torch.testing.assert_close(centred[0, 4, 0], column_centres.sin(), atol=1e-5, rtol=0)
    torch.testing.assert_close(
        edges[0, 4, 0], (column_centres + math.pi / 4).sin(), atol=1e-5, rtol=0
    )


def test_sine_box_embedding_orders_y_x_w_h() -> None:
    boxes = torch.tensor([[0.1, 0.2, 0.3, 0.4]])
    embedded = sine_box_embedding(boxes, num_features=4)
    first_sines = embedded[0, 0::4]  # feature 0 of each coordinate: sin(2 pi v)
    expected = (torch.tensor([0.2, 0.1, 0.3, 0.4]) * 2 * math.pi).sin()
    torch.testing.assert_close(first_sines, expected)


def test_an_extra_level_mask_can_come_from_the_image() -> None:
    # A 5-pixel-wide image padded to 12: the previous level (6 wide) and the image downsample to
    # the extra level (3 wide) differently.
    pixel_mask = torch.zeros(1, 2, 12, dtype=torch.bool)
    pixel_mask[..., 5:] = True
    previous = downsample_mask(pixel_mask, (2, 6))
    previous[..., 2] = True  # a level whose rounding differs from the image's
    features = MultiScaleFeatures(
        feature_maps=(torch.randn(1, 8, 2, 6),), padding_masks=(previous,)
    )
    for choice, source in (
        (ExtraLevelMask.PREVIOUS_LEVEL, previous),
        (ExtraLevelMask.IMAGE, pixel_mask),
    ):
        projection = InputProjection(
            in_channels=(8,), hidden_dim=32, num_levels=2, extra_level_mask=choice
        )
        levels = projection(features, pixel_mask)
        assert torch.equal(levels.padding_masks[1], downsample_mask(source, (1, 3)))
    assert not torch.equal(downsample_mask(previous, (1, 3)), downsample_mask(pixel_mask, (1, 3)))


def make_block(gate_kind: GateKind, residual_base: ResidualBase, mask_padding: bool = True):
    torch.manual_seed(0)
    return GatedCrossAttention(
        visual_dim=8,
        text_dim=12,
        embed_dim=16,
        num_heads=2,
        dropout=0.0,
        gate_kind=gate_kind,
        residual_base=residual_base,
        mask_padding=mask_padding,
    ).eval()


def test_per_channel_gates_on_the_normalised_input() -> None:
    block = make_block(GateKind.PER_CHANNEL, ResidualBase.NORMALISED)
    assert block.visual_gate.parameter.shape == (8,) and block.text_gate.parameter.shape == (12,)
    assert torch.all(block.text_gate.parameter == RELEASED_GATE_INIT)
    visual, text = torch.randn(1, 5, 8), torch.randn(1, 3, 12)
    with torch.no_grad():
        block.visual_gate.parameter.zero_()
        block.text_gate.parameter.zero_()
        fused = block(
            visual_features=visual, visual_position=torch.zeros(1, 5, 8), text_features=text
        )
    torch.testing.assert_close(fused.visual_features, block.visual_norm(visual))
    torch.testing.assert_close(fused.text_features, block.text_norm(text))


def test_unmasked_fusion_lets_padded_image_tokens_reach_the_texts() -> None:
    visual, text = torch.randn(1, 5, 8), torch.randn(1, 3, 12)
    padding = torch.tensor([[False, False, False, True, True]])
    outputs = {}
    for mask_padding in (True, False):
        block = make_block(GateKind.LEARNABLE_SCALAR, ResidualBase.NORMALISED, mask_padding)
        changed = visual.clone()
        changed[0, 3:] = torch.randn(2, 8)  # other padded tokens
        with torch.no_grad():
            outputs[mask_padding] = [
                block(
                    visual_features=tokens,
                    visual_position=torch.zeros(1, 5, 8),
                    text_features=text,
                    visual_padding_mask=padding,
                ).text_features
                for tokens in (visual, changed)
            ]
    masked, unmasked = outputs[True], outputs[False]
    torch.testing.assert_close(masked[0], masked[1])
    assert not torch.allclose(unmasked[0], unmasked[1])


def test_multi_branch_fusion_is_the_sum_of_its_branches() -> None:
    torch.manual_seed(0)
    fusion = MultiBranchFusion(input_dim=8, output_dim=6, num_branches=4, branch_dim=2)
    first, second = torch.randn(3, 8), torch.randn(3, 8)
    branches = []
    for b in range(4):
        rows = slice(2 * b, 2 * b + 2)
        one = first @ fusion.first.weight[rows].T + fusion.first.bias[rows]
        two = second @ fusion.second.weight[rows].T + fusion.second.bias[rows]
        branches.append(torch.relu(one * two) @ fusion.merge.weight[:, rows].T)
    expected = torch.relu(sum(branches) + fusion.merge.bias)
    torch.testing.assert_close(fusion(first, second), expected)


def test_anchor_positions_are_scaled_by_the_state_after_the_first_layer() -> None:
    torch.manual_seed(0)
    positions = AnchorQueryPosition(hidden_dim=8)
    anchors = torch.rand(2, 3, 4)
    first = positions(anchors, None)
    states = torch.randn(2, 3, 8)
    torch.testing.assert_close(positions(anchors, states), positions.state_scale(states) * first)
    torch.testing.assert_close(
        first, positions.anchor_projection(sine_box_embedding(anchors, num_features=4))
    )


def decoder(*, anchors: bool, refine: bool = False, num_layers: int = 2) -> ParsedDecoder:
    """A tiny decoder: ParSeDA's (anchor positions, fused relation content) or a plain one."""
    layer = DeformableDecoderLayer(
        hidden_dim=8, feedforward_dim=16, dropout=0.0, num_levels=1, num_heads=2, num_points=2
    )
    released = {}
    if anchors:
        released = {
            "entity_position": AnchorQueryPosition(hidden_dim=8),
            "relation_position": AnchorQueryPosition(hidden_dim=8),
            "relation_fusion": MultiBranchFusion(
                input_dim=8, output_dim=8, num_branches=2, branch_dim=4
            ),
        }
    return ParsedDecoder(
        entity_layer=layer, relation_layer=layer, num_layers=num_layers, num_pairs=3,
        hidden_dim=8, first_box_size_logit=0.0, relation_box_refinement=refine, **released,
    ).eval()


def memory() -> VisualMemory:
    return VisualMemory(
        features=torch.randn(2, 12, 8),
        padding_mask=torch.zeros(2, 12, dtype=torch.bool),
        spatial_shapes=torch.tensor([[3, 4]]),
        level_start_index=torch.tensor([0]),
        valid_ratios=torch.ones(2, 1, 2),
    )


def test_the_relation_stage_reads_at_its_refined_boxes() -> None:
    torch.manual_seed(0)
    queries = AnchorPairQueries(num_pairs=3, hidden_dim=8)(2)
    assert queries.position is None and queries.reference_points.shape == (2, 6, 4)
    fixed, refined = decoder(anchors=True), decoder(anchors=True, refine=True)
    refined.load_state_dict(fixed.state_dict(), strict=False)
    features = memory()
    with torch.no_grad():
        before = refined(queries, features).relation_states
        torch.testing.assert_close(before[-1], fixed(queries, features).relation_states[-1])
        nn.init.normal_(refined.relation_subject_box_heads[0].layers[-1].bias)  # move the boxes
        after = refined(queries, features).relation_states
    torch.testing.assert_close(after[0], before[0])  # the first layer reads before refining
    assert not torch.allclose(after[1], before[1])


def test_anchor_queries_need_a_decoder_that_positions_them() -> None:
    queries = AnchorPairQueries(num_pairs=3, hidden_dim=8)(2)
    with pytest.raises(ValueError, match="entity_position"):
        decoder(anchors=False, num_layers=1)(queries, memory())
