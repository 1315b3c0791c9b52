"""The detection checkpoints RLIPv2 starts from (Deformable-DETR and DAB-Deformable-DETR, with
iterative box refinement) -> the parts of rlipv2's detector they initialise, as the official
``convert_parameters*.py`` scripts and ``--pretrained`` loading do: the encoder; the decoder
layers and box heads copied into both stages (entity and relation); the first ``2 P`` queries;
the query content (``tgt``) summed per pair as the relation content. Classification heads are
left out (RLIPv2 classifies by label text); the language side stays as initialised."""

from conversion.official_config import OfficialArchitecture
from conversion.rlipv2_keys import (
    DECODER_LAYER_RENAMES,
    map_encoder_layers,
    map_projection_and_levels,
)
from conversion.state_dict_mapper import StateDictMapper
from data_schemas.errors import RLIPv2InputError
from model.decoder_config import DecoderKind
from model.detector_config import DetectorConfig

INITIALISED_PREFIXES = (
    "text_encoder.",
    "fused_encoder.fusion_blocks.",
    "fused_encoder.language_layers.",
    "text_resizer.",
    "entity_classifier.",
    "relation_classifier.",
    "decoder.relation_fusion.",
)
"""What a detection checkpoint cannot provide: the language side and the relation fusion."""

_MLP = {"layers.": "layers."}


def map_detection(
    mapper: StateDictMapper,
    config: DetectorConfig,
    architecture: OfficialArchitecture,
    *,
    source: str,
) -> None:
    """A detection checkpoint's tensors into ``config``'s detector (see the module docstring).

    Raises:
        RLIPv2InputError: the checkpoint's queries are not of ``config``'s decoder kind, or it
            has fewer queries or layers than ``config`` needs.
    """
    anchors = architecture is OfficialArchitecture.DAB_DEFORMABLE_DETR
    wanted = DecoderKind.PARSEDA if anchors else DecoderKind.PARSED
    if config.decoder.kind is not wanted:
        raise RLIPv2InputError(
            f"{source} is a {architecture.value} checkpoint: it initialises a config with "
            f'decoder.kind = "{wanted.value}", not "{config.decoder.kind.value}"'
        )
    layers = config.decoder_layers
    map_projection_and_levels(mapper, "", num_backbone_levels=3)
    map_encoder_layers(mapper, "transformer.encoder.layers.", "", config.encoder_layers)
    for target in ("entity_layers", "relation_layers"):
        mapper.copy_layers(
            "transformer.decoder.layers.", f"decoder.{target}.", DECODER_LAYER_RENAMES, count=layers
        )
    _need(mapper, f"transformer.decoder.layers.{layers - 1}.norm1.weight", "decoder layers", source)
    _need(
        mapper,
        f"transformer.encoder.layers.{config.encoder_layers - 1}.norm1.weight",
        "encoder layers",
        source,
    )
    heads = ["subject_box_heads", "object_box_heads"]
    if config.decoder.relation_box_refinement:
        heads += ["relation_subject_box_heads", "relation_object_box_heads"]
    for target in heads:
        mapper.copy_layers("bbox_embed.", f"decoder.{target}.", _MLP, count=layers)
    for name in [
        name for name in mapper.source if name.startswith("transformer.decoder.bbox_embed.")
    ]:
        mapper.take_alias(name, of=name[len("transformer.decoder.") :])
    num_queries = 2 * config.num_pairs
    if anchors:
        content = _first_rows(mapper, "tgt_embed.weight", num_queries, source)
        mapper.put("pair_queries.content.weight", content)
        mapper.put(
            "pair_queries.anchors.weight",
            _first_rows(mapper, "refpoint_embed.weight", num_queries, source),
        )
        for target in ("entity_position", "relation_position"):
            mapper.copy_renamed(
                "transformer.decoder.ref_point_head.", f"decoder.{target}.anchor_projection.", _MLP
            )
            mapper.copy_renamed(
                "transformer.decoder.query_scale.", f"decoder.{target}.state_scale.", _MLP
            )
    else:
        queries = _first_rows(mapper, "query_embed.weight", num_queries, source)
        mapper.put("pair_queries.embedding.weight", queries)
        content = queries[:, config.hidden_dim :]
        for side in ("subject", "object"):
            for name in ("weight", "bias"):
                mapper.put(
                    f"pair_queries.{side}_reference.{name}",
                    mapper.take(f"transformer.reference_points.{name}"),
                )
    mapper.put(
        "decoder.relation_content.weight", content[: config.num_pairs] + content[config.num_pairs :]
    )
    _leave_out_the_rest(mapper, config)


def _first_rows(mapper: StateDictMapper, name: str, count: int, source: str):
    tensor = mapper.take(name)
    if tensor.shape[0] < count:
        raise RLIPv2InputError(
            f"{source}: {name} has {tensor.shape[0]} queries, the config needs {count}"
        )
    return tensor[:count]


def _need(mapper: StateDictMapper, name: str, what: str, source: str) -> None:
    if not mapper.has(name):
        raise RLIPv2InputError(f"{source} has fewer {what} than the config ({name} is missing)")


def _leave_out_the_rest(mapper: StateDictMapper, config: DetectorConfig) -> None:
    """Classification heads, and the layers, heads and queries beyond the config's."""
    leftover = [name for name in mapper.source if name not in mapper.used]
    mapper.ignore(
        [
            name
            for name in leftover
            if name.startswith(("class_embed.", "transformer.decoder.class_embed."))
        ],
        "RLIPv2 classifies by label text, not by a class head",
    )
    mapper.ignore(
        [
            name
            for name in leftover
            if name.startswith(
                ("transformer.decoder.layers.", "transformer.encoder.layers.", "bbox_embed.")
            )
        ],
        "beyond the config's layers",
    )
