"""The thin orchestration layer over the pure packages below it: the ``rlipv2`` command line, the
Prefect flows ``label``, ``train-tagger`` and ``pretrain`` (stage x shard tasks over the jobs of
``pipeline.labelling``), and ``rlipv2 server``. Nothing outside this package imports it."""
