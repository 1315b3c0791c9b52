"""A picture as a Prefect markdown artifact: the UI shows artifacts' markdown, and an image
embedded as a data URL needs no file server."""

import base64
import io

from PIL import Image
from prefect.artifacts import create_markdown_artifact


def publish_picture(
    picture: Image.Image,
    *,
    key: str,
    heading: str,
    description: str,
    caption: str = "",
    image_format: str = "PNG",
) -> None:
    """Publish ``picture`` under ``# heading``, then ``caption``; ``image_format`` "JPEG"
    (quality 85) keeps photographs small, "PNG" keeps charts sharp."""
    encoded = io.BytesIO()
    picture.save(encoded, format=image_format, **({"quality": 85} if image_format == "JPEG" else {}))
    data_url = f"data:image/{image_format.lower()};base64," + base64.b64encode(
        encoded.getvalue()
    ).decode()
    create_markdown_artifact(
        markdown=f"# {heading}\n\n![{heading}]({data_url})\n\n{caption}\n".rstrip() + "\n",
        key=key,
        description=description,
    )
