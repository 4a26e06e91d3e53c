"""rnnkit's windows equal the classic layouts exactly: Chollet's Jena generator and the time_steps loop."""

from __future__ import annotations

import numpy as np

from rnnkit.windows.batches import materialise
from rnnkit.windows.classic import generator
from rnnkit.windows.indexing import anchors_for_targets, gather_inputs, gather_targets
from rnnkit.windows.spec import WindowSpec


def _jena_like(rows: int = 4000, features: int = 14) -> np.ndarray:
    return np.random.default_rng(7).normal(size=(rows, features)).astype(np.float32)


def test_sequential_batches_equal_the_classic_generator() -> None:
    data = _jena_like()
    spec = WindowSpec(lookback=1440, step=6, delay=144)
    classic = generator(data, lookback=1440, delay=144, min_index=0, max_index=3000,
                        shuffle=False, batch_size=128, step=6)
    anchor = 1440
    for _ in range(8):  # wraps around once: the classic generator restarts before max_index
        samples, targets = next(classic)
        if anchor + 128 >= 3000:
            anchor = 1440
        rows = np.arange(anchor, min(anchor + 128, 3000))
        anchor += len(rows)
        np.testing.assert_array_equal(gather_inputs(data, rows, spec), samples)
        np.testing.assert_array_equal(gather_targets(data[:, 1], rows, spec)[:, 0], targets)


def test_shuffled_batches_equal_the_classic_generator_for_the_same_rows() -> None:
    data = _jena_like()
    spec = WindowSpec(lookback=1440, step=6, delay=144)
    classic = generator(data, 1440, 144, 500, 3500, shuffle=True, batch_size=64, step=6,
                        rng=np.random.default_rng(3))
    rows = np.random.default_rng(3).integers(500 + 1440, 3500, size=64)
    samples, targets = next(classic)
    np.testing.assert_array_equal(gather_inputs(data, rows, spec), samples)
    np.testing.assert_array_equal(gather_targets(data[:, 1], rows, spec)[:, 0], targets)


def test_every_classic_anchor_is_an_rnnkit_anchor() -> None:
    spec = WindowSpec(lookback=1440, step=6, delay=144)
    # The classic train generator: min_index=0, max_index=2000, rows in [lookback, max_index).
    anchors = anchors_for_targets(spec, 0, 2000 + spec.delay)
    assert anchors[0] == 1440 and anchors[-1] == 2000 - 1


def test_time_steps_layout_of_the_electric_exercise() -> None:
    series = np.sin(np.arange(250) / 5.0).reshape(-1, 1)
    x_classic, y_classic = [], []
    for i in range(15, len(series)):
        x_classic.append(series[i - 15 : i, 0])
        y_classic.append(series[i, 0])
    x_classic = np.array(x_classic)[:, :, None]
    spec = WindowSpec(lookback=15)
    x, y = materialise(series, series[:, 0], anchors_for_targets(spec, 0, len(series)), spec)
    np.testing.assert_array_equal(x, x_classic)
    np.testing.assert_array_equal(y[:, 0], np.array(y_classic))


def test_fourteen_step_direct_head_layout() -> None:
    series = np.arange(100, dtype=float)
    x_classic, y_classic = [], []
    for i in range(15, len(series) - 14 + 1):
        x_classic.append(series[i - 15 : i])
        y_classic.append(series[i : i + 14])
    spec = WindowSpec(lookback=15, horizon=14)
    x, y = materialise(series[:, None], series, anchors_for_targets(spec, 0, len(series)), spec)
    np.testing.assert_array_equal(x[:, :, 0], np.array(x_classic))
    np.testing.assert_array_equal(y, np.array(y_classic))
