"""Small synthetic series and file builders for the tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


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
