"""Training is reproducible, reports progress, and stops on cancel keeping what finished."""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit.compare import compare
from rnnkit.errors import RnnkitError
from rnnkit.models.spec import ModelSpec
from rnnkit.prepare import prepare
from rnnkit.splits import SplitSpec
from rnnkit.training import CancelToken, ProgressEvent, TrainingConfig, train_model
from rnnkit.windows.spec import WindowSpec

from helpers import TINY_SPECS, TINY_TRAINING


def test_same_seed_same_losses(tiny_series) -> None:
    prepared = prepare(tiny_series, WindowSpec(lookback=12), SplitSpec(train=0.6, val=0.2))
    spec = ModelSpec("det", cell="lstm", units=(6,), input_dropout=0.1)
    first = train_model(spec, prepared, TINY_TRAINING)
    second = train_model(spec, prepared, TINY_TRAINING)
    assert first.history == second.history
    other = train_model(spec, prepared, TrainingConfig(epochs=2, batch_size=16, seed=4))
    assert other.history["loss"] != first.history["loss"]


def test_progress_events_in_order(tiny_series) -> None:
    prepared = prepare(tiny_series, WindowSpec(lookback=12), SplitSpec(train=0.6, val=0.2))
    events: list[ProgressEvent] = []
    trained = train_model(TINY_SPECS[0], prepared, TINY_TRAINING, progress=events.append)
    assert [e.kind for e in events] == ["started", "epoch", "epoch", "finished"]
    assert [e.epoch for e in events] == [0, 1, 2, 2]
    assert set(events[1].logs) == {"loss", "val_loss"}
    assert events[-1].elapsed_s >= events[1].elapsed_s > 0
    assert trained.status == "finished" and trained.epochs_run == 2 and trained.params > 0


def test_early_stopping_restores_the_best_epoch(tiny_series) -> None:
    prepared = prepare(tiny_series, WindowSpec(lookback=12), SplitSpec(train=0.6, val=0.2))
    config = TrainingConfig(epochs=60, batch_size=16, learning_rate=0.05, patience=2, seed=1)
    trained = train_model(ModelSpec("es", cell="gru", units=(8,)), prepared, config)
    assert trained.status == "stopped early" and trained.epochs_run < 60
    val = trained.history["val_loss"]
    assert trained.best_epoch == int(np.argmin(val)) + 1
    x, y = prepared.val.arrays()
    restored = float(trained.model.evaluate(x, y, verbose=0))
    assert restored == pytest.approx(min(val), rel=1e-4)


def test_cancel_stops_after_the_current_batch_and_keeps_finished_models(tiny_series) -> None:
    cancel = CancelToken()

    def cancel_in_second_model(event: ProgressEvent) -> None:
        if event.model_index == 1 and event.kind == "started":
            cancel.cancel()

    config = TrainingConfig(epochs=3, batch_size=8, seed=0)
    specs = [*TINY_SPECS, ModelSpec("never", cell="gru", units=(2,))]
    result = compare(tiny_series, WindowSpec(lookback=12), specs, SplitSpec(train=0.6, val=0.2), config,
                     progress=cancel_in_second_model, cancel=cancel)
    assert result.status == "cancelled"
    assert [m.name for m in result.models] == ["tiny_gru", "tiny_rnn"]
    assert result.models[0].status == "finished" and result.models[0].epochs_run == 3
    assert result.models[1].status == "cancelled" and result.models[1].epochs_run == 1
    assert "never" not in result.metrics.index and "naive" in result.metrics.index


def test_bad_training_settings() -> None:
    with pytest.raises(RnnkitError, match="Use one of: adam, rmsprop, sgd"):
        TrainingConfig(optimizer="adagrad")
    with pytest.raises(RnnkitError, match="epochs is 0"):
        TrainingConfig(epochs=0)
