"""Checks for daily price tables (Open/High/Low/Close): unadjusted stock splits."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Split ratios seen in practice; a ratio near one of these is taken as a split.
COMMON_SPLIT_RATIOS = (2.0, 3.0, 4.0, 5.0, 10.0, 20.0, 1.5)


def _column(frame: pd.DataFrame, name: str) -> str | None:
    for column in frame.columns:
        if str(column).strip().lower() == name:
            return column
    return None


def adjust_unsplit_close(frame: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """Rescale a ``Close`` column that was not split-adjusted in an early block of rows.

    The classic Google course file has ``Close`` about 2× ``Open``/``High``/``Low``
    until 2014-03-27 (GOOG's 2-for-1 split) and on one scale after. A leading block
    of rows whose Close lies far outside its own High/Low range at a near-constant
    ratio is divided by that ratio. Returns the frame and a note for the report.
    """
    close, high, low = (_column(frame, n) for n in ("close", "high", "low"))
    if close is None or high is None or low is None:
        return frame, None
    mid = (frame[high] + frame[low]) / 2
    ratio = (frame[close] / mid).to_numpy()
    outside = ((frame[close] > frame[high] * 1.05) | (frame[close] < frame[low] * 0.95)).to_numpy()
    if not outside[:1].all() or outside.sum() < 5:
        return frame, None
    block_end = int(np.argmin(outside)) if not outside.all() else len(outside)
    if outside[block_end:].any():  # not one leading block: not a split pattern
        return frame, None
    factor = float(np.nanmedian(ratio[:block_end]))
    nearest = min(COMMON_SPLIT_RATIOS, key=lambda r: abs(r - factor) if factor >= 1 else abs(1 / r - factor))
    nearest = nearest if factor >= 1 else 1 / nearest
    if abs(factor / nearest - 1) > 0.05:
        return frame, None
    adjusted = frame.copy()
    adjusted.iloc[:block_end, adjusted.columns.get_loc(close)] /= nearest
    first_adjusted = frame.index[block_end] if block_end < len(frame) else frame.index[-1]
    note = (
        f"{close} was not split-adjusted in the first {block_end} rows "
        f"(about {factor:.2f}× the High/Low range before {_date(first_adjusted)}); "
        f"those values were divided by {nearest:g} to match the later rows."
    )
    return adjusted, note


def _date(value: object) -> str:
    return value.strftime("%Y-%m-%d") if isinstance(value, pd.Timestamp) else str(value)
