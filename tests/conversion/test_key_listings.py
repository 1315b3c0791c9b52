"""Every released architecture's state dict converts, name for name and shape for shape: a dry
run on meta tensors (no full-size tensor is allocated)."""

import pytest
import torch

from conversion.convert import convert, expected_shapes, map_checkpoint, plan_conversion
from conversion.official_checkpoint import OfficialCheckpoint
from data_schemas.errors import RLIPv2InputError
from official_files import LISTINGS, listed_checkpoint, roberta_base_architecture


def dry_run(checkpoint: OfficialCheckpoint, name: str):
    plan = plan_conversion(checkpoint, text_encoder="roberta-base", target=None, source=name)
    return plan, convert(
        checkpoint,
        plan,
        expected_shapes(plan, roberta_base_architecture()),
        source=name,
        source_digest="listing",
    )


def test_every_released_architecture_is_listed() -> None:
    assert LISTINGS == [
        "parseda_r50_hico_ft",
        "parseda_r50_pretrain",
        "parseda_swinl_pretrain",
        "parseda_swint_pretrain",
        "rtagger_r50",
    ]


@pytest.mark.parametrize("name", LISTINGS)
def test_full_size_listing_converts_with_no_key_left_over(name: str) -> None:
    checkpoint = listed_checkpoint(name)

    plan, conversion = dry_run(checkpoint, name)

    converted = conversion.converted
    assert converted.is_complete
    assert all(tensor.is_meta for tensor in converted.model.values())
    assert set(conversion.ignored) <= {"transformer.text_encoder.embeddings.position_ids"} | {
        key for key in checkpoint.model if key.endswith("relative_position_index")
    }
    assert converted.architecture == ("rtagger" if name.startswith("rtagger") else "detector")
    assert plan.config.num_pairs == checkpoint.args["num_queries"] // 2


def test_a_transformers_4_position_ids_buffer_is_left_out() -> None:
    checkpoint = listed_checkpoint("parseda_r50_pretrain")
    checkpoint.model["transformer.text_encoder.embeddings.position_ids"] = torch.empty(
        1, 514, dtype=torch.int64, device="meta"
    )
    _, conversion = dry_run(checkpoint, "parseda_r50_pretrain")
    assert "transformer.text_encoder.embeddings.position_ids" in conversion.ignored


def test_unmapped_and_missing_keys_are_listed_and_refused() -> None:
    checkpoint = listed_checkpoint("rtagger_r50")
    checkpoint.model["transformer.extra_head.weight"] = torch.empty(4, 4, device="meta")
    del checkpoint.model["transformer.coord_proj.bias"]

    with pytest.raises(RLIPv2InputError) as raised:
        dry_run(checkpoint, "rtagger_r50")

    message = str(raised.value)
    assert "\n" not in message
    assert "1 keys that map to nothing: transformer.extra_head.weight" in message
    assert "1 expected keys missing: query_encoder.coordinate_projection.bias" in message


def test_a_wrong_shape_is_refused() -> None:
    checkpoint = listed_checkpoint("parseda_r50_pretrain")
    checkpoint.model["transformer.level_embed"] = torch.empty(5, 256, device="meta")
    with pytest.raises(RLIPv2InputError, match="level_embedding"):
        dry_run(checkpoint, "parseda_r50_pretrain")


def test_a_swin_window_the_architecture_cannot_hold_is_refused() -> None:
    checkpoint = listed_checkpoint("parseda_swint_pretrain")
    name = "backbone.0.body.layers.0.blocks.0.attn.relative_position_bias_table"
    checkpoint.model[name] = torch.empty(23 * 23, 3, device="meta")  # window 12, not 7
    with pytest.raises(RLIPv2InputError, match="window size 7"):
        dry_run(checkpoint, "parseda_swint_pretrain")


def test_swin_query_key_value_are_the_fused_projection_split() -> None:
    checkpoint = listed_checkpoint("parseda_swint_pretrain")
    fused = "backbone.0.body.layers.1.blocks.0.attn.qkv."
    weight = torch.arange(3 * 192 * 192, dtype=torch.float32).reshape(3 * 192, 192)
    checkpoint.model[fused + "weight"], checkpoint.model[fused + "bias"] = weight, weight[:, 0]
    plan = plan_conversion(checkpoint, text_encoder="roberta-base", target=None, source="swin")
    target = map_checkpoint(checkpoint, plan, source="swin").target
    prefix = "backbone.body.swin.encoder.layers.1.blocks.0.attention."
    for index, part in enumerate(("q", "k", "v")):
        assert torch.equal(
            target[f"{prefix}{part}_proj.weight"], weight[192 * index : 192 * (index + 1)]
        )
        assert torch.equal(
            target[f"{prefix}{part}_proj.bias"], weight[192 * index : 192 * (index + 1), 0]
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"RLIP_ParSeDA_v2": False, "RLIP_ParSe_v2": True}, "RLIP_ParSe_v2 checkpoint"),
        ({"gating_mechanism": "SDFtanh", "two_stage": True}, "two_stage, gating_mechanism SDFtanh"),
    ],
)
def test_another_architecture_or_unreproducible_settings_are_named(changes, message) -> None:
    checkpoint = listed_checkpoint("parseda_r50_pretrain")
    args = dict(checkpoint.args, **changes)
    with pytest.raises(RLIPv2InputError, match=message):
        plan_conversion(OfficialCheckpoint(checkpoint.model, args), text_encoder=None,
                        target=None, source="x.pth")
