"""V-COCO's role annotations in an ingested benchmark: the three official files role AP reads
(``vcoco_test.json``, the COCO instances ``instances_vcoco_all_2014.json`` and the split's
``vcoco_test.ids``, from s-gupta/v-coco), which ``rlipv2 ingest v-coco`` copies as they are, and
the role that each of the converted files' 29 verb ids scores."""

import json
from collections.abc import Sequence
from pathlib import Path

from data_schemas.errors import RLIPv2InputError
from evaluation.vcoco_truth import VcocoTruth, vcoco_truth_from_official

VSRL_ANNOTATIONS = "vcoco_test.json"
COCO_INSTANCES = "instances_vcoco_all_2014.json"
SPLIT_IDS = "vcoco_test.ids"
VCOCO_ROLE_FILES = (VSRL_ANNOTATIONS, COCO_INSTANCES, SPLIT_IDS)

ROLE_VERBS: tuple[str, ...] = (
    "hold_obj", "stand", "sit_instr", "ride_instr", "walk", "look_obj", "hit_instr", "hit_obj",
    "eat_obj", "eat_instr", "jump_instr", "lay_instr", "talk_on_phone_instr", "carry_obj",
    "throw_obj", "catch_obj", "cut_instr", "cut_obj", "run", "work_on_computer_instr",
    "ski_instr", "surf_instr", "skateboard_instr", "smile", "drink_instr", "kick_obj",
    "point_instr", "read_obj", "snowboard_instr",
)
"""``<action>_<role>`` of each verb id of ``trainval_vcoco.json`` / ``test_vcoco.json`` (0..28,
as the official ``vcoco_verb_names.txt`` lists them); an action without a role is its name."""


def role_verb_names(verb_ids: Sequence[int]) -> list[str]:
    """The role name of each predicate, from its V-COCO verb id.

    Raises:
        RLIPv2InputError: an id outside V-COCO's 29.
    """
    unknown = [verb_id for verb_id in verb_ids if not 0 <= verb_id < len(ROLE_VERBS)]
    if unknown:
        raise RLIPv2InputError(
            f"predicate ids {unknown[:5]} are not V-COCO verb ids (0..{len(ROLE_VERBS) - 1})"
        )
    return [ROLE_VERBS[verb_id] for verb_id in verb_ids]


def read_vcoco_role_files(directory: Path) -> VcocoTruth:
    """The role ground truth of the files in ``directory``.

    Raises:
        RLIPv2InputError: a missing or unreadable file, or files that do not fit each other.
    """
    try:
        vsrl = json.loads((directory / VSRL_ANNOTATIONS).read_text())
        instances = json.loads((directory / COCO_INSTANCES).read_text())
        image_ids = [int(line) for line in (directory / SPLIT_IDS).read_text().split()]
    except FileNotFoundError as error:
        raise RLIPv2InputError(
            f"{error.filename} does not exist: V-COCO's role AP needs {', '.join(VCOCO_ROLE_FILES)}"
        ) from None
    except (OSError, ValueError) as error:
        raise RLIPv2InputError(f"V-COCO role files in {directory} are unreadable: {error}") from None
    return vcoco_truth_from_official(vsrl, instances, image_ids)
