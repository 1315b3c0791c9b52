from pathlib import Path

import pytest
import torch
from transformers import RobertaConfig

from model.random_text_encoder import save_random_text_encoder
from model.text_encoder import LabelTextEncoder, TextEncoderConfig, build_text_encoder
from tiny_roberta import save_tiny_roberta


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> LabelTextEncoder:
    directory = save_tiny_roberta(tmp_path_factory.mktemp("tiny-roberta"))
    return build_text_encoder(TextEncoderConfig(name_or_path=str(directory))).eval()


def test_pooled_features_have_one_row_per_text(encoder: LabelTextEncoder) -> None:
    with torch.no_grad():
        features = encoder(["person", "riding", "sitting on", "no objects"])
    assert features.shape == (4, 32)
    assert encoder.text_dim == 32
    assert isinstance(encoder.config, RobertaConfig)
    assert encoder.config.hidden_size == 32


def test_identical_texts_give_identical_features(encoder: LabelTextEncoder) -> None:
    with torch.no_grad():
        features = encoder(["horse", "horse", "dining table"])
    torch.testing.assert_close(features[0], features[1])
    assert not torch.allclose(features[0], features[2])


def test_padding_does_not_change_a_texts_feature(encoder: LabelTextEncoder) -> None:
    with torch.no_grad():
        alone = encoder(["a"])
        padded = encoder(["a", "a much longer text"])
    torch.testing.assert_close(alone[0], padded[0], rtol=1e-5, atol=1e-5)


def test_no_texts_give_an_empty_matrix(encoder: LabelTextEncoder) -> None:
    assert encoder([]).shape == (0, 32)


def test_unknown_words_still_encode(encoder: LabelTextEncoder) -> None:
    with torch.no_grad():
        features = encoder(["xylophone quartet"])
    assert features.shape == (1, 32)
    assert torch.isfinite(features).all()


def test_gradients_reach_roberta(encoder: LabelTextEncoder) -> None:
    encoder.zero_grad()
    encoder(["person", "holding"]).sum().backward()
    embedding_grad = encoder.model.embeddings.word_embeddings.weight.grad
    assert embedding_grad is not None and embedding_grad.abs().sum() > 0
    encoder.zero_grad()


def test_config_rejects_an_empty_source() -> None:
    with pytest.raises(ValueError, match="name_or_path"):
        TextEncoderConfig(name_or_path=" ")


def test_saved_directory_holds_model_and_tokenizer(tmp_path: Path) -> None:
    directory = save_tiny_roberta(tmp_path / "roberta")
    names = {path.name for path in directory.iterdir()}
    assert {"config.json", "vocab.json", "merges.txt", "tokenizer_config.json"} <= names
    assert RobertaConfig.from_pretrained(directory).hidden_size == 32


@pytest.mark.parametrize("spread_max_steps", [0, pytest.param(2000, marks=pytest.mark.slow)])
def test_random_encoder_spreads_its_texts_apart(tmp_path: Path, spread_max_steps: int) -> None:
    texts = ["person", "horse", "dog", "kite", "bench", "on", "under", "above", "riding",
             "holding", "next to", "sitting on", "in front of", "no objects"]
    directory = save_random_text_encoder(tmp_path / "encoder", texts,
                                         spread_max_steps=spread_max_steps)
    encoder = build_text_encoder(TextEncoderConfig(name_or_path=str(directory))).eval()
    with torch.no_grad():
        features = torch.nn.functional.normalize(encoder(texts), dim=-1)
    cosine = (features @ features.T)[~torch.eye(len(texts), dtype=torch.bool)]
    if spread_max_steps == 0:  # as drawn, every text looks alike: what the spread is for
        assert cosine.min() > 0.9
    else:  # the fit stops at a root-mean-square cosine of 0.15
        assert cosine.square().mean().sqrt() <= 0.15 and cosine.max() < 0.7
