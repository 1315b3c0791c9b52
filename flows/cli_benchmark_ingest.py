"""``rlipv2 ingest hico-det | v-coco | open-images``: a relation-detection benchmark in the HOI
codebases' layout -> label space, combinations and one table directory per split."""

import argparse
from pathlib import Path

from flows.cli_arguments import add_output_options
from flows.output_guard import check_output
from pipeline.ingest.benchmark_vocabulary import read_benchmark_vocabulary, shipped_vocabulary
from pipeline.ingest.open_images_vocabulary import read_open_images_vocabulary
from pipeline.ingest.relation_benchmark import LAYOUTS, ingest_relation_benchmark

_HELP = {
    "hico-det": "HICO-DET: ROOT/annotations/{trainval_hico,test_hico}.json, corre_hico.npy; "
    "ROOT/images/{train2015,test2015}",
    "v-coco": "V-COCO: ROOT/annotations/{trainval_vcoco,test_vcoco}.json, corre_vcoco.npy and, "
    "for role AP, vcoco_test.json, instances_vcoco_all_2014.json, vcoco_test.ids; "
    "ROOT/images/{train2014,val2014}",
    "open-images": "Open Images v6 (RLIPv2's conversion): ROOT/annotations/"
    "OI_SGG_{train_finetuning,test}.json, categories_dict.json, "
    "OI_SGG_trainval_test_categories_dict.json; ROOT/images",
}


def add_benchmark_formats(formats: argparse._SubParsersAction) -> None:
    """One ``rlipv2 ingest`` format per relation-detection benchmark."""
    for benchmark, help_text in _HELP.items():
        parser = formats.add_parser(benchmark, help=help_text, description=help_text)
        parser.add_argument("root", type=Path, help="the benchmark's directory (ROOT)")
        parser.add_argument("--out", type=Path, required=True, help="output directory")
        parser.add_argument(
            "--vocabulary",
            type=Path,
            help="object and predicate vocabulary JSON (default: "
            + ("built from ROOT/annotations" if benchmark == "open-images" else "rlipv2's own")
            + "; format in docs/finetuning.md)",
        )
        add_output_options(parser)
        parser.set_defaults(handler=_run_benchmark, benchmark=benchmark)


def _run_benchmark(arguments: argparse.Namespace) -> None:
    check_output(arguments.out, {"benchmark root": arguments.root,
                                 "vocabulary file": arguments.vocabulary},
                 overwrite=arguments.overwrite)
    layout = LAYOUTS[arguments.benchmark]
    if arguments.vocabulary is not None:
        vocabulary, source = read_benchmark_vocabulary(arguments.vocabulary), str(
            arguments.vocabulary.resolve()
        )
    elif arguments.benchmark == "open-images":
        vocabulary, source = read_open_images_vocabulary(arguments.root / "annotations"), "root"
    else:
        vocabulary = read_benchmark_vocabulary(shipped_vocabulary(arguments.benchmark))
        source = "rlipv2"
    summary = ingest_relation_benchmark(
        layout,
        arguments.root,
        out_dir=arguments.out,
        vocabulary=vocabulary,
        vocabulary_source=source,
        rows_per_shard=arguments.rows_per_shard,
        overwrite=arguments.overwrite,
    )
    print(summary.format())
