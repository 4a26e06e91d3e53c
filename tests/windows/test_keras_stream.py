"""Streamed batches train a real Keras model through ``keras.utils.PyDataset``."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from rnnkit.windows.indexing import anchors_for_targets  # noqa: E402
from rnnkit.windows.keras_adapter import KerasWindowBatches  # noqa: E402
from rnnkit.windows.batches import WindowBatches  # noqa: E402
from rnnkit.windows.spec import WindowSpec  # noqa: E402


def test_model_fits_on_streamed_windows() -> None:
    keras.utils.set_random_seed(0)
    spec = WindowSpec(lookback=12, step=2, delay=3)
    t = np.arange(600, dtype=np.float32)
    data = np.stack([np.sin(t / 8), np.cos(t / 8)], axis=1).astype(np.float32)
    batches = WindowBatches(data, data[:, 0], anchors_for_targets(spec, 0, 600), spec,
                            batch_size=32, shuffle=True, seed=0)
    model = keras.Sequential([keras.Input((spec.n_steps, 2)), keras.layers.GRU(4), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(KerasWindowBatches(batches), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert np.isfinite(history.history["loss"]).all()
