"""Property-based tests: window counts, shapes, target positions, no leakage, train-only scaling."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnkit.data.cleaning import CleaningLog
from rnnkit.data.series import DataReport, TimeSeries
from rnnkit.prepare import prepare, window_counts
from rnnkit.splits import SPLIT_NAMES, SplitSpec
from rnnkit.windows.batches import WindowBatches
from rnnkit.windows.indexing import StridedWindows, anchors_for_targets, gather_inputs, gather_targets
from rnnkit.windows.spec import WindowSpec

specs = st.builds(
    lambda lookback, step, delay, horizon: WindowSpec(lookback, min(step, lookback), delay, horizon),
    st.integers(1, 40), st.integers(1, 8), st.integers(0, 12), st.integers(1, 6),
)


def _series(values: np.ndarray) -> TimeSeries:
    frame = pd.DataFrame(
        {"y": values, "x": values * 2.0 + 1.0},
        index=pd.date_range("2000-01-01", periods=len(values), freq="h", name="time"),
    )
    report = DataReport("test", len(values), "time", "ISO 8601", 0, None, {}, (), CleaningLog())
    return TimeSeries(frame=frame, target="y", features=("x",), report=report)


@given(spec=specs, n_rows=st.integers(0, 300))
def test_window_count_matches_the_formula(spec: WindowSpec, n_rows: int) -> None:
    anchors = anchors_for_targets(spec, 0, n_rows)
    assert len(anchors) == spec.count(n_rows) == max(0, n_rows - spec.lookback - spec.delay - spec.horizon + 1)


@given(spec=specs, n_rows=st.integers(60, 250), features=st.integers(1, 4))
def test_shapes_and_positions(spec: WindowSpec, n_rows: int, features: int) -> None:
    # Row r of the data holds the value r in every column, so every gathered value is its row index.
    data = np.repeat(np.arange(n_rows, dtype=np.float64)[:, None], features, axis=1)
    anchors = anchors_for_targets(spec, 0, n_rows)
    x = gather_inputs(data, anchors, spec)
    y = gather_targets(data[:, 0], anchors, spec)
    assert x.shape == (len(anchors), spec.n_steps, features)
    assert y.shape == (len(anchors), spec.horizon)
    if len(anchors):
        t = anchors[:, None]
        np.testing.assert_array_equal(x[:, :, 0], t - spec.lookback + spec.step * np.arange(spec.n_steps))
        np.testing.assert_array_equal(y, t + spec.delay + np.arange(spec.horizon))
        assert x.max() < anchors.max() and x.min() >= 0  # inputs strictly before the anchor
        assert y.max() <= n_rows - 1


@settings(deadline=None)
@given(
    spec=specs,
    n_rows=st.integers(150, 400),
    train=st.floats(0.4, 0.7),
    val=st.floats(0.1, 0.25),
)
def test_no_target_crosses_a_split_boundary(spec: WindowSpec, n_rows: int, train: float, val: float) -> None:
    series = _series(np.arange(n_rows, dtype=np.float64))
    bounds = SplitSpec(train=train, val=val).bounds(series.frame.index)
    counts = window_counts(n_rows, spec, bounds)
    for name in SPLIT_NAMES:
        start, stop = bounds.rows(name)
        anchors = anchors_for_targets(spec, start, stop)
        assert len(anchors) == counts[name]
        if len(anchors):
            targets = anchors[:, None] + spec.delay + np.arange(spec.horizon)
            assert targets.min() >= start and targets.max() < stop
            assert (anchors - spec.lookback).min() >= 0
    # Training windows never see a row at or after the end of training, inputs or targets.
    train_anchors = anchors_for_targets(spec, *bounds.rows("train"))
    if len(train_anchors):
        assert train_anchors.max() + spec.delay + spec.horizon - 1 < bounds.train_stop


@settings(deadline=None, max_examples=40)
@given(
    values=st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=80, max_size=200),
    kind=st.sampled_from(["minmax", "standard"]),
    future_shift=st.floats(1e3, 1e6),
)
def test_scaler_is_fitted_on_training_rows_only(values: list[float], kind: str, future_shift: float) -> None:
    base = np.array(values)
    spec = WindowSpec(lookback=5)
    prepared = prepare(_series(base), spec, SplitSpec(train=0.6, val=0.2), scaling=kind)
    shifted = base.copy()
    shifted[prepared.bounds.train_stop :] += future_shift  # change only the future
    prepared_shifted = prepare(_series(shifted), spec, SplitSpec(train=0.6, val=0.2), scaling=kind)
    x, y = prepared.train.arrays()
    x2, y2 = prepared_shifted.train.arrays()
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    train_rows = base[: prepared.bounds.train_stop]
    if kind == "minmax" and np.ptp(train_rows) > 1e-3:
        scaled_train = prepared.scaler.transform_target(train_rows)
        assert scaled_train.min() == 0.0 and abs(scaled_train.max() - 1.0) < 1e-6


@settings(deadline=None, max_examples=30)
@given(values=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=60, max_size=120),
       kind=st.sampled_from(["minmax", "standard", "none"]))
def test_inverse_scaling_recovers_original_units(values: list[float], kind: str) -> None:
    base = np.array(values)
    prepared = prepare(_series(base), WindowSpec(lookback=3), SplitSpec(train=0.6, val=0.2), scaling=kind)
    _, y = prepared.test.arrays()
    expected = base[prepared.test.anchors]
    np.testing.assert_allclose(prepared.scaler.inverse_target(y)[:, 0], expected, rtol=1e-5, atol=1e-3)


@given(n_windows=st.integers(1, 500), batch_size=st.integers(1, 64), seed=st.integers(0, 10))
def test_shuffled_batches_cover_every_window_once_per_epoch(n_windows: int, batch_size: int, seed: int) -> None:
    spec = WindowSpec(lookback=2)
    data = np.arange(n_windows + 2, dtype=np.float32)[:, None]
    anchors = anchors_for_targets(spec, 0, len(data))
    batches = WindowBatches(data, data[:, 0], anchors, spec, batch_size=batch_size, shuffle=True, seed=seed)
    for _ in range(2):
        seen = np.concatenate([y[:, 0] for _, y in batches])
        assert sorted(seen.tolist()) == sorted(data[anchors, 0].tolist())
        batches.on_epoch_end()


@given(spec=specs, n_rows=st.integers(0, 200), features=st.integers(1, 3), seed=st.integers(0, 5))
def test_strided_windows_equal_the_plain_gather(spec: WindowSpec, n_rows: int, features: int, seed: int) -> None:
    data = np.random.default_rng(seed).normal(size=(n_rows, features)).astype(np.float32)
    anchors = anchors_for_targets(spec, 0, n_rows)
    shuffled = np.random.default_rng(seed).permutation(anchors)
    np.testing.assert_array_equal(StridedWindows(data, spec).gather(shuffled), gather_inputs(data, shuffled, spec))
