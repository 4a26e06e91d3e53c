"""The compiled recursive forecast gives the values of a plain step-by-step loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnnkit.forecasting_fast import recursive_values
from rnnkit.models.spec import ModelSpec
from rnnkit.prepare import prepare
from rnnkit.splits import SplitSpec
from rnnkit.training import train_model
from rnnkit.windows.indexing import gather_inputs
from rnnkit.windows.spec import WindowSpec

from helpers import TINY_TRAINING


def step_by_step(model, buffer: np.ndarray, start: int, spec: WindowSpec) -> np.ndarray:
    """The reference: one model call per step, each prediction written back as the newest target."""
    buffer = buffer.copy()
    for row in range(start, len(buffer)):
        output = np.asarray(model(gather_inputs(buffer, np.array([row]), spec), training=False))
        buffer[row, 0] = (output[:, -1, :] if output.ndim == 3 else output)[0, 0]
    return buffer[start:, 0]


@pytest.mark.parametrize(("spec", "window"), [
    (ModelSpec("rec_gru", cell="gru", units=(4,)), WindowSpec(lookback=12)),
    (ModelSpec("rec_td", cell="simple_rnn", units=(3,), head="time_distributed"), WindowSpec(lookback=6, step=2)),
])
def test_recursive_values_equal_the_step_by_step_loop(tiny_series, spec: ModelSpec, window: WindowSpec) -> None:
    prepared = prepare(tiny_series, window, SplitSpec(train=0.6, val=0.2))
    trained = train_model(spec, prepared, TINY_TRAINING)
    steps = 15
    future = pd.date_range(tiny_series.frame.index[-1], periods=steps + 1, freq="MS")[1:]
    history = prepared.train.inputs
    ahead = prepared.scaler.transform_inputs(np.zeros((steps, history.shape[1]))).astype(history.dtype)
    buffer = np.concatenate([history, ahead])
    expected = prepared.scaler.inverse_target(step_by_step(trained.model, buffer, len(history), prepared.spec))
    assert len(future) == steps
    got = prepared.scaler.inverse_target(recursive_values(trained.model, buffer, len(history), prepared.spec))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
