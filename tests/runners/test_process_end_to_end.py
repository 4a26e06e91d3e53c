"""A real comparison through worker processes gives what the inline runner gives, and models come back as files."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from helpers import TINY_SPECS, TINY_TRAINING
from rnnkit.compare import ComparisonResult, compare
from rnnkit.data.series import TimeSeries
from rnnkit.runners.process import ProcessPoolRunner
from rnnkit.splits import SplitSpec
from rnnkit.training import ProgressEvent
from rnnkit.windows.spec import WindowSpec

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained_in_workers(tiny_series: TimeSeries) -> Iterator[tuple[ComparisonResult, list[ProgressEvent]]]:
    events: list[ProgressEvent] = []
    with ProcessPoolRunner(workers=2) as runner:
        result = compare(tiny_series, WindowSpec(lookback=12), TINY_SPECS, SplitSpec(train=0.6, val=0.2),
                         TINY_TRAINING, progress=events.append, runner=runner)
    yield result, events


def test_same_predictions_as_inline(trained_in_workers: tuple[ComparisonResult, list[ProgressEvent]],
                                    tiny_result: ComparisonResult) -> None:
    result, _ = trained_in_workers
    assert [m.name for m in result.models] == [m.name for m in tiny_result.models]
    for mine, reference in zip(result.models, tiny_result.models, strict=True):
        np.testing.assert_allclose(mine.test_pred, reference.test_pred, atol=1e-5, rtol=1e-5)
        assert mine.epochs_run == reference.epochs_run
    assert list(result.metrics.index) == list(tiny_result.metrics.index)


def test_models_come_back_as_loadable_keras_files(
        trained_in_workers: tuple[ComparisonResult, list[ProgressEvent]]) -> None:
    result, _ = trained_in_workers
    for model in result.models:
        assert model.model is None and model.model_path is not None and model.model_path.endswith(".keras")
        network = model.load_model()
        assert network is not None and network.count_params() == model.params


def test_progress_of_each_model_arrives_in_order(
        trained_in_workers: tuple[ComparisonResult, list[ProgressEvent]]) -> None:
    _, events = trained_in_workers
    for spec in TINY_SPECS:
        mine = [e for e in events if e.model == spec.name]
        assert [e.kind for e in mine][-1] == "finished"
        epochs = [e.epoch for e in mine if e.kind == "epoch"]
        assert epochs == list(range(1, TINY_TRAINING.epochs + 1))
