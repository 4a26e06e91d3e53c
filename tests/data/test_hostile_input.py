"""Hostile and odd files: refused early and by name, or read as they should be."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pandas as pd
import pytest

from rnnkit.data import archive, reading
from rnnkit.data.cleaning import CleaningOptions
from rnnkit.data.frequency import infer_frequency
from rnnkit.data.limits import ReadLimits
from rnnkit.data.series import load_series
from rnnkit.errors import (
    BinaryFileError,
    DataError,
    FileTooLargeError,
    HeavyFillingError,
    NoTimeColumnError,
    RnnkitError,
    SeriesTooShortError,
    ValuesTooLargeError,
)


def _raises(error_type: type[RnnkitError], data: bytes, **kwargs: object) -> RnnkitError:
    with pytest.raises(error_type) as caught:
        load_series(io.BytesIO(data), **kwargs)
    assert caught.value.problem and caught.value.fix
    return caught.value


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for name, payload in members.items():
            zipped.writestr(name, payload)
    return buffer.getvalue()


def _never(*args: object, **kwargs: object) -> None:
    raise AssertionError("the file was parsed before its size was checked")


def _rows(count: int, start: str = "2020-01-01", freq: str = "D") -> str:
    stamps = pd.date_range(start, periods=count, freq=freq).strftime("%Y-%m-%d %H:%M:%S")
    return "".join(f"{s},{i % 17}.5\n" for i, s in enumerate(stamps))


# --- sizes checked before anything is materialised -------------------------------------------------

def test_workbook_zip_bomb_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive.pd, "read_excel", _never)
    sheet = b"<row><c><v>1</v></c></row>" * 150_000  # 3.9 MB that deflates to a few kB
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": sheet})
    assert len(bomb) < 50_000
    error = _raises(FileTooLargeError, bomb, limits=ReadLimits(max_megabytes=1))
    assert "unpacks to 3 MB" in error.problem and "1 MB limit" in error.problem


def test_csv_zip_bomb_is_refused_before_unpacking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "_read_counted", _never)
    bomb = _zip({"rows.csv": b"date,value\n" + b"2020-01-01,1\n" * 300_000})
    error = _raises(FileTooLargeError, bomb, limits=ReadLimits(max_megabytes=1))
    assert "The CSV inside the zip is 3 MB" in error.problem


def test_zip_of_many_rows_is_refused_while_unpacking() -> None:
    data = _zip({"rows.csv": ("time,value\n" + "2020-01-01 00:00:00,1.0\n" * 1_000_000).encode()})
    tracemalloc.start()
    try:
        error = _raises(FileTooLargeError, data, limits=ReadLimits(max_rows=10_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "more than 10,000 rows" in error.problem
    assert peak < 8_000_000, f"{peak:,} bytes: the whole 24 MB member was unpacked"


def test_too_many_columns_are_refused_from_the_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading.pd, "read_csv", _never)
    header = "time," + ",".join(f"c{i}" for i in range(500))
    line = "2020-01-01," + ",".join(["1"] * 500)
    error = _raises(FileTooLargeError, f"{header}\n{line}\n{line}\n".encode())
    assert "501 columns" in error.problem


def test_too_many_rows_are_refused_by_counting_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading.pd, "read_csv", _never)
    error = _raises(FileTooLargeError, ("time,value\n" + _rows(500)).encode(), limits=ReadLimits(max_rows=100))
    assert "more than 100 rows" in error.problem


def test_blank_lines_do_not_count_as_rows() -> None:
    data = ("time,value\n" + _rows(50)).replace("\n", "\n\n\n").encode()
    assert len(load_series(data, limits=ReadLimits(max_rows=60))) == 50


# --- tracebacks that are now messages ---------------------------------------------------------------

@pytest.mark.parametrize("stamps", [
    ["1500-01-01", "1500-01-03", "1500-01-04", "1500-01-09"],
    ["2300-05-01", "2300-05-02", "2300-05-07", "2300-05-08"],
])
def test_dates_outside_what_timestamps_hold_are_named(stamps: list[str]) -> None:
    data = ("date,value\n" + "\n".join(f"{s},{i}" for i, s in enumerate(stamps))).encode()
    error = _raises(NoTimeColumnError, data)
    assert f"the year {stamps[0][:4]}" in error.problem and "1678–2261" in error.problem


def test_year_numbers_outside_the_range_are_named() -> None:
    error = _raises(NoTimeColumnError, b"year,value\n1500,1\n1502,2\n1503,3\n1507,4\n")
    assert "'year'" in error.problem and "1500" in error.problem


def test_frequency_of_an_irregular_index_outside_nanosecond_range() -> None:
    index = pd.DatetimeIndex(["1500-01-01", "1500-01-02", "1500-01-04", "1500-01-05"], dtype="datetime64[s]")
    assert infer_frequency(index) == "D"


def test_a_huge_cell_in_the_first_lines() -> None:
    data = ("date,value,note\n2020-01-01,1," + "x" * 140_000 + "\n2020-01-02,2,a\n2020-01-03,3,b\n").encode()
    error = _raises(BinaryFileError, data)
    assert "longer than 131,072 characters" in error.problem and "quote" in error.fix


@pytest.mark.parametrize("cell", ["1" * 310, "-" + "9" * 400, "1e400"])
def test_numbers_that_overflow_float64(cell: str) -> None:
    data = ("date,value\n" + "\n".join(f"2020-01-0{i + 1},{cell if i == 2 else i}" for i in range(5))).encode()
    error = _raises(ValuesTooLargeError, data)
    assert "Column 'value'" in error.problem and "data row 3" in error.problem
    assert "Rescale" in error.fix


def test_values_whose_squares_overflow() -> None:
    data = ("date,value,ok\n" + "\n".join(f"2020-01-0{i + 1},{'-' if i % 2 else ''}1.7e308,{i}" for i in range(5)))
    error = _raises(ValuesTooLargeError, data.encode())
    assert "'value'" in error.problem and "1.7e+308" in error.problem and "Rescale" in error.fix
    assert len(load_series(data.encode(), target="ok")) == 5  # a column that is not used may hold them


# --- wrong rejections and reports -------------------------------------------------------------------

def test_data_after_more_than_200_blank_lines_loads() -> None:
    series = load_series(("date,value\n" + "\n" * 250 + _rows(30)).encode())
    assert len(series) == 30


def test_a_far_away_row_is_a_gap() -> None:
    stamps = [*pd.date_range("2000-01-01", periods=12, freq="MS").strftime("%Y-%m-%d"), "2030-01-01"]
    data = ("date,value\n" + "\n".join(f"{s},{i}" for i, s in enumerate(stamps))).encode()
    series = load_series(data, options=CleaningOptions(fill_gaps=False))
    assert "1 gap with 348 missing steps (frequency: monthly (month start)); left as they are." \
        in series.report.summary_lines()
    error = _raises(HeavyFillingError, data)
    assert "348 of the 361 rows" in error.problem and "2030-01-01" in error.problem


def test_one_row_is_too_short() -> None:
    error = _raises(SeriesTooShortError, b"date,value\n2020-01-01,1\n")
    assert "too short" in error.problem and "1 row" in error.problem


def test_truncated_zip_is_a_damaged_zip() -> None:
    data = _zip({"series.csv": ("date,value\n" + _rows(300)).encode()})
    error = _raises(BinaryFileError, data[: len(data) // 2])
    assert "zip file is damaged or incomplete" in error.problem and "Excel" not in error.problem


def test_truncated_workbook_is_a_damaged_workbook() -> None:
    buffer = io.BytesIO()
    pd.DataFrame({"date": pd.date_range("2020-01-01", periods=50), "value": range(50)}).to_excel(buffer, index=False)
    error = _raises(BinaryFileError, buffer.getvalue()[:2000])
    assert "Excel workbook, but it is damaged or incomplete" in error.problem


def test_utf8_bom_then_latin1_text() -> None:
    data = b"\xef\xbb\xbftime;Temp\xe9rature\n2020-01-01;1\n2020-01-02;2\n2020-01-03;3\n"
    series = load_series(data)
    assert series.report.time_column == "time"
    assert series.target == "Température"


def _mixed_zones() -> bytes:
    hours = pd.date_range("2021-01-01", periods=100, freq="h")
    stamps = [h.strftime("%Y-%m-%dT%H:%M:%S") + ("+00:00" if i % 2 == 0 else "+00:30") for i, h in enumerate(hours)]
    return ("time,value\n" + "\n".join(f"{s},{i}" for i, s in enumerate(stamps))).encode()


def test_heavy_filling_is_refused_with_counts_and_the_way_to_accept_it() -> None:
    error = _raises(HeavyFillingError, _mixed_zones())
    assert "invent 98 of the 198 rows (49%)" in error.problem
    assert "mixed time zones" in error.fix and "max_filled_share=0.5" in error.fix
    series = load_series(_mixed_zones(), options=CleaningOptions(max_filled_share=0.5))
    assert len(series) == 198 and series.report.cleaning.values_filled == 98


def test_max_filled_share_is_validated() -> None:
    with pytest.raises(DataError, match="between 0 and 1"):
        CleaningOptions(max_filled_share=1.5)
