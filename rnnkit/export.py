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
    name = re.sub(r"\.(csv|tsv|txt|xlsx|zip)$", "", result.series_name, flags=re.IGNORECASE)  # only a file's type
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._-")[:40] or "series"
    return "-".join(part for part in (stem, (run_id or "")[-6:], what) if part) + f".{extension}"


def model_file_note(result: ComparisonResult, model: str) -> str:
    """How to use ``model``'s downloaded ``.keras`` file outside the dashboard, for this kind of model and run."""
    load = ("Load it with `rnnkit.models.files.load_model_file(path)` (plain `keras.models.load_model` does not "
            "know rnnkit's layers).")
    spec = next((m.spec for m in result.models if m.name == model), None)
    if spec is not None and spec.hybrid:
        return (f"{load} This file is only the network of a hybrid: it predicts the errors of {spec.hybrid}, which "
                "must be fitted and added back, so outside rnnkit it does not forecast on its own.")
    calendar = [f for f in result.features if f.endswith(("_sin", "_cos"))]
    inputs = ("Its inputs are windows of the scaled input columns" +
              (f" (the calendar features {', '.join(calendar)} computed from the timestamps too, as "
               "rnnkit.data.calendar.with_calendar_features does)" if calendar else "")
              + " and its outputs scaled targets")
    if result.scaler is None:
        return (f"{load} {inputs}; this run was saved before rnnkit kept the scaler's values "
                "in its configuration: train it again to get them.")
    return (f"{load} {inputs}: the run configuration's `scaler` entry holds the values to "
            "scale the inputs and to turn the outputs back into the series' units.")
