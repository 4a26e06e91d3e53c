"""The runner contract: run picklable tasks somewhere, report their progress here, stop them on request.

A task is a module-level function ``fn(task, progress, cancel)`` and a
picklable argument. Every runner (inline, a process pool, Ray) promises the
same things, checked by ``tests/runners/test_contract.py``:

* ``submit`` returns a :class:`concurrent.futures.Future` holding ``fn``'s
  return value, or its exception with its type kept (an ``RnnkitError`` stays
  one, so pages can show its problem and fix);
* ``progress`` (when given) is called in the submitting process, from any
  thread, with every event the task reports, in the order it reported them;
* setting the caller's ``cancel`` token reaches the running task, whose
  ``cancel.cancelled`` turns true within about a second; a task whose token
  is set before it starts is not run, and its future is cancelled;
* ``shutdown`` stops the workers; a runner is also a context manager.

This package imports nothing from the experiment (models, data, training):
it runs any function that keeps the contract.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, ClassVar, Protocol, TypeVar

from rnnkit.progress import CancelToken

T = TypeVar("T")
R = TypeVar("R")


class TaskFunction(Protocol[T, R]):  # type: ignore[misc]
    """A task: pure apart from its progress reports and its cancel checks; module-level, so it pickles."""

    def __call__(self, task: T, progress: Callable[[Any], None] | None, cancel: CancelToken | None) -> R: ...


class Runner(ABC):
    """Runs tasks; see the module docstring for the contract every runner keeps."""

    #: the name users pick it by (``RNNKIT_RUNNER``, ``--runner``)
    name: ClassVar[str]

    @property
    @abstractmethod
    def capacity(self) -> int:
        """How many tasks run at the same time."""

    @abstractmethod
    def submit(self, fn: Callable[..., R], task: Any, progress: Callable[[Any], None] | None = None,
               cancel: CancelToken | None = None) -> Future[R]:
        """Start ``fn(task, progress, cancel)`` (now or when a worker is free) and return its future."""

    def shutdown(self, wait: bool = True) -> None:  # noqa: B027 - runners without workers have nothing to stop
        """Stop the workers; running tasks are cancelled when ``wait`` is False."""

    def describe(self) -> str:
        """One line for logs and the CLI: the runner and its capacity."""
        return f"{self.name} ({self.capacity} at a time)"

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        """Wait for the tasks after a normal exit; after an error (or Ctrl-C) cancel them instead."""
        self.shutdown(wait=exc_type is None)


def cancelled_future() -> Future[Any]:
    """A future already cancelled: what a task whose token was set before it started gives."""
    future: Future[Any] = Future()
    future.cancel()
    future.set_running_or_notify_cancel()
    return future


def cancel_future(future: Future[Any]) -> None:
    """Cancel a future that has not started and wake whoever waits on it (``Future.cancel`` alone does not)."""
    if future.cancel():
        try:
            future.set_running_or_notify_cancel()
        except RuntimeError:  # waiters were told already
            pass


def settle(future: Future[Any], result: Any = None, exception: BaseException | None = None) -> None:
    """Give ``future`` its result or exception, unless it is cancelled or settled already."""
    if future.done():
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)


class RemoteTraceback(Exception):
    """A worker's traceback text, chained under the re-raised exception (as ``concurrent.futures`` does)."""

    def __str__(self) -> str:
        return f'\n"""\n{self.args[0]}"""'


def with_remote_traceback(error: BaseException, text: str) -> BaseException:
    """``error`` with the worker's traceback as its cause, so a log shows where it really happened."""
    error.__cause__ = RemoteTraceback(text)
    return error
