"""The Ray runner: tasks run as Ray tasks on a cluster (or on a local Ray for tests), one CPU each.

Optional: ``pip install -r requirements-ray.txt``; ``ray`` is imported when a
:class:`RayRunner` is made, never by ``import rnnkit``.

Where it connects (``address``, or ``RNNKIT_RAY_ADDRESS``, which also selects
this runner in :func:`rnnkit.runners.make_runner`):

* ``auto``: the cluster this machine belongs to. Ray's advice is to run the
  driver (the dashboard or ``python -m rnnkit``) on the cluster itself with
  ``auto``, or to send it there through the Ray Jobs API, rather than to
  connect from outside with Ray Client;
* ``ray://host:port``: Ray Client, for a driver outside the cluster (the
  cluster needs the same Ray, Python and rnnkit versions);
* ``local``: start a private Ray inside this process (``workers`` CPUs, no
  dashboard, a 100 MB object store, no usage statistics): tests and laptops.

Recent Ray can require token authentication (``RAY_AUTH_MODE=token``): the
token then comes from ``RAY_AUTH_TOKEN`` or the file ``RAY_AUTH_TOKEN_PATH``
names, in the environment of whatever starts rnnkit. The cluster's workers must
be able to import rnnkit and the task functions (install them on the cluster,
or give ``ray.init`` a ``runtime_env``).

Design: a task declares ``num_cpus=1`` and is never retried (a crash is
reported as :class:`~rnnkit.errors.WorkerLostError`). Ray keeps its worker
processes and their imported TensorFlow between tasks, which saves the 3-5 s
import per task; ``max_calls`` recycles a worker after 64 tasks, as the process
pool does, so what TensorFlow keeps (XLA's compilations) stays bounded.
Progress goes through a ``ray.util.queue.Queue`` drained by a thread here;
cancellation through a small actor the task's token polls (at most every 0.2 s). At most ``workers``
tasks are in Ray at once, so a task cancelled while queued never starts.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from rnnkit.errors import RnnkitError, WorkerLostError
from rnnkit.progress import CancelToken
from rnnkit.runners.worker import limit_threads
from rnnkit.runners.base import Runner, cancel_future, cancelled_future, settle, with_remote_traceback

R = TypeVar("R")
log = logging.getLogger(__name__)

LOCAL = "local"
POLL_S = 0.2
MAX_CALLS = 64  # tasks per Ray worker process before Ray replaces it (as the pool's max_tasks)
LOCAL_OBJECT_STORE_BYTES = 100 * 1024 * 1024


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as error:
        raise RnnkitError("The Ray runner needs Ray, which is not installed.",
                          "pip install -r requirements-ray.txt (or use RNNKIT_RUNNER=process).") from error
    return ray


class _Board:
    """A Ray actor: the cancelled task ids, which running tasks poll."""

    def __init__(self) -> None:
        self._cancelled: set[int] = set()

    def cancel(self, task_id: int) -> None:
        self._cancelled.add(task_id)

    def is_cancelled(self, task_id: int) -> bool:
        return task_id in self._cancelled


class _BoardToken(CancelToken):
    """A running task's cancel token: asks the board, at most every ``POLL_S`` seconds, and remembers a yes."""

    def __init__(self, board: Any, task_id: int) -> None:
        super().__init__()
        self._board, self._id, self._asked = board, task_id, 0.0

    @property
    def cancelled(self) -> bool:
        if not self._event.is_set() and time.monotonic() - self._asked >= POLL_S:
            import ray

            self._asked = time.monotonic()
            if ray.get(self._board.is_cancelled.remote(self._id)):
                self._event.set()
        return self._event.is_set()


def _run_task(fn: Callable[..., Any], task: Any, task_id: int, queue: Any, board: Any,
              wants_progress: bool) -> tuple[Any, ...]:
    """The Ray task: run ``fn`` unless cancelled already; progress into the queue; the error as data."""
    import ray

    if "tensorflow" not in sys.modules:  # the worker's first task: one CPU was declared, so one intra-op thread
        limit_threads(1)
    if ray.get(board.is_cancelled.remote(task_id)):
        return ("not run",)
    queue.put((task_id, "started", None))

    def progress(event: Any) -> None:
        queue.put((task_id, "progress", event))  # blocks until queued: events stay in order, before the result

    try:
        return ("done", fn(task, progress if wants_progress else None, _BoardToken(board, task_id)))
    except BaseException as error:  # noqa: BLE001 - handed back with its type kept
        return ("error", error, traceback.format_exc())


@dataclass
class _Job:
    """A submitted task; its future runs from the moment the task reports that it started."""

    id: int
    name: str
    fn: Callable[..., Any]
    task: Any
    future: Future[Any]
    progress: Callable[[Any], None] | None
    cancel: CancelToken | None
    ref: Any = None
    started: bool = False
    told: bool = False  # the board knows it is cancelled


class RayRunner(Runner):
    """Runs each task as a Ray task (``num_cpus=1``), at most ``workers`` at a time (default: the cluster's CPUs)."""

    name = "ray"

    def __init__(self, address: str = "auto", workers: int | None = None) -> None:
        ray = self._ray = _import_ray()
        from ray.util.queue import Queue

        self._owns_ray = False
        if not ray.is_initialized():
            if address == LOCAL:
                os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
                ray.init(num_cpus=workers or os.cpu_count() or 1, include_dashboard=False,
                         object_store_memory=LOCAL_OBJECT_STORE_BYTES, log_to_driver=False)
                self._owns_ray = True
            else:
                try:
                    ray.init(address=address, log_to_driver=False)
                except (ConnectionError, RuntimeError, ValueError) as error:
                    raise RnnkitError(f"Cannot connect to a Ray cluster at {address!r}: {error}",
                                      "Start one (ray start --head), set RNNKIT_RAY_ADDRESS to auto or "
                                      "ray://host:port, or use RNNKIT_RUNNER=process.") from error
        self._workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._remote = ray.remote(num_cpus=1, max_retries=0, max_calls=MAX_CALLS)(_run_task)
        self._board = ray.remote(num_cpus=0)(_Board).remote()
        self._queue = Queue(actor_options={"num_cpus": 0})
        self._lock = threading.Lock()
        self._waiting: deque[_Job] = deque()
        self._running: dict[int, _Job] = {}
        self._ids = itertools.count()
        self._closing = False
        self._abandon = False
        self._thread = threading.Thread(target=self._loop, daemon=True, name="rnnkit-ray-runner")
        self._thread.start()

    @property
    def capacity(self) -> int:
        return self._workers

    def submit(self, fn: Callable[..., R], task: Any, progress: Callable[[Any], None] | None = None,
               cancel: CancelToken | None = None) -> Future[R]:
        if cancel is not None and cancel.cancelled:
            return cancelled_future()
        future: Future[R] = Future()
        with self._lock:
            if self._closing:
                raise RuntimeError("cannot submit to a runner that was shut down")
            self._waiting.append(_Job(next(self._ids), getattr(fn, "__qualname__", repr(fn)), fn, task, future,
                                      progress, cancel))
        return future

    def shutdown(self, wait: bool = True) -> None:
        """Finish (``wait``) or cancel what was submitted, then remove this runner's actors (and a local Ray)."""
        with self._lock:
            if self._closing and not self._thread.is_alive():
                return
            self._closing = True
            self._abandon = not wait
        if self._thread is not threading.current_thread():
            self._thread.join()

    # --- the listener thread -----------------------------------------------------------------------------------

    def _loop(self) -> None:
        try:
            while self._step():
                pass
        except BaseException:  # noqa: BLE001 - never leave futures hanging
            log.exception("the Ray runner's listener failed")
            self._abandon = True
        finally:
            self._close()

    def _step(self) -> bool:
        with self._lock:
            if self._abandon:
                return False
            self._start_waiting()
            if self._closing and not self._waiting and not self._running:
                return False
            refs = {job.ref: job for job in self._running.values()}
        self._drain(POLL_S if refs else 0.0)
        if not refs:
            time.sleep(POLL_S / 4)
        else:
            done, _ = self._ray.wait(list(refs), num_returns=len(refs), timeout=0)
            if done:
                self._drain(0.0)  # every event of a finished task was queued before it returned
            for ref in done:
                self._finish(refs[ref])
        self._forward_cancels()
        return True

    def _start_waiting(self) -> None:
        while self._waiting and len(self._running) < self._workers:
            job = self._waiting.popleft()
            if (job.cancel is not None and job.cancel.cancelled) or job.future.cancelled():
                cancel_future(job.future)
                continue
            job.ref = self._remote.remote(job.fn, job.task, job.id, self._queue, self._board,
                                          job.progress is not None)
            self._running[job.id] = job
        for job in list(self._waiting):
            if (job.cancel is not None and job.cancel.cancelled) or job.future.cancelled():
                self._waiting.remove(job)
                cancel_future(job.future)

    def _drain(self, timeout: float) -> None:
        from ray.util.queue import Empty

        try:
            items = [self._queue.get(block=timeout > 0, timeout=timeout or None)]
            items += self._queue.get_nowait_batch(self._queue.qsize())
        except Empty:
            return
        for task_id, kind, event in items:
            job = self._running.get(task_id)
            if job is None:
                continue
            if kind == "started":
                job.started = True
                if not job.future.cancelled():  # cancelled meanwhile: its answer is dropped
                    job.future.set_running_or_notify_cancel()
            elif job.progress is not None:
                try:
                    job.progress(event)
                except Exception:  # noqa: BLE001 - a broken callback must not stop the runner
                    log.exception("progress callback of %s failed", job.name)

    def _finish(self, job: _Job) -> None:
        ray = self._ray
        with self._lock:
            self._running.pop(job.id, None)
        try:
            answer = ray.get(job.ref)
        except ray.exceptions.TaskCancelledError:
            cancel_future(job.future)
            settle(job.future, exception=WorkerLostError(f"Ray cancelled {job.name} while it ran.", "Run it again."))
            return
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError,
                ray.exceptions.OutOfMemoryError, ray.exceptions.RayActorError) as error:
            settle(job.future, exception=WorkerLostError(
                f"The Ray worker running {job.name} stopped before it answered ({type(error).__name__}).",
                "Run it again; if it keeps happening, give the workers more memory or use smaller models."))
            return
        except ray.exceptions.RayTaskError as error:
            settle(job.future, exception=RnnkitError(
                f"{job.name} failed on the Ray cluster before it ran: {error}",
                "Install the same rnnkit (and the task's module) on the cluster's workers."))
            return
        except Exception as error:  # noqa: BLE001 - e.g. an answer that cannot be rebuilt here
            settle(job.future, exception=RnnkitError(f"The answer of {job.name} could not be read here: {error!r}.",
                                                     "Return (and raise) plain picklable data from task functions."))
            return
        if answer[0] == "done":
            settle(job.future, result=answer[1])
        elif answer[0] == "error":
            settle(job.future, exception=with_remote_traceback(answer[1], answer[2]))
        else:  # "not run": cancelled before it started
            cancel_future(job.future)

    def _forward_cancels(self) -> None:
        with self._lock:
            jobs = list(self._running.values())
        for job in jobs:
            if job.told or not ((job.cancel is not None and job.cancel.cancelled) or job.future.cancelled()):
                continue
            job.told = True
            self._board.cancel.remote(job.id)  # a running task sees it through its token
            if not job.started:  # still queued in Ray: it will not run
                cancel_future(job.future)
                self._ray.cancel(job.ref)

    def _close(self) -> None:
        ray = self._ray
        with self._lock:
            waiting, running = list(self._waiting), list(self._running.values())
            self._waiting.clear()
            self._running.clear()
        for job in waiting:
            cancel_future(job.future)
        for job in running:
            ray.cancel(job.ref, force=True)
            settle(job.future, exception=WorkerLostError(f"{job.name} was still running when the runner shut down.",
                                                       "Let tasks finish before shutting the runner down."))
        for actor in (self._board, self._queue.actor):
            try:
                ray.kill(actor)
            except Exception:  # noqa: BLE001 - already gone with its cluster
                pass
        if self._owns_ray:
            ray.shutdown()
