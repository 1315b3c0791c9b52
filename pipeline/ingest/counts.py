"""What an ingest run read and kept, for the summary and the manifest."""

from dataclasses import asdict, dataclass


@dataclass
class IngestCounts:
    """Rows kept per table, and boxes that were clipped to their image (kept, but reported)."""

    categories: int = 0
    images: int = 0
    entities: int = 0
    captions: int = 0
    relations: int = 0
    scene_graphs: int = 0
    clipped_boxes: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
