"""Train several model specs on the same windows and compare them with baselines, honestly.

``compare`` is the engine behind the dashboard and ``python -m rnnkit compare``:
every model and baseline is scored on exactly the same test targets, in the
series' own units, with skill and a Diebold–Mariano test against the best
baseline, plus a forecast past the end of the data with conformal intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.baselines import baseline_forecasts, seasonal_period
from rnnkit.data.calendar import calendar_frame, calendar_names
from rnnkit.data.series import TimeSeries
from rnnkit.errors import RnnkitError
from rnnkit.metrics import mase_scale, metrics_table
from rnnkit.models.spec import ModelSpec
from rnnkit.prepare import PreparedData, prepare
from rnnkit.scaling import ScalerKind
from rnnkit.splits import SplitSpec
from rnnkit.training import CancelToken, ProgressCallback, TrainedModel, TrainingConfig, predict, train_model
from rnnkit.windows.indexing import gather_inputs
from rnnkit.windows.spec import WindowSpec

DEFAULT_INTERVAL = 0.9


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

    @property
    def name(self) -> str:
        return self.spec.name


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

    @property
    def best_model(self) -> str | None:
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
        return frame

    def forecast_frame(self) -> pd.DataFrame:
        """All models' forecasts past the end of the data, stacked, with their intervals."""
        parts = [r.forecast.assign(model=r.name) for r in self.models if len(r.forecast)]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns=["time", "step", "forecast", "lower", "upper", "model"])


def verdict(model: str, baseline: str, skill_pct: float, p_value: float) -> str:
    """One sentence on whether the best model beats the best baseline, and whether that is noise."""
    if not np.isfinite(skill_pct):  # the baseline's RMSE is 0: a constant or perfectly predictable test part
        return (f"{baseline} predicts the test part exactly (RMSE 0), so no model can beat it; "
                "the test part is probably constant. Choose a longer test part or another target.")
    if np.isnan(p_value):
        significance = "too few test windows to tell a real difference from noise"
    else:
        significance = ("a real difference" if p_value < 0.05 else "within noise") + " at the 5% level"
    p_text = "" if np.isnan(p_value) else f"p = {p_value:.3g}: "
    if skill_pct > 0:
        return f"{model} beats {baseline} by {skill_pct:.1f}% RMSE (Diebold–Mariano {p_text}{significance})."
    return (f"{model} does not beat {baseline}: its RMSE is {-skill_pct:.1f}% higher "
            f"(Diebold–Mariano {p_text}{significance}).")


def _shift(times: pd.DatetimeIndex, steps: np.ndarray, frequency: str | None) -> np.ndarray:
    """``times[i] + steps[j]`` rows ahead, flattened, by the calendar (for results saved without target times)."""
    if frequency is None or (steps == 0).all():
        return np.repeat(times.values, len(steps))
    offset = pd.tseries.frequencies.to_offset(frequency)
    return np.array([t + int(s) * offset for t in times for s in steps], dtype="datetime64[ns]")


def future_times(last: pd.Timestamp, rows_ahead: np.ndarray, frequency: str | None,
                 fallback_step: pd.Timedelta) -> pd.DatetimeIndex:
    """Timestamps ``rows_ahead`` rows after ``last`` (1 = the next row)."""
    if frequency is not None:
        offset = pd.tseries.frequencies.to_offset(frequency)
        return pd.DatetimeIndex([last + int(k) * offset for k in rows_ahead])
    return pd.DatetimeIndex([last + int(k) * fallback_step for k in rows_ahead])


def compare(
    series: TimeSeries,
    window: WindowSpec,
    specs: list[ModelSpec],
    split: SplitSpec = SplitSpec(),
    training: TrainingConfig = TrainingConfig(),
    scaling: ScalerKind = "minmax",
    period: int | None = None,
    interval: float = DEFAULT_INTERVAL,
    forecast_steps: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ComparisonResult:
    """Train ``specs`` one after another on the same windows and score them with the baselines.

    ``period`` overrides the seasonal period that the series' frequency implies.
    On cancellation the models that finished (and the one that was stopped) are kept.
    """
    if not specs:
        raise RnnkitError("No models to compare.", "Choose at least one model.")
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise RnnkitError(f"Two models share a name in {names}.", "Give every model its own name.")
    for spec in specs:
        if spec.horizon is not None and spec.horizon != window.horizon:
            raise RnnkitError(
                f"Model {spec.name!r} predicts {spec.horizon} steps, but the window's horizon is {window.horizon}.",
                f"Set the window horizon to {spec.horizon} to compare it, or drop it from this comparison.",
            )
        if spec.head == "time_distributed" and window.horizon != 1:
            raise RnnkitError(f"Model {spec.name!r} has a time-distributed head, which predicts one step.",
                              "Use horizon 1 for it, or choose a model with a dense head.")
    if not 0 < interval < 1:
        raise RnnkitError(f"Interval level {interval} is not a probability.", "Use a level such as 0.9 for 90%.")
    prepared = prepare(series, window, split, scaling)  # refuses settings that leave no test windows
    frequency = series.report.frequency
    if period is not None and not 1 <= period < prepared.bounds.train_stop:
        raise RnnkitError(
            f"The seasonal period {period} does not fit: it must be at least 1 and shorter than the "
            f"{prepared.bounds.train_stop} training rows.",
            "Use the number of rows in one season (12 for monthly data with a yearly cycle, 24 for hourly "
            "data with a daily one), or leave the period empty to take it from the frequency.",
        )
    period = period if period is not None else seasonal_period(frequency)
    if period is not None and period >= prepared.bounds.train_stop:
        period = None  # training is shorter than one season: no seasonal naive, MASE against naive
    y_test = prepared.scaler.inverse_target(prepared.test.targets())
    baselines = baseline_forecasts(prepared, prepared.test, period)
    results: list[ModelResult] = []
    status = "finished"
    for index, spec in enumerate(specs):
        if cancel is not None and cancel.cancelled:
            status = "cancelled"
            break
        trained = train_model(spec, prepared, training, progress, cancel, index, len(specs))
        if trained.epochs_run == 0:
            status = "cancelled"
            break
        results.append(_score(trained, prepared, interval, forecast_steps, period))
        if trained.status == "cancelled":
            status = "cancelled"
            break
    forecasts = {r.name: r.test_pred for r in results} | baselines
    kinds = {r.name: "model" for r in results} | {name: "baseline" for name in baselines}
    train_values = series.frame[series.target].to_numpy(dtype=np.float64)[: prepared.bounds.train_stop]
    table = metrics_table(y_test, forecasts, kinds, mase_scale(train_values, period),
                          lead=window.delay + window.horizon)
    index = series.frame.index
    boundaries = {"train_end": index[prepared.bounds.train_stop - 1],
                  "val_end": index[max(prepared.bounds.val_stop - 1, 0)], "end": index[-1]}
    return ComparisonResult(
        series_name=series.name, target=series.target, features=series.features, window=window,
        split=split, scaling=scaling, training=training, period=period, interval=interval,
        frequency=frequency, boundaries=boundaries, test_times=prepared.test.target_times,
        y_test=y_test, models=results, baselines=baselines, metrics=table, status=status,
        target_times=index.values[prepared.test.anchors[:, None] + window.delay + np.arange(window.horizon)],
    )


def _score(trained: TrainedModel, prepared: PreparedData, interval: float, forecast_steps: int | None,
           period: int | None) -> ModelResult:
    """Test predictions and the forecast past the end; a model whose outputs are not finite is diverged."""
    test_pred = prepared.scaler.inverse_target(predict(trained, prepared.test))
    status = "diverged" if trained.status == "diverged" or not np.isfinite(test_pred).all() else trained.status
    if status == "diverged":
        test_pred = np.full_like(test_pred, np.nan, dtype=np.float64)  # no partial scores from a broken model
        forecast = pd.DataFrame(columns=["time", "step", "forecast", "lower", "upper"])
    else:
        forecast = forecast_beyond(trained, prepared, interval, forecast_steps or period or 12)
    return ModelResult(
        spec=trained.spec, history=trained.history, train_seconds=trained.train_seconds,
        params=trained.params, epochs_run=trained.epochs_run, best_epoch=trained.best_epoch,
        status=status, test_pred=test_pred, forecast=forecast, model=trained.model,
    )


def divergence_note(result: ComparisonResult) -> str | None:
    """A warning naming the models that diverged and what to change, or None when none did."""
    if not result.diverged:
        return None
    names = ", ".join(result.diverged)
    return (f"{names} diverged: the loss or the predictions became NaN or infinite, so "
            f"{'it has' if len(result.diverged) == 1 else 'they have'} no scores. Lower the learning rate, "
            "or scale the data (MinMax or standard) if scaling is off.")


def conformal_quantiles(residuals: np.ndarray, level: float) -> np.ndarray:
    """Split-conformal half-widths per horizon step from absolute residuals ``(n, horizon)``.

    The ``ceil((n + 1) × level)``-th smallest residual; NaN when there are too
    few residuals for that rank (for example fewer than 9 at 90%), because then
    no finite width has the promised coverage.
    """
    n = len(residuals)
    rank = int(np.ceil((n + 1) * level))
    if n == 0 or rank > n:
        return np.full(residuals.shape[1], np.nan)
    return np.sort(np.abs(residuals), axis=0)[rank - 1]


def interval_note(result: ComparisonResult) -> str:
    """Where the forecast intervals come from, or why there are none: for captions and reports."""
    level = f"{round(result.interval * 100)}%"
    if result.boundaries["val_end"] == result.boundaries["train_end"]:  # an empty validation part
        return (f"No {level} intervals: the split has no validation part to calibrate them on. "
                "Give validation a share of the series to get them.")
    widths = [r.forecast["upper"] - r.forecast["lower"] for r in result.models if len(r.forecast)]
    if widths and all(w.isna().all() for w in widths):
        return (f"No {level} intervals: the validation part has too few windows for that level. "
                "Give validation more rows, or choose a lower level.")
    return (f"{level} intervals are split-conformal, from the models' errors on the validation part; for "
            "recursive forecasts they widen with the square root of the steps ahead (an approximation).")


def forecast_beyond(trained: TrainedModel, prepared: PreparedData, level: float, steps: int) -> pd.DataFrame:
    """Forecast past the last row, with conformal intervals from validation residuals (NaN without them).

    Direct when the model predicts several steps at once. With one step, it is
    recursive (each prediction fed back as the newest input) when the target is
    the only input and the delay is 0; otherwise the single step the window
    defines. Recursive interval widths grow with ``sqrt(k)``, an approximation.
    """
    spec, series = prepared.spec, prepared.series
    calibration = prepared.val  # training residuals are in-sample: far too small to calibrate on
    if len(calibration):
        residuals = prepared.scaler.inverse_target(predict(trained, calibration)) - \
            prepared.scaler.inverse_target(calibration.targets())
    else:
        residuals = np.empty((0, spec.horizon))
    half_width = conformal_quantiles(residuals, level)
    index = series.frame.index
    fallback = (index[-1] - index[0]) / max(len(index) - 1, 1)
    calendar: tuple[str, ...] = tuple(series.extras.get("calendar", ()))  # type: ignore[arg-type]
    known_future = [series.target, *calendar_names(calendar)]
    recursive = spec.horizon == 1 and spec.delay == 0 and sorted(series.inputs) == sorted(known_future) and steps > 1
    if recursive:
        rows_ahead = np.arange(1, steps + 1)
        future = future_times(index[-1], rows_ahead, series.report.frequency, fallback)
        values = _recursive(trained, prepared, future, calendar)
        widths = half_width[0] * np.sqrt(rows_ahead)
    else:
        latest = prepared.latest_window()
        output = np.asarray(trained.model.predict(latest, verbose=0))
        output = output[:, -1, :] if output.ndim == 3 else output
        values = prepared.scaler.inverse_target(output)[0]
        rows_ahead = spec.delay + 1 + np.arange(len(values))
        widths = half_width
    return pd.DataFrame({
        "time": future_times(index[-1], rows_ahead, series.report.frequency, fallback),
        "step": np.arange(1, len(values) + 1),
        "forecast": values,
        "lower": values - widths,
        "upper": values + widths,
    })


def _recursive(trained: TrainedModel, prepared: PreparedData, future: pd.DatetimeIndex,
               calendar: tuple[str, ...]) -> np.ndarray:
    """Feed each prediction back as the newest target value; calendar inputs are computed ahead."""
    spec, series = prepared.spec, prepared.series
    steps = len(future)
    history = prepared.train.inputs  # scaled; column 0 is the target, the others calendar encodings
    ahead = pd.DataFrame(0.0, index=future, columns=series.inputs)
    if calendar:
        ahead.update(calendar_frame(future, calendar))
    scaled_ahead = prepared.scaler.transform_inputs(ahead.to_numpy())
    buffer = np.concatenate([history, scaled_ahead.astype(history.dtype)])
    start = len(history)
    for k in range(steps):  # one small call per step: model() is ~3× faster than predict() for one window
        window = gather_inputs(buffer, np.array([start + k]), spec)  # rows before start + k only
        output = np.asarray(trained.model(window, training=False))
        output = output[:, -1, :] if output.ndim == 3 else output
        buffer[start + k, 0] = output[0, 0]
    return prepared.scaler.inverse_target(buffer[start:, 0])
