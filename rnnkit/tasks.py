"""A comparison's independent pieces of work, as pure picklable functions a runner can run anywhere.

:func:`run_model_task` trains, scores and forecasts one model on one unit (a
single split, or one backtest fold) and returns plain data: predictions,
history and the path of the ``.keras`` file it wrote (a live model only when
asked, for the inline runner). :func:`run_statistical_task` fits the
statistical baselines of one unit, and :func:`run_baseline_task` the simple
ones (naive, seasonal naive, drift, and the ridge, which takes seconds on long
windows). All rebuild their prepared windows from
the unit's series, which is cheap and deterministic, so no live object ever
crosses a process boundary.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnkit.baselines import SimpleForecasts, simple_forecasts
from rnnkit.data.series import TimeSeries
from rnnkit.models.spec import ModelSpec
from rnnkit.progress import CancelToken, ProgressEvent
from rnnkit.request import ComparisonRequest
from rnnkit.results import ModelResult
from rnnkit.splits import SplitSpec


@dataclass(frozen=True)
class Unit:
    """One split to score: the whole request (``fold`` None) or one backtest fold."""

    fold: int | None
    series: TimeSeries
    split: SplitSpec
    forecast: bool


@dataclass(frozen=True)
class ModelTask:
    """Train model ``spec`` (number ``index`` of ``n_models``) on ``unit``; save it into ``model_dir``."""

    unit: Unit
    spec: ModelSpec
    index: int
    n_models: int
    request: ComparisonRequest
    model_dir: str | None = None
    keep_model: bool = False

    @property
    def label(self) -> str:
        return self.spec.name if self.unit.fold is None else f"{self.spec.name} · fold {self.unit.fold}"


@dataclass(frozen=True)
class StatisticalTask:
    """Fit AutoETS, AutoTheta and AutoARIMA on ``unit`` (and forecast past the end when the unit does)."""

    unit: Unit
    request: ComparisonRequest


@dataclass(frozen=True)
class BaselineTask:
    """Forecast ``unit``'s validation and test windows with the naive, seasonal naive, drift and linear baselines."""

    unit: Unit
    request: ComparisonRequest


def prepare_unit(unit: Unit, request: ComparisonRequest) -> tuple[Any, int | None]:
    """The unit's prepared windows and its seasonal period."""
    from rnnkit.compare import resolve_period
    from rnnkit.prepare import prepare

    prepared = prepare(unit.series, request.window, unit.split, request.scaling)  # type: ignore[arg-type]
    period = resolve_period(request.period, unit.series.report.frequency, prepared.bounds.train_stop)
    return prepared, period


def run_model_task(task: ModelTask, progress: Callable[[ProgressEvent], None] | None,
                   cancel: CancelToken | None) -> ModelResult:
    """Train, score on validation and test, forecast past the end; the model saved, or kept when asked."""
    from rnnkit.compare import score_model
    from rnnkit.ensemble import train_spec

    request, unit = task.request, task.unit
    prepared, period = prepare_unit(unit, request)
    report = progress
    if progress is not None and unit.fold is not None:
        def report(event: ProgressEvent) -> None:
            progress(dataclasses.replace(event, fold=unit.fold))

    if task.spec.hybrid:  # a statistical forecast plus a network trained on its errors (rnnkit.hybrid)
        from rnnkit.hybrid import score_hybrid, train_hybrid

        trained, base = train_hybrid(task.spec, prepared, period, request.training, report, cancel, task.index,
                                     task.n_models)
        result = score_hybrid(trained, base, prepared, request.interval, request.forecast_steps, period,
                              unit.forecast)
    else:
        trained = train_spec(task.spec, prepared, request.training, report, cancel, task.index, task.n_models)
        result = score_model(trained, prepared, request.interval, request.forecast_steps, period, unit.forecast)
    if trained.epochs_run == 0:
        result.model = None
        return result
    if task.model_dir is not None and trained.model is not None and result.status != "diverged":
        folder = Path(task.model_dir)
        folder.mkdir(parents=True, exist_ok=True)
        suffix = "" if unit.fold is None else f".fold{unit.fold}"
        path = folder / f"{task.spec.name}{suffix}.keras"
        trained.model.save(path)
        result.model_path = str(path)
    if not task.keep_model:
        result.model = None
    return result


@dataclass
class StatisticalOutcome:
    """What :func:`run_statistical_task` returns: the part and the period it used."""

    part: Any  # rnnkit.compare.StatisticalPart
    period: int | None


def run_statistical_task(task: StatisticalTask, progress: Callable[[Any], None] | None,
                         cancel: CancelToken | None) -> StatisticalOutcome:
    """The statistical baselines of one unit (their own intervals; forecasts past the end when asked)."""
    from rnnkit.compare import statistical_part

    request, unit = task.request, task.unit
    prepared, period = prepare_unit(unit, request)
    steps = (request.forecast_steps or period or 12) if unit.forecast else None
    return StatisticalOutcome(statistical_part(prepared, period, request.interval, steps), period)


def run_baseline_task(task: BaselineTask, progress: Callable[[Any], None] | None,
                      cancel: CancelToken | None) -> SimpleForecasts:
    """The simple baselines of one unit, made beside the models rather than after them."""
    prepared, period = prepare_unit(task.unit, task.request)
    return simple_forecasts(prepared, period)
