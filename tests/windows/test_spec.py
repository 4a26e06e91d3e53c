"""Window settings that cannot work are refused with the rule they break."""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit.errors import SeriesTooShortError, WindowError
from rnnkit.windows.batches import WindowBatches
from rnnkit.windows.indexing import anchors_for_targets
from rnnkit.windows.spec import WindowSpec


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lookback": 0}, "lookback must be at least 1 row, got 0."),
        ({"lookback": 10, "step": 0}, "step must be at least 1, got 0."),
        ({"lookback": 10, "step": 20}, "step (20) is larger than lookback (10)"),
        ({"lookback": 10, "delay": -1}, "delay cannot be negative, got -1."),
        ({"lookback": 10, "horizon": 0}, "horizon must be at least 1, got 0."),
        ({"lookback": 2.5}, "lookback must be a whole number, got 2.5."),
    ],
)
def test_impossible_settings(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(WindowError) as caught:
        WindowSpec(**kwargs)
    assert caught.value.problem.startswith(message)


def test_steps_and_span() -> None:
    spec = WindowSpec(lookback=1440, step=6, delay=144)
    assert spec.n_steps == 240
    assert spec.span == 1585
    assert WindowSpec(lookback=10, step=3).n_steps == 4  # rows t-10, t-7, t-4, t-1


def test_require_rows_names_the_numbers() -> None:
    with pytest.raises(SeriesTooShortError, match="has 20 rows, but one window needs lookback 15"):
        WindowSpec(lookback=15, horizon=14).require_rows(20)


def test_batches_are_indexable_like_a_keras_sequence() -> None:
    spec = WindowSpec(lookback=3)
    data = np.arange(20, dtype=np.float32)[:, None]
    batches = WindowBatches(data, data[:, 0], anchors_for_targets(spec, 0, 20), spec, batch_size=5)
    assert len(batches) == 4 and batches.n_windows == 17
    x, y = batches[-1]
    assert x.shape == (2, 3, 1) and y[:, 0].tolist() == [18.0, 19.0]
    with pytest.raises(IndexError):
        batches[4]
