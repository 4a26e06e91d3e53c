"""Time column detection and the date layouts users actually have."""

from __future__ import annotations

import pandas as pd
import pytest

from rnnkit.data.series import load_series


@pytest.mark.parametrize(
    ("header", "stamps", "layout", "first"),
    [
        ("DATE", ["1985-01-01", "1985-02-01", "1985-03-01"], "ISO 8601", "1985-01-01"),
        ("observation_date", ["1985-01-01", "1985-02-01", "1985-03-01"], "ISO 8601", "1985-01-01"),
        ("Date", ["1/3/2012", "1/4/2012", "1/5/2012"], "M/D/YYYY", "2012-01-03"),
        ("Date Time", ["01.01.2009 00:10:00", "01.01.2009 00:20:00", "01.01.2009 00:30:00"],
         "DD.MM.YYYY HH:MM:SS", "2009-01-01 00:10:00"),
        ("when", ["13/01/2020", "14/01/2020", "15/01/2020"], "D/M/YYYY", "2020-01-13"),
        ("date", ["2020-01-01 00:10:00", "2020-01-01 00:20:00", "2020-01-01 00:30:00"],
         "ISO 8601", "2020-01-01 00:10:00"),
    ],
)
def test_date_layouts(header: str, stamps: list[str], layout: str, first: str) -> None:
    text = f"{header},value\n" + "\n".join(f"{s},{i}" for i, s in enumerate(stamps))
    series = load_series(text.encode())
    assert series.report.time_layout == layout
    assert series.report.time_column == header
    assert series.frame.index[0] == pd.Timestamp(first)


def test_years_written_as_numbers() -> None:
    text = "YEAR,SUNACTIVITY\n" + "\n".join(f"{y}.0,{(y * 7) % 100}.0" for y in range(1700, 1750))
    series = load_series(text.encode())
    assert series.report.time_layout == "year numbers"
    assert series.frame.index[0] == pd.Timestamp("1700-01-01")
    assert series.report.frequency in {"YS", "YS-JAN"}
    assert series.target == "SUNACTIVITY"


def test_time_column_need_not_be_first() -> None:
    text = "value,timestamp\n1.0,2021-03-01\n2.0,2021-03-02\n3.0,2021-03-03\n"
    series = load_series(text.encode())
    assert series.report.time_column == "timestamp"
    assert series.target == "value"


def test_mixed_utc_offsets_become_naive_utc() -> None:
    text = "time,v\n2021-03-28T00:00:00+01:00,1\n2021-03-28T01:00:00+01:00,2\n2021-03-28T03:00:00+02:00,3\n"
    series = load_series(text.encode())
    assert series.frame.index.tz is None
    assert series.frame.index[-1] == pd.Timestamp("2021-03-28 01:00:00")
