"""Tiny module-level tasks for the runner contract tests; spawned workers and Ray workers import this module."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rnnkit.progress import CancelToken

Progress = Callable[[Any], None] | None


def echo(task: Any, progress: Progress, cancel: CancelToken | None) -> Any:
    """The task itself, back."""
    return task


def fail(task: BaseException, progress: Progress, cancel: CancelToken | None) -> None:
    """Raise the exception it was given."""
    raise task


def count(task: int, progress: Progress, cancel: CancelToken | None) -> int:
    """Report 0 .. task-1, in order, then return how many."""
    for i in range(task):
        if progress is not None:
            progress(i)
    return task


def wait_for_cancel(task: float, progress: Progress, cancel: CancelToken | None) -> tuple[bool, float]:
    """Say started, then poll the token for up to ``task`` seconds: (whether it turned true, when it was seen)."""
    if progress is not None:
        progress("started")
    deadline = time.time() + task
    while time.time() < deadline:
        if cancel is not None and cancel.cancelled:
            return True, time.time()
        time.sleep(0.01)
    return False, time.time()


def touch(task: str, progress: Progress, cancel: CancelToken | None) -> str:
    """Create the file ``task``: proof that the task ran."""
    Path(task).write_text("ran")
    return task


def block_until(task: str, progress: Progress, cancel: CancelToken | None) -> str:
    """Wait (up to a minute) until the file ``task`` exists."""
    deadline = time.time() + 60
    while not Path(task).exists() and time.time() < deadline:
        time.sleep(0.02)
    return task


def nap(task: float, progress: Progress, cancel: CancelToken | None) -> tuple[float, float]:
    """Sleep ``task`` seconds: (start, end) wall times."""
    start = time.time()
    time.sleep(task)
    return start, time.time()


def started_at(task: Any, progress: Progress, cancel: CancelToken | None) -> tuple[float, int]:
    """When it started (wall time) and in which process."""
    return time.time(), os.getpid()


def die(task: Any, progress: Progress, cancel: CancelToken | None) -> None:
    """Kill its own process, the way the out-of-memory killer would."""
    os.kill(os.getpid(), signal.SIGKILL)


class StubbornError(Exception):
    """An exception that pickles but cannot be rebuilt from its pickle (its constructor wants two arguments)."""

    def __init__(self, first: str, second: str) -> None:
        super().__init__(f"{first} {second}")


def fail_stubbornly(task: Any, progress: Progress, cancel: CancelToken | None) -> None:
    raise StubbornError("cannot", "rebuild")


class _Cycle:
    """An object in a reference cycle: only the garbage collector frees it."""

    def __init__(self) -> None:
        self.me = self


_LEFT_BEHIND: list[Any] = []  # weak references to what earlier tasks in this process dropped


def leave_a_cycle(task: Any, progress: Progress, cancel: CancelToken | None) -> tuple[int, int]:
    """Drop a reference cycle with automatic collection off (only an explicit one frees it now); return this
    process's id and how many objects the collector keeps frozen."""
    import gc
    import weakref

    gc.disable()
    _LEFT_BEHIND.append(weakref.ref(_Cycle()))
    return os.getpid(), gc.get_freeze_count()


def cycles_still_alive(task: Any, progress: Progress, cancel: CancelToken | None) -> tuple[int, int]:
    """This process's id and how many of the cycles earlier tasks dropped are still in memory."""
    return os.getpid(), sum(ref() is not None for ref in _LEFT_BEHIND)


def segfault(task: int, progress: Progress, cancel: CancelToken | None) -> None:
    """Crash its own process natively (reads address 0) ``task`` calls deep, the way a broken native library would."""
    if task > 0:
        segfault(task - 1, progress, cancel)
        return
    import ctypes

    ctypes.string_at(0)


def segfault_later(task: float, progress: Progress, cancel: CancelToken | None) -> str:
    """Answer at once, then crash the process natively ``task`` seconds later, while its worker waits idle."""
    import threading

    threading.Timer(task, _read_address_zero).start()
    return "answered"


def _read_address_zero() -> None:
    import ctypes

    ctypes.string_at(0)


def mapped_libraries(task: Any, progress: Progress, cancel: CancelToken | None) -> list[str]:
    """The file names of the shared libraries this process has mapped (Linux), to see its allocator."""
    with open("/proc/self/maps") as maps:
        return sorted({os.path.basename(line.split()[-1]) for line in maps if ".so" in line})


def environment(task: list[str], progress: Progress, cancel: CancelToken | None) -> dict[str, str | None]:
    """This process's values of the variables named in ``task`` (None where unset)."""
    return {name: os.environ.get(name) for name in task}


def exit_with(name: str) -> None:
    """Exit with the status held in environment variable ``name`` (a process target, not a task)."""
    raise SystemExit(int(os.environ.get(name, "0")))


def sleep_long() -> None:
    """Sleep until terminated (a process target, not a task)."""
    time.sleep(120)
