"""Caption parsing: captions -> scene graphs (SceneGraphParser's rules on spaCy) -> triplets."""

from pipeline.parsing.caption_parser import (
    CaptionParser,
    CaptionParserConfig,
    build_caption_parser,
    load_spacy_pipeline,
)
from pipeline.parsing.caption_triplets import ParsingStats, parse_captions
from pipeline.parsing.collective_nouns import DEFAULT_COLLECTIVE_NOUNS, merge_collective_nouns
from pipeline.parsing.relation_lemmatizer import RelationLemmatizer
from pipeline.parsing.scene_graph import EntityModifier, GraphEntity, GraphRelation, SceneGraph
from pipeline.parsing.scene_graph_extraction import extract_scene_graph
from pipeline.parsing.software_versions import parser_software_versions

__all__ = [
    "DEFAULT_COLLECTIVE_NOUNS",
    "CaptionParser",
    "CaptionParserConfig",
    "EntityModifier",
    "GraphEntity",
    "GraphRelation",
    "ParsingStats",
    "RelationLemmatizer",
    "SceneGraph",
    "build_caption_parser",
    "extract_scene_graph",
    "load_spacy_pipeline",
    "merge_collective_nouns",
    "parse_captions",
    "parser_software_versions",
]
