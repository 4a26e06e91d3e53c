"""The worker side of :class:`~rnnkit.runners.process.ProcessPoolRunner`: one spawned process, one task.

A worker limits TensorFlow's threads (before anything imports it), imports the
heavy modules it was told to preload, says ``ready`` and waits for one task on
its pipe. It runs the task with a cancel token backed by a shared event that
the parent sets, sends progress events and then the result (or the exception
with its traceback text) up the same pipe, in order, and exits: a new process
per task is how TensorFlow's memory is given back. It also exits when its
parent disappears, so a killed server leaves no orphans.
"""

from __future__ import annotations

import importlib
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from typing import Any

from rnnkit.errors import RnnkitError
from rnnkit.progress import CancelToken

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


def worker_main(conn: Connection, cancel: Event, intra_op: int, preload: tuple[str, ...], parent_pid: int) -> None:
    """Entry point of a spawned worker: warm up, run one task, answer, exit."""
    # Ctrl-C in a terminal reaches the whole process group: the parent turns it into a cancel, the worker ignores it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_threads(intra_op)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True, name="rnnkit-parent-watch").start()
    for module in preload:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 - a missing optional module only costs the task its import time
            pass
    _apply_tensorflow_threads(intra_op)
    try:
        conn.send(("ready",))
        payload = conn.recv_bytes()
    except (EOFError, OSError):
        return
    if not payload:  # the pool is closing: an empty message means "exit"
        return
    _run(conn, cancel, payload)


def _run(conn: Connection, cancel: Event, payload: bytes) -> None:
    lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with lock:
            conn.send(message)

    try:
        fn, task, wants_progress = pickle.loads(payload)
    except BaseException as error:  # noqa: BLE001 - e.g. the task's module cannot be imported here
        send(("error", RnnkitError(f"The worker could not load the task: {error}.",
                                   "Define task functions at module level in a module the workers can import."),
              traceback.format_exc()))
        return
    send(("started",))

    def progress(event: Any) -> None:
        send(("progress", event))

    try:
        message: tuple[Any, ...] = ("done", fn(task, progress if wants_progress else None, EventCancelToken(cancel)))
    except BaseException as error:  # noqa: BLE001 - every failure goes back to the caller's future
        message = ("error", error, traceback.format_exc())
    try:
        send(message)
    except Exception as error:  # noqa: BLE001 - the result or the exception does not pickle
        send(("error", RnnkitError(f"The task's {message[0] == 'done' and 'result' or 'exception'} could not be "
                                   f"sent back from the worker: {error}.",
                                   "Return (and raise) plain picklable data from task functions."),
              traceback.format_exc()))
