"""The parity check: a fixture of the official code's numbers, converted and run by rlipv2.

A fixture directory (``tests/fixtures/parity/<name>/``) holds what the official code computed
for a small model: ``weights.json`` (its state dict as :mod:`conversion.formula_weights`
defines it), ``args.json`` (its script arguments, text-encoder configuration and label texts),
``tokenizer/``, ``inputs.pt`` (images, masks, tokens, targets) and ``outputs.pt`` (every output
and intermediate). :func:`run_parity` converts the weights with the converter users run, builds
rlipv2's model from the converted configuration, runs it on the same inputs and compares every
tensor it has a counterpart for.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from transformers import RobertaConfig, RobertaModel, RobertaTokenizerFast

from conversion.convert import (
    ConversionPlan,
    build_model,
    convert,
    expected_shapes,
    plan_conversion,
)
from conversion.formula_weights import formula_state_dict, state_dict_digest
from conversion.official_checkpoint import OfficialCheckpoint
from model.relation_soft_targets import (
    PAPER_PSEUDO_LABEL_THRESHOLD,
    pseudo_relation_labels,
    relation_text_closeness,
)
from model.targets import LabelTexts
from model.text_encoder import LabelTextEncoder
from rtagger.box_pair_queries import TaggerPairs

OUTPUT_TOLERANCE = 1e-4
"""Largest absolute difference allowed on outputs and encoder results (float32)."""
INTERMEDIATE_TOLERANCE = 2e-3
"""Largest difference allowed on intermediates, relative to their largest magnitude: the
fixtures store them as float16 (a relative rounding of up to 4.9e-4)."""


@dataclass(frozen=True)
class Comparison:
    """One fixture tensor against rlipv2's: the largest difference and its allowance."""

    key: str
    difference: float
    tolerance: float

    @property
    def passed(self) -> bool:
        return self.difference <= self.tolerance


@dataclass(frozen=True)
class ParityReport:
    """Every comparison of a fixture, and the fixture tensors left uncompared (with why)."""

    fixture: str
    comparisons: tuple[Comparison, ...]
    not_compared: dict[str, str]

    @property
    def passed(self) -> bool:
        return all(comparison.passed for comparison in self.comparisons)

    def largest(self, *, intermediate: bool = False) -> Comparison:
        """The output (or intermediate) comparison with the largest difference."""
        chosen = [c for c in self.comparisons if c.key.startswith("intermediate.") == intermediate]
        return max(chosen, key=lambda comparison: comparison.difference)


def run_parity(fixture_dir: Path) -> ParityReport:
    """Convert ``fixture_dir``'s official weights, run rlipv2 on its inputs, compare.

    Raises:
        ValueError: the weights rebuilt from ``weights.json`` do not match its checksum.
    """
    weights = json.loads((fixture_dir / "weights.json").read_text())
    meta = json.loads((fixture_dir / "args.json").read_text())
    state = formula_state_dict(weights)
    if state_dict_digest(weights, state) != weights["sha256_le"]:
        raise ValueError(f"{fixture_dir}: the weights rebuilt from weights.json fail its checksum")
    checkpoint = OfficialCheckpoint(model=state, args=meta["args"])
    tokenizer_dir = fixture_dir / "tokenizer"
    plan = plan_conversion(
        checkpoint, text_encoder=str(tokenizer_dir), target=None, source=str(fixture_dir)
    )
    text_config = RobertaConfig(**meta["text_config"])
    tokenizer = RobertaTokenizerFast.from_pretrained(tokenizer_dir)
    with torch.device("meta"):
        meta_text_encoder = LabelTextEncoder(model=RobertaModel(text_config), tokenizer=tokenizer)
    converted = convert(
        checkpoint,
        plan,
        expected_shapes(plan, meta_text_encoder),
        source=str(fixture_dir),
        source_digest=weights["sha256_le"][:12],
    ).converted
    model = build_model(
        plan, LabelTextEncoder(model=RobertaModel(text_config), tokenizer=tokenizer)
    )
    model.load_state_dict(converted.model)
    inputs = torch.load(fixture_dir / "inputs.pt", weights_only=True)
    reference = torch.load(fixture_dir / "outputs.pt", weights_only=True)
    computed, not_compared = _run(model.eval(), plan, inputs, meta)
    comparisons = []
    for key, expected in reference.items():
        if key not in computed:
            not_compared.setdefault(key, "no rlipv2 counterpart")
            continue
        comparisons.append(_compare(key, computed[key], expected))
    return ParityReport(
        fixture=fixture_dir.name, comparisons=tuple(comparisons), not_compared=not_compared
    )


def _run(
    model: nn.Module, plan: ConversionPlan, inputs: dict, meta: dict
) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """rlipv2's tensors under the fixture's names, and the fixture names it cannot produce."""
    detector = model.detector if plan.is_tagger else model
    ((entity_texts, relation_texts),) = meta["texts"]
    label_texts = LabelTexts(entity_texts=tuple(entity_texts), relation_texts=tuple(relation_texts))
    targets = _targets(inputs)
    captured = _capture(detector)
    with torch.no_grad():
        if plan.is_tagger:
            output = model(
                inputs["images"],
                inputs["mask"],
                label_texts,
                _tagger_pairs(targets, num_pairs=plan.config.num_pairs),
            )
        else:
            output = model(inputs["images"], inputs["mask"], label_texts)
    computed = {}
    for index, layer in enumerate(output.layers):
        prefix = "" if index == len(output.layers) - 1 else f"aux_outputs.{index}."
        computed.update(
            {
                f"{prefix}pred_sub_logits": layer.subject_logits,
                f"{prefix}pred_obj_logits": layer.object_logits,
                f"{prefix}pred_verb_logits": layer.relation_logits,
                f"{prefix}pred_sub_boxes": layer.subject_boxes,
                f"{prefix}pred_obj_boxes": layer.object_boxes,
            }
        )
    pseudo_labels = pseudo_relation_labels(
        torch.cat([target["verb_labels"] for target in targets]),
        relation_text_closeness(output.relation_text_features),
        threshold=PAPER_PSEUDO_LABEL_THRESHOLD,
    )
    computed["target_verb_sim"] = pseudo_labels
    computed.update(
        {f"aux_outputs.{i}.target_verb_sim": pseudo_labels for i in range(len(output.layers) - 1)}
    )
    computed.update(_encoder_results(detector, captured, inputs, label_texts))
    not_compared = {
        "memory_cache.text_attention_mask": "the released code derives text padding from the "
        "sign of each text's summed feature; rlipv2's texts have no padding",
    }
    if not plan.is_tagger:
        not_compared["memory_cache.ho_query_embed"] = (
            "learned parameters (tgt_embed, verb_tgt_embed, refpoint_embed), not a computation"
        )
    return computed, not_compared


def _encoder_results(
    detector: nn.Module, captured: dict, inputs: dict, label_texts: LabelTexts
) -> dict[str, torch.Tensor]:
    queries, memory = captured["decoder"]
    stages = captured["text_stages"]  # (num_stages, batch, num_texts, hidden)
    level_positions = []
    for level, encoding in enumerate(captured["positions"]):
        level_positions.append(
            encoding.flatten(2).transpose(1, 2) + detector.level_embedding[level]
        )
    tokens = detector.text_encoder.tokenizer(
        [*label_texts.entity_texts, *label_texts.relation_texts],
        padding="longest",
        return_tensors="pt",
    )
    text = captured["text"]
    results = {
        "memory_cache.img_memory": memory.features,
        "memory_cache.masks": memory.padding_mask,
        "memory_cache.spatial_shapes": memory.spatial_shapes,
        "memory_cache.level_start_index": memory.level_start_index,
        "memory_cache.valid_ratios": memory.valid_ratios,
        "memory_cache.pos_embed": torch.cat(level_positions, dim=1),
        "memory_cache.text_memory_resized": stages.transpose(1, 2),
        "memory_cache.text_memory": stages.transpose(1, 2),
        "memory_cache.text_memory_bf_resize": text.pooler_output[:, None],
        "memory_cache.obj_pred_names_sums": torch.tensor(
            [[len(label_texts.entity_texts), len(label_texts.relation_texts)]]
        ),
        "memory_cache.key_padding_mask": queries.padding_mask,
        "intermediate.text_encoder.last_hidden_state": text.last_hidden_state,
        "intermediate.text_encoder.pooler_output": text.pooler_output,
        "inputs.input_ids": tokens["input_ids"],
        "inputs.attention_mask": tokens["attention_mask"],
    }
    if queries.position is not None:
        results["memory_cache.ho_query_embed"] = torch.cat([queries.position, queries.content], -1)
    features = captured["backbone"]
    for level, (feature_map, mask) in enumerate(
        zip(features.feature_maps, features.padding_masks, strict=True)
    ):
        results[f"intermediate.backbone.0.{level}.tensors"] = feature_map
        results[f"intermediate.backbone.0.{level}.mask"] = mask
    for level, encoding in enumerate(captured["positions"]):
        results[f"intermediate.backbone.1.{level}"] = encoding
    tokens_expected = {
        "inputs.input_ids": inputs["input_ids"],
        "inputs.attention_mask": inputs["attention_mask"],
    }
    for key, value in tokens_expected.items():
        if not torch.equal(results[key], value):
            raise ValueError(f"{key}: rlipv2's tokenizer gives other tokens than the fixture's")
    return results


def _capture(detector: nn.Module) -> dict:
    """Forward hooks that keep the encoder's intermediate results (one forward pass)."""
    captured: dict = {"positions": []}
    detector.backbone.register_forward_hook(lambda m, i, o: captured.__setitem__("backbone", o))
    detector.position_encoding.register_forward_hook(
        lambda m, i, o: captured["positions"].append(o)
    )
    detector.text_encoder.model.register_forward_hook(
        lambda m, i, o: captured.__setitem__("text", o)
    )
    detector.text_resizer.register_forward_hook(
        lambda m, i, o: captured.__setitem__("text_stages", o)
    )
    detector.decoder.register_forward_pre_hook(lambda m, i: captured.__setitem__("decoder", i))
    return captured


def _targets(inputs: dict) -> list[dict[str, torch.Tensor]]:
    targets, index = [], 0
    while f"targets.{index}.sub_boxes" in inputs:
        prefix = f"targets.{index}."
        targets.append(
            {key[len(prefix) :]: value for key, value in inputs.items() if key.startswith(prefix)}
        )
        index += 1
    return targets


def _tagger_pairs(targets: list[dict[str, torch.Tensor]], *, num_pairs: int) -> TaggerPairs:
    """The fixture's given pairs in the first slots of each image, the rest empty."""
    batch_size = len(targets)
    subject_boxes = torch.zeros(batch_size, num_pairs, 4)
    object_boxes = torch.zeros(batch_size, num_pairs, 4)
    subject_labels = torch.zeros(batch_size, num_pairs, dtype=torch.int64)
    object_labels = torch.zeros(batch_size, num_pairs, dtype=torch.int64)
    padding = torch.ones(batch_size, num_pairs, dtype=torch.bool)
    for image, target in enumerate(targets):
        count = target["sub_boxes"].shape[0]
        subject_boxes[image, :count] = target["sub_boxes"]
        object_boxes[image, :count] = target["obj_boxes"]
        subject_labels[image, :count] = target["sub_labels"]
        object_labels[image, :count] = target["obj_labels"]
        padding[image, :count] = False
    return TaggerPairs(
        subject_boxes=subject_boxes,
        object_boxes=object_boxes,
        subject_labels=subject_labels,
        object_labels=object_labels,
        padding_mask=padding,
    )


def _compare(key: str, computed: torch.Tensor, expected: torch.Tensor) -> Comparison:
    if tuple(computed.shape) != tuple(expected.shape):
        return Comparison(key=key, difference=float("inf"), tolerance=0.0)
    if not expected.is_floating_point():
        return Comparison(
            key=key, difference=float(not torch.equal(computed, expected)), tolerance=0.0
        )
    difference = (
        (computed.double() - expected.double()).abs().max().item() if expected.numel() else 0.0
    )
    if key.startswith("intermediate."):
        scale = max(1.0, expected.double().abs().max().item())
        return Comparison(key=key, difference=difference / scale, tolerance=INTERMEDIATE_TOLERANCE)
    return Comparison(key=key, difference=difference, tolerance=OUTPUT_TOLERANCE)
