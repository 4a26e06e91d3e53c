"""Zip containers: an .xlsx workbook or a zip holding one CSV, checked before anything is unpacked.

A zip states each member's unpacked size in its directory, and Python's zip
reader never returns more bytes than stated, so those sizes are checked
against :class:`ReadLimits` before parsing: a small file that would unpack to
gigabytes (a zip bomb) is refused at once. A zip too broken to open is named
as a damaged zip, or a damaged workbook when its first member says so.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pandas as pd

from rnnkit.data.limits import MEGABYTE, ReadLimits
from rnnkit.errors import BinaryFileError, FileTooLargeError

ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = MEGABYTE
_WORKBOOK_PARTS = ("[Content_Types].xml", "xl/", "_rels/", "docProps/")
_SIZE_FIX = "Upload a shorter extract, or resample or trim it before uploading."


def open_zip(data: bytes, name: str | None) -> zipfile.ZipFile:
    """Open a zip's directory, or explain that the file is a damaged zip or workbook."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, ValueError, EOFError) as error:
        if _looks_like_workbook(data, name):
            raise BinaryFileError(
                "The file looks like an Excel workbook, but it is damaged or incomplete (its zip directory "
                "cannot be read).",
                "Download or export it again, or open it in your spreadsheet program, save it as .xlsx or CSV "
                "and upload that.",
            ) from error
        raise BinaryFileError(
            "The zip file is damaged or incomplete (its directory cannot be read; a download cut short "
            "looks like this).",
            "Download or export the file again, or upload the CSV itself.",
        ) from error


def is_workbook(archive: zipfile.ZipFile) -> bool:
    """An .xlsx is a zip of ``[Content_Types].xml`` and ``xl/`` parts."""
    return any(n == "[Content_Types].xml" or n.startswith("xl/") for n in archive.namelist())


def _looks_like_workbook(data: bytes, name: str | None) -> bool:
    """Whether a zip that cannot be opened was meant to be a workbook: its name or first member says so."""
    if name is not None and name.lower().endswith((".xlsx", ".xlsm")):
        return True
    if len(data) < 30:
        return False
    length = struct.unpack("<H", data[26:28])[0]
    first = data[30:30 + length].decode("cp437", errors="replace")
    return first.startswith(_WORKBOOK_PARTS)


def check_workbook_size(archive: zipfile.ZipFile, limits: ReadLimits) -> None:
    """Refuse a workbook whose parts unpack to more than the byte limit, before any XML is parsed."""
    unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > limits.max_bytes:
        raise FileTooLargeError(
            f"The workbook unpacks to {unpacked // MEGABYTE:,} MB of spreadsheet data, over the "
            f"{limits.max_megabytes} MB limit (the file itself is much smaller: it is highly compressed).",
            "Save the sheet you need as CSV and upload that, or upload a shorter extract.",
        )


def read_workbook(data: bytes, limits: ReadLimits) -> pd.DataFrame:
    """The first sheet of an .xlsx as a frame, at most ``max_rows + 1`` rows of it."""
    try:
        frame = pd.read_excel(io.BytesIO(data), sheet_name=0, engine="openpyxl", nrows=limits.max_rows + 1)
    except Exception as error:  # openpyxl raises many unrelated types on corrupt input
        raise BinaryFileError(
            f"The file looks like an Excel workbook but cannot be read ({type(error).__name__}).",
            "Open it in your spreadsheet program, save it again as .xlsx or CSV, and upload that.",
        ) from error
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def table_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """CSV-like members of a zip, ignoring folders and macOS resource forks."""
    return [
        m for m in archive.infolist()
        if not m.is_dir()
        and not m.filename.startswith("__MACOSX/")
        and not m.filename.rsplit("/", 1)[-1].startswith("._")
        and m.filename.lower().endswith((".csv", ".txt", ".tsv"))
    ]


def unzip_single_table(archive: zipfile.ZipFile, limits: ReadLimits) -> bytes:
    """The one CSV/TSV/TXT table inside a zip, unpacked in chunks that are counted as they come.

    Refuses a member whose stated size is over the byte limit before unpacking,
    and stops unpacking as soon as it holds more lines than the row limit allows.
    """
    tables = table_members(archive)
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
            f"The CSV inside the zip is {member.file_size // MEGABYTE:,} MB, over the "
            f"{limits.max_megabytes} MB limit.", _SIZE_FIX,
        )
    try:
        return _read_counted(archive, member, limits)
    except RuntimeError as error:  # zipfile's way of saying "encrypted"
        raise BinaryFileError(f"The zip is password-protected, so {member.filename} cannot be read.",
                              "Unzip it yourself and upload the CSV.") from error
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise BinaryFileError(f"The zip is damaged: {member.filename} cannot be unpacked ({error}).",
                              "Download or export the file again, or upload the CSV itself.") from error


def _read_counted(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: ReadLimits) -> bytes:
    """Unpack one member in chunks, refusing it once it has more data lines than the row limit."""
    chunks: list[bytes] = []
    rows, carry = 0, b""
    with archive.open(member) as handle:
        while chunk := handle.read(_CHUNK):
            chunks.append(chunk)
            block = carry + chunk
            cut = block.rfind(b"\n") + 1
            rows += count_lines(block[:cut])
            carry = block[cut:]
            if rows > limits.max_rows + 1:
                raise too_many_rows(limits)
    return b"".join(chunks)


def count_lines(data: bytes) -> int:
    """Lines that hold something other than white space, counted without keeping them."""
    return sum(1 for line in io.BytesIO(data) if line.strip())


def too_many_rows(limits: ReadLimits) -> FileTooLargeError:
    return FileTooLargeError(
        f"The file has more than {limits.max_rows:,} rows.",
        "Upload a shorter period, or resample the series (for example to hourly) first.",
    )
