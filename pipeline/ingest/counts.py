"""What an ingest run read and kept, for the summary and the manifest."""

from collections import Counter
from dataclasses import dataclass, field, fields


@dataclass
class IngestCounts:
    """Rows kept per table, and boxes that were clipped to their image (kept, but reported);
    ``review``: what a reviewed Label Studio export says of the predictions (boxes accepted,
    corrected, added, deleted, ...), empty for other formats."""

    categories: int = 0
    images: int = 0
    entities: int = 0
    captions: int = 0
    relations: int = 0
    scene_graphs: int = 0
    clipped_boxes: int = 0
    review: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, int]:
        counts = {item.name: getattr(self, item.name) for item in fields(self)
                  if item.name != "review"}
        return counts | dict(sorted(self.review.items()))
