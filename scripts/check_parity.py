"""Check that rlipv2 computes what the official RLIPv2 code computes, on a parity fixture.

    .venv/bin/python scripts/check_parity.py tests/fixtures/parity/parseda_r50_small

A fixture directory holds ``weights.json``, ``args.json``, ``tokenizer/``, ``inputs.pt`` and
``outputs.pt`` (see ``tests/fixtures/parity/README.md``). The official weights are rebuilt from
``weights.json``, converted as ``rlipv2 convert-checkpoint`` converts, and rlipv2's model is run
on the fixture's inputs; every output is compared with the official one. Prints the largest
difference of the outputs (absolute, tolerance 1e-4) and of the float16 intermediates (relative
to their magnitude), and, with ``--all``, every comparison.

Exit status: 0 within the tolerances, 1 above them, 2 for a directory that is not a fixture.
"""

import argparse
import sys
from pathlib import Path

from conversion.parity import run_parity
from data_schemas.errors import RLIPv2InputError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fixture_dir", type=Path, help="a parity fixture directory")
    parser.add_argument("--all", action="store_true", help="print every comparison")
    arguments = parser.parse_args()
    missing = [
        name
        for name in ("weights.json", "args.json", "inputs.pt", "outputs.pt")
        if not (arguments.fixture_dir / name).is_file()
    ]
    if missing:
        print(
            f"check_parity: error: {arguments.fixture_dir} is not a parity fixture "
            f"(missing {', '.join(missing)})",
            file=sys.stderr,
        )
        return 2
    try:
        report = run_parity(arguments.fixture_dir)
    except (RLIPv2InputError, ValueError) as error:
        print(f"check_parity: error: {error}", file=sys.stderr)
        return 2
    if arguments.all:
        for comparison in sorted(report.comparisons, key=lambda c: -c.difference):
            verdict = "ok" if comparison.passed else "ABOVE TOLERANCE"
            print(f"  {comparison.key:48s} {comparison.difference:10.3g}  {verdict}")
    output, intermediate = report.largest(), report.largest(intermediate=True)
    print(f"{report.fixture}: {len(report.comparisons)} tensors compared")
    print(
        f"largest output difference: {output.difference:.3g} ({output.key}; "
        f"tolerance {output.tolerance:g})"
    )
    print(
        f"largest intermediate difference: {intermediate.difference:.3g} relative "
        f"({intermediate.key}; tolerance {intermediate.tolerance:g})"
    )
    for key, reason in report.not_compared.items():
        print(f"not compared: {key}: {reason}")
    failed = [comparison.key for comparison in report.comparisons if not comparison.passed]
    if failed:
        print(f"ABOVE TOLERANCE: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
