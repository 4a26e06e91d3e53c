"""Downloads: CSV safe to open in a spreadsheet, and a run's configuration as JSON."""

from __future__ import annotations

import json
import re

import pandas as pd

from rnnkit.results import ComparisonResult
from rnnkit.serialize import config_dict

#: A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells (and column names) that a spreadsheet would execute with an apostrophe."""

    def safe(value: object) -> object:
        if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
            return "'" + value
        return value

    out = frame.copy()
    out.columns = [safe(str(c)) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe)
    return out


def predictions_csv(result: ComparisonResult) -> bytes:
    """Test predictions of every model and baseline, in the series' units, as CSV bytes."""
    frame = result.predictions_frame()
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8")


def forecast_csv(result: ComparisonResult) -> bytes:
    return neutralise_formulas(result.forecast_frame()).to_csv(index=False).encode("utf-8")


def config_json(result: ComparisonResult) -> bytes:
    return json.dumps(config_dict(result), indent=2, default=str).encode("utf-8")


def download_name(result: ComparisonResult, run_id: str | None, what: str, extension: str) -> str:
    """A file name that says which run it came from: ``<series>-<run id's end>-<what>.<extension>``."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", result.series_name.rsplit(".", 1)[0]).strip("._-")[:40] or "series"
    return "-".join(part for part in (stem, (run_id or "")[-6:], what) if part) + f".{extension}"
