"""The name a tagger's outputs carry: its checkpoint file and a checksum of it."""

TAGGER_DIGEST_LENGTH = 12
"""Hex digits of the checkpoint's SHA-256 that the tagger id keeps."""


def tagger_id_of(checkpoint_name: str, sha256_hex: str) -> str:
    """``"<checkpoint file name>@<first 12 hex digits of its SHA-256>"``, the id stored beside
    every tagged relation and in a labelling run's manifest.

    Raises:
        ValueError: ``sha256_hex`` is shorter than the digits the id keeps.
    """
    if len(sha256_hex) < TAGGER_DIGEST_LENGTH:
        raise ValueError(
            f"a tagger id needs {TAGGER_DIGEST_LENGTH} hex digits of the checkpoint's SHA-256, "
            f"got {sha256_hex!r}"
        )
    return f"{checkpoint_name}@{sha256_hex[:TAGGER_DIGEST_LENGTH]}"
