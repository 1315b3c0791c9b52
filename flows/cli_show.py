"""``rlipv2 show``: an image's scene graph drawn over it, or a contact sheet of several."""

import argparse
from pathlib import Path

from data_schemas.atomic_files import save_png_atomic
from flows.cli_arguments import non_negative_int, positive_int
from flows.cli_inspect import add_dataset_argument, confidence_cut
from flows.output_guard import check_output, run_inputs
from inspection import render_contact_sheet, render_run_image, sample_image_ids
from inspection.run_pictures import DEFAULT_TILE_SIZE


def configure(show: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 show``."""
    show.description = (
        "Draw the scene graph of an image of a run over the image: boxes with category "
        "labels, and an arrow per relation labelled with predicate and confidence. One "
        "--image-id gives a picture of the image's size; several, or --random N, a contact "
        "sheet. Images are read from the image root recorded at ingest (or --image-root)."
    )
    show.add_argument("path", type=Path, help="run directory (or one of its tables)")
    images = show.add_mutually_exclusive_group(required=True)
    images.add_argument("--image-id", type=int, nargs="+", help="the image(s) to draw")
    images.add_argument("--random", type=positive_int, metavar="N", help="N images at random")
    show.add_argument("-o", "--out", type=Path, required=True, help="output PNG file")
    show.add_argument("--overwrite", action="store_true", help="replace an existing -o file")
    show.add_argument("--seed", type=non_negative_int, default=0, help="seed of --random (0)")
    show.add_argument(
        "--min-confidence",
        type=confidence_cut,
        default=0.0,
        help="draw relations with confidence >= this; human ones always (0)",
    )
    show.add_argument("--image-root", type=Path, help="image directory (default: from ingest)")
    add_dataset_argument(show)
    show.add_argument("--columns", type=positive_int, help="contact-sheet columns (near-square)")
    show.add_argument(
        "--tile-size",
        type=positive_int,
        default=DEFAULT_TILE_SIZE,
        help=f"contact-sheet tile size in pixels ({DEFAULT_TILE_SIZE})",
    )
    show.set_defaults(handler=_run)


def _run(arguments: argparse.Namespace) -> None:
    inputs = run_inputs(arguments.path, dataset_dir=arguments.dataset,
                        image_root=arguments.image_root)
    check_output(arguments.out, inputs, overwrite=arguments.overwrite, option="-o")
    options = {
        "min_confidence": arguments.min_confidence,
        "image_root": arguments.image_root,
        "dataset_dir": arguments.dataset,
    }
    if arguments.image_id is not None and len(arguments.image_id) == 1:
        picture = render_run_image(arguments.path, arguments.image_id[0], **options)
        image_ids = arguments.image_id
    else:
        image_ids = arguments.image_id or sample_image_ids(
            arguments.path, arguments.random, seed=arguments.seed, dataset_dir=arguments.dataset
        )
        picture = render_contact_sheet(
            arguments.path,
            image_ids,
            columns=arguments.columns,
            tile_size=arguments.tile_size,
            **options,
        )
    save_png_atomic(picture, arguments.out)
    print(
        f"wrote {arguments.out} ({picture.width}x{picture.height}; image "
        f"{', '.join(str(image_id) for image_id in image_ids)})"
    )
