"""``rlipv2 label``: run the labelling flow without a server (a temporary one, for the run).

Its options are the fields of the flow's parameters (:class:`~flows.label_parameters.
LabelParameters`), derived by :mod:`flows.cli_options`.
"""

import argparse

from pydantic import ValidationError

from data_schemas.errors import RLIPv2InputError
from flows.cli_options import add_options, one_line, option_values
from flows.label_parameters import LabelParameters


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 label``."""
    parser.description = (
        "Run the labelling flow: (ingest ->) caption -> parse -> match -> tag -> scene "
        "graphs, shard by shard, writing one table directory per stage under --out. "
        "Finished shards are reused when run again with the same inputs and settings, so "
        "a killed run resumes. Needs no server: it starts a temporary one."
    )
    add_options(parser, LabelParameters)
    parser.set_defaults(handler=_run, prefect_logging=True, flow_tracebacks_to_log=True)


def _run(arguments: argparse.Namespace) -> None:
    from flows.label_inputs import check_label_inputs

    parameters = label_parameters(arguments)
    check_label_inputs(parameters)  # one line for a wrong path, before Prefect starts
    from flows.label_flow import label
    from flows.label_tasks import release_gpu_slots
    from flows.temporary_server import flow_run_api

    with flow_run_api() as temporary_server:
        if temporary_server:
            release_gpu_slots()
        summary = label(parameters)
    print(f"labelled {summary['images']:,} images into {parameters.out_dir}: "
          f"{summary['relations_kept']:,} relations kept; tables and manifest.json there")


def label_parameters(arguments: argparse.Namespace) -> LabelParameters:
    """The flow parameters of ``rlipv2 label``'s arguments. The ingest group's options make
    the ``ingest`` parameter only with ``--coco-instances``, and its image root is
    ``--image-root``.

    Raises:
        RLIPv2InputError: an option the parameters refuse (e.g. a save threshold above 1).
    """
    values = option_values(arguments, LabelParameters)
    if values["ingest"]["instances"] is None:
        values["ingest"] = None
    elif values["image_root"] is None:
        raise RLIPv2InputError("--coco-instances needs --image-root")
    else:
        values["ingest"]["image_root"] = values["image_root"]
    try:
        return LabelParameters(**values)
    except ValidationError as error:
        raise RLIPv2InputError(f"invalid label options: {one_line(error)}") from None
