"""Find the time column of a table and parse its dates.

Recognised layouts: ISO 8601 (``2020-01-01 00:10:00``, ``1985-01``), US
``M/D/YYYY`` (optionally with a time), European ``DD.MM.YYYY HH:MM:SS`` (the
Jena file), day-first ``DD/MM/YYYY`` when the values rule out US order, and
years written as numbers (``1700.0``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnkit.errors import NoTimeColumnError, UnknownColumnError

NAME_HINTS = ("date", "time", "timestamp", "datetime", "period", "year", "month", "day", "ds")
MIN_PARSED_SHARE = 0.95
_SAMPLE = 500

#: Explicit formats tried in order before ISO 8601; label, strptime format.
EXPLICIT_FORMATS: tuple[tuple[str, str], ...] = (
    ("DD.MM.YYYY HH:MM:SS", "%d.%m.%Y %H:%M:%S"),
    ("DD.MM.YYYY HH:MM", "%d.%m.%Y %H:%M"),
    ("DD.MM.YYYY", "%d.%m.%Y"),
    ("M/D/YYYY", "%m/%d/%Y"),
    ("M/D/YYYY HH:MM", "%m/%d/%Y %H:%M"),
    ("M/D/YYYY HH:MM:SS", "%m/%d/%Y %H:%M:%S"),
    ("D/M/YYYY", "%d/%m/%Y"),
    ("D/M/YYYY HH:MM", "%d/%m/%Y %H:%M"),
    ("D/M/YYYY HH:MM:SS", "%d/%m/%Y %H:%M:%S"),
    ("M/D/YY", "%m/%d/%y"),
    ("DD-MM-YYYY", "%d-%m-%Y"),
    ("MM-DD-YYYY", "%m-%d-%Y"),
)


@dataclass(frozen=True)
class ParsedTime:
    """The detected time column, its parsed values (NaT where a cell failed) and its layout."""

    column: str
    values: pd.Series
    layout: str

    @property
    def unparsable(self) -> int:
        return int(self.values.isna().sum())


def detect_time_column(frame: pd.DataFrame, preferred: str | None = None) -> ParsedTime:
    """Return the first column that parses as time, trying ``preferred`` and date-like names first."""
    if preferred is not None:
        if preferred not in frame.columns:
            raise UnknownColumnError(
                f"There is no column named {preferred!r} to use as time.",
                f"Choose one of: {_column_list(frame)}.",
            )
        parsed = parse_time_values(frame[preferred], preferred, is_first=True)
        if parsed is None:
            raise NoTimeColumnError(
                f"Column {preferred!r} does not hold dates or times.",
                "Choose the column with dates (for example 2020-01-31, 1/31/2020 or "
                "31.01.2020 10:00:00), or leave the time column on automatic.",
            )
        return parsed
    for position, name in _candidate_order(frame):
        parsed = parse_time_values(frame[name], name, is_first=position == 0)
        if parsed is not None:
            return parsed
    raise NoTimeColumnError(
        "No column holds dates or times that rnnkit can parse.",
        "Add a time column in a standard layout (2020-01-31, 2020-01-31 10:00, "
        "1/31/2020, 31.01.2020 10:00:00, or years such as 1985) and upload again.",
    )


def _candidate_order(frame: pd.DataFrame) -> list[tuple[int, str]]:
    columns = list(enumerate(frame.columns))
    hinted = [(i, c) for i, c in columns if any(h in str(c).lower() for h in NAME_HINTS)]
    text = [(i, c) for i, c in columns if (i, c) not in hinted and not _is_numeric(frame[c])]
    first = [columns[0]] if columns and columns[0] not in hinted + text else []
    return hinted + text + first


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column)


def parse_time_values(column: pd.Series, name: str, is_first: bool = False) -> ParsedTime | None:
    """Parse one column as time, or return ``None`` if fewer than 95% of its cells parse."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return ParsedTime(name, _naive(pd.to_datetime(column)), "datetime")
    if _is_numeric(column):
        if "year" in str(name).lower() or is_first:
            return _parse_years(column, name)
        return None
    text = column.astype(str).str.strip()
    present = text[(text != "") & (text.str.lower() != "nan")]
    if present.empty:
        return None
    sample = present.iloc[:_SAMPLE]
    for layout, fmt in EXPLICIT_FORMATS:
        if _share_parsed(sample, fmt) >= MIN_PARSED_SHARE:
            values = pd.to_datetime(text, format=fmt, errors="coerce")
            if values.notna().sum() >= MIN_PARSED_SHARE * len(present):
                return ParsedTime(name, values, layout)
    if sample.str.fullmatch(r"\d{3,4}(\.0+)?").mean() >= MIN_PARSED_SHARE:
        return _parse_years(pd.to_numeric(text, errors="coerce"), name)
    if _share_parsed(sample, "ISO8601") >= MIN_PARSED_SHARE:
        values = _naive(_to_datetime_iso(text))
        if values.notna().sum() >= MIN_PARSED_SHARE * len(present):
            return ParsedTime(name, values, "ISO 8601")
    return None


def _share_parsed(sample: pd.Series, fmt: str) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = _to_datetime_iso(sample) if fmt == "ISO8601" else pd.to_datetime(
                sample, format=fmt, errors="coerce"
            )
        except (ValueError, TypeError, OverflowError):
            return 0.0
    return float(parsed.notna().mean())


def _to_datetime_iso(text: pd.Series) -> pd.Series:
    """ISO 8601 with mixed UTC offsets folded to UTC; non-dates become NaT."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.to_datetime(text, format="ISO8601", errors="coerce")
        except (ValueError, TypeError):
            return pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)


def _naive(values: pd.Series) -> pd.Series:
    """Drop time zones (converting to UTC first) so all series share naive timestamps."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values


def _parse_years(numbers: pd.Series, name: str) -> ParsedTime | None:
    values = pd.to_numeric(numbers, errors="coerce")
    present = values.dropna()
    if present.empty:
        return None
    integral = np.isclose(present, np.round(present))
    in_range = (present >= 1) & (present <= 2999)
    if integral.mean() < MIN_PARSED_SHARE or not in_range.all() or not present.is_monotonic_increasing:
        return None
    years = values.round().astype("Int64").astype(str).str.zfill(4)
    parsed = pd.to_datetime(years.where(values.notna()), format="%Y", errors="coerce")
    return ParsedTime(name, parsed, "year numbers")


def _column_list(frame: pd.DataFrame, limit: int = 12) -> str:
    names = [repr(str(c)) for c in frame.columns[:limit]]
    more = len(frame.columns) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")
