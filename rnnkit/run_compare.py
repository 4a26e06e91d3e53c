"""Two stored runs side by side: what was asked differently, and how each forecaster's test metrics moved.

The Runs page shows this so a user who changed one setting sees its effect on every
model and baseline, and is told when the two runs were not scored on the same test
targets (other data, split, delay or horizon), where a change in RMSE says nothing.
Works on the plain dicts a :class:`rnnkit.store.RunRecord` carries; no Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: the metrics compared, in the order shown, with the words the pages use for them
METRICS: dict[str, str] = {"rmse": "RMSE", "mae": "MAE", "mase": "MASE", "smape": "sMAPE (%)",
                           "skill_pct": "skill vs chosen baseline (%)"}
#: metrics that are already percentages of a reference: their change is given in points
_POINTS = {"skill_pct"}
#: request fields that describe how it was stored, not what was asked
_NOT_SETTINGS = {"version", "series.path", "series.sha256", "series.target_sha256", "label"}
#: besides the data, what must match for two runs' test metrics to be about the same targets (a backtest stores
#: its last fold's)
_SAME_TARGETS = ("split", "window.delay", "window.horizon", "folds")


@dataclass(frozen=True)
class SettingDifference:
    """One setting asked differently: its dotted name and the two values as shown."""

    setting: str
    first: str
    second: str


def _flat(request: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"window": {"lookback": 24}}`` → ``{"window.lookback": 24}``; the model list is handled apart."""
    flat: dict[str, Any] = {}
    for key, value in request.items():
        name = f"{prefix}{key}"
        if key == "models" and not prefix:
            continue
        if isinstance(value, Mapping):
            flat |= _flat(value, f"{name}.")
        else:
            flat[name] = value
    return flat


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(_shown(v) for v in value) or "—"
    return str(value)


def _same_data(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    """The same target values at the same times (other input features aside); by snapshot for older runs."""
    if first.get("target_sha256") and second.get("target_sha256"):
        return bool(first["target_sha256"] == second["target_sha256"] and first.get("target") == second.get("target"))
    return bool(first.get("sha256") == second.get("sha256"))


def _data_label(series: Mapping[str, Any]) -> str:
    rows = series.get("rows")
    return f"{series.get('name', '?')} ({rows:,} rows)" if isinstance(rows, int) else str(series.get("name", "?"))


def _models(request: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    models = request.get("models") or []
    return {m["name"]: {k: v for k, v in m.items() if k not in ("name", "description")}
            for m in models if isinstance(m, Mapping) and "name" in m}


def settings_differences(first: Mapping[str, Any] | None, second: Mapping[str, Any] | None) -> list[SettingDifference]:
    """Every setting the two requests (``ComparisonRequest.to_dict()``) ask differently, data first.

    A model present in both under one name but configured differently is listed per
    field (``model tuned_gru: units``); models in only one run appear as the model list.
    Runs stored without a request (an older rnnkit) compare as having no known settings.
    """
    if not first or not second:
        return []
    out: list[SettingDifference] = []
    a_series, b_series = first.get("series") or {}, second.get("series") or {}
    if not _same_data(a_series, b_series):
        out.append(SettingDifference("data", _data_label(a_series), _data_label(b_series)))
    a_flat, b_flat = _flat(first), _flat(second)
    for name in dict.fromkeys([*a_flat, *b_flat]):
        if name in _NOT_SETTINGS or name.startswith("series.") and name not in ("series.target", "series.inputs"):
            continue
        if a_flat.get(name) != b_flat.get(name):
            out.append(SettingDifference(name.removeprefix("series."), _shown(a_flat.get(name)),
                                         _shown(b_flat.get(name))))
    a_models, b_models = _models(first), _models(second)
    if list(a_models) != list(b_models):
        out.append(SettingDifference("models", _shown(list(a_models)), _shown(list(b_models))))
    for name in (n for n in a_models if n in b_models):
        for field in dict.fromkeys([*a_models[name], *b_models[name]]):
            if a_models[name].get(field) != b_models[name].get(field):
                out.append(SettingDifference(f"model {name}: {field}", _shown(a_models[name].get(field)),
                                             _shown(b_models[name].get(field))))
    return out


def same_test_targets(first: Mapping[str, Any] | None, second: Mapping[str, Any] | None) -> bool | None:
    """Whether both runs were scored on the same test targets (data, split, delay, horizon, folds); None: unknown."""
    if not first or not second:
        return None
    if not _same_data(first.get("series") or {}, second.get("series") or {}):
        return False
    a_flat, b_flat = _flat(first), _flat(second)
    for field in _SAME_TARGETS:
        a = {k: v for k, v in a_flat.items() if k == field or k.startswith(f"{field}.")}
        b = {k: v for k, v in b_flat.items() if k == field or k.startswith(f"{field}.")}
        if a != b:
            return False
    return True


def metric_changes(first: Mapping[str, Mapping[str, float]], second: Mapping[str, Mapping[str, float]],
                   metric: str = "rmse") -> pd.DataFrame:
    """One row per forecaster of either run: ``metric`` in each run, and the change from the first to the second.

    The change is relative, ``100 × (second − first) / |first|`` %, for error metrics
    (negative: the second run did better), and in points for a metric that is
    already a percentage of something else (skill). ``attrs["change"]`` says which.
    Forecasters scored in only one run have a blank in the other and no change.
    """
    names = list(dict.fromkeys([*first, *second]))

    def value(run: Mapping[str, Mapping[str, float]], name: str) -> float:
        number = (run.get(name) or {}).get(metric)
        return float(number) if isinstance(number, int | float) else np.nan

    a = np.array([value(first, n) for n in names], dtype=float)
    b = np.array([value(second, n) for n in names], dtype=float)
    points = metric in _POINTS
    with np.errstate(divide="ignore", invalid="ignore"):
        change = b - a if points else np.where(np.abs(a) > 0, 100 * (b - a) / np.abs(a), np.nan)
    table = pd.DataFrame({"first": a, "second": b, "change": change}, index=pd.Index(names, name="forecaster"))
    table.attrs["change"] = "points" if points else "%"
    return table


def available_metrics(*runs: Mapping[str, Mapping[str, float]]) -> list[str]:
    """The metrics of :data:`METRICS` that at least one forecaster of the runs has, in :data:`METRICS`' order."""
    present = {metric for run in runs for row in run.values() for metric, v in row.items() if v is not None}
    return [m for m in METRICS if m in present]
