"""The inline runner: every task runs in the calling thread, at once, one after another.

For tests and debugging (a breakpoint in a model works), and for library users
who want live Keras models back. ``submit`` returns when the task is done.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from rnnkit.progress import CancelToken
from rnnkit.runners.base import Runner, cancelled_future

R = TypeVar("R")


class InlineRunner(Runner):
    """Runs each task synchronously inside :meth:`submit`."""

    name = "inline"

    @property
    def capacity(self) -> int:
        return 1

    def submit(self, fn: Callable[..., R], task: Any, progress: Callable[[Any], None] | None = None,
               cancel: CancelToken | None = None) -> Future[R]:
        if cancel is not None and cancel.cancelled:
            return cancelled_future()
        future: Future[R] = Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(task, progress, cancel))
        except BaseException as error:  # noqa: BLE001 - handed to the caller through the future, as every runner does
            future.set_exception(error)
        return future
