"""The official RLIPv2 names -> rlipv2's, for everything but the backbone body.

- ``input_proj.{l}`` -> ``input_projection.level_projections.{l}`` (backbone levels), then
  ``input_projection.extra_levels.{l - 3}``; ``transformer.level_embed`` -> ``level_embedding``;
- ``transformer.text_encoder.*`` -> ``text_encoder.model.*`` (the 4.x ``position_ids`` buffer
  left out); ``transformer.resizer`` -> ``text_resizer``;
- in ``transformer.encoder`` (``ho_encoder`` in ParSeD): ``layers.{i}`` ->
  ``fused_encoder.encoder_layers.{i}``, ``roberta_layers.{k}`` ->
  ``fused_encoder.language_layers.{k}``, ``VLFuse_layers.{k}.b_attn`` ->
  ``fused_encoder.fusion_blocks.{k}`` (a scalar gate keeps ``gamma[0]``, all the released code
  reads);
- ``projection_text`` -> the one ``text_projection`` of both classifiers; ``bias_obj_a``,
  ``bias_pred_a`` -> ``entity_classifier.query_bias``, ``relation_classifier.query_bias``;
- ``transformer.ho_decoder.layers.{i}``, ``transformer.verb_decoder.layers.{i}`` ->
  ``decoder.entity_layers.{i}``, ``decoder.relation_layers.{i}``;
- ``{sub,obj}_bbox_embed.{i}`` -> ``decoder.{subject,object}_box_heads.{i}`` for ``i < L``
  layers, ``decoder.relation_{subject,object}_box_heads.{i - L}`` after; the decoders' copies
  (``transformer.{ho,verb}_decoder.{sub,obj}_bbox_embed``) are checked to be the same tensors;
- ParSeDA: ``tgt_embed``, ``refpoint_embed`` -> ``pair_queries.content``, ``.anchors``;
  ``transformer.{ho,verb}_decoder.ref_point_head``, ``.query_scale`` ->
  ``decoder.{entity,relation}_position.anchor_projection``, ``.state_scale``;
  ``verb_tgt_embed`` -> ``decoder.relation_content`` (its two halves summed, as the official
  decoder adds them); ``transformer.verb_tgt_generator.fc_{1,2,3}.{b}`` ->
  ``decoder.relation_fusion.first``, ``.second``, ``.merge`` (branches side by side);
- ParSeD: ``query_embed`` -> ``pair_queries.embedding`` (position and content; its third part,
  the relation targets, -> ``decoder.relation_content``, halves summed);
  ``transformer.reference_points_{sub,obj}`` -> ``pair_queries.{subject,object}_reference``;
- R-Tagger: also ``query_encoder.{subject,object}_reference``; ``transformer.coord_proj`` ->
  ``query_encoder.coordinate_projection``; ``transformer.verb_tgt`` ->
  ``decoder.relation_content`` (halves summed); its ``query_embed`` relation part is unused.
"""

import torch

from conversion.official_config import OfficialArchitecture
from conversion.state_dict_mapper import StateDictMapper
from model.detector_config import DetectorConfig
from model.gated_cross_attention import GateKind

ENCODER_LAYER_RENAMES = {
    "self_attn.value_proj.": "self_attention.value_projection.",
    "self_attn.output_proj.": "self_attention.output_projection.",
    "self_attn.": "self_attention.",
    "norm1.": "attention_norm.",
    "linear1.": "feedforward.expand.",
    "linear2.": "feedforward.contract.",
    "norm2.": "feedforward.norm.",
}
DECODER_LAYER_RENAMES = {
    "cross_attn.value_proj.": "cross_attention.value_projection.",
    "cross_attn.output_proj.": "cross_attention.output_projection.",
    "cross_attn.": "cross_attention.",
    "norm1.": "cross_attention_norm.",
    "self_attn.": "self_attention.",
    "norm2.": "self_attention_norm.",
    "linear1.": "feedforward.expand.",
    "linear2.": "feedforward.contract.",
    "norm3.": "feedforward.norm.",
}
_FUSION_RENAMES = {
    "layer_norm_v.": "visual_norm.",
    "layer_norm_l.": "text_norm.",
    "attn.v_proj.": "visual_query.",
    "attn.l_proj.": "text_key.",
    "attn.values_v_proj.": "visual_value.",
    "attn.values_l_proj.": "text_value.",
    "attn.out_v_proj.": "visual_output.",
    "attn.out_l_proj.": "text_output.",
}
_MLP = {"layers.": "layers."}


def map_rlipv2(
    mapper: StateDictMapper, config: DetectorConfig, architecture: OfficialArchitecture
) -> None:
    """Every non-backbone tensor of an RLIPv2 checkpoint (``architecture`` PARSEDA, PARSED or
    RTAGGER) into the names of ``config``'s detector; a tagger's go under ``detector.`` and
    ``query_encoder.``."""
    detector = "detector." if architecture is OfficialArchitecture.RTAGGER else ""
    encoder = (
        "transformer.encoder."
        if architecture is OfficialArchitecture.PARSEDA
        else "transformer.ho_encoder."
    )
    map_projection_and_levels(mapper, detector, num_backbone_levels=3)
    mapper.ignore(
        ["transformer.text_encoder.embeddings.position_ids"],
        "a buffer of transformers 4.x (transformers 5 computes it)",
    )
    mapper.copy_renamed("transformer.text_encoder.", f"{detector}text_encoder.model.", {"": ""})
    map_encoder_layers(mapper, f"{encoder}layers.", detector, config.encoder_layers)
    mapper.copy_renamed(
        f"{encoder}roberta_layers.", f"{detector}fused_encoder.language_layers.", {"": ""}
    )
    _map_fusion_blocks(mapper, encoder, detector, config)
    mapper.copy_renamed(
        "transformer.resizer.",
        f"{detector}text_resizer.",
        {"fc.": "projection.", "layer_norm.": "norm."},
    )
    for name in ("weight", "bias"):
        projection = mapper.take(f"projection_text.{name}")
        mapper.put(f"{detector}entity_classifier.text_projection.{name}", projection)
        mapper.put(f"{detector}relation_classifier.text_projection.{name}", projection)
    mapper.copy("bias_obj_a", f"{detector}entity_classifier.query_bias")
    mapper.copy("bias_pred_a", f"{detector}relation_classifier.query_bias")
    map_decoder_layers(mapper, detector, config.decoder_layers)
    map_box_heads(mapper, detector, config.decoder_layers)
    if architecture is OfficialArchitecture.PARSEDA:
        _map_anchor_queries(mapper, config)
    else:
        _map_point_queries(mapper, detector, config, architecture)


def map_projection_and_levels(
    mapper: StateDictMapper, detector: str, *, num_backbone_levels: int
) -> None:
    """``input_proj`` and ``transformer.level_embed``."""
    for name in [name for name in mapper.source if name.startswith("input_proj.")]:
        level, rest = name[len("input_proj.") :].split(".", 1)
        level = int(level)
        target = (
            f"level_projections.{level}"
            if level < num_backbone_levels
            else f"extra_levels.{level - num_backbone_levels}"
        )
        mapper.copy(name, f"{detector}input_projection.{target}.{rest}")
    mapper.copy("transformer.level_embed", f"{detector}level_embedding")


def map_encoder_layers(
    mapper: StateDictMapper, source_prefix: str, detector: str, num_layers: int
) -> None:
    """The first ``num_layers`` deformable encoder layers under ``source_prefix``."""
    mapper.copy_layers(
        source_prefix,
        f"{detector}fused_encoder.encoder_layers.",
        ENCODER_LAYER_RENAMES,
        count=num_layers,
    )


def map_decoder_layers(
    mapper: StateDictMapper,
    detector: str,
    num_layers: int,
    *,
    sources: tuple[str, str] = (
        "transformer.ho_decoder.layers.",
        "transformer.verb_decoder.layers.",
    ),
) -> None:
    """The first ``num_layers`` layers of the official entity and relation decoders."""
    for source, target in zip(sources, ("entity_layers", "relation_layers"), strict=True):
        mapper.copy_layers(
            source, f"{detector}decoder.{target}.", DECODER_LAYER_RENAMES, count=num_layers
        )


def map_box_heads(mapper: StateDictMapper, detector: str, num_layers: int) -> None:
    """``{sub,obj}_bbox_embed.{0..2L-1}``: the entity heads, then the relation stage's; the
    decoders' aliases of them are checked to be the same tensors."""
    for official, entity, relation in (
        ("sub", "subject_box_heads", "relation_subject_box_heads"),
        ("obj", "object_box_heads", "relation_object_box_heads"),
    ):
        for index in range(2 * num_layers):
            stage, layer = (
                ("ho_decoder", index)
                if index < num_layers
                else ("verb_decoder", index - num_layers)
            )
            target = entity if index < num_layers else relation
            for part in ("0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"):
                source = f"{official}_bbox_embed.{index}.layers.{part}"
                mapper.copy(source, f"{detector}decoder.{target}.{layer}.layers.{part}")
                mapper.take_alias(
                    f"transformer.{stage}.{official}_bbox_embed.{layer}.layers.{part}", of=source
                )


def _map_fusion_blocks(
    mapper: StateDictMapper, encoder: str, detector: str, config: DetectorConfig
) -> None:
    prefix = f"{encoder}VLFuse_layers."
    stages = {
        name[len(prefix) :].split(".", 1)[0] for name in mapper.source if name.startswith(prefix)
    }
    for stage in sorted(stages, key=int):
        source = f"{prefix}{stage}.b_attn."
        target = f"{detector}fused_encoder.fusion_blocks.{stage}."
        mapper.copy_renamed(source, target, _FUSION_RENAMES)
        for official, gate in (("gamma_v", "visual_gate"), ("gamma_l", "text_gate")):
            values = mapper.take(source + official)
            if config.fusion.gate_kind is GateKind.LEARNABLE_SCALAR:
                values = values[0] if values.numel() else values  # VXAc reads gamma[0] only
            mapper.put(f"{target}{gate}.parameter", values)


def _map_anchor_queries(mapper: StateDictMapper, config: DetectorConfig) -> None:
    mapper.copy("tgt_embed.weight", "pair_queries.content.weight")
    mapper.copy("refpoint_embed.weight", "pair_queries.anchors.weight")
    mapper.put(
        "decoder.relation_content.weight", _summed_halves(mapper.take("verb_tgt_embed.weight"))
    )
    for stage, target in (("ho_decoder", "entity_position"), ("verb_decoder", "relation_position")):
        mapper.copy_renamed(
            f"transformer.{stage}.ref_point_head.", f"decoder.{target}.anchor_projection.", _MLP
        )
        mapper.copy_renamed(
            f"transformer.{stage}.query_scale.", f"decoder.{target}.state_scale.", _MLP
        )
    _map_multi_branch_fusion(mapper, config)


def _map_point_queries(
    mapper: StateDictMapper,
    detector: str,
    config: DetectorConfig,
    architecture: OfficialArchitecture,
) -> None:
    hidden_dim = config.hidden_dim
    query_embed = mapper.take("query_embed.weight")  # (2P, 3 * hidden): position, content, relation
    mapper.put(f"{detector}pair_queries.embedding.weight", query_embed[:, : 2 * hidden_dim])
    for side, official in (("subject", "sub"), ("object", "obj")):
        for name in ("weight", "bias"):
            tensor = mapper.take(f"transformer.reference_points_{official}.{name}")
            mapper.put(f"{detector}pair_queries.{side}_reference.{name}", tensor)
            if architecture is OfficialArchitecture.RTAGGER:
                mapper.put(f"query_encoder.{side}_reference.{name}", tensor)
    if architecture is OfficialArchitecture.RTAGGER:
        mapper.copy_renamed(
            "transformer.coord_proj.", "query_encoder.coordinate_projection.", {"": ""}
        )
        relation_targets = mapper.take("transformer.verb_tgt.weight")
    else:
        relation_targets = query_embed[:, 2 * hidden_dim :]
    mapper.put(f"{detector}decoder.relation_content.weight", _summed_halves(relation_targets))


def _map_multi_branch_fusion(mapper: StateDictMapper, config: DetectorConfig) -> None:
    """Branch b's ``fc_1``/``fc_2`` rows stacked, ``fc_3`` columns side by side, biases summed."""
    prefix = "transformer.verb_tgt_generator."
    branches = range(config.decoder.fusion_branches)
    for official, target in (("fc_1", "first"), ("fc_2", "second")):
        for name in ("weight", "bias"):
            stacked = torch.cat([mapper.take(f"{prefix}{official}.{b}.{name}") for b in branches])
            mapper.put(f"decoder.relation_fusion.{target}.{name}", stacked)
    merge = torch.cat([mapper.take(f"{prefix}fc_3.{b}.weight") for b in branches], dim=1)
    mapper.put("decoder.relation_fusion.merge.weight", merge)
    biases = torch.stack([mapper.take(f"{prefix}fc_3.{b}.bias") for b in branches])
    mapper.put("decoder.relation_fusion.merge.bias", biases.sum(dim=0))


def _summed_halves(targets: torch.Tensor) -> torch.Tensor:
    """(2P, hidden) per-query relation targets -> (P, hidden): the subject slot's plus the
    object slot's, as the official decoder adds them before every use."""
    half = targets.shape[0] // 2
    return targets[:half] + targets[half:]
