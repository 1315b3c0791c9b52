"""V-COCO role AP (AP_role), scenarios 1 and 2, as the official RLIPv2 path computes it:
``generate_vcoco_official.py`` turns each detected pair into V-COCO agent/role detections and
``datasets/vsrl_eval.py`` (from s-gupta/v-coco) scores them."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from data_schemas.errors import RLIPv2InputError
from evaluation.average_precision import all_point_ap
from evaluation.box_overlap import clamped_iou
from evaluation.detections import ImageDetections, align_detections
from evaluation.relation_matching import first_claims
from evaluation.vcoco_truth import VcocoImageTruth, VcocoTruth

EXCLUDED_ACTION = "point"
"""The action that the official evaluator also reports the mean without."""


class VcocoScenario(Enum):
    """What a detection must say about a role that the annotation leaves empty (an object
    out of view): scenario 1 requires an empty role box (all zeros or NaN); scenario 2 does
    not look at it."""

    SCENARIO_1 = 1
    SCENARIO_2 = 2


@dataclass(frozen=True)
class VcocoRoleAp:
    """Role AP of one scenario, each in [0, 1].

    Attributes:
        mean: AP_role, the mean over every (action, role) with annotated agents.
        mean_without_point: the same without the action ``point`` (the official evaluator
            prints both).
        role_ap: AP of each (action, role); NaN for one without annotated agents.
    """

    mean: float
    mean_without_point: float
    role_ap: dict[tuple[str, str], float]


@dataclass(frozen=True)
class VcocoMetrics:
    scenario_1: VcocoRoleAp
    scenario_2: VcocoRoleAp


@dataclass(frozen=True)
class _RoleDetections:
    """One image's detections as V-COCO reads them, one row per detected pair.

    Attributes:
        agent_boxes: ``(num_pairs, 4)`` float32, the subject boxes.
        role_boxes: ``(num_pairs, 4)`` float32, the object box that fills every role of the
            pair; NaN where the object is "no object".
        role_scores: ``(num_pairs, num_actions, 2)`` float32, 0 for a role the action lacks.
    """

    agent_boxes: np.ndarray
    role_boxes: np.ndarray
    role_scores: np.ndarray


def evaluate_vcoco(
    truth: VcocoTruth,
    detections: Mapping[int, ImageDetections],
    *,
    verb_names: Sequence[str],
    correct_combinations: np.ndarray,
    iou_threshold: float = 0.5,
) -> VcocoMetrics:
    """Score HOI detections against V-COCO ground truth, in both scenarios.

    Every detected pair becomes one V-COCO detection, as ``generate_vcoco_official.py`` makes
    it (no top-k cut, no NMS): the subject box is the agent, the object box fills each role,
    and each role's score is the pair's score of the verb named ``<action>_<role>`` (0 when
    ``correct_combinations`` rules the object out). An object labelled ``num_object_classes``
    (one past the vocabulary: "no object", for a role without an object in view) leaves its
    role boxes empty (NaN) and its scores unmasked.

    Args:
        truth: the test set (:func:`vcoco_truth_from_official`).
        detections: the post-processor output of every test image, by image id.
        verb_names: the dataset's verbs (``hold_obj``, ``stand``, ...), one per score column.
        correct_combinations: ``(num_verbs, num_object_classes)`` bool (``corre_vcoco.npy``).
        iou_threshold: agent and role boxes match at this IoU or more.

    Raises:
        RLIPv2InputError: when the detections do not fit the ground truth or a role has no verb.
    """
    if not 0.0 < iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in (0, 1], got {iou_threshold}")
    role_verbs = _role_verbs(truth, verb_names)
    num_verbs, num_object_classes = np.shape(correct_combinations)
    if num_verbs != len(verb_names):
        raise ValueError(f"correct_combinations has {num_verbs} rows for {len(verb_names)} verbs")
    # The official post-processor appends a column of ones: "no object" is always allowed.
    mask = np.concatenate(
        [np.asarray(correct_combinations, dtype=bool), np.ones((num_verbs, 1), dtype=bool)], axis=1
    )
    aligned = align_detections(
        detections,
        [image.image_id for image in truth.images],
        num_object_labels=num_object_classes + 1,
        num_verbs=num_verbs,
    )
    role_detections = [
        _role_detections(image, role_verbs, mask, num_object_classes) for image in aligned
    ]
    return VcocoMetrics(
        scenario_1=_role_ap(truth, role_detections, VcocoScenario.SCENARIO_1, iou_threshold),
        scenario_2=_role_ap(truth, role_detections, VcocoScenario.SCENARIO_2, iou_threshold),
    )


def _role_verbs(truth: VcocoTruth, verb_names: Sequence[str]) -> np.ndarray:
    """``(num_actions, 2)`` verb index scoring each role, -1 where the action has no such role."""
    index = {name: position for position, name in enumerate(verb_names)}
    role_verbs = np.full((len(truth.actions), 2), -1, dtype=np.int64)
    for action_index, (action, roles) in enumerate(zip(truth.actions, truth.roles)):
        for role_index, role in enumerate(roles[1:]):
            verb = f"{action}_{role}"
            if verb not in index:
                raise RLIPv2InputError(
                    f"no verb {verb!r} scores the V-COCO role {role!r} of {action!r}"
                )
            role_verbs[action_index, role_index] = index[verb]
    return role_verbs


def _role_detections(
    detections: ImageDetections, role_verbs: np.ndarray, mask: np.ndarray, missing_object: int
) -> _RoleDetections:
    object_labels = detections.labels[detections.object_index]
    scores = np.where(mask[:, object_labels].T, detections.verb_scores, np.float32(0))
    # (num_pairs, num_actions, 2): each role's verb score, 0 where the action lacks the role.
    role_scores = np.where(role_verbs >= 0, scores[:, np.maximum(role_verbs, 0)], np.float32(0))
    role_boxes = detections.boxes[detections.object_index].copy()
    role_boxes[object_labels == missing_object] = np.nan
    return _RoleDetections(
        agent_boxes=detections.boxes[detections.subject_index],
        role_boxes=role_boxes,
        role_scores=role_scores.astype(np.float32),
    )


def _role_ap(
    truth: VcocoTruth,
    role_detections: list[_RoleDetections],
    scenario: VcocoScenario,
    iou_threshold: float,
) -> VcocoRoleAp:
    roles = [
        (action_index, role_index)
        for action_index, action_roles in enumerate(truth.roles)
        for role_index in range(len(action_roles) - 1)
    ]
    scores: dict[tuple[int, int], list[np.ndarray]] = {role: [] for role in roles}
    hits: dict[tuple[int, int], list[np.ndarray]] = {role: [] for role in roles}
    for image, image_detections in zip(truth.images, role_detections):
        matcher = _ImageRoleMatcher(image, image_detections, scenario, iou_threshold)
        for role in roles:
            role_scores, role_hits = matcher.outcomes(*role)
            scores[role].append(role_scores)
            hits[role].append(role_hits)
    role_ap = {}
    for action_index, role_index in roles:
        num_positives = sum(
            int(np.sum(image.actions[image.is_agent, action_index] == 1)) for image in truth.images
        )
        name = (truth.actions[action_index], truth.roles[action_index][role_index + 1])
        role_ap[name] = _vcoco_ap(
            np.concatenate(scores[(action_index, role_index)]),
            np.concatenate(hits[(action_index, role_index)]),
            num_positives,
        )
    kept = [ap for (action, _), ap in role_ap.items() if action != EXCLUDED_ACTION]
    return VcocoRoleAp(
        mean=_nanmean(list(role_ap.values())), mean_without_point=_nanmean(kept), role_ap=role_ap
    )


class _ImageRoleMatcher:
    """Matches one image's detections to its annotated persons, role by role.

    Each detection goes to the annotated person its agent box overlaps most (the first on
    ties); one whose person is not annotated in V-COCO is left out. It is a true positive when
    that person does the action, both the agent and the role box overlap by ``iou_threshold``
    or more (a role the annotation leaves empty: see :class:`VcocoScenario`), and no better
    detection took that person for this role.
    """

    def __init__(
        self,
        image: VcocoImageTruth,
        detections: _RoleDetections,
        scenario: VcocoScenario,
        iou_threshold: float,
    ) -> None:
        self.agents = np.flatnonzero(image.is_agent)
        self.image = image
        self.detections = detections
        self.scenario = scenario
        self.iou_threshold = iou_threshold
        if len(self.agents):
            # (num_pairs, num_agents) overlap of each detected agent with each annotated person.
            overlaps = clamped_iou(
                detections.agent_boxes[:, None, :], image.boxes[self.agents][None, :, :]
            )
            self.best = overlaps.argmax(axis=1)
            self.best_overlap = np.take_along_axis(overlaps, self.best[:, None], axis=1)[:, 0]
            self.ignored = np.any(image.actions[self.agents] == -1, axis=1)[self.best]
        else:
            self.ignored = np.zeros(len(detections.agent_boxes), dtype=bool)

    def outcomes(self, action_index: int, role_index: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and true-positive flags of the image's detections of one role, best first."""
        scores = self.detections.role_scores[:, action_index, role_index]
        order = np.argsort(-scores, kind="stable")
        order = order[~self.ignored[order]]
        if len(self.agents) == 0:  # the official code fails here; nothing can match
            return scores[order], np.zeros(len(order), dtype=bool)
        best = self.best[order]
        person = self.agents[best]
        role_overlap = self._role_overlap(
            order, self.image.role_boxes[person, action_index, role_index]
        )
        candidate = (
            (self.image.actions[person, action_index] == 1)
            & (self.best_overlap[order] >= self.iou_threshold)
            & (role_overlap >= self.iou_threshold)
        )
        return scores[order], first_claims(best, candidate)

    def _role_overlap(self, rows: np.ndarray, truth_rows: np.ndarray) -> np.ndarray:
        """Overlap of each detection's role box with the role box of its person, or, where the
        annotation leaves the role empty, 1 when the scenario accepts the detection's role."""
        boxes = self.detections.role_boxes[rows]
        if self.scenario is VcocoScenario.SCENARIO_2:
            unannotated = np.ones(len(rows), dtype=np.float32)
        else:
            empty = np.all(boxes == 0, axis=1) | np.all(np.isnan(boxes), axis=1)
            unannotated = empty.astype(np.float32)
        annotated = clamped_iou(self.image.boxes[np.maximum(truth_rows, 0)], boxes)
        return np.where(truth_rows < 0, unannotated, annotated)


def _vcoco_ap(scores: np.ndarray, is_true_positive: np.ndarray, num_positives: int) -> float:
    """All-point AP with ``vsrl_eval.py``'s arithmetic: float32 counts and recall."""
    if num_positives == 0:
        return float("nan")
    order = np.argsort(-scores, kind="stable")
    true_positives = np.cumsum(is_true_positive[order].astype(np.float32))
    false_positives = np.cumsum((~is_true_positive[order]).astype(np.float32))
    recall = true_positives / np.float32(num_positives)
    precision = true_positives / np.maximum(
        true_positives + false_positives, np.finfo(np.float64).eps
    )
    return all_point_ap(recall, precision)


def _nanmean(values: list[float]) -> float:
    finite = [value for value in values if not np.isnan(value)]
    return float(np.mean(finite)) if finite else float("nan")
