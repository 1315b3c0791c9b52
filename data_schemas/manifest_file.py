"""``manifest.json``: the typed record an output directory describes itself with, read and
written here only.

Four kinds, told apart by ``kind``: an ingested dataset (:class:`DatasetManifest`), a run of
stages on their own (:class:`StageRunManifest`), a labelling run (:class:`LabelRunManifest`)
and one shard of a labelling stage (:class:`ShardManifest`). Each carries its
``manifest_version``, and one written by a newer rlipv2 is refused rather than misread.
Manifests written before kinds and versions were recorded have neither: their kind is told
from their keys and their version is 1; a stage run of then keeps its links and settings (its
counts had another layout).
"""

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from data_schemas.atomic_files import atomic_output
from data_schemas.dataset_manifest import DatasetManifest
from data_schemas.errors import RLIPv2InputError
from data_schemas.label_run_manifest import LabelRunManifest
from data_schemas.shard_manifest import ShardManifest
from data_schemas.stage_run_manifest import StageRunManifest

MANIFEST_NAME = "manifest.json"

_KINDS: tuple[type[BaseModel], ...] = (
    DatasetManifest, StageRunManifest, LabelRunManifest, ShardManifest
)
Manifest = Annotated[
    DatasetManifest | StageRunManifest | LabelRunManifest | ShardManifest,
    Field(discriminator="kind"),
]
_MANIFEST: TypeAdapter[Manifest] = TypeAdapter(Manifest)


def read_manifest(directory: Path) -> Manifest | None:
    """The manifest of ``directory``, or None when it has none.

    Raises:
        RLIPv2InputError: the file is not JSON, not a manifest of a known kind, or of a newer
            version than this rlipv2 reads.
    """
    path = directory / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        payload = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise RLIPv2InputError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(payload, dict):
        raise RLIPv2InputError(f"{path} is not a JSON object")
    payload = _with_kind(payload)
    _check_version(payload, path)
    try:
        return _MANIFEST.validate_python(payload)
    except ValidationError as error:
        raise RLIPv2InputError(f"{path} is not an rlipv2 manifest:\n{error}") from None


def read_dataset_manifest(dataset_dir: Path) -> DatasetManifest:
    """The manifest of the ingested dataset ``dataset_dir``.

    Raises:
        RLIPv2InputError: ``dataset_dir`` has no manifest, or not a dataset's.
    """
    manifest = read_manifest(dataset_dir)
    if not isinstance(manifest, DatasetManifest):
        raise RLIPv2InputError(
            f"{dataset_dir} is not an ingested dataset (no dataset manifest.json); run rlipv2 "
            "ingest first"
        )
    return manifest


def ingested_image_root(dataset_dir: Path) -> Path:
    """The ``--image-root`` the dataset in ``dataset_dir`` was ingested with.

    Raises:
        RLIPv2InputError: ``dataset_dir`` is not an ingested dataset, or was ingested without an
            image root.
    """
    image_root = read_dataset_manifest(dataset_dir).sources.image_root
    if image_root is None:
        raise RLIPv2InputError(f"{dataset_dir} was ingested without --image-root; pass --image-root")
    return image_root


def write_manifest(directory: Path, manifest: Manifest) -> Path:
    """Write ``manifest`` to ``directory`` atomically (a reader sees the old one or this one)."""
    path = directory / MANIFEST_NAME
    with atomic_output(path) as handle:
        json.dump(manifest.model_dump(mode="json", exclude_none=True), handle, indent=2)
        handle.write("\n")
    return path


def _with_kind(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with its ``kind``, told from its keys when it was written without one."""
    if "kind" in payload:
        return payload
    if "sources" in payload:
        return {**payload, "kind": "dataset"}
    if "plan" in payload:
        return {**payload, "kind": "label_run"}
    if "shard_index" in payload:
        return {**payload, "kind": "shard"}
    settings = ("tagger_id", "save_threshold", "top_k_per_pair")
    return {
        "kind": "stage_run",
        "command": "tag" if "tagger_id" in payload else "candidates",
        "dataset": payload.get("dataset"),
        "candidates": payload.get("candidates"),
        "settings": {name: payload[name] for name in settings if name in payload},
        "tables": payload.get("tables", {}),
    }


def _check_version(payload: dict[str, Any], path: Path) -> None:
    for kind in _KINDS:
        if payload["kind"] == kind.model_fields["kind"].default:
            known = kind.model_fields["manifest_version"].default
            version = payload.get("manifest_version", known)
            if isinstance(version, int) and version > known:
                raise RLIPv2InputError(
                    f"{path} is a {payload['kind']} manifest of version {version}, written by a "
                    f"newer rlipv2; this one reads version {known}: upgrade rlipv2"
                )
