"""Benchmark: precision and recall of the R-Tagger's pseudo-relations on held-out demo scenes.

Trains taggers on one demo world's human relations and evaluates them on another (held-out
scenes, captions -> candidates -> tagged relations), against that world's ground truth:

* ``tagger``: the R-Tagger trained by denoising (box noise 0.4, label noise 0.2);
* (a) ``all candidates``: every caption candidate kept, no tagger (the recall ceiling);
* (b) ``box-only``: the same tagger trained and run on blank images (boxes and labels only);
* (c) ``no denoising``: the same tagger trained without input noise.

A kept relation is correct when its (subject, object) is a ground-truth pair and its relation
text names that pair's predicate: the predicate itself or a phrase captions use for it
("beside" for "next to", "carrying" for "holding"; the demo vocabulary lists them). Recall is
over all ground-truth relations of the held-out images; ``of reachable`` is recall over those
the candidates hold (a relation no caption mentions cannot be tagged): what the tagger itself
finds. Each tagger is evaluated twice: keeping every text of a pair above the threshold, and
keeping only its best (``--top-k-per-pair 1``; the demo world's pairs have one predicate each).
A second table ranks each tagger's relations by score: average precision over the reachable
relations, and the best precision any threshold gives at >= 0.9 of them.

The taggers are tiny (hidden 64) with a random RoBERTa whose label features are spread apart
(``model.random_text_encoder``); it learns at the transformer's rate, as nothing in it is
pretrained.

    .venv/bin/python benchmarks/tagger_eval.py --train-images 200 --eval-images 50 --steps 300

With ``--work-dir DIR`` the worlds, taggers and checkpoints are kept in ``DIR``: run again with
the same ``DIR`` and settings, and the taggers resume from their checkpoints (a finished one is
evaluated without training again).
"""

import argparse
import logging
import shutil
import tempfile
from contextlib import nullcontext
from pathlib import Path

from PIL import Image

from data_schemas import CANDIDATES, RELATIONS, TAGGED_RELATIONS, read_table
from demo_world import write_demo_world
from demo_world.vocabulary import DEMO_PREDICATES, demo_label_texts
from model.backbone import BackboneConfig
from model.data import PretrainDataConfig, SceneGraphSource, TextSamplingConfig, TransformConfig
from model.data.transforms import CropConfig
from model.detector_config import DetectorConfig
from model.fused_encoder import FusionConfig
from model.optimization import OptimizationConfig
from model.random_text_encoder import save_random_text_encoder
from model.text_encoder import TextEncoderConfig
from pipeline.ingest import ingest_coco_dataset, ingest_visual_genome_dataset
from pipeline.labelling import LabelSettings
from pipeline.labelling.stage_run import run_candidate_stages, run_tag_stages
from pipeline.matching import build_phrase_matcher
from pipeline.parsing import CaptionParserConfig, build_caption_parser
from rtagger.tagger_config import DenoisingConfig, TaggerTrainingConfig
from rtagger.tagger_scorer import load_tagger_scorer
from rtagger.train_tagger import run_tagger_training

THRESHOLDS = (0.05, 0.2, 0.5)
TOP_K_PER_PAIR = (None, 1)
BATCH_SIZE = 4
TRANSFORM = TransformConfig(shorter_sides=(224,), max_size=320, eval_shorter_side=224,
                            flip_probability=0.0, crop=CropConfig(probability=0.0))


def blank_copy(images: Path, destination: Path) -> Path:
    """The same files, each replaced by a uniform grey image of its size."""
    destination.mkdir(parents=True, exist_ok=True)
    for path in images.iterdir():
        with Image.open(path) as image:
            Image.new("RGB", image.size, (128, 128, 128)).save(destination / path.name)
    return destination


def train_tagger(work: Path, name: str, scene_graphs: Path, images: Path, encoder: Path,
                 denoising: DenoisingConfig, steps: int, num_images: int) -> Path:
    """Train for about ``steps`` steps of batch 4 (whole epochs), the learning rate x0.1 for
    the last quarter (the paper: 20 epochs, drop at 15); returns the last checkpoint."""
    epochs = max(1, round(steps * BATCH_SIZE / num_images))
    lr_drop_epoch = max(1, round(0.75 * epochs))
    config = TaggerTrainingConfig(
        model=DetectorConfig(
            backbone=BackboneConfig(hidden_dim=64, hidden_sizes=(16, 32, 64, 128),
                                    depths=(1, 1, 1, 1), embedding_size=16),
            text_encoder=TextEncoderConfig(str(encoder)),
            fusion=FusionConfig(embed_dim=128, num_heads=4),
            hidden_dim=64, num_pairs=32, feedforward_dim=128, num_heads=4, num_points=4,
        ),
        data=PretrainDataConfig(sources=(SceneGraphSource(scene_graphs, images),),
                                transform=TRANSFORM,
                                text_sampling=TextSamplingConfig(total_texts=40)),
        output_dir=work / name,
        denoising=denoising,
        # the random text encoder learns from scratch: at the transformer's rate
        optimization=OptimizationConfig(learning_rate=3e-4, backbone_learning_rate=3e-4,
                                        text_encoder_learning_rate=3e-4, max_grad_norm=1.0,
                                        epochs=epochs, lr_drop_epoch=lr_drop_epoch),
        batch_size=BATCH_SIZE, num_workers=0, device="auto",
    )
    run_tagger_training(config)
    return work / name / "checkpoints" / f"checkpoint-{epochs:06d}.pt"


PREDICATE_OF_PHRASE = {phrase: predicate.name for predicate in DEMO_PREDICATES
                       for phrase in predicate.caption_phrases}


def triplet(row: dict, relation_column: str) -> tuple[int, int, str]:
    """(subject, object, predicate) of a row; a caption phrase stands for its predicate."""
    return (row["subject_entity_id"], row["object_entity_id"],
            PREDICATE_OF_PHRASE.get(row[relation_column], row[relation_column]))


def triplets(rows: list[dict], relation_column: str) -> set[tuple[int, int, str]]:
    return {triplet(row, relation_column) for row in rows}


def best_scores(rows: list[dict]) -> dict[tuple[int, int, str], float]:
    """The highest score of each (subject, object, predicate) among tagged rows."""
    scores: dict[tuple[int, int, str], float] = {}
    for row in rows:
        key = triplet(row, "relation")
        scores[key] = max(scores.get(key, 0.0), row["score"])
    return scores


def ranking_figures(scores: dict[tuple[int, int, str], float], truth: set,
                    num_reachable: int) -> tuple[float, float, float]:
    """Threshold-free figures of a tagger's ranking: average precision over the reachable
    relations, and the best precision whose recall of them is >= 0.9, with its threshold
    (0.0, 0.0 when no threshold reaches that recall)."""
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    hits, precision_sum, best = 0, 0.0, (0.0, 0.0)
    for rank, (key, score) in enumerate(ranked, start=1):
        if key in truth:
            hits += 1
            precision_sum += hits / rank
            if hits >= 0.9 * num_reachable and hits / rank > best[0]:
                best = (hits / rank, score)
    return precision_sum / max(num_reachable, 1), *best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-images", type=int, default=200)
    parser.add_argument("--eval-images", type=int, default=50)
    parser.add_argument("--steps", type=int, default=300, help="training steps per tagger")
    parser.add_argument("--candidates-only", action="store_true",
                        help="only row (a): what the candidates hold, without training taggers")
    parser.add_argument("--work-dir", type=Path,
                        help="keep the worlds and taggers here (default: a temporary directory); "
                             "taggers resume from the checkpoints a run with the same "
                             "directory left")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with (nullcontext(arguments.work_dir) if arguments.work_dir else
          tempfile.TemporaryDirectory(prefix="rlipv2-tagger-eval-")) as work_dir:
        work = Path(work_dir)
        train = write_demo_world(work / "train", num_images=arguments.train_images, seed=101)
        held_out = write_demo_world(work / "eval", num_images=arguments.eval_images, seed=202)
        for world, name in ((train, "train"), (held_out, "eval")):
            ingest_visual_genome_dataset(world.vg_image_data_json,
                                         relationships_json=world.vg_relationships_json,
                                         objects_json=world.vg_objects_json,
                                         out_dir=work / f"{name}_vg", dataset="demo", split=name,
                                         overwrite=True)
        ingest_coco_dataset(held_out.instances_json, captions_json=held_out.captions_json,
                            out_dir=work / "eval_coco", dataset="demo", split="eval",
                            overwrite=True)
        run_candidate_stages(LabelSettings(vocabulary="demo"), work / "eval_coco",
                             work / "candidates", captions_dir=None, image_root=None,
                             captioner=None, parser=build_caption_parser(CaptionParserConfig()),
                             matcher=build_phrase_matcher("demo", None), rows_per_shard=100_000,
                             overwrite=True)
        encoder = save_random_text_encoder(work / "text_encoder",
                                           demo_label_texts() + ["no objects"], hidden_size=64)
        truth = triplets(read_table(work / "eval_vg" / RELATIONS.name, RELATIONS).to_pylist(),
                         "predicate")
        candidates = triplets(
            read_table(work / "candidates" / CANDIDATES.name, CANDIDATES).to_pylist(), "relation"
        )
        reachable = candidates & truth
        rows = [("(a) all candidates", "-", "-", candidates)]
        rankings = {}
        blank_train = blank_copy(train.images_dir, work / "train_blank")
        blank_eval = blank_copy(held_out.images_dir, work / "eval_blank")
        variants = {
            "tagger": (train.images_dir, held_out.images_dir, DenoisingConfig()),
            "(b) box-only": (blank_train, blank_eval, DenoisingConfig()),
            "(c) no denoising": (
                train.images_dir, held_out.images_dir,
                DenoisingConfig(box_noise_scale=0.0, label_noise_probability=0.0),
            ),
        }
        for name, (train_images, eval_images, denoising) in (
            {} if arguments.candidates_only else variants
        ).items():
            checkpoint = train_tagger(
                work, name.replace(" ", "_"), work / "train_vg" / "scene_graphs", train_images,
                encoder, denoising, arguments.steps, arguments.train_images,
            )
            scorer = load_tagger_scorer(checkpoint)
            for top_k in TOP_K_PER_PAIR:
                out = work / "tagged"
                settings = LabelSettings(save_threshold=min(THRESHOLDS), top_k_per_pair=top_k)
                run_tag_stages(settings, work / "eval_coco", work / "candidates", out,
                               tagger_checkpoint=checkpoint, scorer=scorer, image_root=eval_images,
                               rows_per_shard=100_000, overwrite=True)
                table = read_table(out / TAGGED_RELATIONS.name, TAGGED_RELATIONS).to_pylist()
                shutil.rmtree(out)
                for threshold in THRESHOLDS:
                    kept = triplets([row for row in table if row["score"] >= threshold],
                                    "relation")
                    rows.append((name, f"{threshold:.2f}", top_k or "all", kept))
                if top_k is None:
                    rankings[name] = ranking_figures(best_scores(table), truth, len(reachable))
    trained = ("" if arguments.candidates_only else
               f"; taggers trained {arguments.steps} steps on {arguments.train_images} images")
    print(f"held-out: {arguments.eval_images} images, {len(truth)} ground-truth relations"
          f"{trained}")
    print(f"{'variant':<20} {'threshold':>9} {'texts/pair':>10} {'kept':>6} {'precision':>9} "
          f"{'recall':>7} {'of reachable':>12}")
    for name, threshold, top_k, kept in rows:
        correct = len(kept & truth)
        print(f"{name:<20} {threshold:>9} {top_k:>10} {len(kept):>6} "
              f"{correct / max(len(kept), 1):>9.3f} {correct / max(len(truth), 1):>7.3f} "
              f"{correct / max(len(reachable), 1):>12.3f}")
    if not rankings:
        return
    print(f"\n{'variant':<20} {'AP of reachable':>15}  best precision at >= 0.9 of reachable")
    for name, (average_precision, precision, threshold) in rankings.items():
        print(f"{name:<20} {average_precision:>15.3f}  {precision:.3f} (score >= {threshold:.2f})")


if __name__ == "__main__":
    main()
