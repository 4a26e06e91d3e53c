"""Comparisons as durable background jobs: queued in the run store, dispatched by each server process.

A :class:`JobManager` (the dashboard keeps one per server process) checks a
request at once (:func:`~rnnkit.plan.plan_comparison`, so a mistake is shown
before anything waits), queues it in the run store's ``jobs`` table
(:mod:`rnnkit.jobqueue`) and returns a :class:`Job`. Its dispatcher thread
claims queued jobs atomically and fairly across owners, up to ``concurrency``
at a time, and runs each through :func:`~rnnkit.execute.run_request` on the
shared runner, its models saved inside the run's staging folder. A heartbeat
thread keeps this process's jobs (and their runs) alive, writes their progress
snapshots, passes on cancel requests made through other servers, and marks the
jobs of servers that stopped beating ``interrupted``. Queued jobs survive a
restart: the next server sharing the runs folder picks them up.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import errno
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rnnkit.errors import RnnkitError
from rnnkit.jobqueue import (DEFAULT_OWNER_LIMIT, INTERRUPTED_MESSAGE, SERVER_STOPPED_MESSAGE, JobQueue,
                             JobRecord, JobStatus)
from rnnkit.progress import CancelToken, ProgressEvent
from rnnkit.store import HEARTBEAT_S, RunStore

if TYPE_CHECKING:  # the engine is imported when a job runs, so pages that only track jobs stay light
    from rnnkit.data.series import TimeSeries
    from rnnkit.request import ComparisonRequest
    from rnnkit.results import ComparisonResult
    from rnnkit.runners import Runner

OWNER_LIMIT_ENV = "RNNKIT_JOBS_PER_OWNER"
CONCURRENCY_ENV = "RNNKIT_CONCURRENT_JOBS"
log = logging.getLogger(__name__)
POLL_S = 1.0  # how often an idle dispatcher looks for jobs queued by other servers

#: Held while a comparison trains inside this process (the inline runner) and while a search trains:
#: TensorFlow's seeding and session state are global to the process.
IN_PROCESS_TRAINING = threading.Lock()

__all__ = ["Job", "JobManager", "JobStatus", "ModelProgress", "TaskStatus", "describe_error"]


class TaskStatus(StrEnum):
    """Where one model (or one model on one fold) of a job stands."""

    WAITING = "waiting"
    TRAINING = "training"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass
class ModelProgress:
    """Live state of one task of a job: a model, or a model on one backtest fold."""

    name: str
    epochs: int
    epoch: int = 0
    elapsed_s: float = 0.0
    status: TaskStatus = TaskStatus.WAITING
    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the current pace, assuming every remaining epoch runs."""
        if self.epoch == 0 or self.status != TaskStatus.TRAINING:
            return None
        return self.elapsed_s / self.epoch * (self.epochs - self.epoch)

    def describe(self, stopped: bool = False) -> tuple[float, str]:
        """The task's progress bar: the share done and one line of text.

        ``stopped``: the job is over (interrupted, failed or cancelled), so a task that did not
        finish says where it stopped, without a time left.
        """
        share = min(self.epoch / self.epochs, 1.0) if self.epochs else 0.0
        if self.status == TaskStatus.DONE:
            return 1.0, f"{self.name}: done in {self.elapsed_s:.0f} s ({_epochs(self.epoch)})"
        if (stopped or self.status == TaskStatus.CANCELLED) and self.epoch == 0:
            return 0.0, f"{self.name}: not trained"
        if stopped or self.status == TaskStatus.CANCELLED:
            return share, f"{self.name}: stopped at epoch {self.epoch} of {self.epochs}, after {self.elapsed_s:.0f} s"
        if self.status == TaskStatus.WAITING:
            return 0.0, f"{self.name}: waiting for a free worker"
        eta = f", about {self.eta_s:.0f} s left" if self.eta_s is not None else ""
        return share, f"{self.name}: epoch {self.epoch} of {self.epochs} · {self.elapsed_s:.0f} s{eta}"

    def snapshot(self) -> dict[str, Any]:
        return {"epochs": self.epochs, "epoch": self.epoch, "elapsed_s": round(self.elapsed_s, 2),
                "status": self.status.value, "loss": self.loss, "val_loss": self.val_loss}

    @classmethod
    def from_snapshot(cls, name: str, data: dict[str, Any]) -> ModelProgress:
        try:
            status = TaskStatus(data.get("status", TaskStatus.WAITING))
        except ValueError:
            status = TaskStatus.WAITING
        return cls(name, int(data.get("epochs", 0)), int(data.get("epoch", 0)), float(data.get("elapsed_s", 0.0)),
                   status, list(data.get("loss", [])), list(data.get("val_loss", [])))


class RunnerSetupError(Exception):
    """The runner could not be made from the configuration; ``cause`` says why and how to fix it."""

    def __init__(self, cause: RnnkitError) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _epochs(count: int) -> str:
    return f"{count} epoch" if count == 1 else f"{count} epochs"


@dataclass(eq=False)
class Job:
    """One queued comparison as a page sees it: status, progress per task, and the result once done.

    ``owner`` is the owner's hash (as stored). ``position`` is the place in the queue while queued.
    """

    id: str
    owner: str
    label: str
    models: dict[str, ModelProgress]
    status: JobStatus = JobStatus.QUEUED
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    result: ComparisonResult | None = None
    error: str | None = None
    run_id: str | None = None
    position: int | None = None
    cancel: CancelToken = field(default_factory=CancelToken)
    thread: threading.Thread | None = field(default=None, repr=False)
    _changed: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def done(self) -> bool:
        return self.status.done

    @property
    def message(self) -> str | None:
        return self.error

    def on_progress(self, event: ProgressEvent) -> None:
        """Fold a runner's event into the task it is about (created on its first event)."""
        with self._lock:
            model = self.models.get(event.task)
            if model is None:
                model = self.models[event.task] = ModelProgress(event.task, event.epochs)
            model.epoch, model.elapsed_s = event.epoch, event.elapsed_s
            if event.kind == "started":
                model.status = TaskStatus.TRAINING
            elif event.kind == "epoch":
                model.loss.append(event.logs.get("loss", float("nan")))
                if "val_loss" in event.logs:
                    model.val_loss.append(event.logs["val_loss"])
            else:
                model.status = TaskStatus.CANCELLED if event.kind == "cancelled" else TaskStatus.DONE
            self._changed = True

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {name: progress.snapshot() for name, progress in self.models.items()}

    def take_changes(self) -> dict[str, Any] | None:
        """The progress snapshot when it changed since the last call (what the heartbeat writes)."""
        with self._lock:
            changed, self._changed = self._changed, False
        return self.snapshot() if changed else None

    @classmethod
    def from_record(cls, record: JobRecord) -> Job:
        models = {name: ModelProgress.from_snapshot(name, data) for name, data in record.progress.items()
                  if isinstance(data, dict)}
        return cls(record.id, record.owner, record.label, models, record.status, record.created_at,
                   record.started_at, error=record.message, run_id=record.run_id)

    def refresh(self, record: JobRecord) -> None:
        """Take what another server (or the queue) decided: its status, run, message and progress."""
        self.status, self.run_id, self.started_at = record.status, record.run_id, record.started_at
        self.error = record.message
        if record.progress:
            self.models = Job.from_record(record).models


def describe_error(error: BaseException) -> str:
    """A job's error as one sentence: rnnkit's own message, a full disk in words, or the exception."""
    if isinstance(error, RnnkitError):
        return str(error)
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return ("There is no space left on the disk. Free some space, or point RNNKIT_RUNS_DIR at a disk with "
                "room, then run the comparison again.")
    return f"{type(error).__name__}: {error}"


def _env_int(name: str, default: int | None) -> int | None:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return max(int(value), 1)
    except ValueError as error:
        raise RnnkitError(f"{name} is {value!r}, not a whole number.", f"Set {name} to a number such as 5.") from error


class JobManager:
    """Queues, dispatches, tracks and cancels comparison jobs of one server process; thread-safe.

    ``concurrency`` (default: the runner's capacity, ``RNNKIT_CONCURRENT_JOBS``) jobs run at a
    time; each owner may have ``owner_limit`` (``RNNKIT_JOBS_PER_OWNER``, default 5) waiting or
    running. ``dispatch=False`` queues without running until :meth:`resume` (tests, and CLI tools).
    """

    def __init__(self, store: RunStore | None = None, runner: Runner | None = None, *,
                 concurrency: int | None = None, owner_limit: int | None = None, heartbeat_s: float = HEARTBEAT_S,
                 stale_after_s: float | None = None, keep_per_owner: int = 3, dispatch: bool = True) -> None:
        self.store = store if store is not None else RunStore()
        self.queue = JobQueue(self.store)
        self.server_id = uuid.uuid4().hex  # this process's claims: not pid and host, which a restart reuses
        self.owner_limit = owner_limit or _env_int(OWNER_LIMIT_ENV, DEFAULT_OWNER_LIMIT) or DEFAULT_OWNER_LIMIT
        self.heartbeat_s = heartbeat_s
        self.stale_after_s = self.store.stale_after_s if stale_after_s is None else stale_after_s
        self.keep_per_owner = keep_per_owner
        self._runner = runner
        self._concurrency = concurrency or _env_int(CONCURRENCY_ENV, None)
        self._live: dict[str, Job] = {}  # submitted or run by this process
        self._running: set[str] = set()  # claimed here, not yet recorded as done
        self._unrecorded: dict[str, tuple[JobStatus, str | None, dict[str, Any]]] = {}  # ends not yet written
        self._results: dict[str, ComparisonResult] = {}  # results of jobs that finished on other servers
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()  # no more claims
        self._stop_beating = threading.Event()  # set by close() once this process's jobs have ended
        self._runner_error_logged = False
        self._exiting = False  # set at interpreter exit: jobs the runner stops then were interrupted, not cancelled
        self._threads: list[threading.Thread] = []
        if dispatch:
            self.resume()

    # configuration

    @property
    def runner(self) -> Runner:
        """The runner jobs train on: the one given, or the process's shared default (made on first use)."""
        if self._runner is None:
            from rnnkit.runners import default_runner

            self._runner = default_runner()
            if self._threads:  # a dispatching manager: registered after the runner's own exit hook, so it runs first
                atexit.register(self.prepare_for_exit)
        return self._runner

    def prepare_for_exit(self) -> None:
        """At interpreter exit (a server stopped by SIGTERM or Ctrl-C), before the runner stops its workers: claim
        nothing more, and record the jobs it stops as interrupted, with Run again, not as cancelled by their owners.
        """
        self._exiting = True
        self._stop.set()
        self._wake.set()

    @property
    def concurrency(self) -> int:
        return max(self._concurrency or self.runner.capacity, 1)

    @property
    def training_lock(self) -> threading.Lock:
        """Held while anything trains in this process; a search takes it too, so TensorFlow trains one at a time."""
        return IN_PROCESS_TRAINING

    @property
    def snapshot_folder(self) -> Path:
        """Where requests' series are snapshotted: beside the runs, so queued jobs survive a restart."""
        return self.store.series_folder

    # lifecycle

    def resume(self) -> None:
        """Start the dispatcher (which first tidies the queue's history and snapshots) and heartbeat threads (once)."""
        with self._lock:
            if self._threads:
                return
            self._threads = [threading.Thread(target=self._dispatch_loop, name="rnnkit-dispatcher", daemon=True),
                             threading.Thread(target=self._heartbeat_loop, name="rnnkit-heartbeat", daemon=True)]
            for thread in self._threads:
                thread.start()

    def tidy(self) -> None:
        """Forget jobs that ended a month ago and delete series snapshots nothing refers to any more."""
        try:
            self.queue.forget()
            self.store.prune_series()
        except (RnnkitError, OSError):  # a read-only or damaged store: tidying can wait for the next start
            log.warning("could not tidy the job queue in %s", self.store.root, exc_info=True)

    def close(self, timeout: float = 60) -> None:
        """Stop claiming, cancel this process's running jobs and wait for them, then stop the heartbeat.

        The heartbeat goes on while cancelled jobs wind down (keeping what trained), so no
        other server takes them for interrupted meanwhile.
        """
        self._stop.set()
        self._wake.set()
        dispatcher, heartbeat = (self._threads + [None, None])[:2]
        if dispatcher is not None and dispatcher is not threading.current_thread():
            dispatcher.join(timeout)  # no claim after this: the running jobs listed next are all of them
        with self._lock:
            running = [self._live[i] for i in self._running if i in self._live]
        for job in running:
            job.cancel.cancel()
        for thread in (j.thread for j in running if j.thread is not None):
            thread.join(timeout)
        self._stop_beating.set()
        if heartbeat is not None:
            heartbeat.join(timeout)

    # submitting

    def start(self, owner: str, request: ComparisonRequest, series: TimeSeries | None = None) -> Job:
        """Check ``request`` now (an :class:`RnnkitError` surfaces here), queue it for ``owner``, return its job."""
        from rnnkit.plan import plan_comparison

        request = self._durable(request, series)
        plan = plan_comparison(request, series)
        label = request.label or plan.series.name
        record = self.queue.submit(owner, label, request.to_dict(), self.owner_limit)
        if not Path(request.series.path).is_file():  # pruned between saving and queueing (another server)
            from rnnkit.request import load_series, save_series

            save_series(series if series is not None else load_series(request.series), self.snapshot_folder)
        job = Job.from_record(record)
        job.models = {t.label: ModelProgress(t.label, request.training.epochs) for t in plan.model_tasks()}
        with self._lock:
            # The dispatcher may have claimed the job since it was queued, and launched its own Job for it:
            # that one is the job (replacing it would leave a running job shown as queued forever).
            live = self._live.setdefault(job.id, job)
            if live is not job and not live.models:
                live.models = job.models
        self._wake.set()
        return live

    def _durable(self, request: ComparisonRequest, series: TimeSeries | None) -> ComparisonRequest:
        """The request with its snapshot under the runs folder (a cache folder may be cleared)."""
        from rnnkit.request import load_series, save_series

        from rnnkit.snapshots import touch

        folder = self.snapshot_folder
        if Path(request.series.path).parent.resolve() == folder.resolve() and touch(Path(request.series.path)):
            return request  # already there (run again), and marked as used now
        ref = save_series(series if series is not None else load_series(request.series), folder)
        return dataclasses.replace(request, series=ref)

    def run_again(self, job_or_run_id: str, owner: str) -> Job:
        """Queue the stored request of one of ``owner``'s jobs or runs again, exactly as it was asked."""
        from rnnkit.request import ComparisonRequest

        record = self.queue.get(job_or_run_id, owner)
        values: Any
        if record is not None:
            values = record.request
        else:
            run = self.store.record(job_or_run_id, owner)
            values = run.params.get("request")
            if not isinstance(values, dict):
                raise RnnkitError(f"Run {job_or_run_id} was stored without the request it was asked with "
                                  "(it was made by an older rnnkit).",
                                  "Start it again from the Train & compare page with the same settings.")
        return self.start(owner, ComparisonRequest.from_dict(values))

    # reading

    def _view(self, record: JobRecord) -> Job:
        with self._lock:
            job = self._live.get(record.id)
        if job is None:
            job = Job.from_record(record)
        elif record.id not in self._running and job.thread is None:
            job.refresh(record)  # queued here, but claimed (or cancelled) elsewhere
        elif record.status == JobStatus.INTERRUPTED and not job.done:
            job.status, job.error = record.status, record.message
        job.position = self.queue.position(job.id) if job.status == JobStatus.QUEUED else None
        if job.result is None and job.run_id and job.status in (JobStatus.FINISHED, JobStatus.CANCELLED):
            job.result = self._stored_result(job.run_id)
        return job

    def _stored_result(self, run_id: str) -> ComparisonResult | None:
        """A result written by another server, read once from the store; None when it cannot be read."""
        if run_id not in self._results:
            try:
                result = self.store.load(run_id)
            except RnnkitError:
                return None
            with self._lock:
                self._results[run_id] = result
                while len(self._results) > 8:
                    self._results.pop(next(iter(self._results)))
        return self._results.get(run_id)

    def get(self, job_id: str, owner: str) -> Job | None:
        record = self.queue.get(job_id, owner)
        return None if record is None else self._view(record)

    def jobs_for(self, owner: str) -> list[Job]:
        """``owner``'s waiting and running jobs and the latest ``keep_per_owner`` done ones, oldest first."""
        records = self.queue.for_owner(owner)
        done = [r for r in records if r.status.done][-self.keep_per_owner:] if self.keep_per_owner else []
        keep = {r.id for r in done} | {r.id for r in records if not r.status.done}
        return [self._view(r) for r in records if r.id in keep]

    def latest(self, owner: str) -> Job | None:
        records = self.queue.for_owner(owner)
        return self._view(records[-1]) if records else None

    def latest_request(self, owner: str) -> ComparisonRequest | None:
        """The request of ``owner``'s latest job (else stored run) whose series is still on disk, or None.

        A restarted server (or a new tab) has lost the session's data; this is how
        a page offers the series and settings of the user's last comparison again.
        """
        from rnnkit.request import ComparisonRequest

        asked: list[Any] = [record.request for record in reversed(self.queue.for_owner(owner))]
        asked += [record.params.get("request") for record in self.store.list(owner=owner)]
        for values in asked:
            if not values:
                continue
            try:
                request = ComparisonRequest.from_dict(values)
            except (RnnkitError, TypeError, ValueError):  # an older or damaged request: try the one before
                continue
            if Path(request.series.path).is_file():
                return request
        return None

    def position(self, job: Job) -> int | None:
        """The job's place in the queue (1: next), or None when it is not waiting."""
        return self.queue.position(job.id)

    # cancelling

    def cancel(self, job_id: str, owner: str) -> bool:
        """Stop a job of ``owner``: a queued one at once, a running one after its current batch (keeping what
        finished); a job running on another server stops at that server's next heartbeat."""
        previous = self.queue.cancel(job_id, owner)
        if previous is None:
            return False
        with self._lock:
            job = self._live.get(job_id)
        if job is not None:
            job.cancel.cancel()
            if previous == JobStatus.QUEUED:
                job.status = JobStatus.CANCELLED
        return True

    # dispatching

    def _dispatch_loop(self) -> None:
        self.tidy()  # here, not in the page's first run: a big runs folder must not delay it
        with contextlib.suppress(RnnkitError):
            self.expire()
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self._claim_some()
            except RunnerSetupError as error:
                self._fail_queued(error.cause)
            except RnnkitError:
                pass  # the store cannot be written now: try again at the next poll
            self._wake.wait(POLL_S)

    def _fail_queued(self, error: RnnkitError) -> None:
        """The runner cannot be made (RNNKIT_RUNNER, RNNKIT_WORKERS, …): say so on every queued job, not wait."""
        if not self._runner_error_logged:  # once, not at every poll
            log.error("cannot make the runner: %s", error)
            self._runner_error_logged = True
        while not self._stop.is_set() and (record := self.queue.claim(self.server_id)) is not None:
            self.queue.finish(record.id, JobStatus.FAILED,
                              f"This server cannot train: {error.problem} {error.fix}")

    def _claim_some(self) -> None:
        try:
            capacity = self.concurrency  # makes the runner on first use
        except RnnkitError as error:
            raise RunnerSetupError(error) from error
        while not self._stop.is_set():
            with self._lock:
                busy = len(self._running)
            if busy >= capacity:
                return
            record = self.queue.claim(self.server_id)
            if record is None:
                return
            self._launch(record)

    def _launch(self, record: JobRecord) -> None:
        with self._lock:
            job = self._live.get(record.id)
            if job is None:
                job = self._live[record.id] = Job.from_record(record)
            job.status, job.started_at = JobStatus.RUNNING, record.started_at
            self._running.add(job.id)
        job.thread = threading.Thread(target=self._work, args=(job, record), name=f"rnnkit-job-{job.id}",
                                      daemon=True)
        job.thread.start()

    def _work(self, job: Job, record: JobRecord) -> None:
        """Run one claimed job to its end and record the end in the queue, whatever happens."""
        status: JobStatus = JobStatus.FAILED
        message: str | None = "The job stopped unexpectedly."
        try:
            status, message = self._train(job, record)
        except BaseException as error:  # noqa: BLE001 -- reported to the user; the server keeps running
            message = describe_error(error)
            if job.run_id is not None and not self.store.fail(job.run_id, message):
                message += (" The run store could not record the failure either; the run is shown as failed "
                            "and the index is updated once the disk has room again.")
        finally:
            if self._exiting and not job.cancel.cancelled and status != JobStatus.FINISHED:  # stopped by the exit
                kept = status == JobStatus.CANCELLED and job.result is not None and bool(job.result.models)
                status, message = JobStatus.INTERRUPTED, SERVER_STOPPED_MESSAGE if kept else INTERRUPTED_MESSAGE
            self._record_end(job.id, status, message, job.snapshot())
            if job.status != JobStatus.INTERRUPTED:  # after the queue has it: a job done here is done in lists too
                job.status, job.error = status, message
            self._forget_old(job.owner)
            self._wake.set()

    def _train(self, job: Job, record: JobRecord) -> tuple[JobStatus, str | None]:
        from rnnkit.execute import run_request
        from rnnkit.request import ComparisonRequest, load_series
        from rnnkit.runners import InlineRunner

        request = ComparisonRequest.from_dict(record.request)
        in_process = isinstance(self.runner, InlineRunner)
        with IN_PROCESS_TRAINING if in_process else contextlib.nullcontext():
            if job.cancel.cancelled or record.cancel_requested:
                return JobStatus.CANCELLED, None
            series = load_series(request.series)
            params = {"window": dataclasses.asdict(request.window), "training": request.training.to_dict(),
                      "scaler": request.scaling, "features": list(series.features), "backtest_folds": request.folds,
                      "request": record.request, "job_id": job.id}
            job.run_id = self.store.start(job.label, series.target, [s.name for s in request.models], params,
                                          hashed_owner=record.owner)
            self.queue.attach_run(job.id, job.run_id)
            try:
                result = run_request(request, self.runner, job.on_progress, job.cancel,
                                     model_dir=str(self.store.work_dir(job.run_id)))
            except RnnkitError as error:
                if not job.cancel.cancelled:
                    raise
                self.store.fail(job.run_id, f"Cancelled before anything could be kept ({error.problem})")
                return JobStatus.CANCELLED, "Cancelled before any model (or fold) finished."
        self.store.finish(job.run_id, result)
        for model in result.models:  # saved as .keras: free the TensorFlow graphs
            model.model = None
        job.result = result
        return JobStatus(str(result.status)), None

    def _record_end(self, job_id: str, status: JobStatus, message: str | None, progress: dict[str, Any]) -> None:
        """Write how a job ended; on a full disk, keep it and retry with each heartbeat until it is written."""
        try:
            self.queue.finish(job_id, status, message, progress)
        except RnnkitError:
            with self._lock:
                self._unrecorded[job_id] = (status, message, progress)
            return
        with self._lock:
            self._running.discard(job_id)

    def _forget_old(self, owner: str) -> None:
        """Keep only the newest done jobs of an owner in memory; their rows and runs stay in the store."""
        with self._lock:
            done = sorted((j for j in self._live.values() if j.owner == owner and j.done and j.id not in self._running),
                          key=lambda j: j.created_at)
            for job in done[: max(len(done) - self.keep_per_owner, 0)]:
                del self._live[job.id]

    # heartbeat

    def _heartbeat_loop(self) -> None:
        while not self._stop_beating.wait(self.heartbeat_s):
            with contextlib.suppress(RnnkitError):
                self.beat()
            with contextlib.suppress(RnnkitError):
                self.expire()

    def beat(self) -> None:
        """Keep this process's running jobs and runs alive, save their progress, pass on cancel requests."""
        with self._lock:
            unrecorded = dict(self._unrecorded)
            running = [self._live[i] for i in self._running if i in self._live]
        for job_id, (status, message, progress) in unrecorded.items():
            self.queue.finish(job_id, status, message, progress)
            with self._lock:
                self._unrecorded.pop(job_id, None)
                self._running.discard(job_id)
        snapshots = {job.id: snap for job in running if (snap := job.take_changes()) is not None}
        for job_id in self.queue.beat(self.server_id, snapshots):
            with self._lock:
                job = self._live.get(job_id)
            if job is not None:
                job.cancel.cancel()

    def expire(self) -> list[str]:
        """Mark jobs (and runs) whose server stopped beating for ``stale_after_s`` interrupted; their ids."""
        expired = self.queue.expire(self.stale_after_s, INTERRUPTED_MESSAGE)
        for job_id in expired:
            with self._lock:
                job = self._live.get(job_id)
            if job is not None and not job.done:  # this process stalled past the limit: stop its training too
                job.status, job.error = JobStatus.INTERRUPTED, INTERRUPTED_MESSAGE
                job.cancel.cancel()
        return expired

