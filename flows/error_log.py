"""Where the traceback of a failed command goes: a log file, so that the terminal shows one line.

A command that fails with an error rlipv2 did not foresee (a full disk, a bug, a library's own
exception) ends with ``rlipv2: error: <the error> (traceback in FILE)``; ``-v`` prints the
traceback as well. In ``label``, each failed task and flow run logs its traceback too: those
records go to the same file instead of the terminal (with ``-v`` they stay on the terminal).

The file is ``$XDG_STATE_HOME/rlipv2/logs/<command>-<UTC time>-<pid>.log`` (``XDG_STATE_HOME``
defaults to ``~/.local/state``), created only when there is something to write.
"""

import logging
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


def log_directory() -> Path:
    """``$XDG_STATE_HOME/rlipv2/logs``."""
    state_home = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state_home) / "rlipv2" / "logs"


class WithoutTraceback(logging.Filter):
    """Passes the records that carry no exception."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.exc_info is None


class ErrorLog:
    """The log file of one command run (see the module docstring)."""

    def __init__(self, command: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.path = log_directory() / f"{command}-{stamp}-{os.getpid()}.log"

    @contextmanager
    def prefect_tracebacks_diverted(self) -> Iterator[None]:
        """Within the block, the records with a traceback that Prefect's console handlers would
        print go to this file instead (Prefect configures its logging when imported)."""
        import prefect  # noqa: F401  (configures Prefect's logging)
        from prefect.logging.handlers import PrefectConsoleHandler

        root = logging.getLogger()
        consoles = [handler for handler in root.handlers
                    if isinstance(handler, PrefectConsoleHandler)]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:  # nowhere to divert them to: the terminal keeps the tracebacks
            yield
            return
        to_file = logging.FileHandler(self.path, delay=True, encoding="utf-8")
        to_file.setLevel(logging.ERROR)
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        without_traceback = WithoutTraceback()
        root.addHandler(to_file)
        for console in consoles:
            console.addFilter(without_traceback)
        try:
            yield
        finally:
            for console in consoles:
                console.removeFilter(without_traceback)
            root.removeHandler(to_file)
            to_file.close()

    def report(self, error: Exception, *, verbose: bool) -> str:
        """Write ``error``'s traceback to the file (and to stderr when ``verbose``); return the
        one line that ends the command."""
        if verbose:
            traceback.print_exception(error, file=sys.stderr)
        summary = f"{type(error).__name__}: {' '.join(str(error).split()) or '(no message)'}"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as log:
                traceback.print_exception(error, file=log)
        except OSError as log_error:  # the disk may be the problem
            return f"{summary} (the traceback could not be saved: {log_error.strerror})"
        return f"{summary} (traceback in {self.path})"
