"""Configuration of the ParSeD / ParSeDA decoder (read by ``build_relation_detector``)."""

import enum
from dataclasses import dataclass


class DecoderKind(enum.Enum):
    """``PARSED``: learned query positions and reference points (RLIPv2-ParSeD).
    ``PARSEDA``: learned anchor boxes whose sine embedding gives the positions at every layer,
    for the entity and the relation queries alike (RLIPv2-ParSeDA, DAB-DETR's anchors: what the
    paper released)."""

    PARSED = "parsed"
    PARSEDA = "parseda"


class RelationContent(enum.Enum):
    """A relation query's content: ``LEARNED``, a learned vector per pair slot (the released
    ``vanilla``); ``FUSED``, the same plus the multi-branch fusion of the pair's final subject
    and object states (the released ParSeDA's ``vanilla_MBF``)."""

    LEARNED = "learned"
    FUSED = "fused"


@dataclass(frozen=True)
class DecoderConfig:
    """How the decoder's queries are formed; the defaults are rlipv2's ParSeD.

    Attributes:
        kind: ParSeD or ParSeDA queries.
        relation_content: what a relation query starts from.
        relation_box_refinement: True refines each pair's boxes at every relation layer, with
            box heads of the relation stage, so the next relation layer reads at the mean of
            the refined boxes (the released code); False keeps the final entity boxes.
        fusion_branches: branches of the multi-branch fusion (16 in RLIPv2); the query width
            must be a multiple of it (each branch is ``hidden_dim / fusion_branches`` wide).
    """

    kind: DecoderKind = DecoderKind.PARSED
    relation_content: RelationContent = RelationContent.LEARNED
    relation_box_refinement: bool = False
    fusion_branches: int = 16

    def __post_init__(self) -> None:
        if not isinstance(self.kind, DecoderKind):
            raise ValueError(f"kind must be a DecoderKind, got {self.kind!r}")
        if not isinstance(self.relation_content, RelationContent):
            raise ValueError(
                f"relation_content must be a RelationContent, got {self.relation_content!r}"
            )
        if self.fusion_branches < 1:
            raise ValueError(f"fusion_branches must be >= 1, got {self.fusion_branches}")
