import pytest
import torch
from torch import nn

from model.feature_resizer import FeatureResizer
from model.fused_encoder import (
    FusedEncoder,
    FusionConfig,
    FusionKind,
    build_fused_encoder,
)
from model.gated_cross_attention import FusedFeatures, GatedCrossAttention, GateKind
from tiny_roberta import tiny_roberta_config

VISUAL_DIM = 16
TEXT_DIM = 32  # tiny_roberta_config's hidden size
SPATIAL_SHAPES = torch.tensor([[4, 4], [2, 3]], dtype=torch.int64)
LEVEL_START_INDEX = torch.tensor([0, 16], dtype=torch.int64)
TOTAL_TOKENS = 22
COARSEST_START = 16


class FakeEncoderLayer(nn.Module):
    """A stand-in for a deformable encoder layer: checks the interface, adds a learned bias
    (zero at initialisation, so the layer starts as the identity)."""

    def __init__(self, hidden_dim: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(hidden_dim))

    def forward(
        self,
        features: torch.Tensor,
        position: torch.Tensor,
        reference_points: torch.Tensor,
        spatial_shapes: torch.Tensor,
        level_start_index: torch.Tensor,
        padding_mask: torch.Tensor,
    ) -> torch.Tensor:
        batch_size, total_tokens, _ = features.shape
        assert position.shape == features.shape
        assert reference_points.shape == (batch_size, total_tokens, len(spatial_shapes), 2)
        assert spatial_shapes.dtype == level_start_index.dtype == torch.int64
        assert padding_mask.shape == (batch_size, total_tokens) and padding_mask.dtype == torch.bool
        return features + self.bias


def make_block(gate_kind: GateKind, dropout: float = 0.0) -> GatedCrossAttention:
    return GatedCrossAttention(
        visual_dim=VISUAL_DIM,
        text_dim=TEXT_DIM,
        embed_dim=32,
        num_heads=4,
        dropout=dropout,
        gate_kind=gate_kind,
    )


def set_gates(block: GatedCrossAttention, value: float) -> None:
    with torch.no_grad():
        block.visual_gate.parameter.fill_(value)
        block.text_gate.parameter.fill_(value)


def fuse(
    block: GatedCrossAttention,
    visual: torch.Tensor,
    text: torch.Tensor,
    visual_padding_mask: torch.Tensor | None = None,
    text_padding_mask: torch.Tensor | None = None,
) -> FusedFeatures:
    return block(
        visual_features=visual,
        visual_position=torch.ones_like(visual),
        text_features=text,
        visual_padding_mask=visual_padding_mask,
        text_padding_mask=text_padding_mask,
    )


def test_tanh_gate_block_is_the_identity_at_initialisation() -> None:
    torch.manual_seed(0)
    block = make_block(GateKind.TANH, dropout=0.1)  # training mode: dropout active
    visual, text = torch.randn(2, 6, VISUAL_DIM), torch.randn(2, 3, TEXT_DIM)
    fused = fuse(block, visual, text)
    assert torch.equal(fused.visual_features, visual)
    assert torch.equal(fused.text_features, text)


def test_learnable_scalar_gate_starts_at_a_quarter_and_is_the_identity_at_zero() -> None:
    torch.manual_seed(0)
    block = make_block(GateKind.LEARNABLE_SCALAR).eval()
    assert block.visual_gate().item() == block.text_gate().item() == 0.25
    visual, text = torch.randn(2, 6, VISUAL_DIM), torch.randn(2, 3, TEXT_DIM)
    assert not torch.allclose(fuse(block, visual, text).visual_features, visual)
    set_gates(block, 0.0)
    fused = fuse(block, visual, text)
    assert torch.equal(fused.visual_features, visual)
    assert torch.equal(fused.text_features, text)


def test_a_non_zero_tanh_gate_changes_both_token_sets() -> None:
    torch.manual_seed(0)
    block = make_block(GateKind.TANH).eval()
    set_gates(block, 0.5)
    visual, text = torch.randn(2, 6, VISUAL_DIM), torch.randn(2, 3, TEXT_DIM)
    fused = fuse(block, visual, text)
    assert fused.visual_features.shape == visual.shape
    assert fused.text_features.shape == text.shape
    assert not torch.allclose(fused.visual_features, visual)
    assert not torch.allclose(fused.text_features, text)


def test_tanh_gates_get_gradients_at_initialisation() -> None:
    torch.manual_seed(0)
    block = make_block(GateKind.TANH)
    fused = fuse(block, torch.randn(2, 6, VISUAL_DIM), torch.randn(2, 3, TEXT_DIM))
    (fused.visual_features.square().sum() + fused.text_features.square().sum()).backward()
    assert block.visual_gate.parameter.grad.abs() > 0
    assert block.text_gate.parameter.grad.abs() > 0


def test_padded_text_tokens_do_not_affect_visual_tokens() -> None:
    torch.manual_seed(0)
    block = make_block(GateKind.LEARNABLE_SCALAR).eval()
    visual, text = torch.randn(2, 6, VISUAL_DIM), torch.randn(2, 3, TEXT_DIM)
    padded_text = torch.cat([text, 100 * torch.randn(2, 2, TEXT_DIM)], dim=1)
    text_padding_mask = torch.tensor([[False] * 3 + [True] * 2] * 2)
    unpadded = fuse(block, visual, text)
    padded = fuse(block, visual, padded_text, text_padding_mask=text_padding_mask)
    torch.testing.assert_close(padded.visual_features, unpadded.visual_features)
    torch.testing.assert_close(padded.text_features[:, :3], unpadded.text_features)


def test_padded_visual_tokens_do_not_affect_text_tokens() -> None:
    torch.manual_seed(0)
    block = make_block(GateKind.LEARNABLE_SCALAR).eval()
    visual, text = torch.randn(2, 6, VISUAL_DIM), torch.randn(2, 3, TEXT_DIM)
    padded_visual = torch.cat([visual, 100 * torch.randn(2, 4, VISUAL_DIM)], dim=1)
    visual_padding_mask = torch.tensor([[False] * 6 + [True] * 4] * 2)
    unpadded = fuse(block, visual, text)
    padded = fuse(block, padded_visual, text, visual_padding_mask=visual_padding_mask)
    torch.testing.assert_close(padded.text_features, unpadded.text_features)
    torch.testing.assert_close(padded.visual_features[:, :6], unpadded.visual_features)


def test_all_padded_texts_give_finite_outputs() -> None:
    block = make_block(GateKind.LEARNABLE_SCALAR).eval()
    visual, text = torch.randn(1, 6, VISUAL_DIM), torch.randn(1, 3, TEXT_DIM)
    fused = fuse(block, visual, text, text_padding_mask=torch.ones(1, 3, dtype=torch.bool))
    assert torch.isfinite(fused.visual_features).all()


def test_block_rejects_heads_that_do_not_divide_the_width() -> None:
    with pytest.raises(ValueError, match="num_heads"):
        GatedCrossAttention(
            visual_dim=VISUAL_DIM, text_dim=TEXT_DIM, embed_dim=30, num_heads=4, dropout=0.1,
            gate_kind=GateKind.TANH,
        )


def make_encoder(kind: FusionKind, gate_kind: GateKind, num_layers: int = 6) -> FusedEncoder:
    torch.manual_seed(0)
    config = FusionConfig(kind=kind, embed_dim=32, num_heads=4, gate_kind=gate_kind)
    layers = nn.ModuleList(FakeEncoderLayer(VISUAL_DIM) for _ in range(num_layers))
    return build_fused_encoder(
        config, encoder_layers=layers, visual_dim=VISUAL_DIM, language_config=tiny_roberta_config()
    )


def encoder_inputs(batch_size: int = 2, num_texts: int = 5) -> dict[str, torch.Tensor]:
    padding_mask = torch.zeros(batch_size, TOTAL_TOKENS, dtype=torch.bool)
    padding_mask[1, 12:16] = True
    padding_mask[1, 20:] = True
    text_padding_mask = torch.zeros(batch_size, num_texts, dtype=torch.bool)
    text_padding_mask[1, -2:] = True
    return {
        "features": torch.randn(batch_size, TOTAL_TOKENS, VISUAL_DIM),
        "position": torch.randn(batch_size, TOTAL_TOKENS, VISUAL_DIM),
        "reference_points": torch.rand(batch_size, TOTAL_TOKENS, len(SPATIAL_SHAPES), 2),
        "spatial_shapes": SPATIAL_SHAPES,
        "level_start_index": LEVEL_START_INDEX,
        "padding_mask": padding_mask,
        "text_features": torch.randn(batch_size, num_texts, TEXT_DIM),
        "text_padding_mask": text_padding_mask,
    }


def test_alif_builds_one_fusion_block_and_language_layer_per_two_visual_layers() -> None:
    encoder = make_encoder(FusionKind.ALIF, GateKind.TANH)
    assert len(encoder.fusion_blocks) == len(encoder.language_layers) == encoder.num_stages == 3
    assert make_encoder(FusionKind.ALIF, GateKind.TANH, num_layers=5).num_stages == 3


def test_fusion_changes_only_the_coarsest_level() -> None:
    encoder = make_encoder(FusionKind.ALIF, GateKind.LEARNABLE_SCALAR).eval()
    inputs = encoder_inputs()
    output = encoder(**inputs)
    assert output.memory.shape == (2, TOTAL_TOKENS, VISUAL_DIM)
    # The fake visual layers are the identity at initialisation: only fusion changes tokens.
    assert torch.equal(output.memory[:, :COARSEST_START], inputs["features"][:, :COARSEST_START])
    coarsest_change = output.memory[:, COARSEST_START:] - inputs["features"][:, COARSEST_START:]
    assert (coarsest_change.abs().amax(dim=-1) > 0).all()


def test_language_stages_have_one_entry_per_stage() -> None:
    encoder = make_encoder(FusionKind.ALIF, GateKind.TANH).eval()
    inputs = encoder_inputs(num_texts=5)
    stages = encoder(**inputs).language_stages
    assert stages.shape == (3, 2, 5, TEXT_DIM)
    # Each stage runs a fresh RobertaLayer, so the stages differ from the input and each other.
    assert not torch.allclose(stages[0], inputs["text_features"])
    assert not torch.allclose(stages[0], stages[1])


def test_padded_texts_do_not_affect_the_valid_language_stages() -> None:
    encoder = make_encoder(FusionKind.ALIF, GateKind.LEARNABLE_SCALAR).eval()
    inputs = encoder_inputs()
    output = encoder(**inputs)
    inputs["text_features"][1, -2:] = 100 * torch.randn(2, TEXT_DIM)
    changed = encoder(**inputs)
    valid_stages = output.language_stages[:, 1, :-2]
    torch.testing.assert_close(changed.language_stages[:, 1, :-2], valid_stages)
    torch.testing.assert_close(changed.memory, output.memory)


def test_without_fusion_the_language_features_pass_unchanged() -> None:
    encoder = make_encoder(FusionKind.NONE, GateKind.TANH)
    assert len(encoder.fusion_blocks) == len(encoder.language_layers) == 0
    with torch.no_grad():
        for layer in encoder.encoder_layers:
            layer.bias.fill_(0.5)
    inputs = encoder_inputs()
    output = encoder(**inputs)
    assert output.language_stages.shape == (3, 2, 5, TEXT_DIM)
    for stage in output.language_stages:
        assert torch.equal(stage, inputs["text_features"])
    torch.testing.assert_close(output.memory, inputs["features"] + 6 * 0.5)


def test_gradients_reach_fusion_blocks_and_language_layers() -> None:
    encoder = make_encoder(FusionKind.ALIF, GateKind.LEARNABLE_SCALAR)
    inputs = encoder_inputs()
    inputs["text_features"].requires_grad_(True)
    output = encoder(**inputs)
    (output.memory.square().sum() + output.language_stages.square().sum()).backward()
    for name, parameter in encoder.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name
    assert inputs["text_features"].grad.abs().sum() > 0


def test_encoder_rejects_a_wrong_number_of_fusion_blocks() -> None:
    layers = nn.ModuleList(FakeEncoderLayer(VISUAL_DIM) for _ in range(6))
    blocks = nn.ModuleList(make_block(GateKind.TANH) for _ in range(2))
    with pytest.raises(ValueError, match="3 fusion blocks"):
        FusedEncoder(
            encoder_layers=layers, fusion_blocks=blocks, language_layers=nn.ModuleList(),
            fusion_interval=2,
        )


def test_encoder_rejects_levels_that_are_not_finest_first() -> None:
    encoder = make_encoder(FusionKind.ALIF, GateKind.TANH)
    inputs = encoder_inputs()
    inputs["level_start_index"] = torch.tensor([0, 10], dtype=torch.int64)
    with pytest.raises(ValueError, match="finest first"):
        encoder(**inputs)


def test_fusion_config_validates() -> None:
    with pytest.raises(ValueError, match="fusion_interval"):
        FusionConfig(fusion_interval=0)
    with pytest.raises(ValueError, match="num_heads"):
        FusionConfig(embed_dim=100, num_heads=8)
    with pytest.raises(ValueError, match="FusionKind"):
        FusionConfig(kind="alif")  # type: ignore[arg-type]


def test_feature_resizer_maps_text_width_to_hidden_width() -> None:
    resizer = FeatureResizer(input_dim=TEXT_DIM, output_dim=VISUAL_DIM, dropout=0.1).eval()
    resized = resizer(torch.randn(3, 2, 5, TEXT_DIM))
    assert resized.shape == (3, 2, 5, VISUAL_DIM)
    assert resizer.norm.eps == 1e-12
    torch.testing.assert_close(resized.mean(dim=-1), torch.zeros(3, 2, 5), atol=1e-5, rtol=0)
