"""Raw bytes from a user's file object to a table of columns.

Handles the encodings, delimiters, number formats and spreadsheet formats that
real exports use, and turns every way a file can be unreadable into a typed
:mod:`rnnkit.errors` exception. Dates are left as text here; see
:mod:`rnnkit.data.timeparse`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from rnnkit.data.archive import (
    ZIP_MAGIC,
    check_workbook_size,
    count_lines,
    is_workbook,
    open_zip,
    read_workbook,
    too_many_rows,
    unzip_single_table,
)
from rnnkit.data.limits import DEFAULT_LIMITS, MAX_ABS_VALUE, MEGABYTE, ReadLimits
from rnnkit.errors import (
    BinaryFileError,
    EmptyFileError,
    FileTooLargeError,
    ValuesTooLargeError,
)

DELIMITERS = (",", ";", "\t", "|")
MISSING_TOKENS = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "-", "--", ".", "#n/a", "?", "missing"}
)
_SNIFF_LINES = 200
_SNIFF_CHARS = 256 * 1024
_TEXT_SAMPLE = 1000
_NA_VALUES = sorted({v for t in MISSING_TOKENS for v in (t, t.upper(), t.title())})
_BOM_AS_LATIN1 = "\u00ef\u00bb\u00bf"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
_NUMBER = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
_INFINITY = ("inf", "infinity")
_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")
_DOT_DECIMAL = re.compile(r"^[+-]?\d+\.\d+$")


@dataclass(frozen=True)
class TextFormat:
    """What was detected about a text table: useful in reports and tests."""

    encoding: str
    delimiter: str
    decimal: str
    thousands: str


@dataclass(frozen=True)
class RawTable:
    """A table as read from a file: columns are numbers where they parse, text otherwise."""

    frame: pd.DataFrame
    text_format: TextFormat | None
    unparsable_cells: dict[str, int]
    #: text columns that are mostly numbers: column → where the first non-number is, for error messages
    text_cells: dict[str, str] = field(default_factory=dict)


def read_bytes(source: BinaryIO | bytes, limits: ReadLimits = DEFAULT_LIMITS) -> bytes:
    """Read at most ``limits.max_bytes`` from a binary file object, refusing larger files."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        if hasattr(source, "seek"):
            try:
                source.seek(0)
            except (OSError, ValueError):
                pass
        data = source.read(limits.max_bytes + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
    if len(data) > limits.max_bytes:
        raise FileTooLargeError(
            f"The file is larger than the {limits.max_megabytes} MB limit.",
            "Upload a shorter extract, or resample or trim it before uploading.",
        )
    return data


def read_table(
    source: BinaryIO | bytes, name: str | None = None, limits: ReadLimits = DEFAULT_LIMITS
) -> RawTable:
    """Read a CSV/TSV (any common dialect), an Excel workbook or a zip holding one CSV.

    Sizes are checked before anything is materialised: a zip's stated unpacked
    sizes, the header's column count and the number of lines.
    """
    data = read_bytes(source, limits)
    if not data[:4096].strip() and not data.strip():
        raise EmptyFileError(
            "The file is empty.", "Choose a CSV file with a header row and at least one data row."
        )
    if data.startswith(ZIP_MAGIC):
        with open_zip(data, name) as archive:
            if is_workbook(archive):
                check_workbook_size(archive, limits)
                frame = read_workbook(data, limits)
                return RawTable(_check_shape(frame, None, limits), None, {})
            data = unzip_single_table(archive, limits)
    elif data.startswith(_XLS_MAGIC):
        raise BinaryFileError(
            "This is an old Excel 97–2003 (.xls) workbook, which rnnkit does not read.",
            "Save it as .xlsx or CSV in your spreadsheet program and upload that.",
        )
    return _read_text_table(data, detect_encoding(data), limits)


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or Latin-1; reject binary junk.

    UTF-8 is checked in chunks, so that no decoded copy of the file is kept.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:65536]
    if b"\x00" in head or _control_ratio(head) > 0.05:
        raise BinaryFileError(
            "The file is binary data, not a text table.",
            "Upload a CSV (comma, semicolon or tab separated) or an .xlsx workbook.",
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), MEGABYTE):
            decoder.decode(data[start:start + MEGABYTE])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "latin-1"  # a UTF-8 BOM in front of Latin-1 text is dropped when the header is read
    return "utf-8-sig"


def _strip_bom(text: str) -> str:
    for bom in (_BOM_AS_LATIN1, "\ufeff"):
        if text.startswith(bom):
            return text[len(bom):]
    return text


def _control_ratio(chunk: bytes) -> float:
    """Share of bytes that are control characters other than tab, CR and LF."""
    if not chunk:
        return 0.0
    arr = np.frombuffer(chunk, dtype=np.uint8)
    control = (arr < 32) & (arr != 9) & (arr != 10) & (arr != 13)
    return float(control.mean())


def head_lines(data: bytes, encoding: str, count: int = _SNIFF_LINES + 1) -> list[str]:
    """The first ``count`` non-blank lines, decoded from as little of the file as it takes."""
    size = MEGABYTE
    while True:
        whole = size >= len(data)
        text = _strip_bom(data[:size].decode(encoding, errors="replace"))
        lines = text.splitlines() if whole else text.splitlines()[:-1]  # the last line may be cut
        filled = [line for line in lines if line.strip()][:count]
        if whole or len(filled) >= count or sum(map(len, filled)) > _SNIFF_CHARS:
            return _within(filled, _SNIFF_CHARS)
        size *= 8


def _within(lines: list[str], chars: int) -> list[str]:
    """The first lines up to about ``chars`` characters, but always the header and one data line."""
    total = 0
    kept: list[str] = []
    for line in lines:
        if len(kept) >= 2 and total + len(line) > chars:
            break
        kept.append(line)
        total += len(line)
    return kept


def sniff_delimiter(lines: list[str]) -> str:
    """Pick the delimiter that splits the sample into the most columns, consistently."""
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        widths = [len(row) for row in _split(lines, delimiter) if row]
        if not widths:
            continue
        header_width = widths[0]
        consistent = sum(w == header_width for w in widths) / len(widths)
        score = (consistent if header_width > 1 else 0.0, header_width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _split(lines: list[str], delimiter: str) -> list[list[str]]:
    """``csv.reader`` over the sample, turning its field-size error into a message."""
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error as error:
        raise BinaryFileError(
            f"A cell in the first lines of the file is longer than {csv.field_size_limit():,} characters "
            f"({error}); that is not a table of dates and numbers.",
            "Check that every quote is closed (an open quote swallows the lines after it), or remove "
            "the long text column, then upload the file again.",
        ) from error


def sniff_number_format(lines: list[str], delimiter: str) -> tuple[str, str]:
    """Return ``(decimal, thousands)``: decimal commas are only possible without comma delimiters."""
    if delimiter == ",":
        return ".", ","
    cells = [c.strip().strip('"') for row in _split(lines[1:], delimiter) for c in row]
    comma = sum(bool(_COMMA_DECIMAL.match(c)) for c in cells)
    dot = sum(bool(_DOT_DECIMAL.match(c)) for c in cells)
    return (",", ".") if comma > dot else (".", ",")


def _read_text_table(data: bytes, encoding: str, limits: ReadLimits) -> RawTable:
    lines = head_lines(data, encoding)
    if len(lines) < 2:
        raise EmptyFileError(
            "The file has a header but no data rows." if lines else "The file is empty.",
            "Choose a file with a header row followed by at least one row of values.",
        )
    delimiter = sniff_delimiter(lines)
    decimal, thousands = sniff_number_format(lines, delimiter)
    _check_width(len(_split(lines[:1], delimiter)[0]), limits)
    if data.count(b"\n") > limits.max_rows + 1 and count_lines(data) > limits.max_rows + 1:
        raise too_many_rows(limits)
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            encoding=encoding,
            sep=delimiter,
            decimal=decimal,  # thousands separators are removed later, only where the digits group by three
            keep_default_na=False,
            na_values=_NA_VALUES,
            skipinitialspace=True,
            skip_blank_lines=True,
            nrows=limits.max_rows + 1,
            on_bad_lines="error",
        )
    except (pd.errors.ParserError, csv.Error, ValueError, OverflowError) as error:
        raise BinaryFileError(
            f"The file is not a consistent table: {str(error).splitlines()[0]}",
            "Check that every row has the same number of separators as the header "
            "(comma, semicolon or tab), then upload it again.",
        ) from error
    text_format = TextFormat(encoding.removesuffix("-sig"), delimiter, decimal, thousands)
    frame = _check_shape(frame, text_format, limits)
    frame.columns = [_strip_bom(str(c)).strip() for c in frame.columns]
    converted, unparsable, text_cells = _convert_numbers(frame, decimal, thousands)
    return RawTable(converted, text_format, unparsable, text_cells)


def _check_width(columns: int, limits: ReadLimits) -> None:
    if columns > limits.max_columns:
        raise FileTooLargeError(
            f"The file has {columns} columns, over the limit of {limits.max_columns}.",
            "Keep the time column, the target and the features you need, and upload that.",
        )


def _check_shape(frame: pd.DataFrame, fmt: TextFormat | None, limits: ReadLimits) -> pd.DataFrame:
    _check_width(frame.shape[1], limits)
    if len(frame) > limits.max_rows:
        raise too_many_rows(limits)
    if len(frame) == 0:
        raise EmptyFileError(
            "The file has a header but no data rows.",
            "Choose a file with a header row followed by at least one row of values.",
        )
    if fmt is None:
        return frame.reset_index(drop=True)
    return frame


def _convert_numbers(
    frame: pd.DataFrame, decimal: str, thousands: str
) -> tuple[pd.DataFrame, dict[str, int], dict[str, str]]:
    """Turn each column that is mostly numbers into float64; leave the others as text.

    A column counts as numeric when at most 2% of its non-missing cells (and
    at least one, for short files) fail to parse; those cells become missing
    values and are reported. For text columns that are still mostly numbers,
    the first offending cell is described so that an error can point at it.
    """
    out: dict[str, pd.Series] = {}
    unparsable: dict[str, int] = {}
    text_cells: dict[str, str] = {}
    for name in frame.columns:
        column = frame[name]
        if _clearly_text(column, decimal, thousands):  # dates, labels: skip copying them to parse numbers
            out[name] = column
            continue
        numbers, bad, present = parse_numbers(column, decimal, thousands)
        if present == 0:  # every cell is a missing-value token: an empty numeric column
            out[name] = numbers
        elif bad <= max(1.0, 0.02 * present) and bad < present:
            out[name] = numbers
            if bad:
                unparsable[name] = bad
        else:
            out[name] = column
            if bad <= 0.5 * present:
                missing = column.astype(str).str.strip().str.lower().isin(MISSING_TOKENS)
                failed = numbers.isna() & column.notna() & ~missing
                position = int(np.flatnonzero(failed.to_numpy())[0])
                text_cells[str(name)] = (f"data row {position + 1} holds {str(column.iloc[position]).strip()!r} "
                                         f"({bad} of {present} cells are not numbers)")
    return pd.DataFrame(out, index=frame.index), unparsable, text_cells


def _clearly_text(column: pd.Series, decimal: str, thousands: str) -> bool:
    """Whether most of the first thousand cells of a text column are not numbers."""
    if len(column) <= _TEXT_SAMPLE or pd.api.types.is_numeric_dtype(column):
        return False
    _, bad, present = parse_numbers(column.iloc[:_TEXT_SAMPLE], decimal, thousands)
    return bad > 0.5 * present > 0


def parse_numbers(
    column: pd.Series, decimal: str = ".", thousands: str = ","
) -> tuple[pd.Series, int, int]:
    """Parse text to float64.

    Returns the numbers, how many non-missing cells failed to parse, and how
    many cells were not missing-value tokens (``""``, ``NA``, ``null``...).
    """
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        numbers = column.astype("float64")  # already parsed by the CSV reader
        return numbers, 0, int(numbers.notna().sum())
    try:  # fast path: clean, plain numbers
        numbers = pd.to_numeric(column, errors="raise").astype("float64")
        return numbers, 0, len(column)
    except (ValueError, TypeError, OverflowError):
        pass
    text = column.astype(str).str.strip()
    missing = text.str.lower().isin(MISSING_TOKENS)
    numbers = pd.to_numeric(text.where(~missing), errors="coerce").astype("float64")
    failed = numbers.isna() & ~missing
    if failed.any():
        cleaned = text[failed].str.replace(" ", "", regex=False)
        grouped = cleaned.str.fullmatch(rf"[+-]?\d{{1,3}}({re.escape(thousands)}\d{{3}})+({re.escape(decimal)}\d*)?")
        cleaned = cleaned.where(~grouped, cleaned.str.replace(thousands, "", regex=False))
        if decimal != ".":
            cleaned = cleaned.str.replace(decimal, ".", regex=False)
        numbers.loc[failed] = pd.to_numeric(cleaned, errors="coerce")
        _refuse_overflow(cleaned[numbers.loc[failed].isna()], column)
    return numbers, int((numbers.isna() & ~missing).sum()), int((~missing).sum())


def _refuse_overflow(cells: pd.Series, column: pd.Series) -> None:
    """Cells written as numbers that no 64-bit float can hold (310 digits, 1e400) are refused by name."""
    huge = cells[cells.str.fullmatch(_NUMBER) & ~cells.str.lower().str.lstrip("+-").isin(_INFINITY)]
    if huge.empty:
        return
    position = column.index.get_loc(huge.index[0])
    shown = huge.iloc[0] if len(huge.iloc[0]) <= 24 else f"{huge.iloc[0][:12]}… ({len(huge.iloc[0])} characters)"
    raise ValuesTooLargeError(
        f"Column {str(column.name)!r} holds numbers too large for rnnkit (data row {position + 1}: {shown}); "
        f"values must stay within ±{MAX_ABS_VALUE:g}, since forecast errors are squared to score them.",
        "Rescale the column (for example to thousands or millions, or a logarithm) and upload the file again.",
    )


def read_tables(paths: list[Path], limits: ReadLimits = DEFAULT_LIMITS) -> RawTable:
    """Read one or more CSVs of the same layout (train + test files) as one table."""
    tables = []
    for path in paths:
        with path.open("rb") as handle:
            tables.append(read_table(handle, name=path.name, limits=limits))
    frame = pd.concat([t.frame for t in tables], ignore_index=True)
    unparsable: dict[str, int] = {}
    for table in tables:
        for column, count in table.unparsable_cells.items():
            unparsable[column] = unparsable.get(column, 0) + count
    text_cells = {k: v for table in tables for k, v in table.text_cells.items()}
    return RawTable(frame, tables[0].text_format, unparsable, text_cells)
