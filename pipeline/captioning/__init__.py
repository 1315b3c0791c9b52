"""The captioning stage: images -> captions, from BLIP or from an existing captions table."""

from pipeline.captioning.blip_captioner import BlipCaptioner, build_blip_captioner
from pipeline.captioning.blip_config import DEFAULT_BLIP_MODEL, BlipCaptionerConfig
from pipeline.captioning.caption_images import CAPTION_STAGE, caption_images
from pipeline.captioning.captioner import Captioner, DecodingMethod
from pipeline.captioning.decoding import BeamSearch, DecodingStrategy, NucleusSampling
from pipeline.captioning.existing_captions import read_existing_captions

__all__ = [
    "CAPTION_STAGE",
    "DEFAULT_BLIP_MODEL",
    "BeamSearch",
    "BlipCaptioner",
    "BlipCaptionerConfig",
    "Captioner",
    "DecodingMethod",
    "DecodingStrategy",
    "NucleusSampling",
    "build_blip_captioner",
    "caption_images",
    "read_existing_captions",
]
