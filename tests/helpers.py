"""Small synthetic series and file builders for the tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnnkit.models.spec import ModelSpec
from rnnkit.training import TrainingConfig

TINY_TRAINING = TrainingConfig(epochs=2, batch_size=16, seed=3)
TINY_SPECS = [ModelSpec("tiny_gru", cell="gru", units=(4,)), ModelSpec("tiny_rnn", cell="simple_rnn", units=(3,))]


def synthetic_frame(rows: int = 120, freq: str = "D", seed: int = 0) -> pd.DataFrame:
    """A small seasonal series with a second feature and a text time column."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    return pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=rows, freq=freq).strftime("%Y-%m-%d %H:%M:%S"),
            "value": 10 + np.sin(2 * np.pi * t / 12) + 0.1 * rng.normal(size=rows),
            "other": rng.normal(size=rows),
        }
    )


def csv_bytes(frame: pd.DataFrame, sep: str = ",", encoding: str = "utf-8", line_end: str = "\n") -> bytes:
    """A frame as the bytes of a CSV file, the way an upload arrives."""
    return frame.to_csv(index=False, sep=sep, lineterminator=line_end).encode(encoding)


def seasonal_csv(rows: int = 160) -> bytes:
    t = np.arange(rows)
    values = 50 + 0.05 * t + 5 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(0, 0.3, rows)
    dates = pd.date_range("2000-01-01", periods=rows, freq="MS")
    frame = pd.DataFrame({"month": dates.strftime("%Y-%m-%d"), "value": values.round(4),
                          "other": np.cos(t / 5).round(4)})
    return frame.to_csv(index=False).encode()
