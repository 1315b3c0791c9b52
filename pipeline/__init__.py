"""Pure stage functions of the labelling pipeline (no Prefect): ingest, and later caption,
parse, match and tag."""
