"""Long lines reach the browser as a few thousand points, with every extreme kept; the data itself is untouched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnnkit.downsample import DISPLAY_POINTS, downsample_positions, downsample_xy, range_choices, visible
from rnnkit.figures import predictions_figure, series_overview

ROWS = 420_551  # Jena climate at 10 minutes


@pytest.fixture(scope="module")
def long_frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    values = np.sin(np.arange(ROWS) / 5_000) + rng.normal(0, 0.05, ROWS)
    values[123_457] = 9.0  # one spike up, one down: a naive every-n-th thinning would miss both
    values[300_001] = -7.0
    index = pd.date_range("2009-01-01", periods=ROWS, freq="10min")
    return pd.DataFrame({"T": values, "p": values[::-1].copy()}, index=index)


def test_a_long_series_is_drawn_with_a_few_thousand_points_and_its_extremes(long_frame: pd.DataFrame) -> None:
    figure = series_overview(long_frame, ["T", "p"], title="jena")
    assert len(figure.data) == 2
    for trace, column in zip(figure.data, ["T", "p"], strict=True):
        assert len(trace.x) == len(trace.y) <= DISPLAY_POINTS
        assert max(trace.y) == long_frame[column].max() and min(trace.y) == long_frame[column].min()
        assert trace.x[0] == long_frame.index[0] and trace.x[-1] == long_frame.index[-1]
    assert len(long_frame) == ROWS  # the data itself is never thinned


def test_a_narrower_range_is_downsampled_again_in_more_detail(long_frame: pd.DataFrame) -> None:
    window = (long_frame.index[120_000], long_frame.index[130_000])
    trace = series_overview(long_frame, ["T"], window=window).data[0]
    assert window[0] <= pd.Timestamp(trace.x[0]) and pd.Timestamp(trace.x[-1]) <= window[1]
    assert len(trace.x) <= DISPLAY_POINTS and max(trace.y) == 9.0
    whole = series_overview(long_frame, ["T"]).data[0]
    in_window = [x for x in whole.x if window[0] <= pd.Timestamp(x) <= window[1]]
    assert len(trace.x) > 10 * len(in_window)  # far more detail than the whole series' points there


def test_short_lines_are_drawn_whole() -> None:
    x = pd.date_range("2020-01-01", periods=500, freq="D")
    y = np.arange(500.0)
    xs, ys = downsample_xy(x, y)
    assert len(xs) == 500 and np.array_equal(ys, y)


def test_missing_values_are_left_out_and_positions_ascend() -> None:
    y = np.sin(np.arange(50_000) / 300)
    y[::7] = np.nan
    positions = downsample_positions(np.arange(50_000), y, 1_000)
    assert len(positions) <= 1_000 and np.all(np.diff(positions) > 0)
    assert np.isfinite(y[positions]).all()


def test_predictions_figure_thins_the_history(tiny_result, long_frame: pd.DataFrame) -> None:
    history = long_frame["T"].rename(tiny_result.target)
    figure = predictions_figure(tiny_result, history)
    assert all(len(trace.x) <= DISPLAY_POINTS for trace in figure.data)
    assert max(figure.data[0].y) == 9.0


def test_visible_and_range_choices(long_frame: pd.DataFrame) -> None:
    choices = range_choices(long_frame.index, 400)
    assert len(choices) == 400 and choices[0] == long_frame.index[0] and choices[-1] == long_frame.index[-1]
    part = visible(long_frame, (choices[1], choices[2]))
    assert part.index[0] == choices[1] and part.index[-1] == choices[2]


def test_predictions_figure_shows_only_the_chosen_range(tiny_result, long_frame: pd.DataFrame) -> None:
    history = long_frame["T"].rename(tiny_result.target)
    window = (history.index[1_000], history.index[9_000])
    figure = predictions_figure(tiny_result, history, window=window)
    actual = figure.data[0]
    assert window[0] <= pd.Timestamp(actual.x[0]) and pd.Timestamp(actual.x[-1]) <= window[1]
    assert [pd.Timestamp(x) for x in figure.layout.xaxis.range] == list(window)


def test_column_names_reach_plotly_as_text(long_frame: pd.DataFrame) -> None:
    frame = long_frame.iloc[:100].rename(columns={"T": '<a href="http://host">T</a>'})
    figure = series_overview(frame, list(frame.columns[:1]), title="<b>mine</b>.csv")
    assert figure.data[0].name == '&lt;a href="http://host"&gt;T&lt;/a&gt;'
    assert figure.layout.title.text == "&lt;b&gt;mine&lt;/b&gt;.csv"
