"""How long each ``rlipv2`` command takes to answer ``--help`` and to report an input error,
each in a fresh Python process (the wall time a user waits, imports included).

    .venv/bin/python benchmarks/cli_startup.py [--repeat 3]

Prints one line per (command, case): the best of ``--repeat`` wall times, the exit status, and
the first line of stderr for the error cases; lines over the 1 s target are marked. The input
errors name paths under a fresh temporary directory that do not exist (a missing config,
checkpoint or dataset), except where the first check is of a number.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flows.cli import SUBCOMMANDS

TARGET_SECONDS = 1.0


def input_errors(missing: Path) -> dict[str, list[str]]:
    """One mistaken command line per command; ``missing`` is a directory that does not exist."""
    out = str(missing.parent / "out")
    return {
        "demo-data": [out, "--images", "0"],
        "demo-quality": [str(missing), "--world", str(missing)],
        "ingest": ["vg", f"{missing}/image_data.json", "--objects", f"{missing}/objects.json",
                   "--relationships", f"{missing}/relationships.json", "--image-root",
                   str(missing), "--dataset", "vg", "--split", "train", "--out", out],
        "candidates": [str(missing), "--out", out],
        "wordnet-synonyms": ["--out", f"{out}.json", "--wordnet-dir", str(missing)],
        "train-tagger": ["--config", f"{missing}/tagger.toml"],
        "tag": [str(missing), "--candidates", str(missing), "--checkpoint",
                f"{missing}/checkpoint.pt", "--out", out],
        "pretrain": ["--config", f"{missing}/pretrain.toml"],
        "finetune": ["--config", f"{missing}/finetune.toml"],
        "evaluate": ["hico-det", "--dataset", str(missing), "--detections",
                     f"{missing}/detections.parquet"],
        "convert-checkpoint": [f"{missing}/released.pth", "-o", f"{out}.pt"],
        "tiny-text-encoder": [out, "--scene-graphs", str(missing)],
        "label": ["--dataset", str(missing), "--out", out, "--tagger-checkpoint",
                  f"{missing}/checkpoint.pt"],
        "server": ["--port", "0"],
        "inspect": [str(missing)],
        "show": [str(missing), "--random", "2", "-o", f"{out}.png"],
        "export": [str(missing), "--to", "vg", "-o", out],
    }


BASELINES = {"python -c pass": ["-c", "pass"], "python -c 'import torch'": ["-c", "import torch"]}
"""Measured first, in the same run: the floor (an interpreter's start) and what is avoided."""


def timed_run(arguments: list[str]) -> tuple[float, int, str]:
    """(wall seconds, exit status, first stderr line) of ``python -m flows.cli ARGUMENTS``."""
    return timed_python(["-m", "flows.cli", *arguments])


def timed_python(arguments: list[str]) -> tuple[float, int, str]:
    """(wall seconds, exit status, first stderr line) of ``python ARGUMENTS``."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *arguments], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    return seconds, done.returncode, (done.stderr.strip().splitlines() or [""])[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (the best is shown)")
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as scratch:
        errors = input_errors(Path(scratch) / "missing")
        missing_cases = sorted(set(SUBCOMMANDS) - set(errors))
        if missing_cases:
            raise SystemExit(f"no input-error case for: {', '.join(missing_cases)}")
        for name, arguments in BASELINES.items():
            seconds = min(timed_python(arguments)[0] for _ in range(repeat))
            print(f"{'baseline':<20} {seconds:6.2f}s  {name}")
        slow = 0
        for command in SUBCOMMANDS:
            for case, arguments in (("--help", [command, "--help"]),
                                    ("error", [command, *errors[command]])):
                runs = [timed_run(arguments) for _ in range(repeat)]
                seconds = min(run[0] for run in runs)
                _, status, first_line = runs[-1]
                mark = "" if seconds < TARGET_SECONDS else "  <- over 1 s"
                slow += seconds >= TARGET_SECONDS
                shown = f"  {first_line[:90]}" if case == "error" else ""
                print(f"{command:<20} {case:<7} {seconds:6.2f}s  exit {status}{shown}{mark}")
    print(f"{slow} of {2 * len(SUBCOMMANDS)} cases over {TARGET_SECONDS:g} s")


if __name__ == "__main__":
    main()
