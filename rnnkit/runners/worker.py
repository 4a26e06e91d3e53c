"""The worker side of :class:`~rnnkit.runners.process.ProcessPoolRunner`: one spawned process, a few tasks.

A worker limits TensorFlow's threads (before anything imports it), imports the
heavy modules it was told to preload, says ``ready`` and waits for a task on
its pipe. It runs the task with a cancel token backed by a shared event that
the parent sets, sends progress events and then the result (or the exception
with its traceback text) up the same pipe, in order. It then clears Keras'
session and takes the next task, up to ``max_tasks``, or exits sooner when
its memory has grown past ``max_rss_mb``: leaving is how TensorFlow gives back
what it keeps, and staying saves the 3–5 s TensorFlow import per task. It
also exits when its parent disappears, so a killed server leaves no orphans.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import importlib
import os
import tempfile
import pickle
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from typing import IO, Any

from rnnkit.errors import RnnkitError
from rnnkit.progress import CancelToken
from rnnkit.runners.allocator import restore_parent_preload

THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "OMP_NUM_THREADS")


class EventCancelToken(CancelToken):
    """A cancel token read from an event the parent process sets."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self._shared = event

    def cancel(self) -> None:
        self._shared.set()

    @property
    def cancelled(self) -> bool:
        return self._shared.is_set()


def limit_threads(intra_op: int) -> None:
    """Cap TensorFlow's (and OpenMP's) threads so that workers side by side do not fight for the cores."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(intra_op)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _apply_tensorflow_threads(intra_op: int) -> None:
    """The same cap through TensorFlow's API, for a worker whose parent's ``__main__`` imported it already."""
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return
    try:
        tf.config.threading.set_intra_op_parallelism_threads(intra_op)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow was initialised already: the environment variables applied instead
        pass


def _exit_with_parent(parent_pid: int) -> None:
    """Leave at once when the parent is gone (killed with SIGKILL, say): no orphan keeps training."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:
            os._exit(3)


def rss_mb() -> float:
    """This process's resident memory in MB (Linux; 0 where /proc is not there)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def _freeze_imports() -> None:
    """Move everything imported so far out of the garbage collector's sight, for the worker's life.

    ``clear_session`` collects garbage after every task, and a full collection
    walks every object: with TensorFlow and Keras imported, that took 0.22-0.29 s
    after each Jena-sized training on this 2-core machine, a pause before the
    worker's next task. Modules and what they built at import live as long as the
    worker, so the collector never needs to look at them again (``gc.freeze``);
    what a task makes is still collected. Frozen, the same clean-up took
    0.01-0.06 s. Frozen objects are still freed when nothing refers to them; only
    import-time cycles dropped later (Keras' first graph and state, replaced by
    ``clear_session``) are kept, once per worker, not once per task.
    """
    gc.collect()
    gc.freeze()


def _forget_models() -> None:
    """Free what the last task's models hold in Keras, between tasks (``clear_session`` collects garbage too)."""
    keras = sys.modules.get("keras")
    if keras is not None:
        keras.backend.clear_session(free_memory=True)
    else:
        gc.collect()


def open_crash_log(path: str | None) -> IO[bytes] | None:
    """The file this worker's native start-up output and fatal-error stacks go to (``path``; a temporary one if None).

    The parent names the file and reads it when the worker dies: a crash inside
    TensorFlow's import (a segmentation fault, an illegal instruction on an old
    CPU) otherwise leaves nothing but an exit signal. ``faulthandler`` writes the
    Python stack there on such a signal (SIGSEGV, SIGFPE, SIGABRT, SIGBUS, SIGILL)
    for the worker's whole life; Python's own fatal errors after start-up still
    go to the terminal.
    """
    log: IO[bytes] | None = None
    if path:
        with contextlib.suppress(OSError):  # its folder gone: an unnamed file still keeps the noise off the terminal
            log = open(path, "w+b")  # noqa: SIM115 - open for the worker's life
    if log is None:
        try:
            log = tempfile.TemporaryFile()
        except OSError:  # no temporary folder at all: nothing to capture
            return None
    faulthandler.enable(file=log)
    return log


@contextlib.contextmanager
def _native_stderr_captured(capture: IO[bytes] | None) -> Iterator[Callable[[], bytes]]:
    """Send file descriptor 2 to ``capture`` meanwhile; yields a function reading what was written there.

    TensorFlow's C++ start-up lines ignore ``TF_CPP_MIN_LOG_LEVEL`` and would be
    printed by every worker into the user's terminal, between the progress lines.
    The caller shows the capture when something went wrong.
    """
    if capture is None:  # no file to capture to
        yield lambda: b""
        return
    try:
        saved = os.dup(2)
    except OSError:  # no such descriptor (a detached process): nothing to capture
        yield lambda: b""
        return
    start = capture.seek(0, os.SEEK_END)
    os.dup2(capture.fileno(), 2)

    def captured() -> bytes:
        end = capture.tell()
        capture.seek(start)
        text = capture.read()
        capture.seek(end)
        return text

    try:
        yield captured
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def worker_main(conn: Connection, cancel: Event, intra_op: int, preload: tuple[str, ...], parent_pid: int,
                max_tasks: int = 1, max_rss_mb: float = float("inf"), crash_log: str | None = None) -> None:
    """Entry point of a spawned worker: warm up, then run tasks until ``max_tasks`` or ``max_rss_mb``, then exit.

    ``crash_log``: the file where TensorFlow's start-up output and the stack of a
    native crash go (:func:`open_crash_log`), for the parent to read if this dies.
    """
    restore_parent_preload()  # TCMalloc stays this worker's allocator, but not of the processes it starts
    # Ctrl-C in a terminal reaches the whole process group: the parent turns it into a cancel, the worker ignores it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_threads(intra_op)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True, name="rnnkit-parent-watch").start()
    failed = []
    log = open_crash_log(crash_log)
    with _native_stderr_captured(log) as captured:  # TensorFlow's start-up notes (oneDNN, CUDA, absl), once per worker
        for module in preload:
            try:
                importlib.import_module(module)
            except Exception as error:  # noqa: BLE001 - a missing optional module only costs the task its import time
                failed.append(f"rnnkit worker: could not preload {module} ({type(error).__name__}: {error})\n")
        _apply_tensorflow_threads(intra_op)
        notes = captured() if failed else b""
    _freeze_imports()
    if failed:  # then the native notes may say why: shown, not swallowed
        sys.stderr.write(notes.decode(errors="replace") + "".join(failed))
    for number in range(1, max_tasks + 1):
        try:
            conn.send(("ready",))
            payload = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if not payload:  # the pool is closing: an empty message means "exit"
            return
        if _run(conn, cancel, payload, number == max_tasks, max_rss_mb):
            return  # the parent sees the pipe close and starts a fresh worker when one is needed
        _forget_models()


def _run(conn: Connection, cancel: Event, payload: bytes, last: bool = True,
         max_rss_mb: float = float("inf")) -> bool:
    """Run one task and answer; True when this worker leaves after it (the answer says so)."""
    lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with lock:
            conn.send(message)

    try:
        fn, task, wants_progress = pickle.loads(payload)
    except BaseException as error:  # noqa: BLE001 - e.g. the task's module cannot be imported here
        send(("error", RnnkitError(f"The worker could not load the task: {error}.",
                                   "Define task functions at module level in a module the workers can import."),
              traceback.format_exc(), last))
        return last
    send(("started",))

    def progress(event: Any) -> None:
        send(("progress", event))

    try:
        result = fn(task, progress if wants_progress else None, EventCancelToken(cancel))
        last = last or rss_mb() > max_rss_mb
        message: tuple[Any, ...] = ("done", result, last)
    except BaseException as error:  # noqa: BLE001 - every failure goes back to the caller's future
        last = True  # after a failure, a fresh process: nothing half-done carries over
        message = ("error", error, traceback.format_exc(), last)
    try:
        send(message)
    except Exception as error:  # noqa: BLE001 - the result or the exception does not pickle
        send(("error", RnnkitError(f"The task's {message[0] == 'done' and 'result' or 'exception'} could not be "
                                   f"sent back from the worker: {error}.",
                                   "Return (and raise) plain picklable data from task functions."),
              traceback.format_exc(), last))
    return last
