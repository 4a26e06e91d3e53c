"""Dates written as two small numbers and a year (``01/02/2020``): decide day or month first from the data.

A value above 12 in one position settles the order. When no value does, the
order that gives a regular series wins; when both do, the separator's usual
convention is used (``/`` month first as in the US, ``.`` and ``-`` day first)
and the choice is reported as ambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from rnnkit.data.frequency import infer_frequency
from rnnkit.errors import DataError

#: How to read dates such as 01/02/2020: decided from the data, or as the user says.
DateOrder = Literal["auto", "day-first", "month-first"]
DATE_ORDERS: tuple[str, ...] = ("auto", "day-first", "month-first")

#: ``D/M/YYYY``-like dates: day or month, separator, the other, the same separator, year, optional time.
PATTERN = re.compile(r"\d{1,2}([./-])\d{1,2}\1(\d{4}|\d{2})([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?")
_TIMES = (("", ""), (" HH:MM", " %H:%M"), (" HH:MM:SS", " %H:%M:%S"), (" HH:MM:SS.f", " %H:%M:%S.%f"),
          ("THH:MM:SS", "T%H:%M:%S"))
_SHARE = 0.95
_NAN_TEXT = ("nan", "NaN", "NAN")


@dataclass(frozen=True)
class DayMonthResult:
    """The parsed values, the layout label and, when the order was a guess, a sentence saying so."""

    values: pd.Series
    layout: str
    note: str | None = None


def parse_day_month(text: pd.Series, sample: pd.Series, column: str,
                    order: DateOrder = "auto") -> DayMonthResult | None:
    """Parse ``text`` in the day/month order its values allow, or in ``order``; ``None`` if it is not such a column.

    An ``order`` the values contradict (a month 13) raises :class:`DataError` naming a value that breaks it.
    """
    matches = sample.str.fullmatch(PATTERN.pattern)
    if matches.mean() < _SHARE:
        return None
    match = PATTERN.fullmatch(sample[matches].iloc[0])
    assert match is not None
    separator, year = match.group(1), "%Y" if len(match.group(2)) == 4 else "%y"
    time_label, time_format = _time_part(sample, separator, year)
    orders = {
        "day": (f"%d{separator}%m{separator}{year}{time_format}", _label("D", "M", separator, year, time_label)),
        "month": (f"%m{separator}%d{separator}{year}{time_format}", _label("M", "D", separator, year, time_label)),
    }
    parsed = {order: pd.to_datetime(text, format=fmt, errors="coerce") for order, (fmt, _) in orders.items()}
    present = int(((text != "") & ~text.isin(_NAN_TEXT)).sum())
    counts = {order: int(values.notna().sum()) for order, values in parsed.items()}
    if max(counts.values()) < _SHARE * present:
        return None
    if order != "auto":
        chosen = order.split("-")[0]
        if counts[chosen] < counts["month" if chosen == "day" else "day"] or counts[chosen] < _SHARE * present:
            bad = text[parsed[chosen].isna() & (text != "") & ~text.isin(_NAN_TEXT)].iloc[0]
            raise DataError(f"The dates in {column!r} cannot be read {chosen} first: {bad!r} is not a date that way.",
                            "Set the date order to automatic (or the other order): rnnkit then reads them in the "
                            "order their values allow.")
        return DayMonthResult(parsed[chosen], orders[chosen][1])
    default = "month" if separator == "/" else "day"
    if counts["day"] != counts["month"]:  # a value above 12 settles it
        chosen = max(counts, key=lambda order: counts[order])
        return DayMonthResult(parsed[chosen], orders[chosen][1])
    regular = {order: infer_frequency(pd.DatetimeIndex(v.dropna()).sort_values().unique()) is not None
               for order, v in parsed.items()}
    chosen = default
    reason = f"the usual order for dates with {separator!r}"
    if regular["day"] != regular["month"]:
        chosen = "day" if regular["day"] else "month"
        reason = "the order that makes the timestamps regular"
    other = "month" if chosen == "day" else "day"
    example = text[text != ""].iloc[0]
    note = (f"The dates in {column!r} (such as {example!r}) could be day-first or month-first: no value above 12 "
            f"decides it. They were read {chosen} first ({orders[chosen][1]}), {reason}. If they are {other} "
            f"first, set the date order to {other} first (Data page: Cleaning, Date order; command line: "
            f"--date-order {other}-first).")
    return DayMonthResult(parsed[chosen], orders[chosen][1], note)


def _time_part(sample: pd.Series, separator: str, year: str) -> tuple[str, str]:
    """The time-of-day layout after the date that most of the sample uses."""
    for label, time_format in _TIMES:
        for date in (f"%d{separator}%m{separator}{year}", f"%m{separator}%d{separator}{year}"):
            parsed = pd.to_datetime(sample, format=date + time_format, errors="coerce")
            if parsed.notna().mean() >= _SHARE:
                return label, time_format
    return "", ""


def _label(first: str, second: str, separator: str, year: str, time_label: str) -> str:
    width = 2 if separator in ".-" else 1
    year_label = "YYYY" if year == "%Y" else "YY"
    return f"{first * width}{separator}{second * width}{separator}{year_label}{time_label}"
