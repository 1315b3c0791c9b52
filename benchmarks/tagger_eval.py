"""Benchmark: precision and recall of the R-Tagger's pseudo-relations on held-out demo scenes.

Trains taggers on one demo world's human relations and evaluates them on another (held-out
scenes, captions -> candidates -> tagged relations), against that world's ground truth:

* ``tagger``: rlipv2's R-Tagger (the choices of ``configs/tagger_demo.toml``), trained by
  denoising (box noise 0.4, label noise 0.2);
* ``official``: the released R-Tagger's choices (``configs/paper/rtagger_demo.toml``: per-channel
  fusion gates on the normalised input, 2-d point references, box refinement at the relation
  layers, dropout 0.1, every dataset category shown when tagging, box noise 0.6, label noise
  0.3 over the released flip range);
* (a) ``all candidates``: every caption candidate kept, no tagger (the recall ceiling);
* (b) ``box-only``: the ``tagger`` trained and run on blank images (boxes and labels only);
* (c) ``no denoising``: the ``tagger`` trained without input noise.

Every trained variant takes its choices from its config file and the benchmark's sizes, data and
optimisation, and is trained once per seed (``--seeds``: model initialisation, data order and
noise); the tables give each figure's mean ± sample standard deviation [min, max] over the seeds.

A kept relation is correct when its (subject, object) is a ground-truth pair and its relation
text names that pair's predicate: the predicate itself or a phrase captions use for it
("beside" for "next to", "carrying" for "holding"; the demo vocabulary lists them). Recall is
over all ground-truth relations of the held-out images; ``of reachable`` is recall over those
the candidates hold (a relation no caption mentions cannot be tagged): what the tagger itself
finds. Each tagger tags the held-out images once, keeping every text of a pair above the
threshold; the rows of one text per pair keep each pair's best-scoring text, as
``--top-k-per-pair 1`` does (the demo world's pairs have one predicate each). A second table
ranks each tagger's relations by score: average precision over the reachable relations, and the
best precision any threshold gives at >= 0.9 of them.

The taggers are tiny (hidden 64) with a random RoBERTa whose label features are spread apart
(``model.random_text_encoder``); it learns at the transformer's rate, as nothing in it is
pretrained.

    .venv/bin/python benchmarks/tagger_eval.py --train-images 200 --eval-images 500 --steps 300

With ``--work-dir DIR`` the worlds, taggers, checkpoints and tagged relations are kept in
``DIR``: run again with the same ``DIR`` and settings, and the taggers resume from their
checkpoints; a tagger whose tagged relations are there is not trained or run again.
``--variants`` trains and evaluates only the named ones. Each tagger's training and tagging
times go to stderr as they finish.
"""

import argparse
import dataclasses
import logging
import sys
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from spread import Spread
from variant_slug import slug

from data_schemas import CANDIDATES, RELATIONS, TAGGED_RELATIONS, read_table
from demo_world import write_demo_world
from demo_world.vocabulary import DEMO_PREDICATES, demo_label_texts
from model.config_file import load_config_file
from model.data import SceneGraphSource, TextSamplingConfig, TransformConfig
from model.data.transforms import CropConfig
from model.optimization import OptimizationConfig
from model.random_text_encoder import save_random_text_encoder
from pipeline.ingest import ingest_coco_dataset, ingest_visual_genome_dataset
from pipeline.labelling import LabelSettings
from pipeline.labelling.stage_run import run_candidate_stages, run_tag_stages
from pipeline.matching import build_phrase_matcher
from pipeline.parsing import CaptionParserConfig, build_caption_parser
from rtagger.tagger_config import TaggerDataConfig, TaggerTrainingConfig
from rtagger.tagger_scorer import load_tagger_scorer
from rtagger.train_tagger import run_tagger_training

THRESHOLDS = (0.05, 0.2, 0.5)
TEXTS_PER_PAIR = ("all", "1")
BATCH_SIZE = 4
TRANSFORM = TransformConfig(shorter_sides=(224,), max_size=320, eval_shorter_side=224,
                            flip_probability=0.0, crop=CropConfig(probability=0.0))
CONFIGS = Path(__file__).resolve().parents[1] / "configs"
# the benchmark's sizes, set on every variant's config file (which keeps its choices)
BENCHMARK_SIZES = (
    "model.hidden_dim=64", "model.num_pairs=32", "model.feedforward_dim=128",
    "model.num_heads=4", "model.num_points=4", "model.backbone.hidden_dim=64",
    "model.fusion.embed_dim=128", "model.fusion.num_heads=4",
)


@dataclass(frozen=True)
class Variant:
    """A trained tagger: a config file's choices with ``overrides``, seeing ``blank_images``
    (uniform grey) or the scenes."""

    config_file: Path
    overrides: tuple[str, ...] = ()
    blank_images: bool = False


VARIANTS = {
    "tagger": Variant(CONFIGS / "tagger_demo.toml"),
    "official": Variant(CONFIGS / "paper" / "rtagger_demo.toml"),
    "(b) box-only": Variant(CONFIGS / "tagger_demo.toml", blank_images=True),
    "(c) no denoising": Variant(
        CONFIGS / "tagger_demo.toml",
        ("denoising.box_noise_scale=0.0", "denoising.label_noise_probability=0.0"),
    ),
}


def blank_copy(images: Path, destination: Path) -> Path:
    """The same files, each replaced by a uniform grey image of its size."""
    destination.mkdir(parents=True, exist_ok=True)
    for path in images.iterdir():
        with Image.open(path) as image:
            Image.new("RGB", image.size, (128, 128, 128)).save(destination / path.name)
    return destination


def tagger_config(variant: Variant, *, output_dir: Path, source: SceneGraphSource,
                  encoder: Path, steps: int, num_images: int, seed: int) -> TaggerTrainingConfig:
    """The variant's config at the benchmark's sizes, trained for about ``steps`` steps of
    batch 4 (whole epochs), the learning rate x0.1 for the last quarter (the paper: 20 epochs,
    drop at 15)."""
    epochs = max(1, round(steps * BATCH_SIZE / num_images))
    config = load_config_file(
        variant.config_file, TaggerTrainingConfig,
        (*BENCHMARK_SIZES, f'model.text_encoder.name_or_path="{encoder}"', *variant.overrides),
    )
    return dataclasses.replace(
        config,
        data=TaggerDataConfig(sources=(source,), transform=TRANSFORM,
                              text_sampling=TextSamplingConfig(total_texts=40), seed=seed),
        output_dir=output_dir,
        # the random text encoder learns from scratch: at the transformer's rate
        optimization=OptimizationConfig(learning_rate=3e-4, backbone_learning_rate=3e-4,
                                        text_encoder_learning_rate=3e-4, max_grad_norm=1.0,
                                        epochs=epochs, lr_drop_epoch=max(1, round(0.75 * epochs))),
        batch_size=BATCH_SIZE, num_workers=0, max_steps_per_epoch=None, device="auto", seed=seed,
    )


def tagged_rows(config: TaggerTrainingConfig, *, run: str, tagged: Path, dataset: Path,
                candidates: Path, image_root: Path) -> list[dict]:
    """The held-out candidates tagged by the tagger ``config`` trains (every text of a pair
    scoring >= the lowest threshold), trained and run unless ``tagged`` holds them already;
    progress (``run``: what was done, in seconds) goes to stderr."""
    if not tagged.exists():  # a tagging run's output appears only once complete
        started = time.monotonic()
        run_tagger_training(config)
        print(f"{run}: trained in {time.monotonic() - started:.0f} s", file=sys.stderr,
              flush=True)
        started = time.monotonic()
        checkpoint = (config.output_dir / "checkpoints"
                      / f"checkpoint-{config.optimization.epochs:06d}.pt")
        run_tag_stages(LabelSettings(save_threshold=min(THRESHOLDS), top_k_per_pair=None),
                       dataset, candidates, tagged, tagger_checkpoint=checkpoint,
                       scorer=load_tagger_scorer(checkpoint), image_root=image_root,
                       rows_per_shard=100_000, overwrite=False)
        print(f"{run}: tagged in {time.monotonic() - started:.0f} s", file=sys.stderr,
              flush=True)
    return read_table(tagged / TAGGED_RELATIONS.name, TAGGED_RELATIONS).to_pylist()


def best_text_per_pair(rows: list[dict]) -> list[dict]:
    """The rows ``--top-k-per-pair 1`` keeps: each pair's highest-scoring text (the first of
    equal scores)."""
    best: dict[tuple[int, int, int], dict] = {}
    for row in rows:
        pair = (row["image_id"], row["subject_entity_id"], row["object_entity_id"])
        if pair not in best or row["score"] > best[pair]["score"]:
            best[pair] = row
    return list(best.values())


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


@dataclass(frozen=True)
class Figures:
    """A kept set's figures against the ground truth."""

    kept: int
    precision: float
    recall: float
    of_reachable: float

    @classmethod
    def of(cls, kept: set, truth: set, reachable: set) -> "Figures":
        correct = len(kept & truth)
        return cls(kept=len(kept), precision=correct / max(len(kept), 1),
                   recall=correct / max(len(truth), 1),
                   of_reachable=correct / max(len(reachable), 1))


def threshold_figures(rows: list[dict], truth: set, reachable: set) -> dict[tuple[str, str], Figures]:
    """Figures of one tagger's rows at each (threshold, texts per pair)."""
    figures = {}
    for texts_per_pair, texts in zip(TEXTS_PER_PAIR, (rows, best_text_per_pair(rows)), strict=True):
        for threshold in THRESHOLDS:
            kept = triplets([row for row in texts if row["score"] >= threshold], "relation")
            figures[f"{threshold:.2f}", texts_per_pair] = Figures.of(kept, truth, reachable)
    return figures


def print_tables(figures: dict[str, list[dict[tuple[str, str], Figures]]],
                 rankings: dict[str, list[tuple[float, float, float]]]) -> None:
    """Both tables; each figure over a variant's seeds as mean ± std [min, max]."""
    print(f"{'variant':<18} {'threshold':>9} {'texts/pair':>10} {'kept':>5} "
          f"{'precision':^28} {'recall':^28} {'of reachable':^28}")
    for name, per_seed in figures.items():
        for key in per_seed[0]:
            runs = [seed_figures[key] for seed_figures in per_seed]
            spreads = [Spread.of([getattr(run, field) for run in runs]).format()
                       for field in ("precision", "recall", "of_reachable")]
            kept = sum(run.kept for run in runs) / len(runs)
            print(f"{name:<18} {key[0]:>9} {key[1]:>10} {kept:>5.0f} "
                  + " ".join(f"{spread:>28}" for spread in spreads))
    if not rankings:
        return
    print(f"\n{'variant':<18} {'AP of reachable':^28}  "
          f"{'best precision at >= 0.9 of reachable':^37} {'at score':>8}")
    for name, runs in rankings.items():
        average_precision, precision, threshold = (Spread.of(values) for values in zip(*runs))
        print(f"{name:<18} {average_precision.format():>28}  {precision.format():^37} "
              f"{threshold.mean:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-images", type=int, default=200)
    parser.add_argument("--eval-images", type=int, default=500)
    parser.add_argument("--steps", type=int, default=300, help="training steps per tagger")
    parser.add_argument("--seeds", type=int, default=3,
                        help="taggers trained per variant, with seeds 0, 1, ...")
    parser.add_argument("--variants", nargs="+", choices=[slug(name) for name in VARIANTS],
                        default=[slug(name) for name in VARIANTS],
                        help="the trained variants to evaluate (default: all)")
    parser.add_argument("--candidates-only", action="store_true",
                        help="only row (a): what the candidates hold, without training taggers")
    parser.add_argument("--work-dir", type=Path,
                        help="keep the worlds, taggers and tagged relations here (default: a "
                             "temporary directory); a run with the same directory resumes")
    arguments = parser.parse_args()
    if arguments.seeds < 1:
        parser.error("--seeds must be >= 1")
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
        figures = {"(a) all candidates": [{("-", "-"): Figures.of(candidates, truth, reachable)}]}
        rankings = {}
        variants = {} if arguments.candidates_only else {
            name: variant for name, variant in VARIANTS.items()
            if slug(name) in arguments.variants
        }
        images = {False: (train.images_dir, held_out.images_dir)}
        if any(variant.blank_images for variant in variants.values()):
            images[True] = (blank_copy(train.images_dir, work / "train_blank"),
                            blank_copy(held_out.images_dir, work / "eval_blank"))
        for seed in range(arguments.seeds):  # every variant's seed 0 first
            for name, variant in variants.items():
                train_images, eval_images = images[variant.blank_images]
                run = f"{slug(name)}/seed-{seed}"
                config = tagger_config(
                    variant, output_dir=work / "taggers" / run,
                    source=SceneGraphSource(work / "train_vg" / "scene_graphs", train_images),
                    encoder=encoder, steps=arguments.steps, num_images=arguments.train_images,
                    seed=seed,
                )
                rows = tagged_rows(config, run=run, tagged=work / "tagged" / run,
                                   dataset=work / "eval_coco", candidates=work / "candidates",
                                   image_root=eval_images)
                figures.setdefault(name, []).append(threshold_figures(rows, truth, reachable))
                rankings.setdefault(name, []).append(
                    ranking_figures(best_scores(rows), truth, len(reachable))
                )
    trained = ("" if arguments.candidates_only else
               f"; taggers trained {arguments.steps} steps on {arguments.train_images} images, "
               f"seeds {', '.join(map(str, range(arguments.seeds)))}: mean ± std [min, max] over "
               "the seeds")
    print(f"held-out: {arguments.eval_images} images, {len(truth)} ground-truth relations, "
          f"{len(reachable)} reachable{trained}")
    print_tables(figures, rankings)


if __name__ == "__main__":
    main()
