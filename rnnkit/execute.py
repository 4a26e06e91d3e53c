"""Run a planned comparison through a runner and assemble the result, fold by fold.

Every task of the plan (the models of every fold, and the simple and the
statistical baselines of every fold) is submitted at once, so a process pool or a Ray
cluster trains them side by side; the coordinator only waits and then
scores, which is cheap. Cancellation keeps what trained: models with at least
one epoch are compared, tasks that never started are dropped, and a backtest
keeps the folds whose every model finished.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, wait
from typing import Any
from dataclasses import dataclass

from rnnkit.backtest import BacktestResult, FoldPlan
from rnnkit.baselines import SimpleForecasts
from rnnkit.compare import assemble
from rnnkit.data.series import TimeSeries
from rnnkit.plan import ComparisonPlan, plan_comparison
from rnnkit.progress import CancelToken, LinkedCancelToken, ProgressEvent
from rnnkit.request import ComparisonRequest
from rnnkit.results import ComparisonResult, ComparisonStatus, ModelResult
from rnnkit.runners import InlineRunner, Runner, default_runner
from rnnkit.tasks import StatisticalOutcome, prepare_unit, run_baseline_task, run_model_task, run_statistical_task

ProgressCallback = Callable[[ProgressEvent], None]


@dataclass
class UnitOutcome:
    """What came back for one unit: its models (in request order), its simple and its statistical baselines."""

    results: list[ModelResult]
    statistical: StatisticalOutcome | None
    complete: bool
    simple: SimpleForecasts | None = None


def run_request(request: ComparisonRequest, runner: Runner | None = None, progress: ProgressCallback | None = None,
                cancel: CancelToken | None = None, series: TimeSeries | None = None,
                model_dir: str | None = None) -> ComparisonResult:
    """Check, plan, run and assemble ``request``: a comparison, or a backtest's last fold carrying its tables."""
    plan = plan_comparison(request, series)
    runner = default_runner() if runner is None else runner
    outcomes, status = run_plan(plan, runner, progress, cancel, model_dir)
    if plan.folds is None:
        return _assemble(plan, 0, outcomes[0], status)
    return backtest_of(plan, outcomes, status).as_result()


def backtest_of(plan: ComparisonPlan, outcomes: list[UnitOutcome], status: str) -> BacktestResult:
    """The backtest over the folds that finished, in order up to the first incomplete one."""
    assert plan.folds is not None
    folds: list[ComparisonResult] = []
    plans: list[FoldPlan] = []
    for i, (fold, outcome) in enumerate(zip(plan.folds, outcomes, strict=True)):
        if not outcome.complete:
            break
        folds.append(_assemble(plan, i, outcome, ComparisonStatus.FINISHED))
        plans.append(fold)
    if len(folds) < len(plan.folds):
        status = ComparisonStatus.CANCELLED
    return BacktestResult(plan.series.target, plan.request.window, plans, folds, status)


def run_plan(plan: ComparisonPlan, runner: Runner, progress: ProgressCallback | None = None,
             cancel: CancelToken | None = None, model_dir: str | None = None) -> tuple[list[UnitOutcome], str]:
    """Submit every task, wait for all, and sort what came back by unit; the first failure is raised."""
    cancel = CancelToken() if cancel is None else cancel
    asked, cancel = cancel, LinkedCancelToken(cancel)  # a failure stops the tasks without posing as the user's cancel
    inline = isinstance(runner, InlineRunner)
    if model_dir is None and not inline:
        model_dir = _temporary_model_dir()  # workers hand models back as files
    # Longest first, so no worker is left alone with a long task at the end: the statistical baselines (the slowest
    # tasks on long series), then the models, then the simple baselines (seconds), which fill the last gaps.
    def stop_on_failure(future: Future) -> None:  # at once, not after every other task has run
        if not future.cancelled() and future.exception() is not None:
            cancel.cancel()

    def submit(fn: Any, task: Any, report: ProgressCallback | None = None) -> Future:
        future = runner.submit(fn, task, report, cancel)
        future.add_done_callback(stop_on_failure)
        return future

    statistical: dict[int | None, Future[StatisticalOutcome]] = {
        task.unit.fold: submit(run_statistical_task, task) for task in plan.statistical_tasks()}
    models: list[Future[ModelResult]] = [submit(run_model_task, task, progress)
                                         for task in plan.model_tasks(model_dir, keep_model=inline)]
    simple: dict[int | None, Future[SimpleForecasts]] = {
        task.unit.fold: submit(run_baseline_task, task) for task in plan.baseline_tasks()}
    try:
        every: list[Future] = [*models, *statistical.values(), *simple.values()]
        wait(every)
        _raise_first_error(every)
    except BaseException:
        cancel.cancel()  # a failure (or Ctrl-C) stops the other tasks
        raise
    n_models = len(plan.request.models)
    outcomes = []
    any_cancelled = asked.cancelled
    for i, unit in enumerate(plan.units):
        results, complete = [], True
        for future in models[i * n_models:(i + 1) * n_models]:
            result = None if future.cancelled() else future.result()
            if result is None or result.epochs_run == 0:
                complete = False
                continue
            if result.status == "cancelled":
                complete = False
            results.append(result)
        stat_future = statistical.get(unit.fold)
        stat = None if stat_future is None or stat_future.cancelled() else stat_future.result()
        if stat_future is not None and stat is None:
            complete = False
        simple_future = simple[unit.fold]  # cancelled before it ran: assembling fits them instead (cheap)
        simple_part = None if simple_future.cancelled() else simple_future.result()
        any_cancelled |= not complete
        outcomes.append(UnitOutcome(results, stat, complete, simple_part))
    return outcomes, ComparisonStatus.CANCELLED if any_cancelled else ComparisonStatus.FINISHED


def _temporary_model_dir() -> str:
    """A folder for models trained in workers when the caller gave none; removed when this process exits."""
    folder = tempfile.mkdtemp(prefix="rnnkit-models-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _raise_first_error(futures: list[Future]) -> None:
    for future in futures:
        try:
            error = future.exception()
        except CancelledError:
            continue
        if error is not None:
            raise error


def _assemble(plan: ComparisonPlan, index: int, outcome: UnitOutcome, status: str) -> ComparisonResult:
    request, unit = plan.request, plan.units[index]
    prepared, period = prepare_unit(unit, request)
    statistical = outcome.statistical.part if outcome.statistical is not None else False
    return assemble(prepared, unit.split, request.scaling, outcome.results, request.training, period,
                    request.interval, statistical, status, outcome.simple)
