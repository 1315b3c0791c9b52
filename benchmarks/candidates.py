"""Benchmark: captions/s of parsing and candidate generation against bare spaCy, and of BLIP.

Figures, all measured in the same run on the same captions (best of --repeats):

* bare ``nlp.pipe`` over every caption, with the parser's reduced spaCy pipeline;
* ``parse_captions`` (scene graphs -> triplet records; identical captions parsed once);
* the whole ``rlipv2 candidates`` run (``run_candidate_stages``: split, parse, match, tables
  written);
* a tiny random BLIP captioner (beam and nucleus), on CPU, and on CUDA when present.

Captions come from the demo world (``--images`` scenes, 5 captions each), or from a COCO
captions JSON given with ``--captions`` (then only the parse figures are printed). Goal: the
candidate stage at >= 0.9x bare ``nlp.pipe``.

    .venv/bin/python benchmarks/candidates.py --images 1000
"""

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from PIL import Image

from data_schemas import CaptionRecord, DecodingSettings
from demo_world import write_demo_world
from pipeline.captioning import BlipCaptionerConfig, build_blip_captioner
from pipeline.captioning.existing_captions import read_existing_captions
from pipeline.ingest import ingest_coco_dataset
from pipeline.ingest.json_stream import stream_items
from pipeline.labelling import LabelSettings
from pipeline.labelling.stage_run import run_candidate_stages
from pipeline.matching import build_phrase_matcher
from pipeline.parsing import CaptionParserConfig, build_caption_parser, parse_captions

# The tiny BLIP is the tests' own builder: benchmarks measure the pipeline, not caption quality.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from tiny_blip import save_tiny_blip  # noqa: E402


def best_seconds(work: Callable[[], object], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


def demo_dataset(work_dir: Path, num_images: int) -> Path:
    world = write_demo_world(work_dir / "world", num_images=num_images, seed=11)
    ingest_coco_dataset(world.instances_json, captions_json=world.captions_json,
                        out_dir=work_dir / "demo", dataset="demo", split="train")
    return work_dir / "demo"


def captions_from_file(path: Path) -> list[CaptionRecord]:
    return [
        CaptionRecord(image_id=item["image_id"], caption_index=index, text=item["caption"],
                      method="human", decoding=DecodingSettings(), captioner_id=path.name)
        for index, item in enumerate(stream_items(path, "annotations.item"))
    ]


def blip_captions_per_second(device: str, repeats: int) -> dict[str, float]:
    images = [Image.new("RGB", (64, 48), (index * 7 % 255, 90, 160)) for index in range(64)]
    with tempfile.TemporaryDirectory() as model_dir:
        save_tiny_blip(Path(model_dir))
        rates = {}
        for mode, num_captions in (("beam", 1), ("nucleus x10", 10)):
            captioner = build_blip_captioner(BlipCaptionerConfig(
                model=model_dir, num_captions=num_captions, batch_size=16, device=device
            ))
            seconds = best_seconds(lambda: captioner.caption(images), repeats)
            rates[mode] = len(images) * num_captions / seconds
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000, help="demo scenes (1000)")
    parser.add_argument("--captions", type=Path, help="a COCO captions JSON to parse instead")
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    caption_parser = build_caption_parser(CaptionParserConfig())
    with tempfile.TemporaryDirectory(prefix="rlipv2-candidates-bench-") as temporary:
        work_dir = Path(temporary)
        dataset = None
        if arguments.captions is not None:
            captions = captions_from_file(arguments.captions)
        else:
            dataset = demo_dataset(work_dir, arguments.images)
            captions = list(read_existing_captions(dataset / "captions"))
        texts = [caption.text for caption in captions]
        rates = {
            "bare nlp.pipe": len(texts) / best_seconds(
                lambda: list(caption_parser.nlp.pipe(texts, batch_size=256)), arguments.repeats
            ),
            "parse_captions": len(texts) / best_seconds(
                lambda: list(parse_captions(captions, caption_parser)), arguments.repeats
            ),
        }
        if dataset is not None:
            matcher = build_phrase_matcher("demo", None)
            rates["parse + match + candidates"] = len(texts) / best_seconds(
                lambda: run_candidate_stages(
                    LabelSettings(vocabulary="demo"), dataset, work_dir / "candidates",
                    captions_dir=None, image_root=None, captioner=None, parser=caption_parser,
                    matcher=matcher, rows_per_shard=100_000, overwrite=True,
                ),
                arguments.repeats,
            )
    distinct = len(set(texts))
    print(f"{len(texts):,} captions ({distinct:,} distinct)")
    baseline = rates["bare nlp.pipe"]
    for name, rate in rates.items():
        print(f"  {name:<28} {rate:>9,.0f} captions/s   {rate / baseline:5.2f}x bare nlp.pipe")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        for mode, rate in blip_captions_per_second(device, arguments.repeats).items():
            print(f"  tiny BLIP {mode:<12} {device:<5} {rate:>9,.0f} captions/s")


if __name__ == "__main__":
    main()
