"""Everything a run knows about one image: its records in every table, and why it has each
relation (which caption, which words matched which synonym).

Rows are gathered from the tables of the run directory and of the directories its manifest
names (the ingested dataset for images and entities, a tagging run's candidate run).
"""

from dataclasses import dataclass
from pathlib import Path

from data_schemas.candidates import CANDIDATES, CandidateRecord, MatchEvidence
from data_schemas.captions import CAPTIONS, CaptionRecord
from data_schemas.entities import ENTITIES, EntityRecord
from data_schemas.errors import RLIPv2InputError
from data_schemas.images import IMAGES, ImageRecord
from data_schemas.rejects import REJECTS, RejectRecord
from data_schemas.relation_confidence import check_relation_threshold, keeps_relationship
from data_schemas.relations import RELATIONS, RelationRecord
from data_schemas.scene_graphs import SCENE_GRAPHS, SceneGraphRecord
from data_schemas.table_spec import TableSpec
from data_schemas.tagged_relations import TAGGED_RELATIONS, TaggedRelationRecord
from data_schemas.triplets import TRIPLETS, TripletRecord
from inspection.located_output import locate_output
from inspection.run_directory import RunDirectory
from inspection.table_files import TableFiles


@dataclass(frozen=True)
class KeptRelation:
    """A relation of the image kept at the confidence cut, with the evidence behind it.

    ``confidence`` is None for a human relation; ``relationship_id`` is None when the relation
    comes from a tagged-relations table (no scene graph yet). ``provenance`` is the evidence of
    the candidate (or tagged relation) with the same subject, object and text; empty for human
    relations and for texts the tagger assigned to a pair they were not parsed for.
    """

    subject_entity_id: int
    object_entity_id: int
    predicate: str
    confidence: float | None
    relationship_id: int | None
    provenance: tuple[MatchEvidence, ...]

    def as_dict(self) -> dict:
        return {
            "relationship_id": self.relationship_id,
            "subject_entity_id": self.subject_entity_id,
            "object_entity_id": self.object_entity_id,
            "predicate": self.predicate,
            "confidence": self.confidence,
            "provenance": [evidence.model_dump(mode="json") for evidence in self.provenance],
        }


@dataclass(frozen=True)
class ImageDetail:
    """One image's records across a run, at confidence >= ``min_confidence``.

    ``image`` is None when no images or scene-graphs table of the run has the image (e.g. it was
    rejected at ingest: see ``rejects``). ``kept_relations`` come from the scene graph, else the
    tagged relations, else the human relations; strongest first, human relations before all.
    ``tables_read`` lists the tables the records were gathered from.
    """

    path: Path
    image_id: int
    min_confidence: float
    image: ImageRecord | None
    entities: tuple[EntityRecord, ...]
    captions: tuple[CaptionRecord, ...]
    triplets: tuple[TripletRecord, ...]
    candidates: tuple[CandidateRecord, ...]
    kept_relations: tuple[KeptRelation, ...]
    relations_below_cut: int
    rejects: tuple[RejectRecord, ...]
    tables_read: tuple[Path, ...]

    def as_dict(self) -> dict:
        """JSON-ready: every record as its table's row."""
        return {
            "path": str(self.path),
            "image_id": self.image_id,
            "min_confidence": self.min_confidence,
            "image": None if self.image is None else self.image.model_dump(mode="json"),
            "entities": _dumps(self.entities),
            "captions": _dumps(self.captions),
            "triplets": _dumps(self.triplets),
            "candidates": _dumps(self.candidates),
            "kept_relations": [relation.as_dict() for relation in self.kept_relations],
            "relations_below_cut": self.relations_below_cut,
            "rejects": _dumps(self.rejects),
            "tables_read": [str(path) for path in self.tables_read],
        }


def inspect_image(
    path: Path,
    image_id: int,
    *,
    min_confidence: float = 0.0,
    dataset_dir: Path | None = None,
) -> ImageDetail:
    """The records of image ``image_id`` in the run that ``path`` is (or holds a table of).

    ``dataset_dir`` replaces the ingested dataset that the run's manifest names.

    Raises:
        RLIPv2InputError: ``path`` is not an rlipv2 output, or no table of the run has a row for
            ``image_id``.
        ValueError: ``min_confidence`` is outside [0, 1].
    """
    check_relation_threshold(min_confidence)
    run = locate_output(path, dataset_dir=dataset_dir).run
    return image_detail_in_run(run, image_id, min_confidence=min_confidence, path=path)


def image_detail_in_run(
    run: RunDirectory, image_id: int, *, min_confidence: float, path: Path
) -> ImageDetail:
    """:func:`inspect_image` over an opened run (``path``: what the user named, for messages)."""
    gathered = _ImageRows(run, image_id)
    scene_graph = next(iter(gathered.records(SCENE_GRAPHS)), None)
    image = next(iter(gathered.records(IMAGES)), None)
    if image is None and scene_graph is not None:
        image = ImageRecord.model_validate(
            scene_graph.model_dump(exclude={"objects", "relationships"})
        )
    entities = gathered.records(ENTITIES)
    if not entities and scene_graph is not None:
        entities = [
            EntityRecord(image_id=image_id, **scene_object.model_dump())
            for scene_object in scene_graph.objects
        ]
    candidates = gathered.records(CANDIDATES)
    tagged = gathered.records(TAGGED_RELATIONS)
    relations = _image_relations(scene_graph, tagged, gathered.records(RELATIONS), candidates)
    captions = gathered.records(CAPTIONS)
    triplets = gathered.records(TRIPLETS)
    rejects = gathered.records(REJECTS)
    if not gathered.any_rows:
        raise RLIPv2InputError(
            f"image id {image_id} is not in {path}: none of the tables read "
            f"({', '.join(dict.fromkeys(gathered.table_names))}) has a row for it"
        )
    kept = [
        relation
        for relation in relations
        if keeps_relationship(relation.confidence, min_confidence)
    ]
    return ImageDetail(
        path=path,
        image_id=image_id,
        min_confidence=min_confidence,
        image=image,
        entities=tuple(entities),
        captions=tuple(captions),
        triplets=tuple(triplets),
        candidates=tuple(candidates),
        kept_relations=tuple(sorted(kept, key=_strongest_first)),
        relations_below_cut=len(relations) - len(kept),
        rejects=tuple(rejects),
        tables_read=tuple(gathered.tables_read),
    )


class _ImageRows:
    """Reads one image's rows of each table of a run (rejects: of every directory)."""

    def __init__(self, run: RunDirectory, image_id: int) -> None:
        self._run = run
        self._image_id = image_id
        self.tables_read: list[Path] = []
        self.table_names: list[str] = []
        self.any_rows = False

    def records(self, spec: TableSpec) -> list:
        tables: list[TableFiles]
        if spec.name == REJECTS.name:
            tables = list(self._run.find_all(spec))
        else:
            tables = [table for table in (self._run.find(spec),) if table is not None]
        records = []
        for table in tables:
            self.tables_read.append(table.path)
            self.table_names.append(table.spec.name)
            records += spec.to_records(table.read_image(self._image_id))
        self.any_rows = self.any_rows or bool(records)
        return records


def _image_relations(
    scene_graph: SceneGraphRecord | None,
    tagged: list[TaggedRelationRecord],
    human: list[RelationRecord],
    candidates: list[CandidateRecord],
) -> list[KeptRelation]:
    """The image's relations (before the cut) from the most final table that has them."""
    evidence: dict[tuple[int, int, str], tuple[MatchEvidence, ...]] = {}
    for record in [*candidates, *tagged]:
        key = (record.subject_entity_id, record.object_entity_id, record.relation)
        evidence[key] = evidence.get(key) or tuple(record.provenance)

    def relation(
        subject: int,
        object_: int,
        predicate: str,
        confidence: float | None,
        relationship_id: int | None,
    ) -> KeptRelation:
        return KeptRelation(
            subject_entity_id=subject,
            object_entity_id=object_,
            predicate=predicate,
            confidence=confidence,
            relationship_id=relationship_id,
            provenance=evidence.get((subject, object_, predicate), ()),
        )

    if scene_graph is None and tagged:
        return [
            relation(item.subject_entity_id, item.object_entity_id, item.relation, item.score, None)
            for item in tagged
        ]
    return [
        relation(
            item.subject_entity_id,
            item.object_entity_id,
            item.predicate,
            item.confidence,
            item.relationship_id,
        )
        for item in (human if scene_graph is None else scene_graph.relationships)
    ]


def _strongest_first(relation: KeptRelation) -> tuple:
    confidence = 2.0 if relation.confidence is None else relation.confidence
    return (-confidence, relation.predicate, relation.subject_entity_id, relation.object_entity_id)


def _dumps(records: tuple) -> list[dict]:
    return [record.model_dump(mode="json") for record in records]
