"""Loading the evaluators' parity fixtures (``tests/fixtures/{hico_det,open_images,vcoco}``)."""

import json
from pathlib import Path

import numpy as np

from evaluation.detections import ImageDetections
from evaluation.relation_truth import ImageRelationTruth, RelationTruth, Triplet

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def load_relation_truth(path: Path) -> RelationTruth:
    payload = json.loads(path.read_text())
    return RelationTruth(
        images=tuple(
            ImageRelationTruth(
                image_id=image["image_id"],
                boxes=np.asarray(image["boxes"], dtype=np.float32),
                labels=np.asarray(image["labels"], dtype=np.int64),
                relations=np.asarray(image["relations"], dtype=np.int64),
            )
            for image in payload["images"]
        ),
        num_object_classes=payload["num_object_classes"],
        num_verbs=payload["num_verbs"],
    )


def official_metrics(evaluator: str) -> dict:
    """The official code's values for a fixture (see its README), by setting."""
    return json.loads((FIXTURES / evaluator / "official_metrics.json").read_text())["results"]


def triplet_key(triplet: Triplet) -> str:
    """How the official-metrics files name a triplet: ``"subject,object,verb"``."""
    return ",".join(str(value) for value in triplet)


def detections_of(
    image_id: int, pairs: list[tuple], num_verbs: int | None = None
) -> ImageDetections:
    """Detections in the post-processor's layout from ``(subject box, subject label, object box,
    object label, verb scores)`` tuples (``num_verbs`` is needed only when ``pairs`` is empty)."""
    count = len(pairs)
    return ImageDetections(
        image_id=image_id,
        boxes=[pair[0] for pair in pairs] + [pair[2] for pair in pairs],
        labels=[pair[1] for pair in pairs] + [pair[3] for pair in pairs],
        subject_index=list(range(count)),
        object_index=list(range(count, 2 * count)),
        verb_scores=[pair[4] for pair in pairs] if pairs else np.zeros((0, num_verbs or 0)),
    )
