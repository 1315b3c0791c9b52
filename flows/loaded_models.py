"""Models loaded once per worker process and shared by the shard tasks it runs.

A task receives settings (picklable, small) and asks here for the model; the first task of a
process loads it, the others reuse it. With the thread runner every task shares one copy; with
Dask each worker process holds one.
"""

import threading
from functools import cache
from pathlib import Path

from pipeline.captioning import BlipCaptionerConfig, build_blip_captioner
from pipeline.captioning.captioner import Captioner
from pipeline.matching import BuiltinVocabulary, PhraseMatcher, build_phrase_matcher
from pipeline.parsing import CaptionParser, CaptionParserConfig, build_caption_parser
from rtagger.tagger_scorer import RelationTaggerScorer, load_tagger_scorer

_LOCK = threading.Lock()


def caption_parser(config: CaptionParserConfig) -> CaptionParser:
    with _LOCK:
        return _caption_parser(config)


def phrase_matcher(vocabulary: BuiltinVocabulary, synonyms_file: Path | None) -> PhraseMatcher:
    with _LOCK:
        return _phrase_matcher(vocabulary, synonyms_file)


def blip_captioner(config: BlipCaptionerConfig) -> Captioner:
    with _LOCK:
        return _blip_captioner(config)


def tagger_scorer(checkpoint: Path, checksum: str, device: str) -> RelationTaggerScorer:
    """The tagger of ``checkpoint``; ``checksum`` keys the cache, so a replaced file reloads."""
    with _LOCK:
        return _tagger_scorer(checkpoint, checksum, device)


def clear() -> None:
    """Forget every loaded model (the next task loads afresh)."""
    with _LOCK:
        for loader in (_caption_parser, _phrase_matcher, _blip_captioner, _tagger_scorer):
            loader.cache_clear()


@cache
def _caption_parser(config: CaptionParserConfig) -> CaptionParser:
    return build_caption_parser(config)


@cache
def _phrase_matcher(vocabulary: BuiltinVocabulary, synonyms_file: Path | None) -> PhraseMatcher:
    return build_phrase_matcher(vocabulary, synonyms_file)


@cache
def _blip_captioner(config: BlipCaptionerConfig) -> Captioner:
    return build_blip_captioner(config)


@cache
def _tagger_scorer(checkpoint: Path, checksum: str, device: str) -> RelationTaggerScorer:
    del checksum  # part of the cache key only
    return load_tagger_scorer(checkpoint, device=device)
