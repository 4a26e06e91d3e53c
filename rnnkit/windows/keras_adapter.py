"""Wrap :class:`WindowBatches` as a ``keras.utils.PyDataset`` for ``model.fit``.

Kept apart so that importing the data layer never imports TensorFlow.
"""

from __future__ import annotations

import keras

from rnnkit.windows.batches import WindowBatches


class KerasWindowBatches(keras.utils.PyDataset):
    """A PyDataset view of window batches; reshuffles at each epoch end when shuffling."""

    def __init__(self, batches: WindowBatches, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.batches = batches

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, index: int):
        return self.batches[index]

    def on_epoch_end(self) -> None:
        self.batches.on_epoch_end()
