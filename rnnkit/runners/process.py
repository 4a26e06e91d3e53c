"""The process-pool runner (the default): tasks run side by side in spawned worker processes.

Why a small pool of its own rather than ``ProcessPoolExecutor``: a worker
killed by the system (out of memory) must fail only its own task, where the
executor breaks and fails every pending one; and each running task needs its
own cancel event, which the executor cannot hand to a task.

* ``workers`` processes run at a time (default: the number of cores); each
  caps TensorFlow at ``threads`` intra-op threads (default ``max(1, cores //
  workers)``) and one inter-op thread so they do not fight: two workers of two
  threads each on 2 cores were 15% slower than of one (``CUDA_VISIBLE_DEVICES``
  is left alone);
* a worker runs up to ``max_tasks`` tasks (default 64), clearing Keras' session
  between them, and is replaced sooner when its memory passes ``max_rss_mb``
  (default 3 GB): leaving is how TensorFlow gives back what it keeps. Training
  unregisters the graphs Keras leaves behind (``rnnkit.gradient_registry``), so
  without XLA a worker's memory stays nearly flat; each XLA compilation stays
  for the process's life (~20 MB a small task, tensorflow/tensorflow#64170), which
  64 tasks bound to about 1.3 GB. bench/throughput.py (d) measures both.
  Staying saves the spawn and TensorFlow import, which cost ~12 s per task on a
  busy 2-core machine when every task had a fresh process (bench/throughput.py).
  Idle workers have imported TensorFlow, Keras and rnnkit's task modules already
  (PRELOAD), so a task
  starts within milliseconds; every free slot has one. ``spares`` (default 0)
  more warm workers can wait while tasks run; each holds ~380 MB (PSS) and its
  import competes with the trainings for the cores;
* after ``idle_exit_s`` (default 10 minutes, ``RNNKIT_WORKER_IDLE_S``) without
  a task, the idle workers leave, giving their memory back to a dashboard that
  waits; the next task starts fresh ones (the TensorFlow import, a few seconds);
* workers start with TCMalloc as their memory allocator when the system has
  it (``rnnkit.runners.allocator``; bench/throughput.py measures its share), set
  for the worker only (``rnnkit.runners.launch``); ``RNNKIT_WORKER_MALLOC=system``
  or ``allocator="system"`` turns it off;
* the parent's ``__main__`` (a Streamlit app, a script without a main guard)
  is hidden while a worker starts, so a worker never runs it;
* each worker's TensorFlow start-up output and, on a native crash, the Python
  stack (``faulthandler``) go to a crash log of its own, which the pool reads
  when the worker dies: the error then says how and where it crashed, and the
  log gets the rest;
* one thread in the caller's process dispatches tasks, reads every worker's
  pipe (progress events, then the result), forwards a set cancel token to the
  running task's event within ~0.2 s, and notices dead workers.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import pickle
import shutil
import signal
import sys
import sysconfig
import tempfile
import threading
import time
import types
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from typing import Any, TypeVar

from rnnkit.errors import RnnkitError, WorkerLostError
from rnnkit.progress import CancelToken
from rnnkit.runners.allocator import MALLOC_ENV, worker_environment
from rnnkit.runners.base import Runner, cancel_future, cancelled_future, settle, with_remote_traceback
from rnnkit.runners.launch import EnvironmentProcess
from rnnkit.runners.worker import worker_main

R = TypeVar("R")
log = logging.getLogger(__name__)

#: modules a worker imports before it says it is ready, so a task never waits for them
PRELOAD = ("tensorflow", "keras", "rnnkit.tasks", "rnnkit.compare", "rnnkit.ensemble")
POLL_S = 0.2  # how often the dispatcher looks at cancel tokens when nothing else happens
MAX_FAILED_STARTS = 3  # workers dying before they are ready, in a row, before queued tasks are failed
MAX_TASKS_PER_WORKER = 64  # tasks a worker runs before a fresh process replaces it (XLA's compilations go)
MAX_WORKER_RSS_MB = 3072.0  # a worker past this resident memory is replaced after its task
IDLE_EXIT_S = 600.0  # seconds without a task before idle workers leave (their ~380 MB each go back)
IDLE_EXIT_ENV = "RNNKIT_WORKER_IDLE_S"
SHUTDOWN_GRACE_S = 5.0  # how long cancelled running tasks get to answer before their process is terminated


@dataclass
class _Job:
    id: int
    name: str
    payload: bytes
    future: Future[Any]
    progress: Callable[[Any], None] | None
    cancel: CancelToken | None
    submitted: float = field(default_factory=time.perf_counter)


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    cancel: Event
    crash_log: str | None = None  # where its start-up output and fatal-error stacks go (worker.open_crash_log)
    ready: bool = False
    started: bool = False  # it said "ready" at least once: its imports worked
    job: _Job | None = None
    spent: bool = False  # leaving: it ran its last task, or was retired while idle

    @property
    def idle(self) -> bool:
        return self.job is None and not self.spent


class ProcessPoolRunner(Runner):
    """Runs each task in its own spawned, TensorFlow-warmed worker process, ``workers`` at a time."""

    name = "process"

    def __init__(self, workers: int | None = None, *, spares: int = 0, preload: tuple[str, ...] = PRELOAD,
                 max_tasks: int = MAX_TASKS_PER_WORKER, max_rss_mb: float = MAX_WORKER_RSS_MB,
                 idle_exit_s: float | None = None, threads: int | None = None, allocator: str | None = None) -> None:
        self._workers = max(1, workers or os.cpu_count() or 1)
        self._idle_exit_s = idle_exit_seconds() if idle_exit_s is None else idle_exit_s
        self._last_busy = time.monotonic()  # when a task was last queued or running
        self._max_tasks = max(1, max_tasks)
        self._max_rss_mb = max_rss_mb
        self._intra_op = threads or max(1, (os.cpu_count() or 1) // self._workers)
        self._spares = max(0, spares)
        self._preload = preload
        self._context = multiprocessing.get_context("spawn")
        # TCMalloc when the system has it; ``allocator`` (auto, system, a path) overrides RNNKIT_WORKER_MALLOC
        self._worker_env = worker_environment(allocator)
        self._lock = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._pool: list[_Worker] = []
        self._ids = itertools.count()
        self._closing = False
        self._failed_starts = 0  # workers in a row that died before they were ready
        self._last_start_failure = ""  # how the last of them ended, and where it crashed when it says
        self._logs = tempfile.mkdtemp(prefix="rnnkit-workers-")  # each worker's crash log, removed as it goes
        # the dispatcher removes it when it finishes; this, at exit, when it did not (a daemon thread is just stopped)
        weakref.finalize(self, shutil.rmtree, self._logs, True)
        self._abandon_at: float | None = None  # shutdown(wait=False): when to terminate what still runs
        self._wake_reader, self._wake_writer = self._context.Pipe(duplex=False)
        self._thread = threading.Thread(target=self._loop, daemon=True, name="rnnkit-process-pool")
        self._thread.start()

    @property
    def capacity(self) -> int:
        return self._workers

    def submit(self, fn: Callable[..., R], task: Any, progress: Callable[[Any], None] | None = None,
               cancel: CancelToken | None = None) -> Future[R]:
        if cancel is not None and cancel.cancelled:
            return cancelled_future()
        payload = pickle.dumps((fn, task, progress is not None))  # an unpicklable task fails here, in the caller
        future: Future[R] = Future()
        with self._lock:
            if self._closing:
                raise RuntimeError("cannot submit to a runner that was shut down")
            self._failed_starts = min(self._failed_starts, MAX_FAILED_STARTS - 1)  # one more try per submit
            self._last_busy = time.monotonic()
            self._queue.append(_Job(next(self._ids), getattr(fn, "__qualname__", repr(fn)), payload, future,
                                    progress, cancel))
        self._wake()
        return future

    def shutdown(self, wait: bool = True) -> None:
        """Stop after the queued and running tasks (``wait``), or cancel them now and stop within a few seconds."""
        with self._lock:
            self._closing = True
            if not wait and self._abandon_at is None:
                self._abandon_at = time.monotonic() + SHUTDOWN_GRACE_S
                while self._queue:
                    cancel_future(self._queue.popleft().future)
                for worker in self._pool:
                    worker.cancel.set()
        self._wake()
        if wait and self._thread is not threading.current_thread():
            self._thread.join()

    # --- the dispatcher thread -------------------------------------------------------------------------------

    def _wake(self) -> None:
        try:
            self._wake_writer.send_bytes(b"")
        except OSError:  # the dispatcher has finished and closed the pipe
            pass

    def _loop(self) -> None:
        try:
            while self._step():
                pass
        except BaseException:  # noqa: BLE001 - never leave futures hanging
            log.exception("the process pool's dispatcher failed")
            self._fail_everything("The process pool's dispatcher thread failed (see the log).")
        finally:
            try:
                self._stop_workers()
            finally:
                shutil.rmtree(self._logs, ignore_errors=True)
                self._wake_reader.close()
                self._wake_writer.close()

    def _step(self) -> bool:
        """One round: dispatch, top up workers, wait for something, handle it; False when the pool is done."""
        with self._lock:
            self._drop_cancelled()
            self._dispatch()
            if self._closing and not self._queue and not any(w.job for w in self._pool):
                return False
            if self._abandon_at is not None and time.monotonic() > self._abandon_at:
                return False
            self._top_up()
            waitables: list[Any] = [self._wake_reader]
            for worker in self._pool:
                waitables += [worker.conn, worker.process.sentinel]
        for ready in wait(waitables, timeout=POLL_S):
            if ready is self._wake_reader:
                while self._wake_reader.poll():
                    self._wake_reader.recv_bytes()
        with self._lock:
            pool = list(self._pool)
        for worker in pool:
            self._read(worker)
        self._forward_cancels()
        return True

    def _drop_cancelled(self) -> None:
        """Queued tasks whose token was set (or whose future the caller cancelled) are not run."""
        kept: deque[_Job] = deque()
        for job in self._queue:
            if (job.cancel is not None and job.cancel.cancelled) or job.future.cancelled():
                cancel_future(job.future)
            else:
                kept.append(job)
        self._queue = kept

    def _dispatch(self) -> None:
        busy = sum(1 for w in self._pool if w.job is not None)
        for worker in self._pool:
            if not worker.ready or not worker.idle:
                continue
            while self._queue and busy < self._workers and worker.job is None:
                job = self._queue.popleft()
                if not job.future.set_running_or_notify_cancel():
                    continue
                worker.cancel.clear()  # a cancel meant for its previous task must not stop this one
                try:
                    worker.conn.send_bytes(job.payload)
                except OSError:  # it died while idle; its sentinel will remove it
                    self._queue.appendleft(job)
                    worker.ready = False
                    break
                worker.job = job
                busy += 1

    def _top_up(self) -> None:
        """Idle workers for every free slot, and while tasks run at least ``spares`` warm successors."""
        if self._closing:
            return
        now = time.monotonic()
        if self._queue or any(w.job is not None for w in self._pool):
            self._last_busy = now
        elif now - self._last_busy > self._idle_exit_s:
            self._retire_idle()  # nothing to do for a while: give the memory back until the next task
            return
        if self._failed_starts >= MAX_FAILED_STARTS:  # do not respawn forever: fail what waits, retry on submit
            while self._queue:
                job = self._queue.popleft()
                if job.future.set_running_or_notify_cancel():
                    settle(job.future, exception=WorkerLostError(
                        f"Worker processes keep stopping before they are ready ({self._failed_starts} in a row; "
                        f"the last one: {self._last_start_failure}).",
                        "The log (the terminal that started rnnkit) has what it printed. "
                        "Check that `python -c 'import rnnkit.tasks'` works in this environment and that "
                        "there is memory for the workers" + self._allocator_hint() + "; or use --runner inline."))
            return
        idle = sum(1 for w in self._pool if w.idle)
        busy = sum(1 for w in self._pool if w.job is not None)
        wanted = max(self._workers - busy, min(self._spares, busy))
        for _ in range(wanted - idle):
            self._pool.append(self._spawn())

    def _retire_idle(self) -> None:
        """Ask every idle, ready worker to leave; its pipe closing removes it from the pool."""
        for worker in self._pool:
            if worker.idle and worker.ready:
                try:
                    worker.conn.send_bytes(b"")  # an empty message means "exit"
                except OSError:  # it died meanwhile; its sentinel will remove it
                    pass
                worker.spent = True

    def _spawn(self) -> _Worker:
        parent_conn, child_conn = self._context.Pipe()
        cancel = self._context.Event()
        os.makedirs(self._logs, exist_ok=True)  # a temporary-files cleaner may have removed it while idle
        crash_log = os.path.join(self._logs, f"worker-{next(self._ids)}.log")
        process = EnvironmentProcess(target=worker_main, name="rnnkit-worker", daemon=True,
                                     args=(child_conn, cancel, self._intra_op, self._preload, os.getpid(),
                                           self._max_tasks, self._max_rss_mb, crash_log),
                                     environment=self._worker_env)
        with _hidden_main():
            process.start()
        child_conn.close()
        return _Worker(process, parent_conn, cancel, crash_log)

    def _read(self, worker: _Worker) -> None:
        """Every message waiting on the worker's pipe; a closed pipe means it exited (it answered, or it died)."""
        try:
            while worker.conn.poll():
                data = worker.conn.recv_bytes()
                try:
                    message = pickle.loads(data)
                except Exception as error:  # noqa: BLE001 - e.g. an exception class that cannot be rebuilt here
                    message = ("error", RnnkitError(f"The worker's answer could not be read here: {error!r}.",
                                                    "Return (and raise) plain picklable data from task functions."),
                               "")
                self._handle(worker, message)
            if worker.process.is_alive():
                return
        except (EOFError, OSError):
            pass
        worker.process.join(timeout=1.0)
        report = _last_words(worker)
        how, where = _how(worker.process), _crash_site(report)
        crashed = where != "" or _native_crash(worker.process)
        job = worker.job
        if not worker.started and not worker.spent:
            self._failed_starts += 1  # it died before it was ready: a broken environment, or memory
            self._last_start_failure = how + where
            log.warning("an rnnkit worker stopped while it was starting (%s); %s", how, _for_log(report))
        elif job is None and crashed:
            log.warning("an idle rnnkit worker crashed (%s%s); %s", how, where, _for_log(report))
        if job is not None:
            if report:
                log.warning("the rnnkit worker running %s stopped (%s); %s", job.name, how, _for_log(report))
            fix = ("Run it again; a crash like this usually comes from a native library (TensorFlow, NumPy). If it "
                   "keeps happening, reinstall them or try other versions" + self._allocator_hint()
                   + "; the log has the crash report."
                   if crashed else
                   "Run it again; if it keeps happening, give each worker more memory: use fewer workers "
                   "(--workers or RNNKIT_WORKERS) or smaller models.")
            settle(job.future, exception=WorkerLostError(
                f"The worker process running {job.name} stopped before it answered ({how}{where}).", fix))
        worker.conn.close()
        with self._lock:
            self._pool.remove(worker)

    def _allocator_hint(self) -> str:
        """A hint to rule out the preloaded allocator, when workers start with one."""
        if "LD_PRELOAD" not in self._worker_env:
            return ""
        return f", or start workers on the system allocator ({MALLOC_ENV}=system, or allocator='system')"

    def _handle(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        kind, job = message[0], worker.job
        if kind == "ready":
            worker.ready, worker.started, self._failed_starts = True, True, 0
        elif job is None:
            return
        elif kind == "progress":
            if job.progress is not None:
                try:
                    job.progress(message[1])
                except Exception:  # noqa: BLE001 - a broken callback must not stop the pool
                    log.exception("progress callback of %s failed", job.name)
        elif kind == "done":  # ("done", result, last): a worker that stays says "ready" again
            worker.job, worker.spent, worker.ready = None, bool(message[2]) if len(message) > 2 else True, False
            settle(job.future, result=message[1])
        elif kind == "error":
            worker.job, worker.spent, worker.ready = None, bool(message[3]) if len(message) > 3 else True, False
            settle(job.future, exception=with_remote_traceback(message[1], message[2]))

    def _forward_cancels(self) -> None:
        with self._lock:
            for worker in self._pool:
                job = worker.job
                if job is not None and job.cancel is not None and job.cancel.cancelled:
                    worker.cancel.set()

    def _fail_everything(self, reason: str) -> None:
        with self._lock:
            queued, running = list(self._queue), [w.job for w in self._pool if w.job is not None]
            self._queue.clear()
        for job in queued:
            job.future.set_running_or_notify_cancel()
        for job in [*queued, *running]:
            settle(job.future, exception=WorkerLostError(reason, "Shut the runner down and make a new one."))

    def _stop_workers(self) -> None:
        """Tell idle workers to leave, terminate the rest, and reap them all."""
        with self._lock:
            pool, self._pool = self._pool, []
        for worker in pool:
            if worker.idle:
                try:
                    worker.conn.send_bytes(b"")
                except OSError:
                    pass
        deadline = time.monotonic() + 2.0
        for worker in pool:
            if worker.job is None:
                worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
        for worker in pool:
            if worker.process.is_alive():
                worker.process.terminate()
            worker.process.join(timeout=2.0)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            if worker.job is not None:
                settle(worker.job.future, exception=WorkerLostError(
                    f"{worker.job.name} was still running when the runner shut down.",
                    "Let tasks finish before shutting the runner down, or cancel them first."))
            worker.conn.close()



_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def _hidden_main() -> Iterator[None]:
    """Start a spawned process without the parent's ``__main__``.

    ``spawn`` re-runs the parent's main script in the child (as ``__mp_main__``):
    under ``streamlit run app.py`` that is the whole app, whose job manager then
    claimed queued jobs inside a worker. A bare ``__main__`` for the moment of
    ``start()`` (when the child's preparation data is read) leaves nothing to re-run.
    """
    with _MAIN_LOCK:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main


def idle_exit_seconds() -> float:
    """How long idle workers wait for a task before they leave (``RNNKIT_WORKER_IDLE_S``, else 10 minutes)."""
    value = os.environ.get(IDLE_EXIT_ENV)
    if not value:
        return IDLE_EXIT_S
    try:
        seconds = float(value)
    except ValueError as error:
        raise RnnkitError(f"{IDLE_EXIT_ENV} is {value!r}, not a number of seconds.",
                          f"Set {IDLE_EXIT_ENV} to a number such as 600, or unset it.") from error
    if seconds < 0:
        raise RnnkitError(f"{IDLE_EXIT_ENV} is {value}, below zero.", f"Set {IDLE_EXIT_ENV} to 0 or more seconds.")
    return seconds


def _last_words(worker: _Worker) -> str:
    """What a gone worker wrote to its crash log (start-up output, a fatal error's stack), its log then removed.

    TensorFlow's usual start-up notes (oneDNN, CUDA drivers, absl) are left out:
    they appear in every worker and say nothing about why this one stopped.
    """
    if worker.crash_log is None:
        return ""
    try:
        with open(worker.crash_log, "rb") as file:
            text = file.read().decode(errors="replace")
    except OSError:
        text = ""
    if worker.process.exitcode is not None:  # gone: nothing more will be written
        with contextlib.suppress(OSError):
            os.remove(worker.crash_log)
    return "\n".join(line for line in text.splitlines() if line.strip() and not _is_start_up_note(line))


REPORT_CHARS = 6000
_START_UP_NOTES = ("oneDNN custom operations", "Could not find cuda drivers", "All log messages before absl",
                   "Unable to register cu", "computation placer already registered", "TF-TRT Warning",
                   "This TensorFlow binary is optimized", "To enable the following instructions")
#: signals a broken native library sends (a SIGKILL is most often the out-of-memory killer instead)
_NATIVE_CRASHES = (signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT)


def _is_start_up_note(line: str) -> bool:
    return any(note in line for note in _START_UP_NOTES)


def _native_crash(process: BaseProcess) -> bool:
    return process.exitcode is not None and -process.exitcode in _NATIVE_CRASHES


def _for_log(report: str) -> str:
    """The crash log for the server's log: from the fatal error on, up to ``REPORT_CHARS``, with a little before."""
    if not report:
        return "its crash log is empty"
    lines = report.splitlines()
    fatal = next((i for i, line in enumerate(lines) if line.startswith("Fatal Python error")), len(lines))
    before, after = "\n".join(lines[:fatal]), "\n".join(lines[fatal:])
    before = before if len(before) <= REPORT_CHARS // 4 else "…" + before[-(REPORT_CHARS // 4):]
    after = after if len(after) <= REPORT_CHARS else after[:REPORT_CHARS] + "\n…"
    return "its crash log says:\n" + "\n".join(part for part in (before, after) if part)


def _crash_site(report: str) -> str:
    """`` in FILE, line N`` for a fatal error's report (a native crash): the innermost frame outside the standard
    library of the thread that crashed; nothing when the report does not say which thread that was.

    ``faulthandler`` lists every thread's frames, innermost first, the newest
    thread first; the crashed one is marked "Current thread". Its innermost frame
    is often in the standard library (``ctypes``, ``importlib``), which says less
    than the first frame above it: a TensorFlow module being imported, a line of
    Keras, a task's own code. A crash in a thread without Python frames (one of
    TensorFlow's own) has no "Current thread": no site is then better than a wrong one.
    """
    lines = [line.strip() for line in report.splitlines()]
    if not any(line.startswith("Fatal Python error") for line in lines):
        return ""
    crashed = next((i for i, line in enumerate(lines) if line.startswith("Current thread")), None)
    if crashed is None:
        return ""
    frames = []
    for line in lines[crashed + 1:]:
        if not line.startswith("File "):
            break  # the next thread's header, "Extension modules", or the end of the report
        if "<frozen" not in line:
            frames.append(line.removeprefix("File ").replace('"', "").split(" in ")[0])
    stdlib = sysconfig.get_paths()["stdlib"]
    outside = [frame for frame in frames if not frame.startswith(stdlib) or "-packages" in frame]
    return f" in {(outside or frames)[0]}" if frames else ""


def _how(process: BaseProcess) -> str:
    """How a worker ended, in words (a SIGKILL is usually the system's out-of-memory killer)."""
    code = process.exitcode
    if code is None:
        return "it is not responding"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}" + (", often the system running out of memory" if code == -signal.SIGKILL else "")
    if code in (126, 127):  # what a shell or env says when it cannot run the interpreter
        return f"exit code {code}: the Python interpreter could not be started"
    return f"exit code {code}"
