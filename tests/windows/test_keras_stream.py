"""Windows train a real Keras model through rnnkit's tf.data pipelines (autotuning off)."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from rnnkit.windows.indexing import anchors_for_targets  # noqa: E402
from rnnkit.windows.batches import WindowBatches  # noqa: E402
from rnnkit.windows.spec import WindowSpec  # noqa: E402
from rnnkit.windows.tf_datasets import array_dataset, batches_dataset  # noqa: E402


def test_model_fits_on_streamed_windows() -> None:
    keras.utils.set_random_seed(0)
    spec = WindowSpec(lookback=12, step=2, delay=3)
    t = np.arange(600, dtype=np.float32)
    data = np.stack([np.sin(t / 8), np.cos(t / 8)], axis=1).astype(np.float32)
    batches = WindowBatches(data, data[:, 0], anchors_for_targets(spec, 0, 600), spec,
                            batch_size=32, shuffle=True, seed=0)
    model = keras.Sequential([keras.Input((spec.n_steps, 2)), keras.layers.GRU(4), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(batches_dataset(batches), epochs=2, verbose=0, shuffle=False)
    assert len(history.history["loss"]) == 2
    assert np.isfinite(history.history["loss"]).all()


def test_array_dataset_reshuffles_every_epoch_from_its_seed_and_keeps_every_window() -> None:
    x = np.arange(50, dtype=np.float32).reshape(25, 2, 1)
    y = x[:, -1, :] * 10
    dataset = array_dataset(x, y, batch_size=4, shuffle=True, seed=3)
    assert dataset.options().autotune.enabled is False
    epochs = [np.concatenate([xb.numpy()[:, -1, 0] for xb, _ in dataset]) for _ in range(2)]
    for seen in epochs:
        assert sorted(seen) == sorted(x[:, -1, 0])  # every window once, batches of 4 and a last one of 1
    assert not np.array_equal(epochs[0], epochs[1])  # a new order each epoch
    again = np.concatenate([xb.numpy()[:, -1, 0] for xb, _ in array_dataset(x, y, 4, shuffle=True, seed=3)])
    assert np.array_equal(again, epochs[0])  # the same seed, the same first order
    for xb, yb in dataset.take(2):
        assert np.array_equal(yb.numpy(), xb.numpy()[:, -1, :] * 10)  # targets stay with their windows
    plain = np.concatenate([xb.numpy()[:, -1, 0] for xb, _ in array_dataset(x, y, 4)])
    assert np.array_equal(plain, x[:, -1, 0])


def test_batches_dataset_knows_its_length_and_reshuffles_after_a_full_pass() -> None:
    spec = WindowSpec(lookback=4)
    data = np.arange(100, dtype=np.float64)[:, None]
    batches = WindowBatches(data, data[:, 0], anchors_for_targets(spec, 0, 100), spec, batch_size=16,
                            shuffle=True, seed=1)
    dataset = batches_dataset(batches)
    assert int(dataset.cardinality()) == len(batches)
    assert dataset.options().autotune.enabled is False
    first = np.concatenate([yb.numpy()[:, 0] for _, yb in dataset])
    second = np.concatenate([yb.numpy()[:, 0] for xb, yb in dataset])
    assert sorted(first) == sorted(second) == sorted(data[anchors_for_targets(spec, 0, 100), 0])
    assert not np.array_equal(first, second)


def test_streamed_batches_come_in_a_new_seeded_order_every_epoch_of_fit() -> None:
    """Keras stops after an epoch's last batch without exhausting the generator: the order must change anyway."""
    spec = WindowSpec(lookback=4)
    t = np.arange(200, dtype=np.float32)
    data = np.stack([np.sin(t / 5)], axis=1)

    def orders(seed: int) -> list[np.ndarray]:
        keras.utils.set_random_seed(0)
        batches = WindowBatches(data, data[:, 0], anchors_for_targets(spec, 0, 200), spec, batch_size=32,
                                shuffle=True, seed=seed)
        seen: list[np.ndarray] = []
        record = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(batches._order.copy()))
        model = keras.Sequential([keras.Input((spec.n_steps, 1)), keras.layers.GRU(2), keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        model.fit(batches_dataset(batches), epochs=3, verbose=0, callbacks=[record], shuffle=False)
        return seen

    first = orders(seed=7)
    assert all(sorted(order) == list(range(len(order))) for order in first)
    assert len({order.tobytes() for order in first}) == 3  # three epochs, three orders
    assert all(np.array_equal(a, b) for a, b in zip(first, orders(seed=7), strict=True))  # from the seed
