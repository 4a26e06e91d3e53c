"""Hyperparameter searches as background jobs for the dashboard: one per owner, thread-safe.

A module-level :data:`SEARCHES` registry runs each search on a worker thread
and keeps its live trials, so the Search page can poll them, cancel, and show
the result after page switches and reloads. A search trains under the same
lock as comparisons when one is given, because TensorFlow's seeding and
session state are global.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rnnkit.jobs import describe_error
from rnnkit.progress import CancelToken

if TYPE_CHECKING:  # the engine is imported when a search runs
    from rnnkit.data.series import TimeSeries
    from rnnkit.scaling import ScalerKind
    from rnnkit.search import SearchEvent, SearchResult
    from rnnkit.splits import SplitSpec
    from rnnkit.training import TrainingConfig
    from rnnkit.windows.spec import WindowSpec


@dataclass
class TrialRow:
    """One trial as the page shows it."""

    number: int
    state: str
    val_rmse: float | None
    params: dict[str, Any]
    note: str = ""


@dataclass
class SearchJob:
    """One search run in the background, with its trials so far."""

    id: str
    owner: str
    budget_s: float
    #: the data searched: a name for users, and what identifies it (rnnkit.page_memory.series_scope)
    dataset: str = ""
    scope: str = ""
    status: str = "queued"  # queued, running, then the search's own status or "failed"
    started_at: float = field(default_factory=time.time)
    running_since: float | None = None
    trials: dict[int, TrialRow] = field(default_factory=dict)
    best_so_far: list[tuple[int, float]] = field(default_factory=list)  # (trial, best val RMSE after it)
    elapsed_s: float = 0.0
    budget_left_s: float = 0.0
    result: SearchResult | None = None
    error: str | None = None
    cancel: CancelToken = field(default_factory=CancelToken)
    thread: threading.Thread | None = field(default=None, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def done(self) -> bool:
        return self.status not in ("queued", "running")

    def clock(self) -> tuple[float, float]:
        """Seconds elapsed and seconds of the budget left, now (between trials' events too)."""
        if self.done or self.running_since is None:
            return self.elapsed_s, self.budget_left_s
        elapsed = time.time() - self.running_since
        return elapsed, max(self.budget_s - elapsed, 0.0)

    def on_event(self, event: SearchEvent) -> None:
        with self.lock:
            self.elapsed_s, self.budget_left_s = event.elapsed_s, event.budget_left_s
            self.trials[event.trial] = TrialRow(event.trial, event.state, event.val_rmse, event.params, event.note)
            if event.kind == "finished" and event.best_val_rmse is not None:
                self.best_so_far.append((event.trial, event.best_val_rmse))

    def rows(self) -> list[TrialRow]:
        """The trials so far, in order (a copy, safe to read while the search runs)."""
        with self.lock:
            return [self.trials[k] for k in sorted(self.trials)]


class SearchRegistry:
    """Starts, tracks and cancels searches; each owner sees only their latest one."""

    def __init__(self) -> None:
        self._jobs: dict[str, SearchJob] = {}
        self._lock = threading.Lock()

    def start(self, owner: str, series: TimeSeries, window: WindowSpec, split: SplitSpec, budget_s: float,
              n_trials: int | None, base: TrainingConfig, scaling: ScalerKind = "minmax", seed: int = 42,
              training_lock: threading.Lock | None = None, dataset: str = "", scope: str = "") -> SearchJob:
        """Start a search for ``owner`` (cancelling one that still runs) and return its job at once.

        ``dataset`` and ``scope`` name the data searched, so its best model is offered for that data only.
        """
        job = SearchJob(uuid.uuid4().hex[:12], owner, budget_s, dataset, scope, budget_left_s=budget_s)
        args = (job, series, window, split, budget_s, n_trials, base, scaling, seed, training_lock)
        job.thread = threading.Thread(target=self._run, args=args, name=f"rnnkit-search-{job.id}", daemon=True)
        with self._lock:
            previous = self._jobs.get(owner)
            if previous is not None and not previous.done:
                previous.cancel.cancel()
            self._jobs[owner] = job
        job.thread.start()
        return job

    @staticmethod
    def _run(job: SearchJob, series: TimeSeries, window: WindowSpec, split: SplitSpec, budget_s: float,
             n_trials: int | None, base: TrainingConfig, scaling: ScalerKind, seed: int,
             training_lock: threading.Lock | None) -> None:
        from rnnkit.runners import default_runner
        from rnnkit.search import search

        runner = default_runner()  # trials train in worker processes unless the runner is inline
        in_process = runner.name == "inline"
        with (training_lock if training_lock is not None and in_process else threading.Lock()):
            if job.cancel.cancelled:
                job.status = "cancelled"
                return
            job.status = "running"
            job.running_since = time.time()
            try:
                job.result = search(series, window, split, budget_s, n_trials, base, scaling, seed,
                                    progress=job.on_event, cancel=job.cancel, runner=runner)
                job.status = str(job.result.status)
            except Exception as error:  # noqa: BLE001 -- reported to the user; the server keeps running
                job.error = describe_error(error)
                job.status = "failed"

    def latest(self, owner: str) -> SearchJob | None:
        with self._lock:
            return self._jobs.get(owner)

    def cancel(self, owner: str) -> bool:
        """Stop ``owner``'s running search after its current batch; the finished trials are kept."""
        job = self.latest(owner)
        if job is None or job.done:
            return False
        job.cancel.cancel()
        return True


#: The process-wide registry the dashboard uses.
SEARCHES = SearchRegistry()
