"""Raw bytes from a user's file object to a table of columns.

Handles the encodings, delimiters, number formats and spreadsheet formats that
real exports use, and turns every way a file can be unreadable into a typed
:mod:`rnnkit.errors` exception. Dates are left as text here; see
:mod:`rnnkit.data.timeparse`.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from rnnkit.data.limits import DEFAULT_LIMITS, ReadLimits
from rnnkit.errors import BinaryFileError, EmptyFileError, FileTooLargeError

DELIMITERS = (",", ";", "\t", "|")
MISSING_TOKENS = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "-", "--", ".", "#n/a", "?", "missing"}
)
_SNIFF_LINES = 200
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
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
    """Read a CSV/TSV (any common dialect), an Excel workbook or a zip holding one CSV."""
    data = read_bytes(source, limits)
    if not data.strip():
        raise EmptyFileError(
            "The file is empty.", "Choose a CSV file with a header row and at least one data row."
        )
    if data.startswith(_XLSX_MAGIC) and _is_workbook(data):
        return RawTable(_check_shape(_read_excel(data), None, limits), None, {})
    if data.startswith(_XLSX_MAGIC):
        data = _unzip_single_table(data, limits)
    elif data.startswith(_XLS_MAGIC):
        raise BinaryFileError(
            "This is an old Excel 97–2003 (.xls) workbook, which rnnkit does not read.",
            "Save it as .xlsx or CSV in your spreadsheet program and upload that.",
        )
    text, encoding = decode_text(data)
    return _read_text_table(text, encoding, limits)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode UTF-8 (with or without BOM), UTF-16 with BOM, or Latin-1; reject binary junk."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    head = data[:65536]
    if b"\x00" in head or _control_ratio(head) > 0.05:
        raise BinaryFileError(
            "The file is binary data, not a text table.",
            "Upload a CSV (comma, semicolon or tab separated) or an .xlsx workbook.",
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _control_ratio(chunk: bytes) -> float:
    """Share of bytes that are control characters other than tab, CR and LF."""
    if not chunk:
        return 0.0
    arr = np.frombuffer(chunk, dtype=np.uint8)
    control = (arr < 32) & (arr != 9) & (arr != 10) & (arr != 13)
    return float(control.mean())


def _table_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """CSV-like members of a zip, ignoring folders and macOS resource forks."""
    return [
        m for m in archive.infolist()
        if not m.is_dir()
        and not m.filename.startswith("__MACOSX/")
        and not m.filename.rsplit("/", 1)[-1].startswith("._")
        and m.filename.lower().endswith((".csv", ".txt", ".tsv"))
    ]


def _is_workbook(data: bytes) -> bool:
    """An .xlsx (a zip of ``[Content_Types].xml`` and ``xl/`` parts), or a zip too broken to tell."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(n == "[Content_Types].xml" or n.startswith("xl/") for n in archive.namelist())
    except zipfile.BadZipFile:
        return True  # the Excel reader then explains that it cannot be read


def _unzip_single_table(data: bytes, limits: ReadLimits) -> bytes:
    """The one CSV/TSV/TXT table inside a zip; an error naming what the zip holds otherwise."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        tables = _table_members(archive)
        if len(tables) > 1:
            names = [m.filename for m in tables]
            shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            raise BinaryFileError(f"The zip holds {len(names)} tables ({shown}); rnnkit reads one series at a time.",
                                  "Upload the one CSV you want to forecast, or a zip holding only that file.")
        if not tables:
            raise BinaryFileError("The zip holds no CSV, TSV or TXT table.",
                                  "Upload the CSV itself, or a zip holding exactly one CSV.")
        member = tables[0]
        if member.file_size > limits.max_bytes:
            raise FileTooLargeError(
                f"The CSV inside the zip is {member.file_size // 1_048_576} MB, over the "
                f"{limits.max_megabytes} MB limit.",
                "Upload a shorter extract, or resample or trim it before uploading.",
            )
        try:
            with archive.open(member) as handle:
                return handle.read(limits.max_bytes + 1)
        except RuntimeError as error:  # zipfile's way of saying "encrypted"
            raise BinaryFileError(f"The zip is password-protected, so {member.filename} cannot be read.",
                                  "Unzip it yourself and upload the CSV.") from error
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise BinaryFileError(f"The zip is damaged: {member.filename} cannot be unpacked ({error}).",
                                  "Download or export the file again, or upload the CSV itself.") from error


def _read_excel(data: bytes) -> pd.DataFrame:
    try:
        frame = pd.read_excel(io.BytesIO(data), sheet_name=0, engine="openpyxl")
    except Exception as error:  # openpyxl raises many unrelated types on corrupt input
        raise BinaryFileError(
            f"The file looks like an Excel workbook but cannot be read ({type(error).__name__}).",
            "Open it in your spreadsheet program, save it again as .xlsx or CSV, and upload that.",
        ) from error
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def sniff_delimiter(lines: list[str]) -> str:
    """Pick the delimiter that splits the sample into the most columns, consistently."""
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        widths = [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]
        if not widths:
            continue
        header_width = widths[0]
        consistent = sum(w == header_width for w in widths) / len(widths)
        score = (consistent if header_width > 1 else 0.0, header_width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def sniff_number_format(lines: list[str], delimiter: str) -> tuple[str, str]:
    """Return ``(decimal, thousands)``: decimal commas are only possible without comma delimiters."""
    if delimiter == ",":
        return ".", ","
    cells = [c.strip().strip('"') for row in csv.reader(lines[1:], delimiter=delimiter) for c in row]
    comma = sum(bool(_COMMA_DECIMAL.match(c)) for c in cells)
    dot = sum(bool(_DOT_DECIMAL.match(c)) for c in cells)
    return (",", ".") if comma > dot else (".", ",")


def _read_text_table(text: str, encoding: str, limits: ReadLimits) -> RawTable:
    lines = [line for line in text.splitlines()[: _SNIFF_LINES + 1] if line.strip()]
    if len(lines) < 2:
        raise EmptyFileError(
            "The file has a header but no data rows." if lines else "The file is empty.",
            "Choose a file with a header row followed by at least one row of values.",
        )
    delimiter = sniff_delimiter(lines)
    decimal, thousands = sniff_number_format(lines, delimiter)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            skip_blank_lines=True,
            nrows=limits.max_rows + 1,
            on_bad_lines="error",
        )
    except (pd.errors.ParserError, csv.Error, ValueError) as error:
        raise BinaryFileError(
            f"The file is not a consistent table: {str(error).splitlines()[0]}",
            "Check that every row has the same number of separators as the header "
            "(comma, semicolon or tab), then upload it again.",
        ) from error
    text_format = TextFormat(encoding, delimiter, decimal, thousands)
    frame = _check_shape(frame, text_format, limits)
    frame.columns = [str(c).strip() for c in frame.columns]
    converted, unparsable, text_cells = _convert_numbers(frame, decimal, thousands)
    return RawTable(converted, text_format, unparsable, text_cells)


def _check_shape(frame: pd.DataFrame, fmt: TextFormat | None, limits: ReadLimits) -> pd.DataFrame:
    if frame.shape[1] > limits.max_columns:
        raise FileTooLargeError(
            f"The file has {frame.shape[1]} columns, over the limit of {limits.max_columns}.",
            "Keep the time column, the target and the features you need, and upload that.",
        )
    if len(frame) > limits.max_rows:
        raise FileTooLargeError(
            f"The file has more than {limits.max_rows:,} rows.",
            "Upload a shorter period, or resample the series (for example to hourly) first.",
        )
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


def parse_numbers(
    column: pd.Series, decimal: str = ".", thousands: str = ","
) -> tuple[pd.Series, int, int]:
    """Parse text to float64.

    Returns the numbers, how many non-missing cells failed to parse, and how
    many cells were not missing-value tokens (``""``, ``NA``, ``null``...).
    """
    try:  # fast path: clean, plain numbers
        numbers = pd.to_numeric(column, errors="raise").astype("float64")
        return numbers, 0, len(column)
    except (ValueError, TypeError):
        pass
    text = column.astype(str).str.strip()
    missing = text.str.lower().isin(MISSING_TOKENS)
    numbers = pd.to_numeric(text.where(~missing), errors="coerce").astype("float64")
    failed = numbers.isna() & ~missing
    if failed.any():
        cleaned = text[failed].str.replace(thousands, "", regex=False).str.replace(" ", "", regex=False)
        if decimal != ".":
            cleaned = cleaned.str.replace(decimal, ".", regex=False)
        numbers.loc[failed] = pd.to_numeric(cleaned, errors="coerce")
    return numbers, int((numbers.isna() & ~missing).sum()), int((~missing).sum())


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
