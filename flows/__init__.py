"""The thin orchestration layer: the ``rlipv2`` command line and (later) Prefect flows."""
