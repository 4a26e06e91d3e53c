"""Fewer points for the browser, same picture: MinMaxLTTB downsampling of chart lines.

Display only. A chart of 420,551 points is sent to the browser whole and stalls it;
a few thousand points chosen by MinMaxLTTB (``tsdownsample``: the min and max of each
bucket first, then largest-triangle-three-buckets) draw the same shape with every
peak and trough kept. The numbers used for training and metrics are never thinned.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Most points one chart line sends to the browser.
DISPLAY_POINTS = 4_000

#: How many positions a visible-range picker offers along a long series.
RANGE_CHOICES = 400


def _numeric_x(x: Sequence | np.ndarray | pd.Index) -> np.ndarray | None:
    """``x`` as sorted int64 or float64 for the downsampler, or None when it cannot be (text, unsorted)."""
    values = pd.Index(x)
    if isinstance(values, pd.DatetimeIndex):
        numbers = values.asi8
    elif pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype="float64")
    else:
        return None
    return numbers if bool(np.all(np.diff(numbers) >= 0)) else None


def downsample_positions(x: Sequence | np.ndarray | pd.Index, y: Sequence | np.ndarray,
                         n_out: int = DISPLAY_POINTS) -> np.ndarray:
    """Positions of at most ``n_out`` points of ``y`` (against ``x``) that keep its shape and extremes.

    Args:
        x: the horizontal values (timestamps or numbers, ascending), same length as ``y``.
        y: the values; missing and infinite ones are left out.
        n_out: the most points to keep (at least 3).

    Returns:
        Ascending int64 positions into ``x`` and ``y``; all finite points when there are few enough.
    """
    if n_out < 3:
        raise ValueError(f"n_out must be at least 3 to keep a line's ends and extremes, got {n_out}.")
    values = np.asarray(y, dtype="float64")
    finite = np.flatnonzero(np.isfinite(values))
    if len(finite) <= n_out:
        return finite
    from tsdownsample import MinMaxLTTBDownsampler  # only long lines pay its import

    numbers = _numeric_x(x)
    if numbers is None:
        chosen = MinMaxLTTBDownsampler().downsample(np.ascontiguousarray(values[finite]), n_out=n_out)
    else:
        chosen = MinMaxLTTBDownsampler().downsample(np.ascontiguousarray(numbers[finite]),
                                                    np.ascontiguousarray(values[finite]), n_out=n_out)
    return finite[np.asarray(chosen, dtype="int64")]


def downsample_xy(x: Sequence | np.ndarray | pd.Index, y: Sequence | np.ndarray,
                  n_out: int = DISPLAY_POINTS) -> tuple[np.ndarray | pd.Index, np.ndarray]:
    """``x`` and ``y`` thinned to at most ``n_out`` points for drawing; short lines come back unchanged."""
    if len(x) <= n_out:
        return x, np.asarray(y)
    keep = downsample_positions(x, y, n_out)
    if isinstance(x, pd.Series):
        return x.iloc[keep], np.asarray(y)[keep]
    return (x if isinstance(x, (np.ndarray, pd.Index)) else pd.Index(x))[keep], np.asarray(y)[keep]


def visible(data: pd.Series | pd.DataFrame, window: tuple | None) -> pd.Series | pd.DataFrame:
    """The rows of ``data`` (indexed by time) inside ``window = (start, end)``, both ends included."""
    if window is None:
        return data
    start, end = window
    return data.loc[(data.index >= start) & (data.index <= end)]


def range_choices(index: pd.Index, n: int = RANGE_CHOICES) -> list:
    """At most ``n`` evenly spaced values of ``index``, first and last included, for a range picker."""
    if len(index) <= n:
        return list(index)
    return list(index[np.unique(np.linspace(0, len(index) - 1, n).round().astype("int64"))])


def needs_downsampling(length: int, n_out: int = DISPLAY_POINTS) -> bool:
    """True when a line of ``length`` points is thinned for display, so zooming should re-downsample."""
    return length > n_out
