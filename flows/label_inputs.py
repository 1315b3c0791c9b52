"""Checks of a label run's inputs on disk, made before any stage runs.

A wrong path or device found by the first task that needs it costs the server start-up, a
Prefect traceback, and (for the follow-up pretraining config) the whole labelling run; here it
is one line, before anything starts.
"""

from data_schemas.dataset_manifest import DatasetManifest
from data_schemas.errors import RLIPv2InputError
from data_schemas.images import IMAGES
from data_schemas.manifest_file import ingested_image_root, read_manifest
from flows.label_parameters import LabelParameters
from flows.output_guard import check_output_place
from pipeline.labelling.run_directory import is_label_run_directory


def check_label_inputs(parameters: LabelParameters) -> None:
    """Raise for the first input of ``parameters`` that cannot work.

    Raises:
        RLIPv2InputError: the dataset is not ingested (and no ``ingest`` is given) or has no
            images, a file or directory named (or the image root recorded at ingest) is
            missing, the tagger checkpoint does not load as weights (a pickle that would run
            code, a truncated file), the synonyms file is not one, a device string is not one
            torch knows, ``out_dir`` is not a label run's (or is in the way of an input), or
            the follow-up pretraining config does not load.
    """
    if parameters.ingest is None:
        _check_dataset(parameters)
    files = {"tagger checkpoint": parameters.tagger_checkpoint,
             "synonyms file": parameters.synonyms_file}
    if parameters.ingest is not None:
        files |= {"instances file": parameters.ingest.instances,
                  "captions file": parameters.ingest.captions}
    for what, path in files.items():
        if path is not None and not path.is_file():
            raise RLIPv2InputError(f"{what} {path} does not exist (or is not a file)")
    roots = {"image root": parameters.image_root}
    if parameters.ingest is not None:
        roots["ingest image root"] = parameters.ingest.image_root
    elif parameters.image_root is None:
        roots["image root recorded at ingest"] = ingested_image_root(parameters.dataset_dir)
    for what, directory in roots.items():
        if directory is not None and not directory.is_dir():
            raise RLIPv2InputError(f"{what} {directory} is not a directory")
    from model.device import resolve_device  # torch: after the cheap checks

    for what, device in (("tagger device", parameters.tagger_device),
                         ("BLIP device", parameters.blip.device)):
        resolve_device(device, what=what)
    _check_outputs(parameters, files | roots)
    if parameters.then_pretrain is not None:
        from model.config_file import load_config_file
        from model.pretrain_config import PretrainConfig

        load_config_file(parameters.then_pretrain.config_file, PretrainConfig,
                         parameters.then_pretrain.all_overrides())
    # What the files hold, last (a checkpoint is read whole): found now, not by a task.
    from model.checkpoint import read_checkpoint
    from pipeline.matching import synonym_table

    synonym_table(parameters.vocabulary, parameters.synonyms_file)
    read_checkpoint(parameters.tagger_checkpoint)


def _check_dataset(parameters: LabelParameters) -> None:
    manifest = read_manifest(parameters.dataset_dir)
    if not isinstance(manifest, DatasetManifest):
        raise RLIPv2InputError(
            f"{parameters.dataset_dir} is not an ingested dataset (no dataset manifest.json); "
            "run rlipv2 ingest first, or give `ingest` parameters"
        )
    images = manifest.tables.get(IMAGES.name)
    if images is not None and images.rows == 0:
        raise RLIPv2InputError(
            f"{parameters.dataset_dir} has no images (its ingest kept none: see its rejects "
            "table); nothing to label"
        )


def _check_outputs(parameters: LabelParameters, inputs: dict) -> None:
    """``--out`` may be a label run's own directory (resumed), not one of the inputs; the
    dataset, when the run ingests it, not one of the ingest's inputs."""
    if parameters.ingest is None:
        inputs = inputs | {"dataset": parameters.dataset_dir}
    else:
        check_output_place(parameters.dataset_dir, inputs, option="--dataset")
    if parameters.then_pretrain is not None:
        inputs = inputs | {"pretrain config": parameters.then_pretrain.config_file}
    check_output_place(parameters.out_dir, inputs)
    if parameters.out_dir.exists() and not is_label_run_directory(parameters.out_dir):
        raise RLIPv2InputError(
            f"--out {parameters.out_dir} exists and is not a label run's output (no label run "
            "manifest.json, no work/ shard store); name a new directory or remove it"
        )
