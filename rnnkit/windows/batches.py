"""Windows as arrays (small series) or as batches gathered on demand (large ones).

Materialising every Jena window (420,551 × 240 × 14 float32) would take about
5.6 GB; :class:`WindowBatches` holds only the series and the anchor list and
gathers one batch at a time, so memory does not grow with the number of windows.
"""

from __future__ import annotations

import numpy as np

from rnnkit.windows.indexing import StridedWindows, gather_sequence_targets, gather_targets
from rnnkit.windows.spec import WindowSpec

#: Above this many bytes of input windows, stream batches instead of materialising.
MATERIALISE_LIMIT_BYTES = 256 * 1024 * 1024


class WindowBatches:
    """A sequence of ``(inputs, targets)`` batches over the windows at ``anchors``.

    Behaves like ``keras.utils.Sequence`` (``len``, indexing, ``on_epoch_end``)
    without importing Keras; ``rnnkit.windows.tf_datasets.batches_dataset`` turns it
    into a ``tf.data`` pipeline for ``model.fit``. With ``shuffle=True`` the window
    order is a fresh seeded permutation every epoch.
    """

    def __init__(
        self,
        inputs: np.ndarray,
        target: np.ndarray,
        anchors: np.ndarray,
        spec: WindowSpec,
        batch_size: int = 128,
        shuffle: bool = False,
        seed: int | None = None,
        sequence_targets: bool = False,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.inputs = inputs
        self.target = np.ascontiguousarray(target)  # np.take copies non-contiguous arrays whole
        self._windows = StridedWindows(inputs, spec)
        self.anchors = np.asarray(anchors, dtype=np.int64)
        self.spec = spec
        self.batch_size = batch_size
        self.shuffle = shuffle
        self._gather_targets = gather_sequence_targets if sequence_targets else gather_targets
        self._rng = np.random.default_rng(seed)
        # Positions into ``anchors``, shuffled in place each epoch: 4 bytes per window, no new allocation.
        index_type = np.int32 if len(self.anchors) < 2**31 else np.int64
        self._order = np.arange(len(self.anchors), dtype=index_type)
        if shuffle:
            self._rng.shuffle(self._order)

    @property
    def n_windows(self) -> int:
        return len(self.anchors)

    def __len__(self) -> int:
        return -(-len(self.anchors) // self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"batch {index} out of range for {len(self)} batches")
        index %= len(self)
        rows = self.anchors[self._order[index * self.batch_size : (index + 1) * self.batch_size]]
        return self._windows.gather(rows), self._gather_targets(self.target, rows, self.spec)

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self._rng.shuffle(self._order)


def window_bytes(n_windows: int, spec: WindowSpec, n_features: int, itemsize: int = 4) -> int:
    """Bytes that the input windows would take if materialised."""
    return n_windows * spec.n_steps * n_features * itemsize


def materialise(
    inputs: np.ndarray, target: np.ndarray, anchors: np.ndarray, spec: WindowSpec, sequence_targets: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """All windows at once: ``X`` of shape ``(n, n_steps, features)`` and ``y`` of ``(n, horizon)``.

    With ``sequence_targets``, ``y`` is ``(n, n_steps, 1)`` for time-distributed heads.
    """
    gather = gather_sequence_targets if sequence_targets else gather_targets
    return StridedWindows(inputs, spec).gather(anchors), gather(np.ascontiguousarray(target), anchors, spec)
