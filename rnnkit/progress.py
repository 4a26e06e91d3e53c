"""Progress events and cancellation shared by training, comparisons and background jobs.

Kept free of heavy imports so the dashboard can track jobs without loading
scikit-learn or TensorFlow.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a comparison's progress: ``kind`` is started, epoch, finished or cancelled."""

    kind: str
    model: str
    model_index: int
    n_models: int
    epoch: int
    epochs: int
    elapsed_s: float
    logs: dict[str, float] = field(default_factory=dict)
    #: the backtest fold this event belongs to (None for a single split)
    fold: int | None = None

    @property
    def task(self) -> str:
        """What this event is about, as a user reads it: the model, and the fold in a backtest."""
        return self.model if self.fold is None else f"{self.model} · fold {self.fold}"


ProgressCallback = Callable[[ProgressEvent], None]


class CancelToken:
    """Thread-safe cancellation flag shared by a caller and a running comparison."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class LinkedCancelToken(CancelToken):
    """Set when its own flag or its ``parent``'s is; cancelling it leaves the parent alone.

    A comparison stops its remaining tasks through one of these when a task fails,
    so the caller's token still says whether the *user* cancelled: a failure is
    then reported as a failure, with its reason, not as a cancellation.
    """

    def __init__(self, parent: CancelToken) -> None:
        super().__init__()
        self._parent = parent

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or self._parent.cancelled
