"""Multi-scale deformable attention, its encoder/decoder layers, and the position encoding."""

import pytest
import torch

from model.deformable_attention import (
    MultiScaleDeformableAttention,
    multi_scale_deformable_attention,
    multi_scale_deformable_attention_reference,
)
from model.deformable_decoder_layer import DeformableDecoderLayer
from model.deformable_encoder_layer import (
    DeformableEncoderLayer,
    encoder_reference_points,
    flatten_levels,
    valid_ratios,
)
from model.mlp import MLP
from model.position_encoding import SinePositionEncoding

HIDDEN_DIM = 16
NUM_HEADS = 2
NUM_LEVELS = 3
LEVEL_SHAPES = ((6, 5), (3, 4), (2, 1))  # (height, width), finest first


def _level_layout(shapes=LEVEL_SHAPES) -> tuple[torch.Tensor, torch.Tensor, int]:
    spatial_shapes = torch.tensor(shapes, dtype=torch.int64)
    sizes = spatial_shapes.prod(dim=1)
    level_start_index = torch.cat([sizes.new_zeros(1), sizes.cumsum(0)[:-1]])
    return spatial_shapes, level_start_index, int(sizes.sum())


def _random_sampling_inputs(
    generator: torch.Generator, *, batch_size: int, num_queries: int, num_points: int
) -> tuple[torch.Tensor, ...]:
    spatial_shapes, _, total_tokens = _level_layout()
    head_dim = 3
    value = torch.randn(
        batch_size, total_tokens, NUM_HEADS, head_dim, generator=generator, dtype=torch.float64
    )
    # Locations a little outside [0, 1] too, to exercise the zero padding at the borders.
    locations = torch.rand(
        batch_size, num_queries, NUM_HEADS, NUM_LEVELS, num_points, 2,
        generator=generator, dtype=torch.float64,
    ) * 1.2 - 0.1
    weights = torch.rand(
        batch_size, num_queries, NUM_HEADS, NUM_LEVELS, num_points,
        generator=generator, dtype=torch.float64,
    )
    weights = weights / weights.sum(dim=(-2, -1), keepdim=True)
    return value, spatial_shapes, locations, weights


@pytest.mark.parametrize("num_points", [2, 3, 4])
def test_grid_sample_path_matches_the_naive_reference(num_points: int) -> None:
    generator = torch.Generator().manual_seed(num_points)
    inputs = _random_sampling_inputs(generator, batch_size=2, num_queries=3, num_points=num_points)

    fast = multi_scale_deformable_attention(*inputs)
    reference = multi_scale_deformable_attention_reference(*inputs)

    assert fast.shape == (2, 3, NUM_HEADS * 3)
    torch.testing.assert_close(fast, reference, atol=1e-5, rtol=0)


def test_sampling_a_pixel_centre_returns_that_pixel() -> None:
    spatial_shapes = torch.tensor([[2, 3]])
    value = torch.arange(6, dtype=torch.float64).view(1, 6, 1, 1)  # pixel (row i, col j) = 3 i + j
    # The centre of pixel (row 1, column 2) is x = 2.5 / 3, y = 1.5 / 2.
    location = torch.tensor([2.5 / 3, 1.5 / 2], dtype=torch.float64).view(1, 1, 1, 1, 1, 2)
    weights = torch.ones(1, 1, 1, 1, 1, dtype=torch.float64)

    output = multi_scale_deformable_attention(value, spatial_shapes, location, weights)

    torch.testing.assert_close(output, torch.full((1, 1, 1), 5.0, dtype=torch.float64))


def test_gradients_flow_to_values_locations_and_weights() -> None:
    generator = torch.Generator().manual_seed(0)
    spatial_shapes = torch.tensor([[3, 2], [2, 2]])
    value = torch.randn(1, 10, 2, 2, generator=generator, dtype=torch.float64)
    locations = torch.rand(1, 2, 2, 2, 2, 2, generator=generator, dtype=torch.float64) * 0.8 + 0.1
    weights = torch.rand(1, 2, 2, 2, 2, generator=generator, dtype=torch.float64)
    for tensor in (value, locations, weights):
        tensor.requires_grad_(True)

    assert torch.autograd.gradcheck(
        lambda v, loc, w: multi_scale_deformable_attention(v, spatial_shapes, loc, w),
        (value, locations, weights),
    )


def _module_inputs(batch_size: int = 2, num_queries: int = 5, box_references: bool = False):
    generator = torch.Generator().manual_seed(1)
    spatial_shapes, level_start_index, total_tokens = _level_layout()
    query = torch.randn(batch_size, num_queries, HIDDEN_DIM, generator=generator)
    value = torch.randn(batch_size, total_tokens, HIDDEN_DIM, generator=generator)
    coordinates = 4 if box_references else 2
    reference = torch.rand(batch_size, num_queries, NUM_LEVELS, coordinates, generator=generator)
    return query, value, reference, spatial_shapes, level_start_index


@pytest.mark.parametrize("box_references", [False, True])
def test_module_output_shape(box_references: bool) -> None:
    attention = MultiScaleDeformableAttention(
        hidden_dim=HIDDEN_DIM, num_levels=NUM_LEVELS, num_heads=NUM_HEADS, num_points=4
    )
    query, value, reference, spatial_shapes, level_start_index = _module_inputs(
        box_references=box_references
    )

    output = attention(
        query=query,
        reference_points=reference,
        value=value,
        spatial_shapes=spatial_shapes,
        level_start_index=level_start_index,
    )

    assert output.shape == (2, 5, HIDDEN_DIM)
    assert torch.isfinite(output).all()


def test_box_offsets_scale_with_the_box_size() -> None:
    torch.manual_seed(0)
    num_points = 2
    attention = MultiScaleDeformableAttention(
        hidden_dim=HIDDEN_DIM, num_levels=NUM_LEVELS, num_heads=NUM_HEADS, num_points=num_points
    )
    query, value, centres, spatial_shapes, level_start_index = _module_inputs()
    size = torch.tensor([0.4, 0.2])
    boxes = torch.cat([centres, size.expand_as(centres)], dim=-1)

    def run(reference: torch.Tensor, offset: tuple[float, float]) -> torch.Tensor:
        """Every sampling offset set to ``offset`` (the query's share is 0 at init)."""
        with torch.no_grad():
            attention.sampling_offsets.bias.copy_(
                torch.tensor(offset).repeat(NUM_HEADS * NUM_LEVELS * num_points)
            )
        return attention(
            query=query,
            reference_points=reference,
            value=value,
            spatial_shapes=spatial_shapes,
            level_start_index=level_start_index,
        )

    # Offset (1, 0) from a box moves (1 / num_points) * (width / 2) = 0.1 right of its centre.
    moved_centres = centres + torch.tensor([0.1, 0.0])
    torch.testing.assert_close(run(boxes, (1.0, 0.0)), run(moved_centres, (0.0, 0.0)))
    # Offset (0, -2) moves a full half-height, 0.1 up.
    raised_centres = centres + torch.tensor([0.0, -0.1])
    torch.testing.assert_close(run(boxes, (0.0, -2.0)), run(raised_centres, (0.0, 0.0)))


def test_padded_values_do_not_affect_the_output() -> None:
    torch.manual_seed(0)
    attention = MultiScaleDeformableAttention(
        hidden_dim=HIDDEN_DIM, num_levels=NUM_LEVELS, num_heads=NUM_HEADS, num_points=3
    )
    query, value, reference, spatial_shapes, level_start_index = _module_inputs()
    padding_mask = torch.zeros(value.shape[:2], dtype=torch.bool)
    padding_mask[0, 3:9] = True
    padding_mask[1, -2:] = True
    changed_value = value.clone()
    changed_value[padding_mask] = 100.0 * torch.randn(int(padding_mask.sum()), HIDDEN_DIM)

    def run(values: torch.Tensor) -> torch.Tensor:
        return attention(
            query=query,
            reference_points=reference,
            value=values,
            spatial_shapes=spatial_shapes,
            level_start_index=level_start_index,
            value_padding_mask=padding_mask,
        )

    torch.testing.assert_close(run(value), run(changed_value))


def test_initial_offsets_point_around_the_reference_in_pixels() -> None:
    attention = MultiScaleDeformableAttention(hidden_dim=8, num_levels=2, num_heads=4, num_points=2)
    pattern = attention.sampling_offsets.bias.view(4, 2, 2, 2)  # (heads, levels, points, xy)

    torch.testing.assert_close(pattern[0, 0, 0], torch.tensor([1.0, 0.0]))  # head 0: right
    torch.testing.assert_close(pattern[1, 1, 1], torch.tensor([0.0, 2.0]), atol=1e-6, rtol=0)
    assert (attention.attention_weights.weight == 0).all()


def test_mismatched_levels_are_rejected() -> None:
    attention = MultiScaleDeformableAttention(
        hidden_dim=HIDDEN_DIM, num_levels=NUM_LEVELS, num_heads=NUM_HEADS, num_points=2
    )
    query, value, reference, spatial_shapes, level_start_index = _module_inputs()

    with pytest.raises(ValueError, match="tile"):
        attention(
            query=query,
            reference_points=reference,
            value=value[:, :-1],
            spatial_shapes=spatial_shapes,
            level_start_index=level_start_index,
        )


def _padded_levels(batch_size: int = 2):
    """Flattened random levels of LEVEL_SHAPES; image 1 is padded on the right and bottom."""
    generator = torch.Generator().manual_seed(2)
    maps, masks, positions = [], [], []
    for height, width in LEVEL_SHAPES:
        maps.append(torch.randn(batch_size, HIDDEN_DIM, height, width, generator=generator))
        mask = torch.zeros(batch_size, height, width, dtype=torch.bool)
        mask[1, (height + 1) // 2 :, :] = True
        mask[1, :, (width + 1) // 2 :] = True
        masks.append(mask)
        positions.append(SinePositionEncoding(hidden_dim=HIDDEN_DIM)(mask))
    return flatten_levels(feature_maps=maps, padding_masks=masks, position_encodings=positions)


def test_flatten_levels_layout_and_valid_ratios() -> None:
    levels = _padded_levels()
    level_embedding = torch.randn(NUM_LEVELS, HIDDEN_DIM)

    spatial_shapes, level_start_index, total_tokens = _level_layout()
    assert levels.features.shape == (2, total_tokens, HIDDEN_DIM)
    assert levels.position.shape == (2, total_tokens, HIDDEN_DIM)
    assert levels.padding_mask.shape == (2, total_tokens)
    assert torch.equal(levels.spatial_shapes, spatial_shapes)
    assert torch.equal(levels.level_start_index, level_start_index)
    # Level 0 of image 1 is 6x5 with 3 valid rows and 3 valid columns.
    torch.testing.assert_close(levels.valid_ratios[1, 0], torch.tensor([3 / 5, 3 / 6]))
    torch.testing.assert_close(levels.valid_ratios[0], torch.ones(NUM_LEVELS, 2))

    embedded = flatten_levels(
        feature_maps=[levels.features[:, :30].transpose(1, 2).reshape(2, HIDDEN_DIM, 6, 5)],
        padding_masks=[torch.zeros(2, 6, 5, dtype=torch.bool)],
        position_encodings=[torch.zeros(2, HIDDEN_DIM, 6, 5)],
        level_embedding=level_embedding[:1],
    )
    torch.testing.assert_close(embedded.features, levels.features[:, :30])
    torch.testing.assert_close(embedded.position, level_embedding[:1].expand(2, 30, HIDDEN_DIM))


def test_encoder_reference_points_are_pixel_centres_of_the_valid_area() -> None:
    masks = [torch.zeros(1, 4, 4, dtype=torch.bool), torch.zeros(1, 2, 2, dtype=torch.bool)]
    masks[0][:, :, 2:] = True  # left half valid
    masks[1][:, :, 1:] = True
    ratios = valid_ratios(masks)
    spatial_shapes = torch.tensor([[4, 4], [2, 2]])

    points = encoder_reference_points(spatial_shapes, ratios)

    assert points.shape == (1, 16 + 4, 2, 2)
    # Token (row 0, column 0) of level 0: x centre 0.5 / 2 valid columns on the image, which is
    # 0.125 of level 0's padded width and of level 1's padded width (both half valid).
    torch.testing.assert_close(points[0, 0], torch.tensor([[0.125, 0.125], [0.125, 0.125]]))


def test_encoder_layer_shape_and_padding_invariance() -> None:
    torch.manual_seed(0)
    levels = _padded_levels()
    layer = DeformableEncoderLayer(
        hidden_dim=HIDDEN_DIM,
        feedforward_dim=32,
        dropout=0.0,
        num_levels=NUM_LEVELS,
        num_heads=NUM_HEADS,
        num_points=2,
    )
    reference = encoder_reference_points(levels.spatial_shapes, levels.valid_ratios)
    changed = levels.features.clone()
    changed[levels.padding_mask] = 50.0

    def run(features: torch.Tensor) -> torch.Tensor:
        return layer(
            features,
            levels.position,
            reference,
            levels.spatial_shapes,
            levels.level_start_index,
            levels.padding_mask,
        )

    output = run(levels.features)
    assert output.shape == levels.features.shape
    valid = ~levels.padding_mask
    torch.testing.assert_close(output[valid], run(changed)[valid])


def _decoder_layer() -> DeformableDecoderLayer:
    torch.manual_seed(0)
    return DeformableDecoderLayer(
        hidden_dim=HIDDEN_DIM,
        feedforward_dim=32,
        dropout=0.0,
        num_levels=NUM_LEVELS,
        num_heads=NUM_HEADS,
        num_points=2,
    ).eval()


def _decode(layer: DeformableDecoderLayer, queries: torch.Tensor, **masks) -> torch.Tensor:
    levels = _padded_levels()
    generator = torch.Generator().manual_seed(3)
    num_queries = queries.shape[1]
    return layer(
        queries=queries,
        query_position=torch.randn(2, num_queries, HIDDEN_DIM, generator=generator),
        reference_points=torch.rand(2, num_queries, NUM_LEVELS, 4, generator=generator),
        memory=levels.features,
        spatial_shapes=levels.spatial_shapes,
        level_start_index=levels.level_start_index,
        memory_padding_mask=levels.padding_mask,
        **masks,
    )


def test_decoder_layer_shape() -> None:
    queries = torch.randn(2, 4, HIDDEN_DIM)
    output = _decode(_decoder_layer(), queries)
    assert output.shape == (2, 4, HIDDEN_DIM)


def test_decoder_self_attention_mask_is_honoured() -> None:
    layer = _decoder_layer()
    queries = torch.randn(2, 4, HIDDEN_DIM)
    changed = queries.clone()
    changed[:, 3] = torch.randn(2, HIDDEN_DIM)
    # Nobody else may look at query 3; query 3 may look at everyone.
    self_attention_mask = torch.zeros(4, 4, dtype=torch.bool)
    self_attention_mask[:3, 3] = True

    before = _decode(layer, queries, self_attention_mask=self_attention_mask)
    after = _decode(layer, changed, self_attention_mask=self_attention_mask)
    unmasked = _decode(layer, changed)

    torch.testing.assert_close(before[:, :3], after[:, :3])
    assert not torch.allclose(before[:, :3], unmasked[:, :3])


def test_decoder_query_padding_is_ignored_and_stays_finite() -> None:
    layer = _decoder_layer()
    queries = torch.randn(2, 4, HIDDEN_DIM)
    changed = queries.clone()
    changed[0, 2:] = 10.0
    changed[1] = -3.0  # every slot of image 1 is padding
    query_padding_mask = torch.tensor([[False, False, True, True], [True, True, True, True]])
    per_head_mask = torch.zeros(2 * NUM_HEADS, 4, 4, dtype=torch.bool)

    before = _decode(layer, queries, query_padding_mask=query_padding_mask)
    after = _decode(
        layer, changed, query_padding_mask=query_padding_mask, self_attention_mask=per_head_mask
    )

    torch.testing.assert_close(before[0, :2], after[0, :2])
    assert torch.isfinite(after).all()


def test_position_encoding_shape_and_finite_with_padding() -> None:
    mask = torch.zeros(2, 5, 7, dtype=torch.bool)
    mask[1, 3:, :] = True
    mask[1, :, 4:] = True

    position_encoding = SinePositionEncoding(hidden_dim=HIDDEN_DIM)
    encoding = position_encoding(mask)
    unpadded = position_encoding(torch.zeros(1, 3, 4, dtype=torch.bool))

    assert encoding.shape == (2, HIDDEN_DIM, 5, 7)
    assert torch.isfinite(encoding).all()
    # Normalised by the unpadded extent: padding does not change the image's own encoding.
    torch.testing.assert_close(encoding[1, :, :3, :4], unpadded[0])
    with pytest.raises(ValueError):
        SinePositionEncoding(hidden_dim=6)


def test_mlp_layers_and_shape() -> None:
    mlp = MLP(8, 16, 4, 3)
    assert [layer.out_features for layer in mlp.layers] == [16, 16, 4]
    assert mlp(torch.randn(2, 5, 8)).shape == (2, 5, 4)
    assert len(MLP(8, 16, 4, 1).layers) == 1
    with pytest.raises(ValueError):
        MLP(8, 16, 4, 0)
