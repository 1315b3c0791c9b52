"""Batched tagging: a tiny random R-Tagger scores the demo world's images the same, to a tight
tolerance, one call at a time or in batches (images of several sizes, pair and text counts),
its inputs prepared in this process or by DataLoader workers."""

import itertools
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pytest
import torch

import data_schemas as ds
from demo_world import write_demo_world
from model.backbone import BackboneConfig
from model.data import TransformConfig, build_eval_transform
from model.detector_config import DetectorConfig
from model.fused_encoder import FusionConfig
from model.random_text_encoder import save_random_text_encoder
from model.text_encoder import TextEncoderConfig
from pipeline.ingest import ingest_coco_dataset
from pipeline.tagging import TaggingCounts, tag_images
from pipeline.tagging.score_loader import key_batches
from rtagger.build_tagger import build_relation_tagger
from rtagger.tagger_items import canvas_size
from rtagger.tagger_scorer import RelationTaggerScorer

TEXTS = ("riding", "holding", "next to", "sitting on", "looking at", "carrying")
MAX_PAIRS = 4


@dataclass(frozen=True)
class DemoTables:
    images_dir: Path
    images: pa.Table
    entities: pa.Table
    candidates: pa.Table


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoTables:
    """Ten demo-world images, each with candidates over 1 to 6 of its entity pairs (some past
    ``MAX_PAIRS``, so in two calls) and 1 to 4 relation texts."""
    root = tmp_path_factory.mktemp("batched-tagging")
    paths = write_demo_world(root / "world", num_images=10, seed=3)
    ingest_coco_dataset(paths.instances_json, out_dir=root / "coco", dataset="demo",
                        split="train", image_root=paths.images_dir)
    images = ds.read_table(root / "coco" / "images", ds.IMAGES)
    entities = ds.read_table(root / "coco" / "entities", ds.ENTITIES).sort_by("image_id")
    by_image: dict[int, list[int]] = {}
    for row in entities.to_pylist():
        by_image.setdefault(row["image_id"], []).append(row["entity_id"])
    rows = []
    for position, image_id in enumerate(sorted(by_image)):
        pairs = list(itertools.permutations(by_image[image_id], 2))[: 1 + position % 6]
        texts = TEXTS[position % 3 : position % 3 + 1 + position % 4]
        for (subject, object_), text in zip(pairs, itertools.cycle(texts)):
            rows.append(ds.CandidateRecord(
                image_id=image_id, subject_entity_id=subject, object_entity_id=object_,
                relation=text, provenance=[ds.MatchEvidence(
                    caption_index=0, triplet_index=0, subject_words="a", subject_synonym="a",
                    object_words="b", object_synonym="b",
                )],
            ).model_dump())
    return DemoTables(paths.images_dir, images, entities, ds.CANDIDATES.rows_to_arrow(rows))


def tiny_scorer(root: Path, *, mask_padding: bool) -> RelationTaggerScorer:
    torch.manual_seed(0)
    text_encoder = save_random_text_encoder(root / "text-encoder", [*TEXTS, "person", "horse"],
                                            spread_max_steps=0)
    config = DetectorConfig(
        backbone=BackboneConfig(hidden_dim=32, hidden_sizes=(8, 16, 32, 64),
                                depths=(1, 1, 1, 1), embedding_size=8),
        text_encoder=TextEncoderConfig(str(text_encoder)),
        fusion=FusionConfig(embed_dim=64, num_heads=2, mask_padding=mask_padding),
        hidden_dim=32, num_pairs=MAX_PAIRS, feedforward_dim=64, num_heads=2, num_points=2,
    )
    return RelationTaggerScorer(
        tagger=build_relation_tagger(config),
        transform=build_eval_transform(TransformConfig(
            shorter_sides=(96,), eval_shorter_side=96, max_size=160, crop=None,
        )),
        device=torch.device("cpu"), tagger_id="tiny@0", max_pairs=MAX_PAIRS,
    )


class RecordingScorer(RelationTaggerScorer):
    """The tiny tagger, recording the batches it scores (named fake: a spy)."""

    def __init__(self, scorer: RelationTaggerScorer) -> None:
        super().__init__(tagger=scorer.tagger, transform=scorer.transform, device=scorer.device,
                         tagger_id=scorer.tagger_id, max_pairs=scorer.max_pairs)
        self.batches: list[list[tuple[tuple[int, int], int, int]]] = []

    def score_prepared(self, batch):
        self.batches.append([(canvas_size(item), len(item.subject_labels),
                              len(item.label_texts.relation_texts)) for item in batch])
        return super().score_prepared(batch)


def scores(demo: DemoTables, scorer, *, batch_size: int, workers: int) -> dict[tuple, float]:
    """Every (image, subject, object, text) score, all kept (threshold 0)."""
    items = tag_images(
        demo.images, demo.entities, demo.candidates, scorer, image_root=demo.images_dir,
        save_threshold=0.0, top_k_per_pair=None, counts=TaggingCounts(),
        candidates_source=Path("candidates"), batch_size=batch_size, workers=workers,
    )
    return {
        (r.image_id, r.subject_entity_id, r.object_entity_id, r.relation): r.score
        for item in items for r in item.relations
    }


@pytest.mark.parametrize("mask_padding", [True, False])
def test_batched_scores_equal_one_call_at_a_time(
    demo: DemoTables, tmp_path: Path, mask_padding: bool
) -> None:
    scorer = RecordingScorer(tiny_scorer(tmp_path, mask_padding=mask_padding))
    alone = scores(demo, scorer, batch_size=1, workers=0)
    assert all(len(batch) == 1 for batch in scorer.batches)
    scorer.batches.clear()
    batched = scores(demo, scorer, batch_size=4, workers=2)
    assert batched.keys() == alone.keys()
    for key, score in alone.items():
        assert batched[key] == pytest.approx(score, rel=1e-5, abs=1e-6), key
    shared = [batch for batch in scorer.batches if len(batch) > 1]
    assert shared, "no batch held more than one call"
    assert all(len({canvas for canvas, _, _ in batch}) == 1 for batch in scorer.batches)
    if mask_padding:  # padded pair slots and padded texts both occur in a shared batch
        assert any(len({pairs for _, pairs, _ in batch}) > 1 for batch in shared)
        assert any(len({texts for _, _, texts in batch}) > 1 for batch in shared)
    else:  # a fusion that ignores masks shares batches only among calls of equal text counts
        assert all(len({texts for _, _, texts in batch}) == 1 for batch in shared)


def test_demo_images_of_several_sizes_share_canvases(demo: DemoTables, tmp_path: Path) -> None:
    """The test above is only meaningful if images of different sizes share a batch."""
    scorer = RecordingScorer(tiny_scorer(tmp_path, mask_padding=True))
    sizes = {(row["width"], row["height"]) for row in demo.images.to_pylist()}
    assert len(sizes) > 3
    scores(demo, scorer, batch_size=4, workers=0)
    canvases = [canvas for batch in scorer.batches for canvas, _, _ in batch]
    assert len(set(canvases)) < len(canvases)


def test_key_batches_fill_batches_of_one_key_and_bound_what_waits() -> None:
    items = [("a", 0), ("b", 1), ("a", 2), ("a", 3), ("b", 4), ("c", 5), ("d", 6), ("a", 7)]
    batches = list(key_batches(items, lambda item: item[0], batch_size=3, window=4))
    assert batches == [
        [("a", 0), ("a", 2), ("a", 3)],  # full
        [("b", 1), ("b", 4)],  # the oldest waiting, when a fifth item waits
        [("c", 5)], [("d", 6)], [("a", 7)],  # the rest, at the end
    ]
    assert sorted(item for batch in batches for item in batch) == sorted(items)
    with pytest.raises(ValueError, match="batch_size <= window"):
        list(key_batches(items, lambda item: item[0], batch_size=3, window=2))


class RootRemovingScorer(RecordingScorer):
    """The tiny tagger, whose first batch moves the image root away (named fake: the pool's
    directory vanishing mid-run)."""

    def __init__(self, scorer: RelationTaggerScorer, image_root: Path) -> None:
        super().__init__(scorer)
        self.image_root = image_root

    def score_prepared(self, batch):
        if not self.batches:
            self.image_root.rename(self.image_root.with_name("moved-away"))
        return super().score_prepared(batch)


def test_an_image_root_vanishing_mid_run_is_an_error_naming_it(
    demo: DemoTables, tmp_path: Path
) -> None:
    image_root = tmp_path / "images"
    shutil.copytree(demo.images_dir, image_root)
    scorer = RootRemovingScorer(tiny_scorer(tmp_path, mask_padding=True), image_root)
    tagging = tag_images(
        demo.images, demo.entities, demo.candidates, scorer, image_root=image_root,
        save_threshold=0.0, top_k_per_pair=None, counts=TaggingCounts(),
        candidates_source=Path("candidates"), batch_size=2, workers=0,
    )
    with pytest.raises(ds.RLIPv2InputError, match=f"image root {image_root} disappeared"):
        list(tagging)
