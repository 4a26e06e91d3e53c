"""Calendar features: cyclical encodings of the timestamp (month, weekday, hour) as extra inputs.

They are known for any future timestamp, so a recursive forecast can compute
them past the end of the data. Recurrent networks learn a season much faster
when its phase is given than when it must be inferred from a few past values.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from rnnkit.data.series import TimeSeries
from rnnkit.errors import DataError

#: kind → (period, function from a DatetimeIndex to the position in the cycle, 0-based)
CYCLES = {
    "month": (12, lambda index: index.month - 1),
    "weekday": (7, lambda index: index.day_of_week),
    "hour": (24, lambda index: index.hour + index.minute / 60),
    "yearday": (365.25, lambda index: index.day_of_year - 1),
}


def calendar_names(kinds: tuple[str, ...]) -> list[str]:
    """Column names of the encodings: ``month_sin``, ``month_cos``, ..."""
    return [f"{kind}_{part}" for kind in kinds for part in ("sin", "cos")]


def default_kinds(frequency: str | None) -> tuple[str, ...]:
    """The cycles worth encoding at a sampling frequency."""
    if frequency in {"MS", "ME", "QS", "QE"}:
        return ("month",)
    if frequency in {"D", "B"} or (frequency or "").startswith("W-"):
        return ("weekday", "yearday") if frequency != "B" else ("weekday", "month")
    if frequency is None or frequency in {"YS", "YE"}:
        return ()
    return ("hour", "yearday")


def added_calendar_columns(series: TimeSeries) -> list[str]:
    """The input columns :func:`with_calendar_features` would add to ``series`` (none it already has)."""
    return [c for c in calendar_names(default_kinds(series.report.frequency)) if c not in series.inputs]


def calendar_frame(index: pd.DatetimeIndex, kinds: tuple[str, ...]) -> pd.DataFrame:
    """The sine and cosine of each cycle's phase for every timestamp."""
    columns: dict[str, np.ndarray] = {}
    for kind in kinds:
        if kind not in CYCLES:
            raise DataError(f"Unknown calendar feature {kind!r}.", f"Use any of: {', '.join(CYCLES)}.")
        period, position = CYCLES[kind]
        angle = 2 * np.pi * np.asarray(position(index), dtype=np.float64) / period
        columns[f"{kind}_sin"], columns[f"{kind}_cos"] = np.sin(angle), np.cos(angle)
    return pd.DataFrame(columns, index=index)


def with_calendar_features(series: TimeSeries, kinds: tuple[str, ...] | None = None) -> TimeSeries:
    """``series`` with calendar encodings added as input features (the frequency's default cycles)."""
    kinds = default_kinds(series.report.frequency) if kinds is None else kinds
    if not kinds:
        return series
    extra = calendar_frame(series.frame.index, kinds)
    frame = series.frame.drop(columns=[c for c in extra.columns if c in series.frame.columns]).join(extra)
    features = tuple(f for f in series.features if f not in extra.columns) + tuple(extra.columns)
    return dataclasses.replace(series, frame=frame, features=features, extras={**series.extras, "calendar": kinds})
