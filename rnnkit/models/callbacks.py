"""The Keras callbacks behind rnnkit's progress events, cancellation and search trials. Imports Keras."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import keras

from rnnkit.progress import CancelToken, ProgressCallback, ProgressEvent


class ProgressReporter(keras.callbacks.Callback):
    """Turns Keras' epoch hooks into :class:`ProgressEvent`s and stops after a batch when cancelled."""

    def __init__(self, name: str, index: int, n_models: int, epochs: int,
                 progress: ProgressCallback | None, cancel: CancelToken | None) -> None:
        super().__init__()
        self.name, self.index, self.n_models, self.epochs = name, index, n_models, epochs
        self.progress, self.cancel = progress, cancel
        self.cancelled = False
        self.epochs_done = 0
        self.start = time.perf_counter()

    def _emit(self, kind: str, logs: dict[str, Any] | None = None) -> None:
        if self.progress is not None:
            self.progress(ProgressEvent(kind, self.name, self.index, self.n_models, self.epochs_done,
                                        self.epochs, time.perf_counter() - self.start,
                                        {k: float(v) for k, v in (logs or {}).items()}))

    def on_train_begin(self, logs=None) -> None:
        self.start = time.perf_counter()
        self._emit("started")

    def on_train_batch_end(self, batch, logs=None) -> None:
        if self.cancel is not None and self.cancel.cancelled:
            self.cancelled = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None) -> None:
        self.epochs_done = epoch + 1
        self._emit("epoch", logs)

    def on_train_end(self, logs=None) -> None:
        self._emit("cancelled" if self.cancelled else "finished", logs)


class TrialMonitor(keras.callbacks.Callback):
    """A search trial's eyes on training: reports each epoch's validation loss and stops a pruned or late trial.

    ``report(epoch, val_loss)`` returns True when the trial should be pruned
    (Optuna's ``trial.report`` then ``trial.should_prune``); ``deadline`` is a
    ``time.time()`` after which training stops after the current batch.
    """

    def __init__(self, report: Callable[[int, float], bool] | None, deadline: float | None = None) -> None:
        super().__init__()
        self.report, self.deadline = report, deadline
        self.pruned = False
        self.out_of_time = False

    def on_train_batch_end(self, batch, logs=None) -> None:
        if self.deadline is not None and time.time() >= self.deadline:
            self.out_of_time = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None) -> None:
        value = float((logs or {}).get("val_loss", float("nan")))
        if self.report is not None and math.isfinite(value) and self.report(epoch, value):
            self.pruned = True
            self.model.stop_training = True
