"""Checksums of the models that decide a labelling run's outputs, from their files."""

from pathlib import Path

from data_schemas.errors import RLIPv2InputError
from pipeline.labelling.digests import directory_digest, file_digest


def model_files_checksum(name_or_path: str) -> str:
    """Digest of every file of a Hugging Face model: a local directory, or a hub name (its
    snapshot is fetched, or found in the local cache, as loading it would).

    Raises:
        RLIPv2InputError: neither a directory nor a hub model this machine can get.
    """
    local = Path(name_or_path)
    if local.is_dir():
        return directory_digest(local)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        snapshot = Path(snapshot_download(name_or_path))
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError, ValueError) as error:
        raise RLIPv2InputError(
            f"cannot find the model {name_or_path!r}: it is not a local directory and the hub "
            f"snapshot is unavailable ({error}); give a directory saved with save_pretrained"
        ) from error
    return directory_digest(snapshot)


def checkpoint_checksum(checkpoint: Path) -> str:
    """Digest of a checkpoint file.

    Raises:
        RLIPv2InputError: the file does not exist.
    """
    if not checkpoint.is_file():
        raise RLIPv2InputError(f"checkpoint {checkpoint} does not exist")
    return file_digest(checkpoint)
