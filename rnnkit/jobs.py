"""Comparisons as background jobs: they outlive page changes and reloads, one owner each.

A process-wide :class:`JobManager` (the dashboard keeps one per server) runs
jobs on worker threads, one at a time because TensorFlow's seeding and session
state are global. Each job belongs to an owner token, and owners only see
their own jobs. Progress events are kept so any page can draw bars and live
loss curves; results are saved to the :class:`~rnnkit.store.RunStore`.
"""

from __future__ import annotations

import errno
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rnnkit.errors import RnnkitError
from rnnkit.progress import CancelToken, ProgressEvent

if TYPE_CHECKING:  # the engine is imported when a job runs, so pages that only track jobs stay light
    from rnnkit.results import ComparisonResult
    from rnnkit.data.series import TimeSeries
    from rnnkit.models.spec import ModelSpec
    from rnnkit.scaling import ScalerKind
    from rnnkit.splits import SplitSpec
    from rnnkit.store import RunStore
    from rnnkit.training import TrainingConfig
    from rnnkit.windows.spec import WindowSpec


@dataclass
class ModelProgress:
    """Live state of one model in a job."""

    name: str
    epochs: int
    epoch: int = 0
    elapsed_s: float = 0.0
    status: str = "waiting"
    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the current pace, assuming every remaining epoch runs."""
        if self.epoch == 0 or self.status != "training":
            return None
        return self.elapsed_s / self.epoch * (self.epochs - self.epoch)


@dataclass
class Job:
    """One comparison run in the background."""

    id: str
    owner: str
    label: str
    models: dict[str, ModelProgress]
    status: str = "queued"
    started_at: float = field(default_factory=time.time)
    result: ComparisonResult | None = None
    error: str | None = None
    run_id: str | None = None
    cancel: CancelToken = field(default_factory=CancelToken)
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def done(self) -> bool:
        return self.status in {"finished", "cancelled", "failed"}

    def on_progress(self, event: ProgressEvent) -> None:
        model = self.models[event.model]
        model.epoch, model.elapsed_s = event.epoch, event.elapsed_s
        if event.kind == "started":
            model.status = "training"
        elif event.kind == "epoch":
            model.loss.append(event.logs.get("loss", float("nan")))
            if "val_loss" in event.logs:
                model.val_loss.append(event.logs["val_loss"])
        else:
            model.status = "cancelled" if event.kind == "cancelled" else "done"


def describe_error(error: BaseException) -> str:
    """A job's error as one sentence: rnnkit's own message, a full disk in words, or the exception."""
    if isinstance(error, RnnkitError):
        return str(error)
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return ("There is no space left on the disk. Free some space, or point RNNKIT_RUNS_DIR at a disk with "
                "room, then run the comparison again.")
    return f"{type(error).__name__}: {error}"


class JobManager:
    """Starts, tracks and cancels jobs; thread-safe."""

    def __init__(self, store: RunStore | None = None, keep_per_owner: int = 3) -> None:
        self.store = store
        self.keep_per_owner = keep_per_owner
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._training = threading.Lock()  # one comparison trains at a time

    def start(self, owner: str, label: str, series: TimeSeries, window: WindowSpec, specs: list[ModelSpec],
              split: SplitSpec, training: TrainingConfig, scaling: ScalerKind = "minmax",
              period: int | None = None, folds: int | None = None) -> Job:
        """Queue a comparison (a rolling-origin backtest of ``folds`` folds when given) and return its job at once."""
        if not specs:
            raise RnnkitError("No models were chosen.", "Tick at least one model to train.")
        job = Job(uuid.uuid4().hex[:12], owner, label,
                  {s.name: ModelProgress(s.name, training.epochs) for s in specs})
        if folds is not None:
            from rnnkit.backtest import plan_folds

            plan_folds(series, window, split, folds)  # refuse impossible fold counts now, not in the thread
        args = (job, series, window, specs, split, training, scaling, period, folds)
        job.thread = threading.Thread(target=self._run, args=args, name=f"rnnkit-job-{job.id}", daemon=True)
        with self._lock:
            self._forget_old(owner)
            self._jobs[job.id] = job
        job.thread.start()
        return job

    def _run(self, job: Job, series: TimeSeries, window: WindowSpec, specs: list[ModelSpec], split: SplitSpec,
             training: TrainingConfig, scaling: ScalerKind, period: int | None, folds: int | None = None) -> None:
        from rnnkit.backtest import backtest
        from rnnkit.compare import compare

        with self._training:
            with self._lock:  # against cancel(): a job is either cancelled while queued, or running
                if job.cancel.cancelled:
                    job.status = "cancelled"
                    return
                job.status = "running"
            params: dict[str, Any] = {"window": window.__dict__, "training": training.to_dict(), "scaler": scaling,
                                      "features": list(series.features), "backtest_folds": folds}
            try:
                if self.store is not None:
                    job.run_id = self.store.start(job.label, series.target, [s.name for s in specs], params,
                                                  job.owner)
                if folds is None:
                    job.result = compare(series, window, specs, split, training, scaling, period=period,
                                         progress=job.on_progress, cancel=job.cancel)
                else:
                    job.result = backtest(series, window, specs, folds, split, training, scaling, period=period,
                                          progress=job.on_progress, cancel=job.cancel).as_result()
                if self.store is not None and job.run_id is not None:
                    self.store.finish(job.run_id, job.result)
                    for model in job.result.models:  # saved as .keras: free the TensorFlow graphs
                        model.model = None
                job.status = job.result.status
            except Exception as error:  # noqa: BLE001 -- reported to the user; the server keeps running
                job.error = describe_error(error)
                if self.store is not None and job.run_id is not None and not self.store.fail(job.run_id, job.error):
                    job.error += (" The run store could not record the failure either; the run is shown as failed "
                                  "and the index is updated once the disk has room again.")
                job.status = "failed"
            finally:
                if not job.done:  # never leave a job running after its thread ends
                    job.status = "failed"
                    job.error = job.error or "The job stopped unexpectedly."

    def _forget_old(self, owner: str) -> None:
        """Keep only the newest finished jobs of an owner in memory; their runs stay in the store."""
        finished = sorted((j for j in self._jobs.values() if j.owner == owner and j.done), key=lambda j: j.started_at)
        for job in finished[: max(len(finished) - self.keep_per_owner + 1, 0)]:
            del self._jobs[job.id]

    def get(self, job_id: str, owner: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def jobs_for(self, owner: str) -> list[Job]:
        with self._lock:
            return sorted((j for j in self._jobs.values() if j.owner == owner), key=lambda j: j.started_at)

    def latest(self, owner: str) -> Job | None:
        jobs = self.jobs_for(owner)
        return jobs[-1] if jobs else None

    @property
    def training_lock(self) -> threading.Lock:
        """Held while a comparison trains; a search takes it too, so TensorFlow trains one thing at a time."""
        return self._training

    def cancel(self, job_id: str, owner: str) -> bool:
        """Stop a job of ``owner``: a queued one at once, a running one after its current batch."""
        job = self.get(job_id, owner)
        if job is None or job.done:
            return False
        job.cancel.cancel()
        with self._lock:
            if job.status == "queued":  # not started: nothing to keep, and its thread will skip training
                job.status = "cancelled"
        return True
