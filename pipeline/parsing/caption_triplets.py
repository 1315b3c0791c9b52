"""The parsing stage: captions -> (subject, relation, object) triplets, one per graph relation.

Captions stream through in chunks. Within a chunk identical texts are parsed once, and a bounded
cache carries graphs across chunks, since nucleus sampling repeats captions ("a man riding a
horse") within and across images. Texts are compared after collapsing runs of whitespace, which
is also the text parsed.

Phrases are lower-cased (span, lemma span, head and lemma head), as the paper lower-cased spans;
so is the relation text, kept as the surface form ("sitting on") as the paper did.
"""

import logging
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from itertools import islice

from data_schemas.captions import CaptionRecord
from data_schemas.triplets import PhraseMention, TripletRecord
from pipeline.parsing.caption_parser import CaptionParser
from pipeline.parsing.scene_graph import EMPTY_SCENE_GRAPH, GraphEntity, SceneGraph

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 4096
DEFAULT_CACHE_SIZE = 20_000


@dataclass
class ParsingStats:
    """Counts of one parsing run, complete once the triplet iterator is exhausted.

    ``texts_parsed``: distinct texts sent to the parser (the rest were duplicates, cache hits or
    empty). ``captions_without_triplets`` includes empty captions.
    """

    captions: int = 0
    texts_parsed: int = 0
    captions_without_triplets: int = 0
    triplets: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class _GraphCache:
    """Least-recently-used text -> graph cache holding at most ``capacity`` graphs."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._graphs: OrderedDict[str, SceneGraph] = OrderedDict()

    def get(self, text: str) -> SceneGraph | None:
        graph = self._graphs.get(text)
        if graph is not None:
            self._graphs.move_to_end(text)
        return graph

    def put(self, text: str, graph: SceneGraph) -> None:
        self._graphs[text] = graph
        self._graphs.move_to_end(text)
        while len(self._graphs) > self._capacity:
            self._graphs.popitem(last=False)


def _normalize(text: str) -> str:
    """``text`` with surrounding whitespace removed and inner runs of whitespace made one space."""
    return " ".join(text.split())


def _mention(entity: GraphEntity) -> PhraseMention:
    return PhraseMention(
        span=entity.span.lower(),
        lemma_span=entity.lemma_span.lower(),
        head=entity.head.lower(),
        lemma_head=entity.lemma_head.lower(),
    )


def _triplets(caption: CaptionRecord, graph: SceneGraph) -> list[TripletRecord]:
    mentions = [_mention(entity) for entity in graph.entities]
    return [
        TripletRecord(
            image_id=caption.image_id,
            caption_index=caption.caption_index,
            triplet_index=triplet_index,
            subject=mentions[relation.subject],
            relation=relation.relation.lower(),
            relation_lemma=relation.relation_lemma,
            object=mentions[relation.object],
        )
        for triplet_index, relation in enumerate(graph.relations)
    ]


def _chunk_graphs(
    texts: list[str], parser: CaptionParser, cache: _GraphCache, stats: ParsingStats
) -> dict[str, SceneGraph]:
    """Text -> graph for every text of a chunk, parsing each distinct uncached text once."""
    graphs: dict[str, SceneGraph] = {"": EMPTY_SCENE_GRAPH}
    for text in texts:
        if text not in graphs and (cached := cache.get(text)) is not None:
            graphs[text] = cached
    to_parse = list(dict.fromkeys(text for text in texts if text not in graphs))
    for text, graph in zip(to_parse, parser.parse(to_parse), strict=True):
        graphs[text] = graph
        cache.put(text, graph)
    stats.texts_parsed += len(to_parse)
    return graphs


def parse_captions(
    captions: Iterable[CaptionRecord],
    parser: CaptionParser,
    *,
    stats: ParsingStats | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    cache_size: int = DEFAULT_CACHE_SIZE,
) -> Iterator[TripletRecord]:
    """Triplets of ``captions``, in caption order, ``triplet_index`` 0, 1, ... per caption.

    Reads ``chunk_size`` captions at a time; ``cache_size`` bounds the graphs kept across chunks.
    Captions without relations (empty, non-relational or garbage text) yield nothing. Counts are
    added to ``stats`` when given.
    """
    if chunk_size < 1 or cache_size < 0:
        raise ValueError(
            f"need chunk_size >= 1 and cache_size >= 0, got {chunk_size} and {cache_size}"
        )
    stats = ParsingStats() if stats is None else stats
    cache = _GraphCache(cache_size)
    caption_iterator = iter(captions)
    while chunk := list(islice(caption_iterator, chunk_size)):
        texts = [_normalize(caption.text) for caption in chunk]
        graphs = _chunk_graphs(texts, parser, cache, stats)
        for caption, text in zip(chunk, texts, strict=True):
            triplets = _triplets(caption, graphs[text])
            stats.captions += 1
            stats.triplets += len(triplets)
            stats.captions_without_triplets += int(not triplets)
            yield from triplets
        logger.debug("parsed %d captions: %s", stats.captions, stats.as_dict())
