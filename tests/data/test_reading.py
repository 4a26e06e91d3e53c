"""Reading real-world CSV dialects: delimiters, number formats, encodings, line endings, Excel, zip."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from helpers import csv_bytes, synthetic_frame
from rnnkit.data.reading import read_table
from rnnkit.data.series import load_series


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_delimiter_is_detected(sep: str) -> None:
    frame = synthetic_frame(30)
    table = read_table(csv_bytes(frame, sep=sep))
    assert table.text_format.delimiter == sep
    assert list(table.frame.columns) == ["date", "value", "other"]
    np.testing.assert_allclose(table.frame["value"], frame["value"], rtol=1e-12)


def test_decimal_comma_with_semicolons() -> None:
    text = ("Datum;Wert;Menge\n01.01.2020 00:00:00;1,5;1.234,5\n02.01.2020 00:00:00;2,25;2.000,0\n"
            "03.01.2020 00:00:00;-3,0;12,0\n")
    table = read_table(text.encode())
    assert (table.text_format.decimal, table.text_format.thousands) == (",", ".")
    assert table.frame["Wert"].tolist() == [1.5, 2.25, -3.0]
    assert table.frame["Menge"].tolist() == [1234.5, 2000.0, 12.0]


def test_quoted_thousands_separators() -> None:
    text = 'Date,Close,Volume\r\n1/3/2012,"1,128.87","7,380,500"\r\n1/4/2012,663.59,"5,749,400"'
    table = read_table(text.encode())
    assert table.frame["Close"].tolist() == [1128.87, 663.59]
    assert table.frame["Volume"].tolist() == [7380500.0, 5749400.0]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "utf-16"])
def test_encodings(encoding: str) -> None:
    frame = synthetic_frame(20).rename(columns={"other": "Température (°C)"})
    table = read_table(csv_bytes(frame, encoding=encoding))
    assert "Température (°C)" in table.frame.columns
    assert table.frame.columns[0] == "date"  # a BOM must not stick to the first header


def test_crlf_line_endings_and_no_final_newline() -> None:
    data = csv_bytes(synthetic_frame(25), line_end="\r\n").rstrip(b"\r\n")
    table = read_table(data)
    assert len(table.frame) == 25
    assert not any("\r" in str(c) for c in table.frame.columns)


def test_excel_workbook_reads_like_csv() -> None:
    frame = synthetic_frame(40)
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    series = load_series(io.BytesIO(buffer.getvalue()), target="value")
    assert len(series) == 40
    np.testing.assert_allclose(series.frame["value"].to_numpy(), frame["value"].to_numpy())


def test_zip_holding_one_csv() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("__MACOSX/._data.csv", b"\x00\x05junk")
        archive.writestr("data.csv", csv_bytes(synthetic_frame(33)))
    assert len(read_table(buffer.getvalue()).frame) == 33


def test_missing_tokens_and_a_few_bad_cells() -> None:
    rows = ["date,value"] + [f"2020-01-{d:02d},{d}.5" for d in range(1, 29)]
    rows[3] = "2020-01-03,NA"
    rows[5] = "2020-01-05,n/a"
    table = read_table("\n".join(rows).encode())
    assert pd.api.types.is_float_dtype(table.frame["value"])
    assert table.frame["value"].isna().sum() == 2
    assert table.unparsable_cells == {}


def test_reads_from_a_file_object_at_any_position() -> None:
    handle = io.BytesIO(csv_bytes(synthetic_frame(10)))
    handle.read(5)
    assert len(read_table(handle).frame) == 10
