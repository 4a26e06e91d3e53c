"""Every date layout rnnkit reads, in comma and semicolon files (the latter with BOM, CRLF and decimal commas)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pandas as pd
import pytest

from rnnkit.data.cleaning import CleaningOptions
from rnnkit.data.series import load_series
from rnnkit.errors import DataError

Stamp = Callable[[pd.Timestamp], str]


def _quarter(t: pd.Timestamp) -> str:
    return f"{t.year}Q{t.quarter}"


# header, expected layout label, start, pandas frequency, how one timestamp is written
LAYOUTS: list[tuple[str, str, str, str, Stamp]] = [
    ("date", "ISO 8601", "2020-01-01", "D", lambda t: t.strftime("%Y-%m-%d")),
    ("time", "ISO 8601", "2020-01-01", "h", lambda t: t.strftime("%Y-%m-%d %H:%M:%S")),
    ("time", "ISO 8601", "2020-01-01", "h", lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")),
    ("time", "ISO 8601", "2020-01-01", "h", lambda t: t.strftime("%Y-%m-%dT%H:%M:%S+00:00")),
    ("month", "ISO 8601", "2020-01-01", "MS", lambda t: t.strftime("%Y-%m")),
    ("Datum", "DD.MM.YYYY", "2020-01-20", "D", lambda t: t.strftime("%d.%m.%Y")),
    ("Date Time", "DD.MM.YYYY HH:MM:SS", "2020-01-20", "h", lambda t: t.strftime("%d.%m.%Y %H:%M:%S")),
    ("Zeit", "DD.MM.YYYY HH:MM", "2020-01-20", "h", lambda t: t.strftime("%d.%m.%Y %H:%M")),
    ("date", "D/M/YYYY", "2020-01-20", "D", lambda t: t.strftime("%d/%m/%Y")),
    ("date", "DD-MM-YYYY", "2020-01-20", "D", lambda t: t.strftime("%d-%m-%Y")),
    ("Date", "M/D/YYYY", "2020-01-20", "D", lambda t: f"{t.month}/{t.day}/{t.year}"),
    ("Date", "M/D/YYYY HH:MM", "2020-01-20", "h", lambda t: f"{t.month}/{t.day}/{t.year} {t:%H:%M}"),
    ("Date", "M/D/YY", "2020-01-20", "D", lambda t: f"{t.month}/{t.day}/{t:%y}"),
    ("date", "YYYY/MM/DD", "2020-01-01", "D", lambda t: t.strftime("%Y/%m/%d")),
    ("date", "YYYY/MM/DD", "2020-01-01", "D", lambda t: t.strftime("%Y.%m.%d")),
    ("date", "YYYYMMDD", "2020-01-01", "D", lambda t: t.strftime("%Y%m%d")),
    ("stamp", "YYYYMMDDTHHMMSS", "2020-01-01", "h", lambda t: t.strftime("%Y%m%dT%H%M%S")),
    ("month", "Mon YYYY", "2020-01-01", "MS", lambda t: t.strftime("%b %Y")),
    ("month", "Month YYYY", "2020-01-01", "MS", lambda t: t.strftime("%B %Y")),
    ("month", "YYYY-Mon", "2020-01-01", "MS", lambda t: t.strftime("%Y-%b")),
    ("month", "Mon-YYYY", "2020-01-01", "MS", lambda t: t.strftime("%b-%Y")),
    ("month", "Mon-YY", "2020-01-01", "MS", lambda t: t.strftime("%b-%y")),
    ("month", "MM/YYYY", "2020-01-01", "MS", lambda t: t.strftime("%m/%Y")),
    ("period", "quarters (2020Q1)", "2020-01-01", "QS", _quarter),
    ("period", "quarters (2020Q1)", "2020-01-01", "QS", lambda t: f"{t.year}-Q{t.quarter}"),
    ("period", "quarters (2020Q1)", "2020-01-01", "QS", lambda t: f"Q{t.quarter} {t.year}"),
    ("week", "ISO weeks (2020-W05)", "2020-01-27", "W-MON", lambda t: t.strftime("%G-W%V")),
    ("day", "ISO weeks (2020-W05)", "2020-01-27", "D", lambda t: t.strftime("%G-W%V-%u")),
    ("date", "DD Mon YYYY", "2020-01-01", "D", lambda t: t.strftime("%d %b %Y")),
    ("date", "DD-Mon-YYYY", "2020-01-01", "D", lambda t: t.strftime("%d-%b-%Y")),
    ("date", "Mon DD, YYYY", "2020-01-01", "D", lambda t: t.strftime("%b %d, %Y")),
    ("date", "Month DD, YYYY", "2020-01-01", "D", lambda t: t.strftime("%B %d, %Y")),
    ("Date", "Excel serial dates", "2020-01-01", "D", lambda t: str((t - pd.Timestamp("1899-12-30")).days)),
    ("year", "year numbers", "1985-01-01", "YS", lambda t: str(t.year)),
]


def _file(header: str, stamps: list[str], semicolon: bool) -> bytes:
    values = [f"{10 + i % 7}.{i % 10}5" for i in range(len(stamps))]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if semicolon else ",", lineterminator="\r\n" if semicolon else "\n")
    writer.writerow([header, "value"])
    for stamp, value in zip(stamps, values, strict=True):
        writer.writerow([stamp, value.replace(".", ",") if semicolon else value])
    text = buffer.getvalue()
    return ("\ufeff" + text).encode("utf-8") if semicolon else text.encode("utf-8")


@pytest.mark.parametrize("semicolon", [False, True], ids=["comma", "semicolon-bom-crlf-decimal-comma"])
@pytest.mark.parametrize(("header", "layout", "start", "freq", "write"), LAYOUTS,
                         ids=[f"{i:02d}-{case[1]}" for i, case in enumerate(LAYOUTS)])
def test_layout_is_read(header: str, layout: str, start: str, freq: str, write: Stamp, semicolon: bool) -> None:
    times = pd.date_range(start, periods=20, freq=freq)
    series = load_series(_file(header, [write(t) for t in times], semicolon))
    assert series.report.time_layout == layout
    assert series.report.time_column == header
    assert len(series) == 20
    assert series.frame.index[0] == times[0]
    assert series.frame.index[-1] == times[-1]
    assert series.frame["value"].iloc[0] == 10.05
    assert not any("day-first or month-first" in note for note in series.report.notes)
    guessed = "Read as semicolon-separated, with a decimal comma."
    assert (guessed in series.report.summary_lines()) == semicolon  # said only when it is not plain CSV


def test_there_are_at_least_25_layouts() -> None:
    assert len(LAYOUTS) >= 25


@pytest.mark.parametrize(("stamps", "first"), [
    (["13/01/2020", "14/01/2020", "15/01/2020"], "2020-01-13"),  # a day above 12 first: day first
    (["01/13/2020", "01/14/2020", "01/15/2020"], "2020-01-13"),  # a day above 12 second: month first
    (["05.01.2020", "06.01.2020", "30.01.2020"], "2020-01-05"),  # one value decides for the whole column
])
def test_day_month_order_is_decided_from_the_data(stamps: list[str], first: str) -> None:
    series = load_series(("date,value\n" + "\n".join(f"{s},{i}" for i, s in enumerate(stamps))).encode())
    assert series.frame.index[0] == pd.Timestamp(first)
    assert series.report.notes == ()


def test_ambiguous_day_month_order_is_reported_with_the_choice() -> None:
    # day first: Jan 1-12 and Feb 1-12, daily with a gap; month first: scattered over a year, not regular
    stamps = [f"{d:02d}/{m:02d}/2020" for m in (1, 2) for d in range(1, 13)]
    data = ("date,value\n" + "\n".join(f"{s},{i}" for i, s in enumerate(stamps))).encode()
    series = load_series(data, options=CleaningOptions(fill_gaps=False))
    assert series.report.time_layout == "D/M/YYYY"
    assert series.frame.index[1] == pd.Timestamp("2020-01-02")
    notes = [n for n in series.report.notes if "day-first or month-first" in n]
    assert len(notes) == 1 and "read day first (D/M/YYYY)" in notes[0]
    assert "set the date order to month first" in notes[0] and "--date-order month-first" in notes[0]
    assert notes[0] in series.report.summary_lines()
    # the user says which: read that way, and no guess to report
    month_first = load_series(data, options=CleaningOptions(fill_gaps=False, date_order="month-first"))
    assert month_first.report.time_layout == "M/D/YYYY" and month_first.frame.index[0] == pd.Timestamp("2020-01-01")
    assert pd.Timestamp("2020-02-01") in month_first.frame.index and month_first.report.notes == ()
    day_first = load_series(data, options=CleaningOptions(fill_gaps=False, date_order="day-first"))
    assert day_first.report.time_layout == "D/M/YYYY" and day_first.report.notes == ()


def test_a_date_order_the_values_contradict_is_refused_with_the_value() -> None:
    data = b"date,value\n13/01/2020,1\n14/01/2020,2\n15/01/2020,3\n"
    with pytest.raises(DataError) as error:
        load_series(data, options=CleaningOptions(date_order="month-first"))
    assert error.value.problem == "The dates in 'date' cannot be read month first: '13/01/2020' is not a date that way."
    assert "Set the date order to automatic" in error.value.fix
    with pytest.raises(DataError, match="Unknown date order 'ymd'"):
        CleaningOptions(date_order="ymd")  # type: ignore[arg-type]


def test_truly_ambiguous_order_falls_back_to_the_separators_convention() -> None:
    stamps = ["01/01/2020", "02/02/2020", "03/03/2020"]  # the same dates either way
    series = load_series(("date,value\n" + "\n".join(f"{s},{i}" for i, s in enumerate(stamps))).encode())
    assert series.report.time_layout == "M/D/YYYY"
    assert any("read month first" in n and "'/'" in n for n in series.report.notes)
