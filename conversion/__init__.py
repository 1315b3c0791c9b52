"""Conversion of the paper's released checkpoints (RLIPv2's official code, and the
Deformable-DETR / DAB-Deformable-DETR checkpoints it starts from) into rlipv2's weights, and the
parity check that rlipv2 computes what the official code computes."""
