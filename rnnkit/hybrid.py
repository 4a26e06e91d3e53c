"""Hybrid models: a statistical forecast plus a recurrent network that learns its errors (the M4 winner's idea).

For a spec with ``hybrid="auto_ets"`` (or ``"auto_theta"``) the statistical
model forecasts every window's targets exactly as the statistical baselines
are scored (:func:`rnnkit.statistical.rolling_forecasts`: fitted once, rolled
forward per anchor from the rows before it), and the network learns
``actual − statistical forecast``, divided by the spread of those errors on
the training windows. Its prediction is the statistical forecast plus the
network's error prediction, in the series' units.

Honest by construction: the training and validation windows' statistical
forecasts come from a fit on the training rows only (in-sample for the
training windows), the test windows' from a fit on training + validation rows
(as the baselines' are), and the forecast past the end from a fit on the whole
series. The network sees the usual scaled input windows. Only the most recent
:data:`MAX_TRAIN_WINDOWS` training windows are used, which bounds the cost of
rolling the statistical model over them (about 0.05 ms per window for AutoETS,
0.5 ms for AutoTheta).

The saved ``.keras`` file of a hybrid is the error network alone; the stored
run's predictions and forecast are the hybrid's (statistical part included).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError
from rnnkit.models.spec import ModelSpec
from rnnkit.prepare import PreparedData, WindowSet
from rnnkit.progress import CancelToken, ProgressCallback
from rnnkit.results import ModelResult, future_times, typical_step
from rnnkit.statistical import fit_recent, forward_mean, min_history, rolling_forecasts
from rnnkit.training import TrainedModel, TrainingConfig, predict
from rnnkit.windows.batches import WindowBatches
from rnnkit.windows.indexing import input_offsets

#: Most recent training windows the error network learns from (each costs one statistical ``forward``).
MAX_TRAIN_WINDOWS = 2_000


@dataclass(frozen=True)
class ErrorWindowSet(WindowSet):
    """Windows whose targets are the statistical model's scaled errors ``(n, horizon)``, one row per anchor."""

    errors: np.ndarray

    def targets(self) -> np.ndarray:
        return self.errors

    def arrays(self, sequence_targets: bool = False) -> tuple[np.ndarray, np.ndarray]:
        inputs, _ = super().arrays()
        return inputs, self.errors

    def batches(self, batch_size: int = 128, shuffle: bool = False, seed: int | None = None,
                sequence_targets: bool = False) -> WindowBatches:
        """Streamed batches (large series) with the errors looked up by anchor."""
        batches = super().batches(batch_size, shuffle, seed)
        anchors, errors = self.anchors, self.errors
        batches._gather_targets = lambda _target, rows, _spec: errors[np.searchsorted(anchors, rows)]  # type: ignore[assignment]
        return batches


@dataclass(frozen=True)
class BaseForecasts:
    """The statistical model's forecasts per window part, and the error scale the network learns in."""

    name: str
    train_anchors: np.ndarray
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    scale: float


def base_forecasts(name: str, prepared: PreparedData, period: int | None) -> BaseForecasts:
    """``name``'s forecasts of the training (recent), validation and test windows, fitted without peeking."""
    series, window, bounds = prepared.series, prepared.spec, prepared.bounds
    values = series.frame[series.target].to_numpy(dtype=np.float64)
    anchors = prepared.train.anchors
    anchors = anchors[anchors >= min_history(period)][-MAX_TRAIN_WINDOWS:]  # each forecast from enough rows

    def roll(fit_stop: int, part_anchors: np.ndarray, part: str) -> np.ndarray:
        if len(part_anchors) == 0:
            return np.empty((0, window.horizon))
        result = rolling_forecasts(values, fit_stop, part_anchors, window.delay, window.horizon, period, 0.9,
                                   (name,))
        if name not in result.points:
            raise RnnkitError(f"The hybrid's {name} cannot forecast the {part} windows: {result.skipped[name]}.",
                              "Drop the hybrid model from this comparison, or use a longer training part.")
        return result.points[name]

    train = roll(bounds.train_stop, anchors, "training")
    val = roll(bounds.train_stop, prepared.val.anchors, "validation")
    test = roll(bounds.val_stop, prepared.test.anchors, "test")
    errors = _actual(prepared, prepared.train, anchors) - train
    spread = float(np.std(errors))
    scale = spread if np.isfinite(spread) and spread > 1e-12 * max(float(np.abs(values).max()), 1.0) else 1.0
    return BaseForecasts(name, anchors, train, val, test, scale)


def _actual(prepared: PreparedData, windows: WindowSet, anchors: np.ndarray) -> np.ndarray:
    """The targets of the windows at ``anchors``, in the series' units."""
    subset = dataclasses.replace(windows, anchors=anchors)
    return prepared.actual(subset)


def error_data(prepared: PreparedData, base: BaseForecasts) -> PreparedData:
    """``prepared`` with training and validation targets replaced by the base model's scaled errors."""
    def errors(windows: WindowSet, anchors: np.ndarray, forecasts: np.ndarray) -> ErrorWindowSet:
        scaled = (_actual(prepared, windows, anchors) - forecasts) / base.scale
        fields = {f.name: getattr(windows, f.name) for f in dataclasses.fields(WindowSet)}
        return ErrorWindowSet(**(fields | {"anchors": anchors}), errors=scaled.astype(np.float32))

    return dataclasses.replace(prepared, train=errors(prepared.train, base.train_anchors, base.train),
                               val=errors(prepared.val, prepared.val.anchors, base.val))


def train_hybrid(spec: ModelSpec, prepared: PreparedData, period: int | None, config: TrainingConfig,
                 progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
                 model_index: int = 0, n_models: int = 1) -> tuple[TrainedModel, BaseForecasts]:
    """The error network of hybrid ``spec``, trained (seed ensembles included) on its base model's errors."""
    from rnnkit.ensemble import train_spec

    if spec.hybrid is None:
        raise ValueError(f"{spec.name} is not a hybrid")
    base = base_forecasts(spec.hybrid, prepared, period)
    trained = train_spec(spec, error_data(prepared, base), config, progress, cancel, model_index, n_models)
    return trained, base


def score_hybrid(trained: TrainedModel, base: BaseForecasts, prepared: PreparedData, interval: float,
                 forecast_steps: int | None, period: int | None, forecast: bool = True) -> ModelResult:
    """The hybrid's validation and test predictions (base + network) and its forecast past the end."""
    test_pred = base.test + base.scale * predict(trained, prepared.test)
    val_pred = base.val + base.scale * predict(trained, prepared.val) if len(prepared.val) else None
    status = "diverged" if trained.status == "diverged" or not np.isfinite(test_pred).all() else trained.status
    frame = pd.DataFrame(columns=["time", "step", "forecast", "lower", "upper"])
    if status == "diverged":
        test_pred, val_pred = np.full_like(test_pred, np.nan, dtype=np.float64), None
    elif forecast:
        frame = hybrid_beyond(trained, base, prepared, val_pred, interval, forecast_steps or period or 12, period)
    return ModelResult(
        spec=trained.spec, history=trained.history, train_seconds=trained.train_seconds, params=trained.params,
        epochs_run=trained.epochs_run, best_epoch=trained.best_epoch, status=status, test_pred=test_pred,
        forecast=frame, model=trained.model, val_pred=val_pred,
    )


def hybrid_beyond(trained: TrainedModel, base: BaseForecasts, prepared: PreparedData, val_pred: np.ndarray | None,
                  level: float, steps: int, period: int | None) -> pd.DataFrame:
    """The hybrid's forecast past the last row, with split-conformal intervals from its validation errors.

    The base model is refitted on the whole series. Like the plain networks'
    forecast (:func:`rnnkit.compare.forecast_beyond`) it is recursive for a
    one-step target-only window with no delay (each hybrid prediction fed back
    to both parts), direct otherwise.
    """
    from rnnkit.compare import conformal_quantiles
    from rnnkit.compiled_fit import compiled_predict

    spec, series = prepared.spec, prepared.series
    values = series.frame[series.target].to_numpy(dtype=np.float64)
    if val_pred is not None and len(val_pred):
        half = conformal_quantiles(val_pred - prepared.actual(prepared.val), level)
    else:
        half = np.full(spec.horizon, np.nan)
    fitted = fit_recent(base.name, values, period)
    index = series.frame.index
    fallback = typical_step(index)
    calendar: tuple[str, ...] = tuple(series.extras.get("calendar", ()))  # type: ignore[arg-type]
    if _recursive(prepared, calendar) and steps > 1:
        forecasts = _recursive_hybrid(trained.model, fitted, base.scale, prepared, values, steps, calendar,
                                      future_times(index[-1], np.arange(1, steps + 1), series.report.frequency,
                                                   fallback))
        rows_ahead = np.arange(1, steps + 1)
        widths = half[0] * np.sqrt(rows_ahead)
    else:
        output = np.asarray(compiled_predict(trained.model, prepared.latest_window()))
        stat = forward_mean(fitted, values, spec.delay + spec.horizon)[spec.delay:]
        forecasts = stat + base.scale * output.reshape(-1)[: spec.horizon]
        rows_ahead = spec.delay + 1 + np.arange(spec.horizon)
        widths = half
    return pd.DataFrame({
        "time": future_times(index[-1], rows_ahead, series.report.frequency, fallback),
        "step": rows_ahead, "forecast": forecasts,
        "lower": forecasts - widths, "upper": forecasts + widths,
    })


def _recursive(prepared: PreparedData, calendar: tuple[str, ...]) -> bool:
    """Whether a forecast past the end can feed predictions back (one step, no delay, known inputs only)."""
    from rnnkit.data.calendar import calendar_names

    spec, series = prepared.spec, prepared.series
    known = sorted([series.target, *calendar_names(calendar)])
    return spec.horizon == 1 and spec.delay == 0 and sorted(series.inputs) == known


def _recursive_hybrid(model: Any, fitted: Any, scale: float, prepared: PreparedData, values: np.ndarray,
                      steps: int, calendar: tuple[str, ...], future: pd.DatetimeIndex) -> np.ndarray:
    """One step at a time: base one-step forecast plus the network's error, fed back as the newest value."""
    from rnnkit.compiled_fit import compiled_predict
    from rnnkit.data.calendar import calendar_frame

    series, spec = prepared.series, prepared.spec
    ahead = pd.DataFrame(0.0, index=future, columns=series.inputs)
    if calendar:
        ahead.update(calendar_frame(future, calendar))
    history = prepared.train.inputs  # scaled inputs of every row; column 0 is the target
    buffer = np.concatenate([history, prepared.scaler.transform_inputs(ahead.to_numpy()).astype(history.dtype)])
    levels = list(values)
    offsets = input_offsets(spec)
    start = len(history)
    for t in range(start, start + steps):
        stat = forward_mean(fitted, np.asarray(levels), 1)[0]
        error = float(np.asarray(compiled_predict(model, buffer[t + offsets][None])).reshape(-1)[0])
        levels.append(stat + scale * error)
        buffer[t, 0] = prepared.scaler.transform_target(np.array([levels[-1]]))[0]
    return np.asarray(levels[start:], dtype=np.float64)
