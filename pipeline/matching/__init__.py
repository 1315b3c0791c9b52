"""Matching caption phrases to annotated categories, and building relation candidates."""

from pipeline.matching.candidates import CandidateStats, DroppedTriplet, build_candidates
from pipeline.matching.match_images import match_images
from pipeline.matching.phrase_matcher import (
    NoMatch,
    NoMatchReason,
    PhraseMatch,
    PhraseMatcher,
    build_phrase_matcher,
)
from pipeline.matching.synonym_table import (
    BuiltinVocabulary,
    SynonymTable,
    builtin_synonym_table,
    load_synonym_file,
    synonym_table,
)
from pipeline.matching.vocabulary_coverage import check_vocabulary_coverage

__all__ = [
    "BuiltinVocabulary",
    "CandidateStats",
    "DroppedTriplet",
    "NoMatch",
    "NoMatchReason",
    "PhraseMatch",
    "PhraseMatcher",
    "SynonymTable",
    "build_candidates",
    "build_phrase_matcher",
    "builtin_synonym_table",
    "check_vocabulary_coverage",
    "load_synonym_file",
    "match_images",
    "synonym_table",
]
