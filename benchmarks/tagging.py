"""Benchmark: images/s of the tagging stage against its batch size, on CPU (and CUDA when
present), for a tiny tagger and a paper-size one.

Images are synthetic JPEGs at COCO's commonest sizes (640x480, 640x427, 480x640: three
canvases after the evaluation resize, the paper's 800 pixels or ``--eval-side``), each with 11 random boxes of 20 categories
and candidates over 100 of their ordered pairs with 8 relation texts. The taggers have random
weights (scores are not the point, speed is):

- ``tiny``: the demo tagger (``configs/tagger_demo.toml``: width 32, 16 pair slots, so 7 score
  calls per image);
- ``paper``: the released R-Tagger's shapes (``configs/paper/rtagger_vg_r50.toml``: ResNet-50,
  width 256, 100 pair slots, 6 + 3 layers), with a RoBERTa-base-shaped text encoder (768 wide,
  12 layers, 12 heads, feed-forward 3072) over a small byte-level vocabulary.

Every figure is ``tag_images`` over all the images (image decoding by ``--workers`` DataLoader
processes, batching, the model, the kept relations), after one untimed warm-up image; beside it,
the mean number of score calls per forward pass. Goal on a GPU: >= 25 images/s for the
paper-size tagger.

    .venv/bin/python benchmarks/tagging.py                         # CPU: 8 + 2 images
    .venv/bin/python benchmarks/tagging.py --eval-side 320         # a loaded CPU: minutes
    .venv/bin/python benchmarks/tagging.py --images 64 --paper-images 16 --workers 4
"""

import argparse
import dataclasses
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import torch
from PIL import Image
from transformers import RobertaConfig, RobertaModel

import data_schemas as ds
from model.config_file import load_config_file
from model.data import TransformConfig, build_eval_transform
from model.detector_config import DetectorConfig
from model.random_text_encoder import save_random_text_encoder
from model.text_encoder import TextEncoderConfig
from pipeline.tagging import TaggingCounts, tag_images
from pipeline.tagging.relation_scorer import scorer_for_categories
from rtagger.build_tagger import build_relation_tagger
from rtagger.tagger_config import TaggerTrainingConfig
from rtagger.tagger_scorer import RelationTaggerScorer

REPOSITORY = Path(__file__).resolve().parents[1]
SIZES = ((640, 480), (640, 480), (640, 427), (480, 640))
"""(width, height) of the images, in turn: COCO's commonest sizes, 640x480 most often."""
CATEGORIES = tuple(f"thing {index}" for index in range(20))
TEXTS = ("riding", "holding", "next to", "sitting on", "looking at", "carrying", "on", "near")
ENTITIES_PER_IMAGE = 11
PAIRS_PER_IMAGE = 100
BATCH_SIZES = (1, 2, 4, 8)


@dataclasses.dataclass(frozen=True)
class Tables:
    image_root: Path
    images: pa.Table
    entities: pa.Table
    candidates: pa.Table

    def first(self, count: int) -> "Tables":
        """The first ``count`` images and their rows."""
        ids = pa.array(self.images["image_id"].to_pylist()[:count])

        def kept(table: pa.Table) -> pa.Table:
            return table.filter(pc.is_in(table["image_id"], ids))

        return Tables(self.image_root, kept(self.images), kept(self.entities),
                      kept(self.candidates))


def synthetic_tables(root: Path, num_images: int) -> Tables:
    """``num_images`` JPEGs of random pixels with random boxes and candidates."""
    rng = random.Random(0)
    images, entities, candidates = [], [], []
    evidence = ds.MatchEvidence(caption_index=0, triplet_index=0, subject_words="a",
                                subject_synonym="a", object_words="b", object_synonym="b")
    for image_id in range(num_images):
        width, height = SIZES[image_id % len(SIZES)]
        file_name = f"{image_id:06d}.jpg"
        Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3)).save(
            root / file_name, quality=90
        )
        images.append(ds.ImageRecord(image_id=image_id, dataset="bench", split="train",
                                     file_name=file_name, width=width, height=height))
        ids = []
        for index in range(ENTITIES_PER_IMAGE):
            x1, y1 = rng.uniform(0, width - 40), rng.uniform(0, height - 40)
            category = rng.randrange(len(CATEGORIES))
            ids.append(image_id * 100 + index)
            entities.append(ds.EntityRecord(
                entity_id=ids[-1], image_id=image_id, category_id=category,
                category_name=CATEGORIES[category], x1=x1, y1=y1,
                x2=rng.uniform(x1 + 20, width), y2=rng.uniform(y1 + 20, height),
            ))
        pairs = [(s, o) for s in ids for o in ids if s != o][:PAIRS_PER_IMAGE]
        for index, (subject, object_) in enumerate(pairs):
            candidates.append(ds.CandidateRecord(
                image_id=image_id, subject_entity_id=subject, object_entity_id=object_,
                relation=TEXTS[index % len(TEXTS)], provenance=[evidence],
            ))
    return Tables(
        root,
        ds.IMAGES.rows_to_arrow([record.model_dump() for record in images]),
        ds.ENTITIES.rows_to_arrow([record.model_dump() for record in entities]),
        ds.CANDIDATES.rows_to_arrow([record.model_dump() for record in candidates]),
    )


def text_encoder(root: Path, *, paper: bool) -> Path:
    """A random RoBERTa over a byte-level vocabulary of the benchmark's texts; RoBERTa-base's
    shapes for ``paper``."""
    directory = save_random_text_encoder(root / f"text-encoder-{paper}", [*TEXTS, *CATEGORIES],
                                         spread_max_steps=0)
    if paper:
        tiny = RobertaConfig.from_pretrained(directory)
        RobertaModel(RobertaConfig(
            vocab_size=tiny.vocab_size, hidden_size=768, num_hidden_layers=12,
            num_attention_heads=12, intermediate_size=3072, max_position_embeddings=514,
            pad_token_id=tiny.pad_token_id, bos_token_id=tiny.bos_token_id,
            eos_token_id=tiny.eos_token_id,
        )).save_pretrained(directory)
    return directory


def tagger_scorer(
    root: Path, size: str, device: torch.device, eval_side: int
) -> RelationTaggerScorer:
    config_file = {"tiny": "tagger_demo.toml", "paper": "paper/rtagger_vg_r50.toml"}[size]
    config = load_config_file(REPOSITORY / "configs" / config_file, TaggerTrainingConfig, ())
    model: DetectorConfig = dataclasses.replace(
        config.model,
        backbone=dataclasses.replace(config.model.backbone, pretrained=None),
        text_encoder=TextEncoderConfig(str(text_encoder(root, paper=size == "paper"))),
    )
    torch.manual_seed(0)
    scorer = RelationTaggerScorer(
        tagger=build_relation_tagger(model, reference=config.queries.reference),
        transform=build_eval_transform(TransformConfig(
            shorter_sides=(eval_side,), eval_shorter_side=eval_side,
            max_size=eval_side * 1333 // 800, crop=None,
        )),
        device=device, tagger_id=f"{size}@random", max_pairs=model.num_pairs,
        entity_texts=config.tagging.entity_texts,
    )
    return scorer_for_categories(scorer, CATEGORIES)


class CountingScorer(RelationTaggerScorer):
    """The scorer, counting its forward passes and their calls."""

    def __init__(self, scorer: RelationTaggerScorer) -> None:
        super().__init__(tagger=scorer.tagger, transform=scorer.transform, device=scorer.device,
                         tagger_id=scorer.tagger_id, max_pairs=scorer.max_pairs,
                         entity_texts=scorer.entity_texts,
                         dataset_categories=scorer.dataset_categories)
        self.passes = self.calls = 0

    def score_prepared(self, batch):
        self.passes += 1
        self.calls += len(batch)
        return super().score_prepared(batch)


def images_per_second(
    tables: Tables, scorer: CountingScorer, *, batch_size: int, workers: int
) -> tuple[float, float]:
    """(images/s, score calls per forward pass) of tagging every image of ``tables``."""
    scorer.passes = scorer.calls = 0
    if scorer.device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in tag_images(tables.images, tables.entities, tables.candidates, scorer,
                        image_root=tables.image_root, save_threshold=0.05, top_k_per_pair=None,
                        counts=TaggingCounts(), candidates_source=tables.image_root,
                        batch_size=batch_size, workers=workers):
        pass
    if scorer.device.type == "cuda":
        torch.cuda.synchronize()
    return tables.images.num_rows / (time.perf_counter() - started), scorer.calls / scorer.passes


def run(
    tables: Tables, root: Path, size: str, device: torch.device, workers: int, eval_side: int
) -> None:
    scorer = CountingScorer(tagger_scorer(root, size, device, eval_side))
    images_per_second(tables.first(1), scorer, batch_size=1, workers=0)  # warm-up
    for batch_size in BATCH_SIZES:
        rate, fill = images_per_second(tables, scorer, batch_size=batch_size, workers=workers)
        print(f"{device.type:4s}  {size:5s}  {tables.images.num_rows:6d}  {batch_size:5d}  "
              f"{rate:8.3f}  {fill:6.2f}  [load {os.getloadavg()[0]:.1f}]", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8, help="images for the tiny tagger")
    parser.add_argument("--paper-images", type=int, default=2,
                        help="images for the paper-size tagger on the CPU (x8 on CUDA)")
    parser.add_argument("--workers", type=int, default=2, help="image-decoding processes")
    parser.add_argument("--sizes", default="tiny,paper", help="which taggers")
    parser.add_argument("--eval-side", type=int, default=800,
                        help="the evaluation resize's shorter side (the paper's: 800)")
    arguments = parser.parse_args(argv)
    devices = [torch.device("cpu")] + [torch.device("cuda")] * torch.cuda.is_available()
    print(f"torch threads {torch.get_num_threads()}, workers {arguments.workers}, shorter side "
          f"{arguments.eval_side}, load {os.getloadavg()}")
    print("device  tagger  images  batch  images/s  calls/pass")
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        count = max(arguments.images, 8 * arguments.paper_images)
        tables = synthetic_tables(root, count)
        for device in devices:
            for size in arguments.sizes.split(","):
                images = arguments.images if size == "tiny" else arguments.paper_images
                images *= 8 if device.type == "cuda" and size == "paper" else 1
                run(tables.first(images), root, size, device, arguments.workers,
                    arguments.eval_side)
    return 0


if __name__ == "__main__":
    sys.exit(main())
