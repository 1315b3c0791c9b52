import math

import pytest
from PIL import ImageColor

from inspection.loss_chart import COLOURS, HEIGHT, LEGEND_ROW, WIDTH, render_loss_chart


def test_each_series_is_drawn_in_its_colour_with_a_legend_row():
    chart = render_loss_chart(
        {"loss": [3.0, 2.0, 1.0], "relations": [1.0, math.nan, 0.5]}, title="losses"
    )
    assert chart.size == (WIDTH, HEIGHT + 2 * LEGEND_ROW)
    colours = {colour for _, colour in chart.getcolors(maxcolors=WIDTH * HEIGHT * 2)}
    assert {ImageColor.getrgb(COLOURS[0]), ImageColor.getrgb(COLOURS[1])} <= colours


def test_one_epoch_draws_and_mismatched_series_are_refused():
    assert render_loss_chart({"loss": [1.0]}, title="one epoch").size[0] == WIDTH
    with pytest.raises(ValueError, match="same length"):
        render_loss_chart({"loss": [1.0, 2.0], "relations": [1.0]}, title="x")
    with pytest.raises(ValueError, match="at least one series"):
        render_loss_chart({}, title="x")
