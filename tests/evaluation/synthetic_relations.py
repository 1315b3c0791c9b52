"""Synthetic ground truth and detections for the evaluators' parity fixtures.

Run ``.venv/bin/python tests/evaluation/synthetic_relations.py`` to (re)write the inputs in
``tests/fixtures/{hico_det,open_images,vcoco}/``; the same seed always gives the same bytes
(a test checks it). The official metric values beside them come from the official RLIPv2 code,
as each fixture README says.

Every set mixes random images with hand-made ones for the cases that matter: tied scores,
images without detections, a class nothing detects, duplicate detections, wrong object labels,
pairs that NMS removes, rare classes, and the official code's faults.
"""

from pathlib import Path

from synthetic_hico import write_hico
from synthetic_open_images import write_open_images
from synthetic_vcoco import write_vcoco

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def main(root: Path = FIXTURES) -> None:
    """Write every fixture's inputs under ``root`` (``hico_det/``, ``open_images/``, ``vcoco/``)."""
    write_hico(root / "hico_det")
    write_open_images(root / "open_images")
    write_vcoco(root / "vcoco")


if __name__ == "__main__":
    main()
