"""One image's records as plain text: entities, captions, triplets, candidates and kept
relations, each relation followed by its evidence (caption, triplet, matched words)."""

from collections.abc import Mapping, Sequence

from data_schemas.candidates import MatchEvidence
from data_schemas.captions import CaptionRecord
from data_schemas.entities import EntityRecord
from data_schemas.triplets import TripletRecord
from inspection.image_detail import ImageDetail


def image_detail_text(detail: ImageDetail) -> str:
    names = {entity.entity_id: entity.category_name for entity in detail.entities}
    captions = {caption.caption_index: caption for caption in detail.captions}

    def entity(entity_id: int) -> str:
        return f"{names.get(entity_id, '?')} #{entity_id}"

    def evidence_lines(provenance: Sequence[MatchEvidence]) -> list[str]:
        return [f"      {_evidence(item, captions)}" for item in provenance]

    image = detail.image
    lines = [
        f"image {detail.image_id}"
        + (
            " (no images row: see rejects)"
            if image is None
            else f"  {image.dataset}/{image.split}  {image.file_name}  {image.width}x{image.height}"
        ),
        "  from " + ", ".join(str(path) for path in detail.tables_read),
        "",
        f"entities ({len(detail.entities)}; boxes x1, y1, x2, y2 in pixels)",
    ]
    lines += [
        f"  {entity(item.entity_id):<24} {_box(item)}" for item in detail.entities
    ]
    lines.append(f"captions ({len(detail.captions)})")
    lines += [f"  {item.caption_index:>3} [{item.method}] {item.text}" for item in detail.captions]
    lines.append(f"triplets ({len(detail.triplets)})")
    lines += [
        f"  caption {item.caption_index} triplet {item.triplet_index}: {_triplet(item)}"
        for item in detail.triplets
    ]
    lines.append(f"candidates ({len(detail.candidates)})")
    for candidate in detail.candidates:
        lines.append(
            f"  {entity(candidate.subject_entity_id)} -[{candidate.relation}]-> "
            f"{entity(candidate.object_entity_id)}"
        )
        lines += evidence_lines(candidate.provenance)
    lines.append(
        f"kept relations at confidence >= {detail.min_confidence:g} ({len(detail.kept_relations)}"
        + (f"; {detail.relations_below_cut} below)" if detail.relations_below_cut else ")")
    )
    for relation in detail.kept_relations:
        confidence = "human" if relation.confidence is None else f"{relation.confidence:.3f}"
        lines.append(
            f"  {entity(relation.subject_entity_id)} -[{relation.predicate}]-> "
            f"{entity(relation.object_entity_id)}  {confidence}"
        )
        lines += evidence_lines(relation.provenance)
    lines.append(f"rejects ({len(detail.rejects)})")
    lines += [
        f"  {item.stage}: {item.reason} ({item.record_kind} {item.record_id}): {item.detail}"
        for item in detail.rejects
    ]
    return "\n".join(lines) + "\n"


def _box(entity: EntityRecord) -> str:
    """The box, xyxy in absolute pixels."""
    return f"[{entity.x1:.1f}, {entity.y1:.1f}, {entity.x2:.1f}, {entity.y2:.1f}]"


def _triplet(triplet: TripletRecord) -> str:
    return f"({triplet.subject.span}) -[{triplet.relation}]-> ({triplet.object.span})"


def _evidence(evidence: MatchEvidence, captions: Mapping[int, CaptionRecord]) -> str:
    caption = captions.get(evidence.caption_index)
    return (
        f"caption {evidence.caption_index}"
        + ("" if caption is None else f" {caption.text!r}")
        + f" (triplet {evidence.triplet_index}): {evidence.subject_words!r} matched synonym "
        f"{evidence.subject_synonym!r}, {evidence.object_words!r} matched synonym "
        f"{evidence.object_synonym!r}"
    )
