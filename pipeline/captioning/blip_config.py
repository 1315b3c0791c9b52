"""Configuration of the BLIP captioner."""

from dataclasses import dataclass

DEFAULT_BLIP_MODEL = "Salesforce/blip-image-captioning-large"


@dataclass(frozen=True)
class BlipCaptionerConfig:
    """How to load and run a BLIP captioner; read only by ``build_blip_captioner``.

    ``num_captions == 1`` selects beam search (``num_beams``, ``max_length``, ``min_length``,
    repetition penalty 1.0); ``num_captions > 1`` selects nucleus sampling of ``num_captions``
    captions per image (``top_p``, ``repetition_penalty``, ``max_length``, ``min_length``,
    ``seed``), as in the RLIPv2 captioning scripts. Lengths count decoder tokens including the
    start token and the prompt, as BLIP's do. The defaults are the paper's: ViT-L BLIP fine-tuned
    on COCO captions, 10 nucleus samples per image.

    Attributes:
        model: Hugging Face hub name or local directory of a ``BlipForConditionalGeneration``
            with its processor files.
        batch_size: images per forward pass; halved on CUDA out-of-memory.
        device: ``"auto"`` (CUDA when available, else CPU), or a torch device such as
            ``"cpu"``, ``"cuda"``, ``"cuda:1"``. Runs in float16 on CUDA, float32 on CPU.
    """

    model: str = DEFAULT_BLIP_MODEL
    num_captions: int = 10
    batch_size: int = 32
    num_beams: int = 3
    max_length: int = 20
    min_length: int = 5
    top_p: float = 0.9
    repetition_penalty: float = 1.1
    seed: int = 0
    prompt: str = "a picture of "
    device: str = "auto"

    def __post_init__(self) -> None:
        if not self.model.strip():
            raise ValueError("model must name a hub model or a local directory, got ''")
        if self.num_captions < 1:
            raise ValueError(f"num_captions must be >= 1, got {self.num_captions}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.num_beams < 1:
            raise ValueError(f"num_beams must be >= 1, got {self.num_beams}")
        if not 0 <= self.min_length <= self.max_length:
            raise ValueError(
                f"need 0 <= min_length <= max_length, got min_length={self.min_length}, "
                f"max_length={self.max_length}"
            )
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if not self.repetition_penalty > 0.0:
            raise ValueError(f"repetition_penalty must be > 0, got {self.repetition_penalty}")
        if not 0 <= self.seed < 2**63:
            raise ValueError(f"seed must be in [0, 2**63), got {self.seed}")
        if self.device != "auto":
            import torch  # here, not at the top: the command line's --help reads this module

            try:
                torch.device(self.device)
            except RuntimeError as error:
                raise ValueError(
                    f"device must be 'auto' or a torch device such as 'cpu' or 'cuda:0', "
                    f"got {self.device!r}"
                ) from error
