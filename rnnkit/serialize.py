"""A :class:`ComparisonResult` to and from a folder of JSON and CSV files (never pickle).

Keras models are saved as ``.keras`` files beside them and are loaded only on
request, with ``safe_mode=True``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.results import ComparisonResult, ModelResult
from rnnkit.errors import RnnkitError
from rnnkit.models.spec import ModelSpec
from rnnkit.splits import SplitSpec
from rnnkit.store import MODELS_DIR, RunDamagedError
from rnnkit.training import TrainingConfig
from rnnkit.windows.spec import WindowSpec

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.csv"
PREDICTIONS_FILE = "predictions.csv"
FORECAST_FILE = "forecast.csv"
HISTORY_FILE = "histories.json"
BACKTEST_FOLDS_FILE = "backtest_folds.csv"
BACKTEST_SUMMARY_FILE = "backtest_summary.csv"
__all__ = ["MODELS_DIR", "config_dict", "read_result", "write_result"]
_DAMAGED_FIX = "Delete the run and run the comparison again; the other runs are not affected."


def _jsonable(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def config_dict(result: ComparisonResult) -> dict[str, Any]:
    """The run's settings and per-model facts: what ``config.json`` holds and the UI downloads."""
    return {
        "series_name": result.series_name,
        "target": result.target,
        "features": list(result.features),
        "window": asdict(result.window),
        "split": {k: (str(v) if isinstance(v, pd.Timestamp) else v) for k, v in asdict(result.split).items()},
        "scaling": result.scaling,
        "training": result.training.to_dict(),
        "period": result.period,
        "interval": result.interval,
        "frequency": result.frequency,
        "boundaries": {k: v.isoformat() for k, v in result.boundaries.items()},
        "test_times": [t.isoformat() for t in result.test_times],
        "status": result.status,
        "best_model": result.best_model,
        "best_baseline": result.best_baseline,
        "models": [
            {"spec": m.spec.to_dict(), "train_seconds": m.train_seconds, "params": m.params,
             "epochs_run": m.epochs_run, "best_epoch": m.best_epoch, "status": m.status}
            for m in result.models
        ],
        "baselines": list(result.baselines),
        "selection": result.selection,
        "skipped": result.skipped,
        "notes": result.notes,
        "intervals": list(result.intervals),
        "backtest_verdict": result.backtest_verdict,
        "scaler": result.scaler,
    }


def write_result(result: ComparisonResult, folder: Path, save_models: bool = True) -> None:
    """Write every part of ``result`` into ``folder`` (which must exist); models live or from their saved file."""
    (folder / CONFIG_FILE).write_text(json.dumps(config_dict(result), indent=2, default=_jsonable))
    result.metrics.to_csv(folder / METRICS_FILE, index_label="name")
    result.predictions_frame().to_csv(folder / PREDICTIONS_FILE, index=False)
    result.forecast_frame().to_csv(folder / FORECAST_FILE, index=False)
    if result.backtest_folds is not None and result.backtest_summary is not None:
        result.backtest_folds.to_csv(folder / BACKTEST_FOLDS_FILE, index=False)
        result.backtest_summary.to_csv(folder / BACKTEST_SUMMARY_FILE, index_label="name")
    histories = {m.name: m.history for m in result.models}
    (folder / HISTORY_FILE).write_text(json.dumps(histories, default=_jsonable))
    if save_models:
        (folder / MODELS_DIR).mkdir(exist_ok=True)
        for m in result.models:
            target = folder / MODELS_DIR / f"{m.name}.keras"
            if m.model is not None:
                m.model.save(target)
            elif m.model_path is not None and Path(m.model_path).is_file():  # trained in a worker process
                shutil.copyfile(m.model_path, target)


def _read_json(folder: Path, name: str) -> Any:
    try:
        return json.loads((folder / name).read_text())
    except FileNotFoundError as error:
        raise RunDamagedError(f"its {name} is missing.", _DAMAGED_FIX) from error
    except (OSError, ValueError) as error:
        raise RunDamagedError(f"its {name} is not valid JSON ({error}).", _DAMAGED_FIX) from error


def _read_csv(folder: Path, name: str, **options: Any) -> pd.DataFrame:
    try:
        return pd.read_csv(folder / name, **options)
    except FileNotFoundError as error:
        raise RunDamagedError(f"its {name} is missing.", _DAMAGED_FIX) from error
    except (OSError, ValueError) as error:  # pandas' parser errors are ValueErrors
        raise RunDamagedError(f"its {name} is not a readable table ({error}).", _DAMAGED_FIX) from error


def read_result(folder: Path) -> ComparisonResult:
    """Rebuild a result (without Keras models) from a folder written by :func:`write_result`.

    A missing or damaged file raises :class:`~rnnkit.store.RunDamagedError` naming the file.
    """
    config = _read_json(folder, CONFIG_FILE)
    metrics = _read_csv(folder, METRICS_FILE, index_col="name")
    predictions = _read_csv(folder, PREDICTIONS_FILE, parse_dates=["time"])
    forecast = _read_csv(folder, FORECAST_FILE, parse_dates=["time"])
    histories = _read_json(folder, HISTORY_FILE)
    try:
        result = _rebuild(config, metrics, predictions, forecast, histories)
        result.scaler = config.get("scaler")  # None for runs saved before rnnkit kept it
        if (folder / BACKTEST_FOLDS_FILE).exists():
            result.backtest_folds = _read_csv(folder, BACKTEST_FOLDS_FILE, parse_dates=["test_start", "test_end"])
            result.backtest_summary = _read_csv(folder, BACKTEST_SUMMARY_FILE, index_col="name")
            result.backtest_verdict = config.get("backtest_verdict")
        return result
    except RnnkitError as error:
        raise RunDamagedError(f"its files describe settings rnnkit refuses ({error.problem})", _DAMAGED_FIX) from error
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        raise RunDamagedError(f"its files do not fit together ({type(error).__name__}: {error}).",
                              _DAMAGED_FIX) from error


def _rebuild(config: dict[str, Any], metrics: pd.DataFrame, predictions: pd.DataFrame, forecast: pd.DataFrame,
             histories: dict[str, Any]) -> ComparisonResult:
    metrics.attrs["best_baseline"] = config["best_baseline"]
    # runs saved before selection on validation chose on test: say so rather than guess
    metrics.attrs.update(selection=config.get("selection", "legacy"), best_model=config["best_model"])
    window = WindowSpec(**config["window"])
    steps = int(predictions["step"].max()) if len(predictions) else window.horizon

    def column(name: str) -> np.ndarray:
        return predictions[name].to_numpy(dtype=np.float64).reshape(-1, steps)

    def frame_of(name: str) -> pd.DataFrame:
        return forecast[forecast["model"] == name].drop(columns="model").reset_index(drop=True)

    models = [
        ModelResult(
            spec=ModelSpec.from_dict(m["spec"]), history=histories.get(m["spec"]["name"], {}),
            train_seconds=m["train_seconds"], params=m["params"], epochs_run=m["epochs_run"],
            best_epoch=m["best_epoch"], status=m["status"], test_pred=column(m["spec"]["name"]),
            forecast=frame_of(m["spec"]["name"]),
        )
        for m in config["models"]
    ]
    return ComparisonResult(
        series_name=config["series_name"], target=config["target"], features=tuple(config["features"]),
        window=window, split=SplitSpec(**config["split"]), scaling=config["scaling"],
        training=TrainingConfig(**config["training"]), period=config["period"], interval=config["interval"],
        frequency=config["frequency"],
        boundaries={k: pd.Timestamp(v) for k, v in config["boundaries"].items()},
        test_times=pd.DatetimeIndex(pd.to_datetime(config["test_times"])), y_test=column("actual"),
        models=models, baselines={name: column(name) for name in config["baselines"]},
        metrics=metrics, status=config["status"],
        target_times=predictions["time"].to_numpy().reshape(-1, steps),
        intervals={name: (column(f"{name} lower"), column(f"{name} upper")) for name in config.get("intervals", [])},
        skipped=config.get("skipped", {}), notes=config.get("notes", []),
        baseline_forecasts={name: frame_of(name) for name in config["baselines"]
                            if (forecast["model"] == name).any()},
    )
