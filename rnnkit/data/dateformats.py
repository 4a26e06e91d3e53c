"""The date layouts rnnkit recognises in text, each a pattern to detect it and a way to parse it.

Each :class:`Layout` is tried on a sample of a column: its ``pattern`` must
match nearly every cell, then ``parse`` turns the whole column into
timestamps (``NaT`` where a cell fails). Day/month orders are not here: see
:mod:`rnnkit.data.dayfirst`, which decides them from the data.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

_TIME = r"([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?"
_ZONE = r"(Z|[+-]\d{2}(:?\d{2})?)?"


@dataclass(frozen=True)
class Layout:
    """One way of writing dates: a label for reports, a detecting pattern and a parser."""

    label: str
    pattern: re.Pattern[str]
    parse: Callable[[pd.Series], pd.Series]


def with_format(fmt: str) -> Callable[[pd.Series], pd.Series]:
    """A parser for one ``strptime`` format (month names match in any case)."""
    def parse(text: pd.Series) -> pd.Series:
        return pd.to_datetime(text, format=fmt, errors="coerce")
    return parse


def iso(text: pd.Series) -> pd.Series:
    """ISO 8601 with mixed UTC offsets folded to UTC; non-dates become NaT; time zones dropped."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            values = pd.to_datetime(text, format="ISO8601", errors="coerce")
            if values.dtype == object:  # several UTC offsets: pandas keeps them as objects
                raise ValueError("mixed offsets")
        except (ValueError, TypeError):
            values = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    return naive(values)


def naive(values: pd.Series) -> pd.Series:
    """Drop time zones (converting to UTC first) so all series share naive timestamps."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values


def _slashed_iso(text: pd.Series) -> pd.Series:
    """``2020/01/31`` and ``2020.01.31``: the ISO order with other separators."""
    return iso(text.str.replace(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})", r"\1-\2-\3", regex=True))


def _quarters(text: pd.Series) -> pd.Series:
    """``2020Q1``, ``2020-Q1``, ``2020 Q1``, ``Q1 2020``: the first day of the quarter."""
    parts = text.str.upper().str.extract(r"^(?:(\d{4})[ -]?Q([1-4])|Q([1-4])[ -]?(\d{4}))$")
    year = parts[0].fillna(parts[3])
    quarter = pd.to_numeric(parts[1].fillna(parts[2]), errors="coerce")
    month = (quarter - 1) * 3 + 1
    stamp = year + "-" + month.astype("Int64").astype(str).str.zfill(2) + "-01"
    return pd.to_datetime(stamp.where(year.notna() & quarter.notna()), format="%Y-%m-%d", errors="coerce")


def _iso_weeks(text: pd.Series) -> pd.Series:
    """``2020-W05`` (the Monday of that ISO week) and ``2020-W05-3`` (its Wednesday)."""
    parts = text.str.upper().str.extract(r"^(\d{4})-?W(\d{2})(?:-?([1-7]))?$")
    stamp = parts[0] + "-W" + parts[1] + "-" + parts[2].fillna("1")
    return pd.to_datetime(stamp, format="%G-W%V-%u", errors="coerce")


def _month_numbers(text: pd.Series) -> pd.Series:
    """``01/2020``, ``1-2020``, ``2020/01``, ``2020M01``: the first day of the month."""
    parts = text.str.upper().str.extract(r"^(?:(\d{1,2})[/.-](\d{4})|(\d{4})(?:[/.]|M)(\d{1,2}))$")
    year = parts[1].fillna(parts[2])
    month = parts[0].fillna(parts[3])
    return pd.to_datetime(year + "-" + month + "-01", format="%Y-%m-%d", errors="coerce")


def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_MONTH = r"[A-Za-z]{3,9}\.?"

#: Tried in order; the first whose pattern matches nearly all of a sample and whose parser agrees wins.
LAYOUTS: tuple[Layout, ...] = (
    Layout("ISO 8601", _compiled(r"\d{4}-\d{1,2}(-\d{1,2}" + _TIME + _ZONE + ")?"), iso),
    Layout("YYYY/MM/DD", _compiled(r"\d{4}[/.]\d{1,2}[/.]\d{1,2}" + _TIME), _slashed_iso),
    Layout("YYYYMMDD", _compiled(r"(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])"), with_format("%Y%m%d")),
    Layout("YYYYMMDDTHHMMSS", _compiled(r"\d{8}T\d{6}Z?"), iso),
    Layout("quarters (2020Q1)", _compiled(r"\d{4}[ -]?Q[1-4]|Q[1-4][ -]?\d{4}"), _quarters),
    Layout("ISO weeks (2020-W05)", _compiled(r"\d{4}-?W\d{2}(-?[1-7])?"), _iso_weeks),
    Layout("MM/YYYY", _compiled(r"\d{1,2}[/.-]\d{4}|\d{4}([/.]|M)\d{1,2}"), _month_numbers),
    Layout("Mon YYYY", _compiled(r"[A-Za-z]{3,9}\.? \d{4}"), with_format("%b %Y")),
    Layout("Month YYYY", _compiled(r"[A-Za-z]{3,9} \d{4}"), with_format("%B %Y")),
    Layout("YYYY-Mon", _compiled(r"\d{4}-[A-Za-z]{3}"), with_format("%Y-%b")),
    Layout("Mon-YYYY", _compiled(r"[A-Za-z]{3}-\d{4}"), with_format("%b-%Y")),
    Layout("Mon-YY", _compiled(r"[A-Za-z]{3}-\d{2}"), with_format("%b-%y")),
    Layout("DD Mon YYYY", _compiled(r"\d{1,2} [A-Za-z]{3} \d{4}"), with_format("%d %b %Y")),
    Layout("DD-Mon-YYYY", _compiled(r"\d{1,2}-[A-Za-z]{3}-\d{4}"), with_format("%d-%b-%Y")),
    Layout("DD-Mon-YY", _compiled(r"\d{1,2}-[A-Za-z]{3}-\d{2}"), with_format("%d-%b-%y")),
    Layout("Mon DD, YYYY", _compiled(r"[A-Za-z]{3} \d{1,2}, \d{4}"), with_format("%b %d, %Y")),
    Layout("Month DD, YYYY", _compiled(r"[A-Za-z]{3,9} \d{1,2}, \d{4}"), with_format("%B %d, %Y")),
    Layout("DD Month YYYY", _compiled(r"\d{1,2} [A-Za-z]{3,9} \d{4}"), with_format("%d %B %Y")),
)
