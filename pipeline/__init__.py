"""Pure stage functions of the labelling pipeline (no Prefect): ingest, caption, parse, match
into candidates, tag, and the demo world."""
