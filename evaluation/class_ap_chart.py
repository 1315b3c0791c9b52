"""A picture of per-class APs: one horizontal bar per class, best first."""

import math

from PIL import Image, ImageDraw

ROW_HEIGHT = 16
LABEL_WIDTH = 300
BAR_WIDTH = 360
MARGIN = 8


def render_class_ap_chart(class_ap: dict[str, float], *, max_classes: int = 40) -> Image.Image:
    """Bars of the classes' APs (in [0, 1]; NaN drawn as "n/a", last), best first; past
    ``max_classes`` the best and worst halves are drawn with a line of how many were left out.

    Raises:
        ValueError: no classes, or ``max_classes < 2``.
    """
    if not class_ap or max_classes < 2:
        raise ValueError("need at least one class and max_classes >= 2")
    ranked = sorted(class_ap.items(), key=lambda item: 1.0 if math.isnan(item[1]) else -item[1])
    rows: list[tuple[str, float] | None] = list(ranked)
    if len(ranked) > max_classes:
        half = max_classes // 2
        rows = [*ranked[:half], None, *ranked[-half:]]
    width = LABEL_WIDTH + BAR_WIDTH + 3 * MARGIN + 48
    image = Image.new("RGB", (width, 2 * MARGIN + ROW_HEIGHT * len(rows)), "white")
    draw = ImageDraw.Draw(image)
    for index, row in enumerate(rows):
        top = MARGIN + index * ROW_HEIGHT
        if row is None:
            left_out = len(ranked) - 2 * (max_classes // 2)
            draw.text((MARGIN, top + 2), f"... {left_out} classes left out ...", fill="gray")
            continue
        name, ap = row
        draw.text((MARGIN, top + 2), name[:48], fill="black")
        left = LABEL_WIDTH + MARGIN
        if math.isnan(ap):
            draw.text((left, top + 2), "n/a", fill="gray")
            continue
        draw.rectangle(
            (left, top + 3, left + round(BAR_WIDTH * ap), top + ROW_HEIGHT - 3), fill=(70, 120, 190)
        )
        draw.text((left + BAR_WIDTH + MARGIN, top + 2), f"{100 * ap:.1f}", fill="black")
    return image
