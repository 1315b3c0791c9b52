"""The captioning stage: images -> captions, from BLIP or from an existing captions table."""

from data_schemas.lazy_exports import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "blip_captioner": ("BlipCaptioner", "build_blip_captioner"),
        "blip_config": ("DEFAULT_BLIP_MODEL", "BlipCaptionerConfig"),
        "caption_images": ("CAPTION_STAGE",),
        "captioner": ("Captioner", "DecodingMethod"),
        "decoding": ("BeamSearch", "DecodingStrategy", "NucleusSampling"),
        "existing_captions": ("read_existing_captions",),
    },
)
