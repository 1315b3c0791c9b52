"""The released architectures at full size, converted and run forward on CUDA (``-m gpu``).

Weights are random (the listings carry names and shapes, not values): the test shows that every
converted full-size model builds, loads its converted state dict and runs on a GPU, at the
paper's image size."""

import pytest
import torch
from transformers import RobertaModel

from conversion.convert import build_model, convert, expected_shapes, plan_conversion
from conversion.official_checkpoint import OfficialCheckpoint
from model.targets import LabelTexts
from model.text_encoder import LabelTextEncoder
from rtagger.box_pair_queries import TaggerPairs
from official_files import LISTINGS, ROBERTA_BASE, listed_checkpoint, roberta_base_architecture

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def random_weights(checkpoint: OfficialCheckpoint, device: torch.device) -> OfficialCheckpoint:
    generator = torch.Generator(device=device).manual_seed(0)
    model = {}
    for name, tensor in checkpoint.model.items():
        if not tensor.dtype.is_floating_point:
            model[name] = torch.zeros(tensor.shape, dtype=tensor.dtype, device=device)
        elif name.endswith("running_var"):
            model[name] = torch.ones(tensor.shape, device=device)
        else:
            model[name] = 0.02 * torch.randn(tensor.shape, generator=generator, device=device)
    return OfficialCheckpoint(model=model, args=checkpoint.args)


@pytest.mark.parametrize("name", LISTINGS)
def test_a_converted_full_size_model_runs_forward_on_cuda(name: str) -> None:
    device = torch.device("cuda")
    checkpoint = random_weights(listed_checkpoint(name), device)
    plan = plan_conversion(checkpoint, text_encoder="roberta-base", target=None, source=name)
    architecture = roberta_base_architecture()
    converted = convert(
        checkpoint, plan, expected_shapes(plan, architecture), source=name, source_digest="random"
    ).converted
    text_encoder = LabelTextEncoder(
        model=RobertaModel(ROBERTA_BASE), tokenizer=architecture.tokenizer
    )
    model = build_model(plan, text_encoder)
    model.load_state_dict(converted.model)
    model = model.to(device).eval()
    images = torch.randn(2, 3, 800, 1066, device=device)
    mask = torch.zeros(2, 800, 1066, dtype=torch.bool, device=device)
    mask[1, 600:, :] = mask[1, :, 900:] = True
    texts = LabelTexts(
        entity_texts=("person", "horse", "cup", "no objects"),
        relation_texts=("ride", "hold", "feed"),
    )
    with torch.no_grad():
        if plan.is_tagger:
            pairs = TaggerPairs(
                subject_boxes=torch.tensor([[[0.3, 0.5, 0.4, 0.8]] * 3] * 2, device=device),
                object_boxes=torch.tensor([[[0.6, 0.6, 0.5, 0.5]] * 3] * 2, device=device),
                subject_labels=torch.zeros(2, 3, dtype=torch.int64, device=device),
                object_labels=torch.ones(2, 3, dtype=torch.int64, device=device),
                padding_mask=torch.tensor([[False, False, True]] * 2, device=device),
            )
            output = model(images, mask, texts, pairs)
        else:
            output = model(images, mask, texts)
    final = output.final
    num_pairs = 3 if plan.is_tagger else plan.config.num_pairs
    assert final.relation_logits.shape == (2, num_pairs, 3)
    assert final.subject_logits.shape == (2, num_pairs, 4)
    for tensor in (final.subject_boxes, final.object_boxes, final.relation_logits):
        assert torch.isfinite(tensor).all()
