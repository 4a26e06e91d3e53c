"""What a comparison produced, as plain data: the types below storage, figures and pages.

Kept free of the engine (no TensorFlow, no training code) so the run store,
figures, verdicts and pages can use results without importing how they were
made. A :class:`ModelResult` carries its trained network either live
(``model``, in the process that trained it) or as a saved ``.keras`` file
(``model_path``, when it was trained in a worker process).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.models.spec import ModelSpec
from rnnkit.splits import SplitSpec
from rnnkit.training_config import TrainingConfig
from rnnkit.windows.spec import WindowSpec


class ComparisonStatus(StrEnum):
    """How a comparison (or one fold of a backtest) ended; equal to the plain strings stored in runs."""

    FINISHED = "finished"
    CANCELLED = "cancelled"


class ModelStatus(StrEnum):
    """How one model's training ended."""

    FINISHED = "finished"
    STOPPED_EARLY = "stopped early"
    CANCELLED = "cancelled"
    DIVERGED = "diverged"


@dataclass
class ModelResult:
    """One trained model's history, cost, predictions and forecast."""

    spec: ModelSpec
    history: dict[str, list[float]]
    train_seconds: float
    params: int
    epochs_run: int
    best_epoch: int | None
    status: str
    test_pred: np.ndarray
    forecast: pd.DataFrame
    model: Any = field(default=None, repr=False)
    #: ``(n_val, horizon)`` predictions on the validation windows, in the series' units (selection uses them)
    val_pred: np.ndarray | None = field(default=None, repr=False)
    #: the trained network saved as ``.keras`` by a worker process (``model`` is then None); without a
    #: folder from the caller it is a temporary one, removed when the process exits (the run store copies it)
    model_path: str | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def load_model(self) -> Any:
        """The trained Keras model: the live one, or loaded from ``model_path``; None when neither exists."""
        if self.model is None and self.model_path is not None:
            from rnnkit.models.files import load_model_file

            self.model = load_model_file(self.model_path)
        return self.model


@dataclass
class ComparisonResult:
    """Everything a comparison produced; plots and tables are built from this alone."""

    series_name: str
    target: str
    features: tuple[str, ...]
    window: WindowSpec
    split: SplitSpec
    scaling: str
    training: TrainingConfig
    period: int | None
    interval: float
    frequency: str | None
    boundaries: dict[str, pd.Timestamp]
    test_times: pd.DatetimeIndex
    y_test: np.ndarray
    models: list[ModelResult]
    baselines: dict[str, np.ndarray]
    metrics: pd.DataFrame
    status: str
    history_frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: ``(n, horizon)`` timestamps of every test target, read from the series' own index
    target_times: np.ndarray | None = None
    #: ``{name: (lower, upper)}`` test intervals at ``interval``: conformal for models and simple
    #: baselines (from validation errors), the library's own for statistical baselines
    intervals: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    #: statistical baselines that did not run, and why
    skipped: dict[str, str] = field(default_factory=dict)
    #: statistical baselines' forecasts past the end, with their own intervals
    baseline_forecasts: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: notes on how the comparison was made (for example a season too long for ETS)
    notes: list[str] = field(default_factory=list)
    #: for the last fold of a rolling-origin backtest: every fold's scores, the summary across folds, the verdict
    backtest_folds: pd.DataFrame | None = None
    backtest_summary: pd.DataFrame | None = None
    backtest_verdict: str | None = None
    #: the fitted scaler's values (rnnkit.scaling.SeriesScaler.describe): what a model file needs outside rnnkit
    scaler: dict[str, object] | None = None

    @property
    def selection(self) -> str:
        """``"validation"`` when the best model and baseline were chosen on validation, else ``"test"``."""
        return str(self.metrics.attrs.get("selection", "test"))

    @property
    def best_model(self) -> str | None:
        """The model chosen on validation (lowest validation RMSE), or on test without a validation part."""
        if "best_model" in self.metrics.attrs:
            return self.metrics.attrs["best_model"]
        scores = self.metrics.loc[self.metrics["kind"] == "model", "rmse"].dropna()  # diverged models have none
        return scores.idxmin() if len(scores) else None

    @property
    def diverged(self) -> list[str]:
        """Models whose training or predictions blew up (NaN or infinite): they have no scores."""
        return [m.name for m in self.models if m.status == "diverged"]

    @property
    def best_baseline(self) -> str | None:
        return self.metrics.attrs.get("best_baseline")

    def model(self, name: str) -> ModelResult:
        for result in self.models:
            if result.name == name:
                return result
        raise KeyError(name)

    def predictions_frame(self) -> pd.DataFrame:
        """Test predictions in long form: target time, step ahead, actual, one column per forecaster."""
        steps = self.y_test.shape[1]
        times = self.target_times.ravel() if self.target_times is not None else \
            _shift(self.test_times, np.arange(steps), self.frequency)
        frame = pd.DataFrame({
            "time": times,
            "step": np.tile(np.arange(1, steps + 1), len(self.test_times)),
            "actual": self.y_test.ravel(),
        })
        for result in self.models:
            frame[result.name] = result.test_pred.ravel()
        for name, pred in self.baselines.items():
            frame[name] = pred.ravel()
        for name, (lower, upper) in self.intervals.items():
            frame[f"{name} lower"], frame[f"{name} upper"] = lower.ravel(), upper.ravel()
        return frame

    def forecast_frame(self) -> pd.DataFrame:
        """All models' forecasts past the end of the data, stacked, with their intervals.

        ``step`` is the number of rows after the last row (1: the next one) for every
        forecaster, so a network with a delay starts at ``delay + 1``.
        """
        parts = [r.forecast.assign(model=r.name) for r in self.models if len(r.forecast)]
        parts += [frame.assign(model=name) for name, frame in self.baseline_forecasts.items() if len(frame)]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns=["time", "step", "forecast", "lower", "upper", "model"])


def _shift(times: pd.DatetimeIndex, steps: np.ndarray, frequency: str | None) -> np.ndarray:
    """``times[i] + steps[j]`` rows ahead, flattened, by the calendar (for results saved without target times)."""
    if frequency is None or (steps == 0).all():
        return np.repeat(times.values, len(steps))
    offset = pd.tseries.frequencies.to_offset(frequency)
    return np.array([t + int(s) * offset for t in times for s in steps], dtype="datetime64[ns]")


def typical_step(index: pd.DatetimeIndex) -> pd.Timedelta:
    """The median spacing of consecutive rows: the step past the end for series without a known frequency.

    Taken from consecutive differences in the index's own unit, so a span of
    centuries (which overflows a nanosecond ``Timedelta``) is no problem.
    """
    if len(index) < 2:
        return pd.Timedelta(0)
    return pd.Timedelta(int(np.median(np.diff(index.asi8))), unit=index.unit)


def future_times(last: pd.Timestamp, rows_ahead: np.ndarray, frequency: str | None,
                 fallback_step: pd.Timedelta) -> pd.DatetimeIndex:
    """Timestamps ``rows_ahead`` rows after ``last`` (1 = the next row)."""
    if frequency is not None:
        offset = pd.tseries.frequencies.to_offset(frequency)
        return pd.DatetimeIndex([last + int(k) * offset for k in rows_ahead])
    return pd.DatetimeIndex([last + int(k) * fallback_step for k in rows_ahead])
