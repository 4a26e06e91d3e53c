"""A real comparison on the local Ray gives what the inline runner gives (skipped without Ray)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import TINY_SPECS, TINY_TRAINING
from rnnkit.compare import ComparisonResult, compare
from rnnkit.data.series import TimeSeries
from rnnkit.runners import Runner
from rnnkit.splits import SplitSpec
from rnnkit.training import ProgressEvent
from rnnkit.windows.spec import WindowSpec

pytestmark = pytest.mark.slow


def test_ray_comparison_matches_inline(ray_runner: Runner, tiny_series: TimeSeries,
                                       tiny_result: ComparisonResult) -> None:
    events: list[ProgressEvent] = []
    result = compare(tiny_series, WindowSpec(lookback=12), TINY_SPECS, SplitSpec(train=0.6, val=0.2), TINY_TRAINING,
                     progress=events.append, runner=ray_runner)
    for mine, reference in zip(result.models, tiny_result.models, strict=True):
        np.testing.assert_allclose(mine.test_pred, reference.test_pred, atol=1e-5, rtol=1e-5)
        assert mine.load_model() is not None
    for spec in TINY_SPECS:
        kinds = [e.kind for e in events if e.model == spec.name]
        assert kinds[0] == "started" and kinds[-1] == "finished"
