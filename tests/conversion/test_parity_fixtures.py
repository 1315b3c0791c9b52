"""The official code's numbers, reproduced: each parity fixture converted and run by rlipv2."""

from pathlib import Path

import pytest

from conversion.parity import OUTPUT_TOLERANCE, run_parity

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parity"
OUTPUTS = (
    "pred_sub_logits",
    "pred_obj_logits",
    "pred_verb_logits",
    "pred_sub_boxes",
    "pred_obj_boxes",
)


@pytest.mark.parametrize("fixture", ["rtagger_r50_small", "parseda_r50_small"])
def test_fixture_outputs_are_reproduced(fixture: str) -> None:
    report = run_parity(FIXTURES / fixture)

    compared = {comparison.key: comparison for comparison in report.comparisons}
    expected = {
        *OUTPUTS,
        *(f"aux_outputs.0.{key}" for key in OUTPUTS),
        "memory_cache.img_memory",
        "memory_cache.text_memory_resized",
        "intermediate.backbone.0.2.tensors",
        "intermediate.text_encoder.pooler_output",
    }
    assert expected <= set(compared)
    failed = [
        f"{c.key}: {c.difference:.3g} > {c.tolerance}" for c in report.comparisons if not c.passed
    ]
    assert not failed, failed
    assert report.largest().difference <= OUTPUT_TOLERANCE
    assert set(report.not_compared) <= {
        "memory_cache.text_attention_mask",
        "memory_cache.ho_query_embed",
    }
    if fixture.startswith("parseda"):  # trained with pseudo-labels (RPL): compared too
        assert "target_verb_sim" in compared
