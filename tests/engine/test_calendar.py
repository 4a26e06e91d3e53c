"""Calendar features: exact encodings, sensible defaults, and recursive forecasts that use them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnnkit.compare import compare
from rnnkit.data.calendar import calendar_frame, default_kinds, with_calendar_features
from rnnkit.errors import DataError
from rnnkit.models.spec import ModelSpec
from rnnkit.splits import SplitSpec
from rnnkit.windows.spec import WindowSpec

from helpers import TINY_TRAINING


def test_encodings_are_exact() -> None:
    index = pd.DatetimeIndex(["2020-01-01", "2020-04-01", "2020-07-01 06:00"])
    frame = calendar_frame(index, ("month", "hour"))
    np.testing.assert_allclose(frame["month_sin"], np.sin(2 * np.pi * np.array([0, 3, 6]) / 12), atol=1e-12)
    np.testing.assert_allclose(frame["hour_cos"], [1.0, 1.0, 0.0], atol=1e-12)
    with pytest.raises(DataError, match="Unknown calendar feature 'season'"):
        calendar_frame(index, ("season",))


def test_default_cycles_follow_the_frequency() -> None:
    assert default_kinds("MS") == ("month",)
    assert default_kinds("10min") == ("hour", "yearday")
    assert default_kinds("B") == ("weekday", "month")
    assert default_kinds(None) == ()


def test_recursive_forecast_computes_future_calendar_inputs(tiny_series) -> None:
    series = with_calendar_features(tiny_series)
    assert series.inputs == ["value", "month_sin", "month_cos"]
    result = compare(series, WindowSpec(lookback=12), [ModelSpec("cal", cell="gru", units=(4,))],
                     SplitSpec(train=0.6, val=0.2), TINY_TRAINING)
    forecast = result.model("cal").forecast
    assert len(forecast) == 12 and forecast["forecast"].notna().all()
    assert forecast["forecast"].nunique() > 1
