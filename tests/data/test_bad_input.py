"""Every way an upload can be wrong raises its own rnnkit error, naming the problem and the fix."""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pandas as pd
import pytest

from helpers import csv_bytes, synthetic_frame
from rnnkit.data.limits import ReadLimits
from rnnkit.data.series import load_series
from rnnkit.errors import (
    BinaryFileError,
    EmptyFileError,
    EmptyTargetError,
    FileTooLargeError,
    NoNumericColumnError,
    NonNumericTargetError,
    NoTimeColumnError,
    RnnkitError,
    SeriesTooShortError,
    UnknownColumnError,
)
from rnnkit.prepare import prepare
from rnnkit.windows.spec import WindowSpec


def _raises(error_type: type[RnnkitError], data: bytes, **kwargs: object) -> RnnkitError:
    with pytest.raises(error_type) as caught:
        load_series(io.BytesIO(data), **kwargs)
    error = caught.value
    assert error.problem and error.fix, "every error needs a problem and a fix"
    assert str(error) == f"{error.problem} {error.fix}"
    return error


def test_empty_file() -> None:
    error = _raises(EmptyFileError, b"")
    assert "empty" in error.problem


def test_whitespace_only_file() -> None:
    _raises(EmptyFileError, b"  \n\r\n \n")


def test_header_only() -> None:
    error = _raises(EmptyFileError, b"date,value\n")
    assert "header but no data rows" in error.problem


def test_no_parsable_time_column() -> None:
    error = _raises(NoTimeColumnError, b"name,value\nalpha,1\nbeta,2\ngamma,3\n")
    assert "2020-01-31" in error.fix


def test_chosen_time_column_is_not_time() -> None:
    data = csv_bytes(synthetic_frame(10))
    error = _raises(NoTimeColumnError, data, time_column="other")
    assert "'other'" in error.problem


def test_no_numeric_column() -> None:
    error = _raises(NoNumericColumnError, b"date,city\n2020-01-01,Paris\n2020-01-02,Rome\n")
    assert "'city'" in error.problem


def test_non_numeric_target() -> None:
    data = b"date,value,label\n2020-01-01,1,a\n2020-01-02,2,b\n2020-01-03,3,c\n"
    error = _raises(NonNumericTargetError, data, target="label")
    assert "'label'" in error.problem and "'value'" in error.fix


def test_unknown_target() -> None:
    error = _raises(UnknownColumnError, csv_bytes(synthetic_frame(10)), target="price")
    assert "'price'" in error.problem and "'value'" in error.fix


def test_all_missing_target() -> None:
    data = b"date,value,empty\n2020-01-01,1,\n2020-01-02,2,NA\n2020-01-03,3,\n"
    error = _raises(EmptyTargetError, data, target="empty")
    assert "'empty'" in error.problem


def test_binary_junk() -> None:
    junk = np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    error = _raises(BinaryFileError, junk)
    assert "CSV" in error.fix


def test_png_image_is_binary() -> None:
    _raises(BinaryFileError, b"\x89PNG\r\n\x1a\n" + os.urandom(512))


def test_ragged_text_is_not_a_table() -> None:
    _raises(BinaryFileError, b"date,value\n2020-01-01,1\n2020-01-02,2,3,4,5\n2020-01-03,3\n")


def test_corrupt_xlsx() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", b"not really a workbook")
    error = _raises(BinaryFileError, buffer.getvalue())
    assert "Excel" in error.problem


def test_file_over_the_byte_limit() -> None:
    limits = ReadLimits(max_megabytes=1)
    data = csv_bytes(synthetic_frame(40_000))
    assert len(data) > limits.max_bytes
    error = _raises(FileTooLargeError, data, limits=limits)
    assert "1 MB" in error.problem


def test_file_over_the_row_limit() -> None:
    error = _raises(FileTooLargeError, csv_bytes(synthetic_frame(500)), limits=ReadLimits(max_rows=100))
    assert "100" in error.problem


def test_very_wide_file() -> None:
    wide = pd.DataFrame(np.ones((3, 300)), columns=[f"c{i}" for i in range(300)])
    wide.insert(0, "date", ["2020-01-01", "2020-01-02", "2020-01-03"])
    error = _raises(FileTooLargeError, csv_bytes(wide))
    assert "301 columns" in error.problem


def test_too_few_rows_for_the_window() -> None:
    series = load_series(csv_bytes(synthetic_frame(20)), target="value")
    with pytest.raises(SeriesTooShortError) as caught:
        prepare(series, WindowSpec(lookback=30))
    assert "20 rows" in caught.value.problem
    assert "lookback 30 + delay 0 + horizon 1 = 31 rows" in caught.value.problem
    assert "Shorten the lookback" in caught.value.fix


def test_training_part_too_short_for_the_window() -> None:
    series = load_series(csv_bytes(synthetic_frame(100)), target="value")
    with pytest.raises(SeriesTooShortError) as caught:
        prepare(series, WindowSpec(lookback=75))
    assert caught.value.problem.startswith("The training part has 70 rows")


def test_zip_with_two_tables_names_them() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("train.csv", csv_bytes(synthetic_frame(30)))
        archive.writestr("test.csv", csv_bytes(synthetic_frame(10)))
    error = _raises(BinaryFileError, buffer.getvalue())
    assert "The zip holds 2 tables (train.csv, test.csv)" in error.problem


def test_zip_without_a_table() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.md", "nothing to forecast")
    assert "no CSV" in _raises(BinaryFileError, buffer.getvalue()).problem


def _with_text_cells(cells: dict[int, str], rows: int = 28) -> bytes:
    frame = synthetic_frame(rows)
    frame["value"] = frame["value"].round(3).astype(str)
    for row, text in cells.items():
        frame.loc[row, "value"] = text
    return csv_bytes(frame)


def test_text_cells_in_a_number_column_are_pointed_at() -> None:
    error = _raises(NonNumericTargetError, _with_text_cells({6: "abc", 9: "12 kWh"}), target="value")
    assert "data row 7 holds 'abc' (2 of 28 cells are not numbers)" in error.problem
    assert error.fix.startswith("Correct or delete those cells")


def test_one_stray_cell_in_a_short_file_becomes_missing() -> None:
    series = load_series(_with_text_cells({6: "abc"}), target="value")
    assert len(series) == 28 and series.report.unparsable_cells == {"value": 1}


def test_a_file_whose_only_number_column_has_text_cells_points_at_them() -> None:
    frame = synthetic_frame(28).drop(columns="other")
    frame["value"] = frame["value"].round(3).astype(str)
    frame.loc[6, "value"] = "abc"
    frame.loc[9, "value"] = "12 kWh"
    error = _raises(NoNumericColumnError, csv_bytes(frame))
    assert "'value' is mostly numbers, but data row 7 holds 'abc'" in error.problem
    assert error.fix.startswith("Correct or delete the cells that are not numbers")


def test_damaged_zip_is_reported_not_raised() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("series.csv", csv_bytes(synthetic_frame(200)))
    data = bytearray(buffer.getvalue())
    data[60:90] = b"\x00" * 30  # corrupt the compressed stream
    error = _raises(BinaryFileError, bytes(data))
    assert "damaged" in error.problem
