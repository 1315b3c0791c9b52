"""The R-Tagger's training pairs: each image's related pairs plus sampled unrelated ones.

Slot k holds pair k (no Hungarian matching): the positive pairs of the image and negative pairs
(ordered pairs of the image's entities that have no relation, the entities in no relation at all
included, as the paper's code pairs all of an image's boxes), up to ``num_pairs`` slots, in a
random order. Negative pairs keep all-zero relation labels.

Entities in no relation matter: at inference the candidates pair every entity a caption names,
and in a detection dataset most of those are bystanders (two persons, only one rides the horse).

The order must be random: each slot has its own learned relation-query content, so with
positives always in the first slots the tagger learns "slot 0 is related" instead of looking
at the pair, and at inference, where slots hold candidates in no particular order, its scores
say nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from model.matcher import PairMatch
from model.targets import RelationTarget
from rtagger.box_pair_queries import TaggerPairs


@dataclass(frozen=True)
class SlotTargets:
    """Clean pairs per slot, their targets, and the slot k <-> target k assignment."""

    pairs: TaggerPairs
    targets: tuple[RelationTarget, ...]
    matches: tuple[PairMatch, ...]


def build_slot_targets(
    targets: Sequence[RelationTarget], *, num_pairs: int, generator: torch.Generator
) -> SlotTargets:
    """Positives (at most ``num_pairs``, a random subset when more) and random negatives,
    shuffled over the first slots; the rest are empty."""
    batch_size = len(targets)
    subject_boxes = torch.zeros(batch_size, num_pairs, 4)
    object_boxes = torch.zeros(batch_size, num_pairs, 4)
    subject_labels = torch.zeros(batch_size, num_pairs, dtype=torch.long)
    object_labels = torch.zeros(batch_size, num_pairs, dtype=torch.long)
    padding = torch.ones(batch_size, num_pairs, dtype=torch.bool)
    slot_targets, matches = [], []
    for image, target in enumerate(targets):
        target = target.to(torch.device("cpu"))
        positives = torch.randperm(target.num_pairs, generator=generator)[:num_pairs]
        entities = _entities(target)
        subject_indices, object_indices = _entity_indices(target, entities)
        related = set(zip(subject_indices, object_indices, strict=True))
        unrelated = [
            (s, o)
            for s in range(len(entities))
            for o in range(len(entities))
            if s != o and (s, o) not in related
        ]
        drawn = torch.randperm(len(unrelated), generator=generator).tolist()
        negatives = [unrelated[i] for i in drawn[: num_pairs - len(positives)]]
        boxes = torch.stack([box for box, _ in entities]) if entities else torch.zeros(0, 4)
        labels = torch.tensor([label for _, label in entities], dtype=torch.long)
        negative_subjects = torch.tensor([s for s, _ in negatives], dtype=torch.long)
        negative_objects = torch.tensor([o for _, o in negatives], dtype=torch.long)
        count = len(positives) + len(negatives)
        order = torch.randperm(count, generator=generator)  # slot k holds pair order[k]
        subject_boxes[image, :count] = torch.cat(
            [target.subject_boxes[positives], boxes[negative_subjects]]
        )[order]
        object_boxes[image, :count] = torch.cat(
            [target.object_boxes[positives], boxes[negative_objects]]
        )[order]
        subject_labels[image, :count] = torch.cat(
            [target.subject_labels[positives], labels[negative_subjects]]
        )[order]
        object_labels[image, :count] = torch.cat(
            [target.object_labels[positives], labels[negative_objects]]
        )[order]
        padding[image, :count] = False
        relation_labels = torch.cat(
            [
                target.relation_labels[positives],
                torch.zeros(len(negatives), target.relation_labels.shape[1]),
            ]
        )[order]
        slot_targets.append(
            RelationTarget(
                subject_boxes=subject_boxes[image, :count].clone(),
                object_boxes=object_boxes[image, :count].clone(),
                subject_labels=subject_labels[image, :count].clone(),
                object_labels=object_labels[image, :count].clone(),
                relation_labels=relation_labels,
            )
        )
        matches.append(
            PairMatch(prediction_indices=torch.arange(count), target_indices=torch.arange(count))
        )
    pairs = TaggerPairs(
        subject_boxes=subject_boxes,
        object_boxes=object_boxes,
        subject_labels=subject_labels,
        object_labels=object_labels,
        padding_mask=padding,
    )
    return SlotTargets(pairs=pairs, targets=tuple(slot_targets), matches=tuple(matches))


def _entities(target: RelationTarget) -> list[tuple[torch.Tensor, int]]:
    """The distinct (box, label) entities of the image: subjects, objects, unrelated ones."""
    seen: dict[tuple, tuple[torch.Tensor, int]] = {}
    for boxes, labels in (
        (target.subject_boxes, target.subject_labels),
        (target.object_boxes, target.object_labels),
        (target.unrelated_boxes, target.unrelated_labels),
    ):
        for box, label in zip(boxes, labels, strict=True):
            seen.setdefault((*box.tolist(), int(label)), (box, int(label)))
    return list(seen.values())


def _entity_indices(
    target: RelationTarget, entities: list[tuple[torch.Tensor, int]]
) -> tuple[list[int], list[int]]:
    index = {(*box.tolist(), label): position for position, (box, label) in enumerate(entities)}
    subjects = [
        index[(*box.tolist(), int(label))]
        for box, label in zip(target.subject_boxes, target.subject_labels, strict=True)
    ]
    objects = [
        index[(*box.tolist(), int(label))]
        for box, label in zip(target.object_boxes, target.object_labels, strict=True)
    ]
    return subjects, objects
