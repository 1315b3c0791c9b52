"""The captioning stage, with a tiny random BLIP built and saved here (CPU, offline, fast).

Random tiny models caption in garbage tokens; the tests check structure, grouping,
reproducibility and decoding semantics, not caption quality.
"""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from data_schemas import (
    CAPTIONS,
    IMAGES,
    CaptionRecord,
    DecodingSettings,
    ImageRecord,
    RejectReason,
    RejectRecord,
    RLIPv2InputError,
    SchemaMismatchError,
    ShardedTableWriter,
)
from pipeline.captioning import (
    BlipCaptioner,
    BlipCaptionerConfig,
    build_blip_captioner,
    read_existing_captions,
)
from pipeline.captioning.caption_images import caption_images
from pipeline.captioning.fingerprint import captioner_fingerprint
from pipeline.captioning.seeded_sampling import SeededNucleusSampler
from pipeline.captioning.shrinking_batches import ShrinkingBatches

PROMPT_TEXT = "a picture of"


def build(model_dir: Path, **overrides: object) -> BlipCaptioner:
    config = BlipCaptionerConfig(model=str(model_dir), device="cpu", **overrides)
    return build_blip_captioner(config)


def noise_images(count: int, *, seed: int = 0) -> list[Image.Image]:
    """Random RGB images of different sizes."""
    rng = np.random.default_rng(seed)
    return [
        Image.fromarray(rng.integers(0, 256, (20 + 3 * index, 28, 3), dtype=np.uint8))
        for index in range(count)
    ]


def open_rgb(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def save_noise_png(path: Path, *, seed: int) -> ImageRecord:
    image = noise_images(1, seed=seed)[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return ImageRecord(
        image_id=seed,
        dataset="demo",
        split="train",
        file_name=path.name,
        width=image.width,
        height=image.height,
    )


@pytest.mark.parametrize(
    "field, value",
    [
        ("model", " "),
        ("num_captions", 0),
        ("batch_size", 0),
        ("num_beams", 0),
        ("min_length", 30),
        ("top_p", 0.0),
        ("top_p", 1.5),
        ("repetition_penalty", 0.0),
        ("seed", -1),
        ("device", "gpu0"),
    ],
)
def test_config_rejects_invalid_values(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        replace(BlipCaptionerConfig(), **{field: value})


def test_builder_refuses_a_max_length_without_room_after_the_prompt(tiny_blip_dir: Path) -> None:
    with pytest.raises(ValueError, match="no room"):
        build(tiny_blip_dir, num_captions=1, max_length=4, min_length=1)


def test_beam_search_gives_one_caption_per_image_without_the_prompt(tiny_blip_dir: Path) -> None:
    captioner = build(tiny_blip_dir, num_captions=1, batch_size=2)
    images = noise_images(3)

    captions = captioner.caption(images)

    assert captioner.method == "beam"
    assert captioner.decoding == DecodingSettings(
        num_beams=3, max_length=20, min_length=5, repetition_penalty=1.0
    )
    assert [len(per_image) for per_image in captions] == [1, 1, 1]
    # Oracle: plain Hugging Face beam search on the same inputs, decoded with the prompt.
    processor = captioner.processor
    inputs = processor(images=images, text=["a picture of "] * 3, return_tensors="pt")
    with torch.inference_mode():
        sequences = captioner.model.generate(
            **inputs, num_beams=3, max_length=20, min_length=5, do_sample=False
        )
    raw_texts = processor.batch_decode(sequences, skip_special_tokens=True)
    for (caption,), raw in zip(captions, raw_texts, strict=True):
        assert raw.startswith(PROMPT_TEXT)
        assert caption == " ".join(raw[len(PROMPT_TEXT) :].split())
        assert caption and caption == caption.strip()


@pytest.mark.slow
def test_nucleus_groups_captions_per_image_in_a_partial_last_batch(tiny_blip_dir: Path) -> None:
    captioner = build(tiny_blip_dir, num_captions=3, batch_size=2)
    images = noise_images(5)

    batched = captioner.caption(images)

    assert captioner.method == "nucleus"
    assert captioner.decoding == DecodingSettings(
        top_k=50, top_p=0.9, max_length=20, min_length=5, repetition_penalty=1.1, seed=0
    )
    assert [len(per_image) for per_image in batched] == [3] * 5
    assert batched == [captioner.caption([image])[0] for image in images]
    assert batched == captioner.caption(images[::-1])[::-1]
    assert len({caption for per_image in batched for caption in per_image}) == 15


@pytest.mark.slow
def test_nucleus_is_reproducible_with_the_seed_only(tiny_blip_dir: Path) -> None:
    images = noise_images(4)
    first = build(tiny_blip_dir, num_captions=3, batch_size=4).caption(images)
    torch.manual_seed(12345)  # the global RNG plays no part
    again = build(tiny_blip_dir, num_captions=3, batch_size=3).caption(images)
    other_seed = build(tiny_blip_dir, num_captions=3, batch_size=4, seed=1).caption(images)

    assert again == first
    assert all(a != b for a, b in zip(other_seed, first, strict=True))


def test_nucleus_sampling_with_a_vanishing_nucleus_is_greedy_decoding(tiny_blip_dir: Path) -> None:
    images = noise_images(3)
    greedy = build(tiny_blip_dir, num_captions=1, num_beams=1).caption(images)
    sampled = build(tiny_blip_dir, num_captions=2, top_p=1e-9, repetition_penalty=1.0).caption(
        images
    )

    assert sampled == [per_image * 2 for per_image in greedy]


def test_seeded_sampler_draws_from_the_top_k_top_p_distribution() -> None:
    # probabilities 0.40, 0.25, 0.15, 0.10, 0.06, 0.04: top_k=4 keeps the first four, renormalised
    # to 0.444, 0.278, 0.167, 0.111; top_p=0.7 then keeps the smallest head holding 0.7 of that:
    # the first two (0.444 + 0.278 = 0.722), renormalised again.
    probabilities = torch.tensor([0.40, 0.25, 0.15, 0.10, 0.06, 0.04])
    num_rows = 20_000
    scores = probabilities.log().expand(num_rows, -1).clone()
    uniforms = torch.from_numpy(np.random.default_rng(0).random((num_rows, 1)))
    sampler = SeededNucleusSampler(top_k=4, top_p=0.7, uniforms=uniforms, prompt_length=3)

    chosen_scores = sampler(torch.zeros(num_rows, 3, dtype=torch.long), scores)

    assert torch.equal((chosen_scores == 0).sum(dim=-1), torch.ones(num_rows, dtype=torch.long))
    assert torch.isneginf(chosen_scores[chosen_scores != 0]).all()
    frequencies = torch.bincount(chosen_scores.argmax(dim=-1), minlength=6) / num_rows
    expected = torch.tensor([0.40, 0.25, 0.0, 0.0, 0.0, 0.0]) / 0.65
    assert torch.allclose(frequencies, expected, atol=0.015)


def test_seeded_sampler_never_picks_a_filtered_token_at_the_top_of_the_range() -> None:
    scores = torch.tensor([[2.0, 1.0, 0.0, -1.0]])
    uniforms = torch.tensor([[np.nextafter(1.0, 0.0)]], dtype=torch.float64)
    sampler = SeededNucleusSampler(top_k=2, top_p=1.0, uniforms=uniforms, prompt_length=1)

    chosen = sampler(torch.zeros(1, 1, dtype=torch.long), scores).argmax(dim=-1)

    assert chosen.tolist() == [1]


def test_vision_encoder_runs_once_per_image_batch(tiny_blip_dir: Path) -> None:
    captioner = build(tiny_blip_dir, num_captions=3, batch_size=2)
    encoded_batches: list[int] = []
    decoder_rows: list[int] = []
    captioner.model.vision_model.register_forward_hook(
        lambda _module, _args, kwargs, _output: encoded_batches.append(len(kwargs["pixel_values"])),
        with_kwargs=True,
    )
    captioner.model.text_decoder.register_forward_hook(
        lambda _module, _args, kwargs, _output: decoder_rows.append(
            len(kwargs["encoder_hidden_states"])
        ),
        with_kwargs=True,
    )

    captioner.caption(noise_images(5))

    assert encoded_batches == [2, 2, 1]
    # The decoder sees every image's embeddings repeated once per sampled caption.
    assert set(decoder_rows) == {6, 3}


def test_shrinking_batches_halve_on_out_of_memory_down_to_one() -> None:
    def run_batch(batch: list[int]) -> list[int]:
        if len(batch) > 2:
            raise torch.OutOfMemoryError("fake: batch too large")
        return [item * 10 for item in batch]

    batches = ShrinkingBatches(8)
    assert batches.map(list(range(9)), run_batch) == [0, 10, 20, 30, 40, 50, 60, 70, 80]
    assert batches.batch_size == 2  # 8 -> 4 -> 2, kept for the rest

    def always_out_of_memory(batch: list[int]) -> list[int]:
        raise torch.OutOfMemoryError("fake: no memory at all")

    with pytest.raises(torch.OutOfMemoryError):
        ShrinkingBatches(4).map([1, 2, 3], always_out_of_memory)


def test_captioner_retries_out_of_memory_batches_with_the_same_captions(
    tiny_blip_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    images = noise_images(5)
    expected = build(tiny_blip_dir, num_captions=2, batch_size=4).caption(images)
    captioner = build(tiny_blip_dir, num_captions=2, batch_size=4)
    generate = captioner.model.generate

    def generate_on_a_small_device(*, pixel_values: torch.Tensor, **kwargs: object) -> torch.Tensor:
        if pixel_values.shape[0] > 1:
            raise torch.OutOfMemoryError("fake: CUDA out of memory")
        return generate(pixel_values=pixel_values, **kwargs)

    monkeypatch.setattr(captioner.model, "generate", generate_on_a_small_device)

    assert captioner.caption(images) == expected
    assert captioner.batch_size == 1


def test_captioner_id_is_stable_across_loads_and_tracks_the_weights(tiny_blip_dir: Path) -> None:
    first = build(tiny_blip_dir, num_captions=1)
    second = build(tiny_blip_dir, num_captions=4, seed=7)

    assert first.captioner_id == second.captioner_id
    assert first.captioner_id.startswith(f"{tiny_blip_dir}@")
    fingerprint = first.captioner_id.rsplit("@", 1)[1]
    assert len(fingerprint) == 12
    with torch.no_grad():
        first.model.text_decoder.cls.predictions.bias[0] += 1.0
    assert captioner_fingerprint(first.model, first.processor) != fingerprint


def test_caption_images_rejects_unreadable_files_and_captions_the_rest(
    tiny_blip_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "images"
    good = [save_noise_png(root / f"good-{seed}.png", seed=seed) for seed in (1, 2, 3)]
    truncated = save_noise_png(root / "truncated.png", seed=4)
    data = (root / "truncated.png").read_bytes()
    (root / "truncated.png").write_bytes(data[: len(data) // 2])
    (root / "text.jpg").write_text("not an image")
    outside = save_noise_png(tmp_path / "outside" / "secret.png", seed=6)
    (root / "escape.png").symlink_to(tmp_path / "outside" / outside.file_name)

    def record(image_id: int, file_name: str) -> ImageRecord:
        return ImageRecord(
            image_id=image_id, dataset="demo", split="train", file_name=file_name, width=8, height=8
        )

    records = [
        good[0],
        truncated,
        record(5, "text.jpg"),
        good[1],
        record(7, "missing.png"),
        record(6, "escape.png"),
        good[2],
    ]
    captioner = build(tiny_blip_dir, num_captions=2, batch_size=2)

    outputs = list(caption_images(records, image_root=root, captioner=captioner, batch_size=2))

    rejects = [output for output in outputs if isinstance(output, RejectRecord)]
    details = {reject.image_id: reject.detail for reject in rejects}
    assert sorted(details) == [4, 5, 6, 7]
    assert "truncated" in details[4]
    assert "cannot identify" in details[5]
    assert "outside the image root" in details[6]
    assert "does not exist" in details[7]
    assert {reject.image_id: reject.reason for reject in rejects} == {
        4: RejectReason.UNREADABLE_IMAGE,
        5: RejectReason.UNREADABLE_IMAGE,
        6: RejectReason.PATH_ESCAPES_ROOT,
        7: RejectReason.MISSING_IMAGE_FILE,
    }
    file_names = {r.image_id: r.file_name for r in records}
    assert all(
        reject.stage == "caption"
        and reject.record_kind == "image"
        and reject.record_id == str(reject.image_id)
        and reject.source_file == file_names[reject.image_id]
        for reject in rejects
    )
    captions = [output for output in outputs if isinstance(output, CaptionRecord)]
    assert [(c.image_id, c.caption_index) for c in captions] == [
        (1, 0), (1, 1), (2, 0), (2, 1), (3, 0), (3, 1)
    ]  # fmt: skip
    expected = captioner.caption([open_rgb(root / r.file_name) for r in good])
    assert [c.text for c in captions] == [text for per_image in expected for text in per_image]
    assert all(
        c.method == "nucleus"
        and c.decoding == captioner.decoding
        and c.captioner_id == captioner.captioner_id
        for c in captions
    )


def test_caption_images_checks_its_arguments(tiny_blip_dir: Path, tmp_path: Path) -> None:
    captioner = build(tiny_blip_dir, num_captions=1)
    with pytest.raises(ValueError, match="batch_size"):
        caption_images([], image_root=tmp_path, captioner=captioner, batch_size=0)
    with pytest.raises(RLIPv2InputError, match="not a directory"):
        caption_images([], image_root=tmp_path / "absent", captioner=captioner, batch_size=1)
    assert list(caption_images([], image_root=tmp_path, captioner=captioner, batch_size=1)) == []


def test_read_existing_captions_streams_an_ingested_captions_table(tmp_path: Path) -> None:
    human = DecodingSettings()
    records = [
        CaptionRecord(
            image_id=image_id,
            caption_index=index,
            text=text,
            method="human",
            decoding=human,
            captioner_id="captions_train2017.json",
        )
        for image_id, index, text in [
            (139, 0, "a man riding a horse"),
            (139, 1, "a person on a horse next to a car"),
            (285, 0, "a bear sitting in the grass"),
        ]
    ]
    table_dir = tmp_path / "coco" / "captions"
    writer = ShardedTableWriter(table_dir, CAPTIONS, rows_per_shard=2)
    for caption in records:
        writer.append(caption.model_dump(mode="python"))
    shards = writer.close()

    assert len(shards) == 2
    assert list(read_existing_captions(table_dir)) == records
    assert list(read_existing_captions(shards[1])) == records[2:]


def test_read_existing_captions_refuses_what_is_not_a_captions_table(tmp_path: Path) -> None:
    with pytest.raises(RLIPv2InputError, match="does not exist"):
        read_existing_captions(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RLIPv2InputError, match="no shard"):
        read_existing_captions(tmp_path / "empty")
    images_dir = tmp_path / "images"
    writer = ShardedTableWriter(images_dir, IMAGES, rows_per_shard=10)
    writer.close()
    with pytest.raises(SchemaMismatchError):
        list(read_existing_captions(images_dir))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_blip_captioner_on_cuda_runs_in_float16(tiny_blip_dir: Path) -> None:
    captioner = build_blip_captioner(
        BlipCaptionerConfig(model=str(tiny_blip_dir), device="cuda", num_captions=3, batch_size=2)
    )
    images = noise_images(5)

    captions = captioner.caption(images)

    assert captioner.model.dtype == torch.float16
    assert captioner.model.device.type == "cuda"
    assert [len(per_image) for per_image in captions] == [3] * 5
    assert captioner.captioner_id == build(tiny_blip_dir, num_captions=1).captioner_id
