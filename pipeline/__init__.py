"""The labelling stages, each a package of pure functions (no Prefect): ingest, caption, parse,
match into candidates, tag, and ``labelling``, which runs them shard by shard."""
