"""Shared tiny series and one small comparison reused by the engine tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnnkit.compare import ComparisonResult, compare
from rnnkit.data.series import TimeSeries, load_series
from rnnkit.models.spec import ModelSpec
from rnnkit.splits import SplitSpec
from rnnkit.training import TrainingConfig
from rnnkit.windows.spec import WindowSpec

TINY_TRAINING = TrainingConfig(epochs=2, batch_size=16, seed=3)
TINY_SPECS = [ModelSpec("tiny_gru", cell="gru", units=(4,)), ModelSpec("tiny_rnn", cell="simple_rnn", units=(3,))]


def seasonal_csv(rows: int = 160) -> bytes:
    t = np.arange(rows)
    values = 50 + 0.05 * t + 5 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(0, 0.3, rows)
    dates = pd.date_range("2000-01-01", periods=rows, freq="MS")
    frame = pd.DataFrame({"month": dates.strftime("%Y-%m-%d"), "value": values.round(4),
                          "other": np.cos(t / 5).round(4)})
    return frame.to_csv(index=False).encode()


@pytest.fixture(scope="session")
def tiny_series() -> TimeSeries:
    return load_series(seasonal_csv(), name="tiny", target="value")


@pytest.fixture(scope="session")
def tiny_result(tiny_series: TimeSeries) -> ComparisonResult:
    return compare(tiny_series, WindowSpec(lookback=12), TINY_SPECS, SplitSpec(train=0.6, val=0.2), TINY_TRAINING)
