"""The versions of what decides a caption's triplets besides rlipv2's own code."""

import importlib.metadata
from pathlib import Path

import spacy
import spacy.util

_UNKNOWN = "unknown"


def parser_software_versions(spacy_model: str) -> dict[str, str]:
    """spaCy's version, the version of the pipeline ``spacy_model`` (a package name or a
    directory) and SceneGraphParser's (whose word lists the rules use); ``"unknown"`` for a
    pipeline that is not installed (loading it fails later, with the install command).

    Parsed triplets depend on all three, so cached triplets must be keyed on them: an upgrade
    re-parses.
    """
    if Path(spacy_model).is_dir():
        try:
            model_version = spacy.util.get_model_meta(spacy_model).get("version", _UNKNOWN)
        except (OSError, ValueError):
            model_version = _UNKNOWN
    else:
        model_version = spacy.util.get_package_version(spacy_model) or _UNKNOWN
    return {
        "spacy": spacy.__version__,
        "spacy_model": str(model_version),
        "SceneGraphParser": importlib.metadata.version("SceneGraphParser"),
    }
