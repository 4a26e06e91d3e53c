"""Train several model specs on the same windows and compare them with baselines, honestly.

``compare`` is the engine behind the dashboard and ``python -m rnnkit compare``:
every model and baseline is scored on exactly the same test targets, in the
series' own units, with skill and a Diebold–Mariano test against the best
baseline, plus a forecast past the end of the data with conformal intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnkit.baselines import SimpleForecasts, seasonal_period, simple_forecasts
from rnnkit.data.calendar import calendar_frame, calendar_names
from rnnkit.data.series import TimeSeries
from rnnkit.errors import RnnkitError
from rnnkit.metrics import coverage, holm, mae, mase_scale, metrics_table, rmse, winkler
from rnnkit.models.spec import ModelSpec
from rnnkit.prepare import PreparedData
from rnnkit.request import DEFAULT_INTERVAL
from rnnkit.results import ComparisonResult, ComparisonStatus, ModelResult, future_times, typical_step  # noqa: F401 - re-exported
from rnnkit.runners.base import Runner
from rnnkit.scaling import ScalerKind
from rnnkit.splits import SplitSpec
from rnnkit.statistical import StatisticalForecasts, forecast_ahead, rolling_forecasts, season_note
from rnnkit.verdicts import divergence_note, interval_note, verdict  # noqa: F401 - re-exported
from rnnkit.training import CancelToken, ProgressCallback, TrainedModel, TrainingConfig, predict
from rnnkit.windows.spec import WindowSpec



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
    statistical: bool = True,
    forecast: bool = True,
    runner: Runner | None = None,
) -> ComparisonResult:
    """Train ``specs`` on the same windows and score them with the baselines, through ``runner``.

    ``period`` overrides the seasonal period that the series' frequency implies.
    ``statistical`` adds AutoETS, AutoTheta and AutoARIMA to the baselines;
    ``forecast`` makes forecasts past the end (backtest folds skip them).
    The best model and baseline are chosen on validation (see :func:`score_forecasters`).
    ``runner`` runs the models (and the statistical baselines) as independent
    tasks; the default comes from :func:`rnnkit.runners.default_runner`. On
    cancellation the models that trained at least one epoch are kept.
    """
    from rnnkit.execute import run_request
    from rnnkit.request import make_request

    request = make_request(series, window, specs, split, training, scaling, period=period, interval=interval,
                           forecast_steps=forecast_steps, statistical=statistical, forecast=forecast,
                           label=series.name)
    return run_request(request, runner, progress, cancel, series=series)


def check_models(specs: list[ModelSpec] | tuple[ModelSpec, ...], window: WindowSpec) -> None:
    """Refuse model lists a comparison cannot run: none, shared names, heads that do not fit the window."""
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


def check_period(period: int | None, train_rows: int) -> None:
    """Refuse a user's seasonal period that does not fit the training rows."""
    if period is not None and not 1 <= period < train_rows:
        raise RnnkitError(
            f"The seasonal period {period} does not fit: it must be at least 1 and shorter than the "
            f"{train_rows} training rows.",
            "Use the number of rows in one season (12 for monthly data with a yearly cycle, 24 for hourly "
            "data with a daily one), or leave the period empty to take it from the frequency.",
        )


def resolve_period(period: int | None, frequency: str | None, train_rows: int) -> int | None:
    """The user's period, else the frequency's; None when training is shorter than one season."""
    period = period if period is not None else seasonal_period(frequency)
    return None if period is not None and period >= train_rows else period


@dataclass
class StatisticalPart:
    """The statistical baselines' forecasts for one split, made apart from the models (another task)."""

    on_test: StatisticalForecasts
    on_val: StatisticalForecasts | None
    ahead: dict[str, pd.DataFrame]
    notes: list[str]


def statistical_part(prepared: PreparedData, period: int | None, interval: float,
                     ahead_steps: int | None) -> StatisticalPart:
    """AutoETS, AutoTheta and AutoARIMA on the validation and test windows (and past the end when asked)."""
    series, window, bounds = prepared.series, prepared.spec, prepared.bounds
    values = series.frame[series.target].to_numpy(dtype=np.float64)
    on_test = rolling_forecasts(values, bounds.val_stop, prepared.test.anchors, window.delay, window.horizon,
                                period, interval)
    on_val = None
    if len(prepared.val):
        on_val = rolling_forecasts(values, bounds.train_stop, prepared.val.anchors, window.delay, window.horizon,
                                   period, interval, tuple(on_test.points))
    ahead = _statistical_ahead(prepared, list(on_test.points), period, interval, ahead_steps) \
        if ahead_steps else {}
    notes = [note] if (note := season_note(period)) else []
    return StatisticalPart(on_test, on_val, ahead, notes)


def assemble(prepared: PreparedData, split: SplitSpec, scaling: str, results: list[ModelResult],
             training: TrainingConfig, period: int | None, interval: float, statistical: bool | StatisticalPart,
             status: str, simple: SimpleForecasts | None = None) -> ComparisonResult:
    """One split's comparison from its trained models and (precomputed or not) baselines."""
    series, window = prepared.series, prepared.spec
    part = statistical if isinstance(statistical, StatisticalPart) else None
    scored = score_forecasters(prepared, results, period, interval, statistical, simple)
    index = series.frame.index
    boundaries = {"train_end": index[prepared.bounds.train_stop - 1],
                  "val_end": index[max(prepared.bounds.val_stop - 1, 0)], "end": index[-1]}
    notes = part.notes if part is not None else \
        ([note] if statistical and (note := season_note(period)) else [])
    return ComparisonResult(
        series_name=series.name, target=series.target, features=series.features, window=window,
        split=split, scaling=scaling, training=training, period=period, interval=interval,
        frequency=series.report.frequency, boundaries=boundaries, test_times=prepared.test.target_times,
        y_test=scored.y_test, models=results, baselines=scored.baselines, metrics=scored.table,
        status=ComparisonStatus(status),
        target_times=index.values[prepared.test.anchors[:, None] + window.delay + np.arange(window.horizon)],
        intervals=scored.intervals, skipped=scored.skipped,
        baseline_forecasts=part.ahead if part is not None else {}, notes=list(notes),
        scaler=prepared.scaler.describe(list(series.inputs)),
    )


@dataclass
class ScoredForecasters:
    """Test scores of every forecaster, with the choice of best model and baseline made on validation."""

    y_test: np.ndarray
    baselines: dict[str, np.ndarray]
    intervals: dict[str, tuple[np.ndarray, np.ndarray]]
    skipped: dict[str, str]
    table: pd.DataFrame


def score_forecasters(prepared: PreparedData, results: list[ModelResult], period: int | None, interval: float,
                      statistical: bool | StatisticalPart = True,
                      simple: SimpleForecasts | None = None) -> ScoredForecasters:
    """Every model and baseline on the same validation and test targets, chosen on validation, judged on test.

    Baselines forecast the validation windows from a fit on the training rows
    and the test windows from a fit on training + validation rows. The best
    model and the reference baseline are the ones with the lowest validation
    RMSE (the test part only reports how they do); without validation windows
    they are chosen on test, and ``table.attrs["selection"]`` says so. The
    models' Diebold–Mariano p-values against the reference are Holm-corrected
    (``dm_p_holm``) because several models were compared. ``statistical`` is
    True to fit the statistical baselines here, a :class:`StatisticalPart`
    made elsewhere, or False for none; ``simple`` the simple baselines when
    another task made them (else they are fitted here).
    """
    series, window = prepared.series, prepared.spec
    values = series.frame[series.target].to_numpy(dtype=np.float64)
    y_val = prepared.actual(prepared.val) if len(prepared.val) else np.empty((0, window.horizon))
    y_test = prepared.actual(prepared.test)
    val_forecasts = {r.name: r.val_pred for r in results if r.val_pred is not None and len(r.val_pred)}
    test_forecasts = {r.name: r.test_pred for r in results}
    intervals: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for r in results:
        if r.val_pred is not None and len(r.val_pred) and np.isfinite(r.test_pred).all():
            if (band := _conformal(r.val_pred, y_val, r.test_pred, interval)) is not None:
                intervals[r.name] = band
    simple = simple_forecasts(prepared, period) if simple is None else simple
    base_test, base_val = dict(simple.on_test), dict(simple.on_val)
    val_forecasts |= base_val
    for name, pred in base_test.items():
        if name in base_val and (band := _conformal(base_val[name], y_val, pred, interval)) is not None:
            intervals[name] = band
    skipped: dict[str, str] = {}
    if statistical is True:
        statistical = statistical_part(prepared, period, interval, None)
    if isinstance(statistical, StatisticalPart):
        on_test, on_val = statistical.on_test, statistical.on_val
        skipped = dict(on_test.skipped)
        base_test |= on_test.points
        intervals |= {name: (on_test.lower[name], on_test.upper[name]) for name in on_test.points}
        if on_val is not None:
            val_forecasts |= on_val.points
            skipped |= {name: f"left out of the choice; on the validation part: {reason}"
                        for name, reason in on_val.skipped.items() if name in on_test.points}
    forecasts = test_forecasts | base_test
    kinds = {r.name: "model" for r in results} | dict.fromkeys(base_test, "baseline")
    val_scores = {name: (rmse(y_val, pred), mae(y_val, pred)) for name, pred in val_forecasts.items()}
    selection = "validation" if len(y_val) and any(np.isfinite(v[0]) for v in val_scores.values()) else "test"
    train_values = values[: prepared.bounds.train_stop]
    reference = _choose(val_scores, base_test) if selection == "validation" else None
    table = metrics_table(y_test, forecasts, kinds, mase_scale(train_values, period),
                          lead=window.delay + window.horizon, reference=reference)
    table["val_rmse"] = [val_scores.get(name, (np.nan, np.nan))[0] for name in table.index]
    table["val_mae"] = [val_scores.get(name, (np.nan, np.nan))[1] for name in table.index]
    table["coverage_pct"] = [coverage(y_test, *intervals[n]) if n in intervals else np.nan for n in table.index]
    table["winkler"] = [winkler(y_test, *intervals[n], interval) if n in intervals else np.nan for n in table.index]
    models = table[table["kind"] == "model"]
    basis = "val_rmse" if selection == "validation" else "rmse"
    candidates = models[basis][np.isfinite(models[basis].to_numpy(dtype=float))]
    best_model = candidates.idxmin() if len(candidates) else None
    adjusted = holm({name: float(models.loc[name, "dm_p"]) for name in models.index})
    table["dm_p_holm"] = [adjusted.get(name, np.nan) for name in table.index]
    table.attrs.update(selection=selection, best_model=best_model)
    return ScoredForecasters(y_test, base_test, intervals, skipped, table)


def _choose(val_scores: dict[str, tuple[float, float]], candidates: dict[str, np.ndarray]) -> str | None:
    """The candidate with the lowest finite validation RMSE, or None."""
    finite = {name: val_scores[name][0] for name in candidates
              if name in val_scores and np.isfinite(val_scores[name][0])}
    return min(finite, key=finite.__getitem__) if finite else None


def _conformal(val_pred: np.ndarray, y_val: np.ndarray, pred: np.ndarray,
               level: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Split-conformal test intervals from validation errors; None when there are too few for ``level``."""
    half = conformal_quantiles(val_pred - y_val, level)
    if not np.isfinite(half).all():
        return None
    return pred - half[None, :], pred + half[None, :]


def _statistical_ahead(prepared: PreparedData, names: list[str], period: int | None, level: float,
                       steps: int) -> dict[str, pd.DataFrame]:
    """The statistical baselines' forecasts past the end: refitted on the whole series, own intervals."""
    series = prepared.series
    values = series.frame[series.target].to_numpy(dtype=np.float64)
    index = series.frame.index
    fallback = typical_step(index)
    frames = {}
    for name, (mean, lower, upper) in forecast_ahead(values, steps, period, level, tuple(names)).items():
        frames[name] = pd.DataFrame({
            "time": future_times(index[-1], np.arange(1, steps + 1), series.report.frequency, fallback),
            "step": np.arange(1, steps + 1), "forecast": mean, "lower": lower, "upper": upper,
        })
    return frames


def score_model(trained: TrainedModel, prepared: PreparedData, interval: float, forecast_steps: int | None,
           period: int | None, forecast: bool = True) -> ModelResult:
    """Validation and test predictions and the forecast past the end; non-finite outputs mean diverged."""
    test_pred = prepared.scaler.inverse_target(predict(trained, prepared.test))
    val_pred = prepared.scaler.inverse_target(predict(trained, prepared.val)) if len(prepared.val) else None
    status = "diverged" if trained.status == "diverged" or not np.isfinite(test_pred).all() else trained.status
    empty = pd.DataFrame(columns=["time", "step", "forecast", "lower", "upper"])
    if status == "diverged":
        test_pred = np.full_like(test_pred, np.nan, dtype=np.float64)  # no partial scores from a broken model
        val_pred = None
        forecast_frame = empty
    else:
        forecast_frame = forecast_beyond(trained, prepared, interval, forecast_steps or period or 12) \
            if forecast else empty
    return ModelResult(
        spec=trained.spec, history=trained.history, train_seconds=trained.train_seconds,
        params=trained.params, epochs_run=trained.epochs_run, best_epoch=trained.best_epoch,
        status=status, test_pred=test_pred, forecast=forecast_frame, model=trained.model, val_pred=val_pred,
    )


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
            prepared.actual(calibration)
    else:
        residuals = np.empty((0, spec.horizon))
    half_width = conformal_quantiles(residuals, level)
    index = series.frame.index
    fallback = typical_step(index)
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
        from rnnkit.compiled_fit import compiled_predict  # imports Keras: only when forecasting

        output = np.asarray(compiled_predict(trained.model, latest))
        output = output[:, -1, :] if output.ndim == 3 else output
        values = prepared.scaler.inverse_target(output)[0]
        rows_ahead = spec.delay + 1 + np.arange(len(values))
        widths = half_width
    return pd.DataFrame({
        "time": future_times(index[-1], rows_ahead, series.report.frequency, fallback),
        "step": rows_ahead,  # rows after the last one, as for every forecaster (a delay skips the first ones)
        "forecast": values,
        "lower": values - widths,
        "upper": values + widths,
    })


def _recursive(trained: TrainedModel, prepared: PreparedData, future: pd.DatetimeIndex,
               calendar: tuple[str, ...]) -> np.ndarray:
    """Feed each prediction back as the newest target value; calendar inputs are computed ahead."""
    spec, series = prepared.spec, prepared.series
    history = prepared.train.inputs  # scaled; column 0 is the target, the others calendar encodings
    ahead = pd.DataFrame(0.0, index=future, columns=series.inputs)
    if calendar:
        ahead.update(calendar_frame(future, calendar))
    scaled_ahead = prepared.scaler.transform_inputs(ahead.to_numpy())
    buffer = np.concatenate([history, scaled_ahead.astype(history.dtype)])
    from rnnkit.forecasting_fast import recursive_values  # imports Keras: only when forecasting

    # every step in one compiled loop: each prediction becomes the newest target value for the next
    return prepared.scaler.inverse_target(recursive_values(trained.model, buffer, len(history), spec))
