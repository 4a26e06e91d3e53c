"""Infer the sampling frequency of a time index and find the gaps in it."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.offsets import Tick

_DAY = pd.Timedelta(days=1)

_LABELS = {
    "MS": "monthly (month start)",
    "ME": "monthly (month end)",
    "QS": "quarterly",
    "QE": "quarterly (quarter end)",
    "YS": "yearly",
    "YE": "yearly",
    "B": "business days",
    "D": "daily",
    "h": "hourly",
    "min": "every minute",
    "s": "every second",
}


@dataclass(frozen=True)
class Gap:
    """A run of missing steps: ``after`` is the last timestamp before it, ``before`` the first after."""

    after: pd.Timestamp
    before: pd.Timestamp
    missing_steps: int


def infer_frequency(index: pd.DatetimeIndex) -> str | None:
    """Return a pandas frequency alias (``"MS"``, ``"10min"``, ``"B"``...) or ``None`` if irregular.

    ``pd.infer_freq`` needs a perfect grid; real data has gaps and holidays, so
    fall back to the most common step and calendar rules for months, quarters,
    years, weeks and business days.
    """
    if len(index) < 3:
        return None
    try:
        with warnings.catch_warnings():  # pandas 3 warns that infer_freq will return an offset
            warnings.simplefilter("ignore")
            exact = pd.infer_freq(index)
    except (TypeError, ValueError):
        exact = None
    if exact:
        return _normalise_alias(exact if isinstance(exact, str) else exact.freqstr)
    diffs = np.diff(index.asi8)  # in the index's own unit: converting to ns overflows outside 1677-2262
    steps = pd.Series(diffs).mode()
    if steps.empty or steps.iloc[0] <= 0:
        return None
    step = pd.Timedelta(int(steps.iloc[0]), unit=index.unit)
    on_grid = float(np.mean(diffs % int(steps.iloc[0]) == 0))  # steps that are the step or a gap of several
    dates_only = bool((index == index.normalize()).all())
    if dates_only and pd.Timedelta(days=28) <= step <= pd.Timedelta(days=31):
        if (index.day == 1).all():
            return "MS"
        if index.is_month_end.all():
            return "ME"
    if dates_only and pd.Timedelta(days=89) <= step <= pd.Timedelta(days=92) and (index.day == 1).all():
        return "QS"
    if dates_only and pd.Timedelta(days=365) <= step <= pd.Timedelta(days=366):
        return "YS" if ((index.month == 1) & (index.day == 1)).all() else "YE"
    span_steps = (int(index.asi8[-1]) - int(index.asi8[0])) / int(steps.iloc[0])  # Python ints: centuries fit
    coverage = len(index) / (span_steps + 1)  # share of the grid's slots that hold a row
    if on_grid < 0.5 or coverage < 0.5:  # no common step, or mostly empty slots: events, not a sampled series
        return None
    if dates_only and step == _DAY and (index.day_of_week < 5).all() and len(index) > 10:
        return "B"
    if dates_only and step == pd.Timedelta(days=7):
        weekday = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")[int(pd.Series(index.day_of_week).mode()[0])]
        return f"W-{weekday}"
    if step % _DAY == pd.Timedelta(0):
        days = step // _DAY
        return "D" if days == 1 else f"{days}D"
    return pd.tseries.frequencies.to_offset(step).freqstr


def _normalise_alias(alias: str) -> str:
    """Strip anchors that carry no information for us (``YS-JAN`` → ``YS``, ``QE-DEC`` → ``QE``)."""
    same = {"YS-JAN": "YS", "YE-DEC": "YE", "QS-JAN": "QS", "QS-APR": "QS", "QS-JUL": "QS", "QS-OCT": "QS",
            "QE-DEC": "QE", "QE-MAR": "QE", "QE-JUN": "QE", "QE-SEP": "QE"}  # the same dates as the bare alias
    return same.get(alias, alias)


def frequency_label(alias: str | None) -> str:
    """Human words for a frequency alias: ``"10min"`` → ``"every 10 minutes"``."""
    if alias is None:
        return "irregular"
    if alias in _LABELS:
        return _LABELS[alias]
    if alias.startswith("W-"):
        return f"weekly ({alias[2:].title()})"
    offset = pd.tseries.frequencies.to_offset(alias)
    units = {"min": "minutes", "h": "hours", "D": "days", "s": "seconds"}
    base = offset.rule_code
    if offset.n > 1 and base in units:
        return f"every {offset.n} {units[base]}"
    return _LABELS.get(base, alias)


def missing_timestamps(index: pd.DatetimeIndex, alias: str | None) -> pd.DatetimeIndex:
    """Grid points of ``alias`` between the first and last timestamp that the index lacks.

    Builds the whole grid: count the gaps with :func:`find_gaps` first, which never does.
    """
    if alias is None or len(index) < 2:
        return pd.DatetimeIndex([])
    return pd.date_range(index[0], index[-1], freq=alias, unit=index.unit).difference(index)


def find_gaps(index: pd.DatetimeIndex, alias: str | None) -> list[Gap]:
    """Runs of missing grid steps of ``alias``, each bounded by the observed timestamps around it.

    Fixed steps (minutes, hours, days) are counted by arithmetic, so that one row
    far away cannot make a grid of billions of points; calendar steps (months,
    weeks, business days) have small grids over any span pandas can hold.
    """
    if alias is None or len(index) < 2:
        return []
    offset = pd.tseries.frequencies.to_offset(alias)
    if isinstance(offset, Tick):
        return _tick_gaps(index, pd.Timedelta(offset))
    missing = missing_timestamps(index, alias)
    if len(missing) == 0:
        return []
    positions = index.searchsorted(missing)
    run_starts = np.flatnonzero(np.r_[True, np.diff(positions) != 0])
    run_ends = np.r_[run_starts[1:], len(missing)]
    return [
        Gap(index[positions[s] - 1], index[positions[s]], int(e - s))
        for s, e in zip(run_starts, run_ends, strict=True)
    ]


def _tick_gaps(index: pd.DatetimeIndex, step: pd.Timedelta) -> list[Gap]:
    """Grid points ``index[0] + k * step`` strictly between each pair of neighbouring timestamps."""
    size = int(step / pd.Timedelta(1, unit=index.unit))
    offsets = index.asi8 - index.asi8[0]
    below = offsets[:-1] // size  # the last grid point at or before each timestamp
    above = -(-offsets[1:] // size)  # the first grid point at or after the next one
    counts = above - below - 1
    return [Gap(index[i], index[i + 1], int(counts[i])) for i in np.flatnonzero(counts > 0)]
