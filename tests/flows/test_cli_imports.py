"""``rlipv2 <command> --help`` stays fast: building any command's parser imports neither torch,
transformers, spaCy nor Prefect (checked in a fresh interpreter; timings are
benchmarks/cli_startup.py's)."""

import subprocess
import sys
from pathlib import Path

from flows.cli import SUBCOMMANDS

REPOSITORY = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "spacy", "prefect")


def test_no_command_parser_imports_heavy_libraries():
    script = (
        "import sys\n"
        "from flows.cli import SUBCOMMANDS, build_parser\n"
        "for name in SUBCOMMANDS:\n"
        "    build_parser([name])\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPOSITORY, check=True
    )
    assert done.stdout.strip() == "", f"imported for --help: {done.stdout.strip()}"
    assert len(SUBCOMMANDS) >= 16
