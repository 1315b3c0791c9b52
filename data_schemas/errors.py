"""User-facing error types: raised for bad input, reported by the CLI as one clear line."""


class RLIPv2InputError(Exception):
    """Input that rlipv2 cannot use (a malformed file, a missing path, a wrong option).

    The message must say what is wrong and, where possible, how to fix it; the CLI prints it
    without a traceback.
    """


class SchemaMismatchError(RLIPv2InputError):
    """A Parquet file is not the table, or not the schema version, that the reader expects."""
