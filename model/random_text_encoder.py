"""A small, randomly initialised RoBERTa with a byte-level BPE trained on label texts.

For offline runs where ``roberta-base`` cannot be downloaded (demos, tests, benchmarks): it
has RoBERTa's architecture and interface but no pretrained knowledge, so labels from it are
only as good as what training teaches it.

Freshly initialised, it maps every short text to nearly the same pooled feature (cosine ~1:
attention weights start near uniform and the ``<s>`` token's own embedding dominates its
output), so a detector could not tell its label texts apart until the encoder had learnt to.
A pretrained encoder gives distinct texts distinct features. The stand-in is therefore first
fitted to spread the pooled features of its own texts apart, until their root-mean-square
cosine is at most 0.15 (a few hundred steps for a few dozen texts): it then knows which texts
differ, still not what they mean.
"""

from collections.abc import Iterable
from pathlib import Path

import torch
from tokenizers import ByteLevelBPETokenizer
from transformers import RobertaConfig, RobertaModel, RobertaTokenizerFast

SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")  # ids 0..4; <pad> = 1 as RoBERTa


def save_random_text_encoder(
    directory: Path,
    texts: Iterable[str],
    *,
    hidden_size: int = 32,
    num_layers: int = 2,
    num_heads: int = 2,
    vocab_size: int = 500,
    seed: int = 0,
    spread_max_steps: int = 2000,
) -> Path:
    """Train a byte-level BPE on ``texts``, build a random ``RobertaModel`` over it, spread its
    pooled features of ``texts`` apart (:func:`spread_pooled_features`, at most
    ``spread_max_steps`` steps; 0 leaves it as drawn), and save both to ``directory``
    (``from_pretrained(directory)`` loads them). Returns ``directory``."""
    texts = list(dict.fromkeys(texts))
    directory.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        texts,
        vocab_size=vocab_size,
        min_frequency=1,
        special_tokens=list(SPECIAL_TOKENS),
        show_progress=False,
    )
    bpe.save_model(str(directory))  # vocab.json + merges.txt
    tokenizer = RobertaTokenizerFast.from_pretrained(directory)
    config = small_roberta_config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        num_layers=num_layers,
        num_heads=num_heads,
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = RobertaModel(config)
        spread_pooled_features(model, tokenizer, texts, max_steps=spread_max_steps)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def small_roberta_config(
    *, vocab_size: int, hidden_size: int = 32, num_layers: int = 2, num_heads: int = 2
) -> RobertaConfig:
    """A RoBERTa configuration of the given size (feed-forward 2x wide, 64 positions), with
    RoBERTa's special token ids (<s> 0, <pad> 1, </s> 2)."""
    return RobertaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        intermediate_size=2 * hidden_size,
        max_position_embeddings=64,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )


def spread_pooled_features(
    model: RobertaModel,
    tokenizer: RobertaTokenizerFast,
    texts: list[str],
    *,
    max_steps: int,
    target_rms_cosine: float = 0.15,
    learning_rate: float = 3e-4,
) -> None:
    """Fit ``model`` in place so that the ``pooler_output`` of each of ``texts`` points away
    from the others': Adam on the mean squared cosine between distinct texts' features, until
    its square root is at most ``target_rms_cosine`` or after ``max_steps`` steps.

    Runs in eval mode (no dropout, so that the fit is deterministic given the torch seed);
    a padded batch gives each text the feature it gets alone, as the attention mask hides the
    padding.
    """
    if max_steps < 0:
        raise ValueError(f"max_steps must be >= 0, got {max_steps}")
    if max_steps == 0 or len(texts) < 2:
        return
    model.eval()
    batch = tokenizer(texts, return_tensors="pt", padding=True)
    distinct = ~torch.eye(len(texts), dtype=torch.bool)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    for _ in range(max_steps):
        features = torch.nn.functional.normalize(model(**batch).pooler_output, dim=-1)
        cosine = features @ features.T  # (num_texts, num_texts)
        loss = cosine[distinct].square().mean()
        if loss.item() <= target_rms_cosine**2:
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
