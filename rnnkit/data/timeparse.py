"""Find the time column of a table and parse its dates.

Text layouts are listed in :mod:`rnnkit.data.dateformats` (ISO 8601, month
names, quarters, ISO weeks, ``YYYYMMDD``...); dates written as two small
numbers and a year (``31.01.2020``, ``1/31/2020``) are read in the day/month
order the data allows (:mod:`rnnkit.data.dayfirst`). Numeric columns can hold
years (``1700.0``), ``YYYYMMDD`` integers, or Excel serial dates when the
column's name says it holds dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnkit.data.dateformats import LAYOUTS, naive
from rnnkit.data.dayfirst import DateOrder, parse_day_month
from rnnkit.errors import NoTimeColumnError, UnknownColumnError

NAME_HINTS = ("date", "time", "timestamp", "datetime", "period", "year", "month", "day", "ds", "week", "quarter")
MIN_PARSED_SHARE = 0.95
_SAMPLE = 500
_NAN_TEXT = ("nan", "NaN", "NAN")
#: Excel serial days (from 1899-12-30) between 1982 and 2064: only read as dates in a column named like one.
EXCEL_SERIALS = (30_000, 60_000)
#: Years a pandas timestamp can hold (nanoseconds since 1970 in 64 bits).
YEAR_RANGE = (1678, 2261)
_EXCEL_NAME = re.compile(r"date|(^|[^a-z])time")  # "Date", "time", "Order date"; not "Downtime"
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


@dataclass(frozen=True)
class ParsedTime:
    """The detected time column, its parsed values (NaT where a cell failed) and its layout."""

    column: str
    values: pd.Series
    layout: str
    #: a sentence for the report when the layout was a guess (an ambiguous day/month order)
    note: str | None = None

    @property
    def unparsable(self) -> int:
        return int(self.values.isna().sum())


def detect_time_column(frame: pd.DataFrame, preferred: str | None = None,
                       date_order: DateOrder = "auto") -> ParsedTime:
    """Return the first column that parses as time, trying ``preferred`` and date-like names first.

    ``date_order`` says how to read day/month dates such as 01/02/2020 (``"auto"``: from the data).
    """
    if preferred is not None:
        if preferred not in frame.columns:
            raise UnknownColumnError(
                f"There is no column named {preferred!r} to use as time.",
                f"Choose one of: {_column_list(frame)}.",
            )
        parsed = parse_time_values(frame[preferred], preferred, is_first=True, date_order=date_order)
        if parsed is None:
            raise NoTimeColumnError(
                f"Column {preferred!r} does not hold dates or times.",
                "Choose the column with dates (for example 2020-01-31, 1/31/2020 or "
                "31.01.2020 10:00:00), or leave the time column on automatic.",
            )
        return parsed
    for position, name in _candidate_order(frame):
        parsed = parse_time_values(frame[name], name, is_first=position == 0, date_order=date_order)
        if parsed is not None:
            return parsed
    raise NoTimeColumnError(
        "No column holds dates or times that rnnkit can parse.",
        "Add a time column in a standard layout (2020-01-31, 2020-01-31 10:00, "
        "1/31/2020, 31.01.2020, Mar 2020, 2020Q1, 2020-W05, or years such as 1985) and upload again.",
    )


def _candidate_order(frame: pd.DataFrame) -> list[tuple[int, str]]:
    columns = list(enumerate(frame.columns))
    hinted = [(i, c) for i, c in columns if any(h in str(c).lower() for h in NAME_HINTS)]
    text = [(i, c) for i, c in columns if (i, c) not in hinted and not _is_numeric(frame[c])]
    first = [columns[0]] if columns and columns[0] not in hinted + text else []
    return hinted + text + first


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column)


def parse_time_values(column: pd.Series, name: str, is_first: bool = False,
                      date_order: DateOrder = "auto") -> ParsedTime | None:
    """Parse one column as time, or return ``None`` if fewer than 95% of its cells parse."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return ParsedTime(name, _in_range(naive(pd.to_datetime(column)), name), "datetime")
    hinted = any(h in str(name).lower() for h in NAME_HINTS)
    if _is_numeric(column):
        return _parse_numbers(column, name, hinted or is_first)
    text = column.astype(str).str.strip()
    present = text[(text != "") & ~text.isin(_NAN_TEXT)]
    if present.empty:
        return None
    sample = present.iloc[:_SAMPLE]
    day_month = parse_day_month(text, sample, str(name), date_order)
    if day_month is not None:
        return ParsedTime(name, _checked(day_month.values, present, name), day_month.layout, day_month.note)
    for layout in LAYOUTS:
        if sample.str.fullmatch(layout.pattern.pattern, flags=re.IGNORECASE).mean() >= MIN_PARSED_SHARE:
            values = _checked(layout.parse(text), present, name)
            if values.notna().sum() >= MIN_PARSED_SHARE * len(present):
                return ParsedTime(name, values, layout.label)
    if sample.str.fullmatch(r"\d{3,4}(\.0+)?").mean() >= MIN_PARSED_SHARE:
        return _parse_years(pd.to_numeric(text, errors="coerce"), name)
    return None


def _parse_numbers(column: pd.Series, name: str, may_be_time: bool) -> ParsedTime | None:
    """Numbers as time: ``YYYYMMDD`` integers, Excel serial dates (named columns only) or years."""
    if not may_be_time:
        return None
    present = column.dropna()
    if present.empty:
        return None
    integral = bool(np.isclose(present, np.round(present)).all())
    if integral and present.between(1_900_01_01, 2_100_12_31).all():
        values = pd.to_datetime(column.round().astype("Int64").astype(str), format="%Y%m%d", errors="coerce")
        if values.notna().sum() >= MIN_PARSED_SHARE * len(present):
            return ParsedTime(name, values, "YYYYMMDD")
    low, high = EXCEL_SERIALS
    if _EXCEL_NAME.search(str(name).lower()) and present.between(low, high).all():
        values = pd.to_datetime(column, unit="D", origin="1899-12-30").dt.round("s")
        return ParsedTime(name, values, "Excel serial dates")
    return _parse_years(column, name)


def _checked(values: pd.Series, present: pd.Series, name: str) -> pd.Series:
    """Parsed values, after refusing a column whose unparsed dates fall outside the years pandas can hold."""
    if values.notna().sum() >= MIN_PARSED_SHARE * len(present):
        return values
    failed = present[values.loc[present.index].isna()].iloc[:_SAMPLE]
    years = pd.to_numeric(failed.str.extract(_YEAR, expand=False), errors="coerce").dropna()
    outside = years[(years < YEAR_RANGE[0]) | (years > YEAR_RANGE[1])]
    if len(outside) >= 0.5 * len(failed):
        _refuse_years(name, int(outside.iloc[0]))
    return values


def _in_range(values: pd.Series, name: str) -> pd.Series:
    """Timestamps in a unit other than nanoseconds may lie outside what the rest of rnnkit handles."""
    if len(values.dropna()):
        first, last = values.min(), values.max()
        for stamp in (first, last):
            if not YEAR_RANGE[0] <= stamp.year <= YEAR_RANGE[1]:
                _refuse_years(name, stamp.year)
    return values.astype("datetime64[ns]")


def _refuse_years(name: str, year: int) -> None:
    raise NoTimeColumnError(
        f"Column {name!r} holds dates in the year {year}, outside the years {YEAR_RANGE[0]}–{YEAR_RANGE[1]} "
        "that rnnkit's timestamps can hold.",
        "For yearly or historical data, number the periods instead (for example write 2000 + the "
        "period's index as the year) and keep the real dates in a text column; or trim the rows outside "
        "that range and upload the file again.",
    )


def _parse_years(numbers: pd.Series, name: str) -> ParsedTime | None:
    values = pd.to_numeric(numbers, errors="coerce")
    present = values.dropna()
    if present.empty:
        return None
    integral = np.isclose(present, np.round(present))
    in_range = (present >= 1) & (present <= 2999)
    if integral.mean() < MIN_PARSED_SHARE or not in_range.all() or not present.is_monotonic_increasing:
        return None
    outside = present[(present < YEAR_RANGE[0]) | (present > YEAR_RANGE[1])]
    if len(outside):
        if "year" not in str(name).lower():
            return None  # small counting numbers, not years
        _refuse_years(name, int(outside.iloc[0]))
    years = values.round().astype("Int64").astype(str).str.zfill(4)
    parsed = pd.to_datetime(years.where(values.notna()), format="%Y", errors="coerce")
    return ParsedTime(name, parsed, "year numbers")


def _column_list(frame: pd.DataFrame, limit: int = 12) -> str:
    names = [repr(str(c)) for c in frame.columns[:limit]]
    more = len(frame.columns) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")
