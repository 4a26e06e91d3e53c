"""Check a comparison request up front and cut it into independent tasks.

:func:`plan_comparison` runs every check that training would otherwise hit
later (models, window × split, folds, seasonal period, interval level, scaler,
names) synchronously, raising the typed :class:`~rnnkit.errors.RnnkitError`,
so a page shows the problem and its fix before anything is queued. The plan
then lists the work: one :class:`~rnnkit.tasks.ModelTask` per model and fold
and, per fold, one :class:`~rnnkit.tasks.BaselineTask` and one
:class:`~rnnkit.tasks.StatisticalTask`, each picklable.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from rnnkit.backtest import FoldPlan, plan_folds
from rnnkit.compare import check_models, check_period
from rnnkit.data.calendar import with_calendar_features
from rnnkit.data.series import TimeSeries
from rnnkit.errors import RnnkitError
from rnnkit.prepare import plan_windows
from rnnkit.request import ComparisonRequest, load_series
from rnnkit.scaling import SCALER_KINDS
from rnnkit.splits import SplitSpec
from rnnkit.tasks import BaselineTask, ModelTask, StatisticalTask, Unit

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class ComparisonPlan:
    """A checked request, the series it runs on (calendar added) and its units of work (one per fold)."""

    request: ComparisonRequest
    series: TimeSeries
    units: tuple[Unit, ...]
    folds: tuple[FoldPlan, ...] | None

    def model_tasks(self, model_dir: str | None = None, keep_model: bool = False) -> list[ModelTask]:
        """One task per model and unit, fold by fold, models in the order they were asked."""
        specs = self.request.models
        return [ModelTask(unit, spec, index, len(specs), self.request, model_dir, keep_model)
                for unit in self.units for index, spec in enumerate(specs)]

    def statistical_tasks(self) -> list[StatisticalTask]:
        """One task per unit for AutoETS, AutoTheta and AutoARIMA (none when the request turns them off)."""
        if not self.request.statistical:
            return []
        return [StatisticalTask(unit, self.request) for unit in self.units]

    def baseline_tasks(self) -> list[BaselineTask]:
        """One task per unit for the naive, seasonal naive, drift and linear baselines."""
        return [BaselineTask(unit, self.request) for unit in self.units]

    @property
    def n_tasks(self) -> int:
        return len(self.units) * (len(self.request.models) + 1 + int(self.request.statistical))


def plan_comparison(request: ComparisonRequest, series: TimeSeries | None = None) -> ComparisonPlan:
    """Every check, then the units of work; ``series`` saves loading the snapshot when the caller has it."""
    check_models(request.models, request.window)
    for spec in request.models:
        if not _SAFE_NAME.fullmatch(spec.name):
            raise RnnkitError(f"The model name {spec.name!r} cannot name a file.",
                              "Use letters, digits, '_', '-' and '.', starting with a letter or digit.")
    if not 0 < request.interval < 1:
        raise RnnkitError(f"Interval level {request.interval} is not a probability.",
                          "Use a level such as 0.9 for 90%.")
    if request.scaling not in SCALER_KINDS:
        raise RnnkitError(f"Unknown scaler {request.scaling!r}.", f"Use one of: {', '.join(SCALER_KINDS)}.")
    if request.forecast_steps is not None and not 1 <= request.forecast_steps <= 10_000:
        raise RnnkitError(f"A forecast of {request.forecast_steps} steps is not possible.",
                          "Forecast 1 to 10,000 steps past the end.")
    series = load_series(request.series) if series is None else series
    if request.calendar and not series.extras.get("calendar"):
        series = with_calendar_features(series)
    bounds, counts = plan_windows(series, request.window, request.split)  # window × split, before any work
    check_period(request.period, bounds.train_stop)
    _check_hybrids(request, series, bounds.train_stop, max(counts["val"], counts["test"]))
    if request.folds is None:
        units: tuple[Unit, ...] = (Unit(None, series, request.split, request.forecast),)
        return ComparisonPlan(request, series, units, None)
    folds = tuple(plan_folds(series, request.window, request.split, request.folds))
    units = tuple(_fold_unit(series, plan, request) for plan in folds)
    return ComparisonPlan(request, series, units, folds)


def _check_hybrids(request: ComparisonRequest, series: TimeSeries, train_rows: int, anchors: int) -> None:
    """Refuse hybrid models whose statistical base cannot run on this split, before anything is queued."""
    from rnnkit.compare import resolve_period
    from rnnkit.statistical import hybrid_skip_reasons

    period = resolve_period(request.period, series.report.frequency, train_rows)
    reasons = hybrid_skip_reasons(request.window, train_rows, anchors, period)
    for spec in request.models:
        if spec.hybrid is not None and spec.hybrid in reasons:
            raise RnnkitError(f"The hybrid model {spec.name!r} cannot run on this split: for its {spec.hybrid} "
                              f"base, {reasons[spec.hybrid].removeprefix('skipped to bound its cost: ')}.",
                              "Drop the hybrid from this comparison, or use a longer training part or a shorter "
                              "validation and test part.")


def _fold_unit(series: TimeSeries, plan: FoldPlan, request: ComparisonRequest) -> Unit:
    """One fold: the series cut after the fold's test rows, with the fold's split; no forecast past the end."""
    cut = dataclasses.replace(series, frame=series.frame.iloc[: plan.test_stop])
    split = SplitSpec(train_rows=plan.train_stop, val_rows=plan.test_start - plan.train_stop)
    plan_windows(cut, request.window, split)  # each fold must have windows in every part
    return Unit(plan.fold, cut, split, False)
