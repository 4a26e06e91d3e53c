"""The Keras callback behind rnnkit's progress events and cancellation. Imports Keras."""

from __future__ import annotations

import time
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
