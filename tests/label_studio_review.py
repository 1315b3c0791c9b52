"""A reviewer's work on rlipv2's Label Studio tasks, as Label Studio's JSON export holds it (for
the review round-trip tests and the README's review snippet)."""

import copy


def relations_of(result: list[dict]) -> list[dict]:
    return [item for item in result if item["type"] == "relation"]


def annotated(task: dict, result: list[dict], **fields) -> dict:
    """``task`` as Label Studio exports it once annotated with ``result``."""
    prediction = task["predictions"][0]
    annotation = {"id": task["data"]["image_id"], "result": result, "was_cancelled": False,
                  "updated_at": "2026-12-07T10:00:00Z", "prediction": prediction} | fields
    return {**task, "id": task["data"]["image_id"], "annotations": [annotation]}


def review(tasks: list[dict]) -> tuple[list[dict], dict]:
    """A reviewer's export: the first task accepted as predicted, the second corrected (a box
    moved, a relation deleted, one relabelled, a box and a relation added), the third
    cancelled, the rest untouched. Returns the export and what the reviewed graphs hold."""
    with_relations = [
        task for task in tasks if len(relations_of(task["predictions"][0]["result"])) >= 2
    ]
    accepted, corrected = with_relations[:2]
    cancelled = next(task for task in tasks if task not in (accepted, corrected))
    exported = []
    for task in tasks:
        if task is accepted:
            exported.append(annotated(task, copy.deepcopy(task["predictions"][0]["result"])))
        elif task is corrected:
            result = copy.deepcopy(task["predictions"][0]["result"])
            boxes = [item for item in result if item["type"] == "rectanglelabels"]
            boxes[0]["value"]["x"] += 0.5  # a small correction: still the same box
            first, second = relations_of(result)[:2]
            result.remove(first)
            second["labels"] = ["feeding"]
            result.append({**copy.deepcopy(boxes[0]), "id": "Xy7_new01",
                           "value": {**boxes[0]["value"], "x": 1.0, "y": 1.0, "width": 10.0,
                                     "height": 10.0, "rectanglelabels": ["ball"]}})
            result.append({"type": "relation", "from_id": boxes[0]["id"], "to_id": "Xy7_new01",
                           "direction": "right", "labels": ["Kicking"]})
            exported.append(annotated(task, result))
        elif task is cancelled:
            exported.append(annotated(task, [], was_cancelled=True))
        else:
            exported.append({**task, "annotations": []})
    return exported, {"accepted": accepted, "corrected": corrected}
