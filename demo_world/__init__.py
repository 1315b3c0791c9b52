"""The embedded demo dataset: a deterministic synthetic world of objects and their relations.

Scenes are sampled from a vocabulary of 14 categories and 11 predicates, drawn with PIL, captioned
with synonyms and paraphrases, and written as COCO instances and captions JSON plus Visual Genome
relationships. Two predicates ("feeding", "petting") share their box geometry and differ only by a
drawn cue, so a box-only relation model cannot separate them.
"""

from demo_world.writer import (
    DemoWorldPaths,
    write_coco_shaped_annotations,
    write_demo_world,
)

__all__ = ["DemoWorldPaths", "write_coco_shaped_annotations", "write_demo_world"]
