"""A picture of training losses per epoch: one coloured line per series, a legend, and the
first and last values on the axis."""

import math
from collections.abc import Mapping, Sequence

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 640, 360
MARGIN = 48
LEGEND_ROW = 14
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


def render_loss_chart(series: Mapping[str, Sequence[float]], *, title: str) -> Image.Image:
    """Lines of ``series`` (name -> one value per epoch, epoch 1 first) on shared axes from 0
    to the largest finite value; a non-finite value leaves a gap. The first series is drawn
    thickest (the total loss); past ``len(COLOURS)`` series colours repeat.

    Raises:
        ValueError: no series, or series of different lengths.
    """
    lengths = {len(values) for values in series.values()}
    if not series or len(lengths) != 1:
        raise ValueError("need at least one series, all of the same length")
    epochs = lengths.pop()
    finite = [value for values in series.values() for value in values if math.isfinite(value)]
    top = max(finite, default=1.0) or 1.0
    legend_height = LEGEND_ROW * len(series)
    image = Image.new("RGB", (WIDTH, HEIGHT + legend_height), "white")
    draw = ImageDraw.Draw(image)
    left, right, upper, lower = MARGIN, WIDTH - MARGIN // 2, MARGIN // 2, HEIGHT - MARGIN
    draw.text((left, 4), title, fill="black")
    draw.line([(left, upper), (left, lower), (right, lower)], fill="black")
    draw.text((4, upper - 6), f"{top:.3g}", fill="black")
    draw.text((4, lower - 6), "0", fill="black")
    draw.text((left, lower + 6), "epoch 1", fill="black")
    draw.text((right - 48, lower + 6), f"epoch {epochs}", fill="black")

    def point(epoch_index: int, value: float) -> tuple[float, float]:
        x = left + (right - left) * (epoch_index / (epochs - 1) if epochs > 1 else 0.5)
        return x, lower - (lower - upper) * value / top

    for index, (name, values) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        width = 3 if index == 0 else 1
        points = [point(i, v) if math.isfinite(v) else None for i, v in enumerate(values)]
        for start, end in zip(points, points[1:]):
            if start is not None and end is not None:
                draw.line([start, end], fill=colour, width=width)
        for dot in points:
            if dot is not None:
                draw.ellipse([dot[0] - 2, dot[1] - 2, dot[0] + 2, dot[1] + 2], fill=colour)
        row = HEIGHT + index * LEGEND_ROW
        draw.line([(left, row + 6), (left + 24, row + 6)], fill=colour, width=width)
        last = next((v for v in reversed(values) if math.isfinite(v)), math.nan)
        draw.text((left + 32, row), f"{name} (last {last:.4g})", fill="black")
    return image
