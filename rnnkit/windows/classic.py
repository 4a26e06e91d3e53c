"""The classic Jena generator from *Deep Learning with Python* (1st ed., §6.3), kept verbatim.

It is the reference that rnnkit's windows are tested against, and the baseline
that ``bench/windowing.py`` measures. Use :mod:`rnnkit.windows.batches` for
real work: this loops over samples in Python.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def generator(
    data: np.ndarray,
    lookback: int,
    delay: int,
    min_index: int,
    max_index: int | None,
    shuffle: bool = False,
    batch_size: int = 128,
    step: int = 6,
    target_column: int = 1,
    rng: np.random.Generator | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(samples, targets)`` batches exactly as the book's generator does.

    ``target_column`` is the book's hard-coded ``1`` (temperature); ``rng``
    replaces the global ``np.random`` so shuffled runs can be reproduced.
    """
    if max_index is None:
        max_index = len(data) - delay - 1
    randint = rng.integers if rng is not None else np.random.randint
    i = min_index + lookback
    while True:
        if shuffle:
            rows = randint(min_index + lookback, max_index, size=batch_size)
        else:
            if i + batch_size >= max_index:
                i = min_index + lookback
            rows = np.arange(i, min(i + batch_size, max_index))
            i += len(rows)
        samples = np.zeros((len(rows), lookback // step, data.shape[-1]))
        targets = np.zeros((len(rows),))
        for j, _row in enumerate(rows):
            indices = range(rows[j] - lookback, rows[j], step)
            samples[j] = data[indices]
            targets[j] = data[rows[j] + delay][target_column]
        yield samples, targets
