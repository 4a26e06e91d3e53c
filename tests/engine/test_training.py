"""Training is reproducible, reports progress, and stops on cancel keeping what finished."""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit.compare import compare
from rnnkit.errors import RnnkitError
from rnnkit.models.spec import ModelSpec
from rnnkit.prepare import prepare
from rnnkit.splits import SplitSpec
from rnnkit.training import CancelToken, ProgressEvent, TrainingConfig, predict, train_model
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
    from rnnkit.verdicts import cancel_note

    assert cancel_note(result).startswith("The run was cancelled. Stopped before their last epoch: tiny_rnn (epoch 1 "
                                          "of 3).")


def test_bad_training_settings() -> None:
    with pytest.raises(RnnkitError, match="Use one of: adam, rmsprop, sgd"):
        TrainingConfig(optimizer="adagrad")
    with pytest.raises(RnnkitError, match="epochs is 0"):
        TrainingConfig(epochs=0)


# --- execution: the compiled loop, its per-shape plan, and that neither changes results ---


def _no_dropout_prepared(tiny_series):
    return prepare(tiny_series, WindowSpec(lookback=12), SplitSpec(train=0.6, val=0.2))


def test_plain_and_fast_execution_give_the_same_losses(tiny_series) -> None:
    prepared = _no_dropout_prepared(tiny_series)
    spec = ModelSpec("same", cell="gru", units=(6,))
    plain = train_model(spec, prepared, TrainingConfig(epochs=3, batch_size=8, seed=5, execution="plain"))
    fast = train_model(spec, prepared, TrainingConfig(epochs=3, batch_size=8, seed=5, execution="fast",
                                                      steps_per_execution=4))
    assert fast.execution.jit_compile and fast.execution.steps_per_execution == 4
    assert not plain.execution.jit_compile and plain.execution.steps_per_execution == 1
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(fast.history[key], plain.history[key], rtol=1e-4)


def test_fast_execution_same_seed_identical_losses(tiny_series) -> None:
    prepared = _no_dropout_prepared(tiny_series)
    spec = ModelSpec("again", cell="lstm", units=(5,), input_dropout=0.1)
    config = TrainingConfig(epochs=2, batch_size=8, seed=9, execution="fast", steps_per_execution=3)
    first, second = train_model(spec, prepared, config), train_model(spec, prepared, config)
    assert first.history == second.history


def test_compiled_loop_reproduces_keras_fit(tiny_series) -> None:
    """Same batches in the same order: the loop's losses equal model.fit's, dropout included."""
    import keras

    from rnnkit.compiled_fit import CompiledLoop

    prepared = _no_dropout_prepared(tiny_series)
    x, y = prepared.train.arrays()
    val = prepared.val.arrays()

    def fresh() -> keras.Model:
        keras.backend.clear_session()
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input(x.shape[1:]), keras.layers.GRU(4, dropout=0.2),
                                  keras.layers.Dropout(0.2), keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse", jit_compile=False)
        return model

    expected = fresh().fit(x, y, batch_size=8, epochs=3, shuffle=False, validation_data=val, verbose=0).history
    got = CompiledLoop(fresh(), 8, 3, jit_compile=False).fit(x, y, 3, [], validation_data=val, shuffle=False)
    assert got == {k: [float(v) for v in values] for k, values in expected.items()}


def test_cancel_lands_within_one_compiled_block(tiny_series) -> None:
    prepared = _no_dropout_prepared(tiny_series)
    cancel = CancelToken()

    def cancel_at_start(event: ProgressEvent) -> None:
        if event.kind == "started":
            cancel.cancel()

    config = TrainingConfig(epochs=5, batch_size=4, seed=0, execution="fast", steps_per_execution=2)
    trained = train_model(ModelSpec("stop", cell="gru", units=(3,)), prepared, config, progress=cancel_at_start,
                          cancel=cancel)
    assert trained.status == "cancelled" and trained.epochs_run == 1
    assert int(trained.model.optimizer.iterations) == 2  # one block of two batches, of the epoch's many


def test_execution_plan_per_shape() -> None:
    from rnnkit.speed import BLOCK_SECONDS, batch_seconds, plan_execution

    electric = plan_execution(211, 15, 1, 16, (32,), epochs=300)
    assert electric.engine == "loop" and electric.jit_compile and electric.steps_per_execution == 14
    assert not plan_execution(211, 15, 1, 16, (32,), epochs=20).jit_compile  # compiling would not pay
    assert not plan_execution(211, 15, 1, 16, (32,), epochs=300, dropout=True).jit_compile
    long = plan_execution(35_000, 240, 14, 128, (32,), epochs=20)
    assert long.engine == "loop" and long.jit_compile
    assert long.steps_per_execution == 1 or \
        long.steps_per_execution * batch_seconds(128, 240, 14, (32,)) <= BLOCK_SECONDS
    assert plan_execution(35_000, 240, 14, 128, (32,), epochs=20, dropout=True).engine == "keras"
    streamed = plan_execution(35_000, 240, 14, 128, epochs=20, in_memory=False)
    assert streamed.engine == "keras" and streamed.jit_compile
    assert plan_execution(211, 15, 1, 16, execution="plain").steps_per_execution == 1
    assert plan_execution(211, 15, 1, 16, steps_per_execution=500).steps_per_execution == 14
    with pytest.raises(RnnkitError, match="Unknown execution 'turbo'"):
        TrainingConfig(execution="turbo")
    with pytest.raises(RnnkitError, match="steps_per_execution is 0"):
        TrainingConfig(steps_per_execution=0)


def test_compiled_predict_equals_keras_predict(tiny_series) -> None:
    from rnnkit.compiled_fit import compiled_predict

    prepared = _no_dropout_prepared(tiny_series)
    trained = train_model(TINY_SPECS[0], prepared, TINY_TRAINING)
    x, _ = prepared.test.arrays()
    expected = trained.model.predict(x, batch_size=7, verbose=0)
    np.testing.assert_allclose(compiled_predict(trained.model, x, batch_size=7), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predict(trained, prepared.test), expected, rtol=1e-5, atol=1e-6)


def test_the_keras_engine_is_reproducible_and_streams_as_it_holds(tiny_series, monkeypatch) -> None:
    """Keras' fit on rnnkit's tf.data pipelines: the same seed gives the same losses, held in memory or streamed
    (a time-distributed head, whose targets are sequences), and a streamed prediction equals the held one."""
    import rnnkit.prepare

    prepared = prepare(tiny_series, WindowSpec(lookback=12), SplitSpec(train=0.6, val=0.2))
    config = TrainingConfig(epochs=3, batch_size=16, seed=2, execution="keras")
    for spec in (ModelSpec("held", cell="gru", units=(4,)),
                 ModelSpec("sequence", cell="lstm", units=(4,), head="time_distributed")):
        first, second = train_model(spec, prepared, config), train_model(spec, prepared, config)
        assert first.execution.engine == "keras" and first.epochs_run == 3
        assert first.history == second.history and np.isfinite(first.history["val_loss"]).all()
    held = predict(first, prepared.test)
    monkeypatch.setattr(rnnkit.prepare, "MATERIALISE_LIMIT_BYTES", 0)  # every window set streams now
    assert not prepared.train.fits_in_memory
    np.testing.assert_allclose(predict(first, prepared.test), held, rtol=1e-5, atol=1e-6)
    streamed = [train_model(spec, prepared, config) for _ in range(2)]
    assert streamed[0].execution.engine == "keras"
    assert streamed[0].history == streamed[1].history and np.isfinite(streamed[0].history["val_loss"]).all()


@pytest.mark.parametrize("execution", ["plain", "fast", "keras"])  # rnnkit's loop, with XLA, and Keras' own fit
def test_training_leaves_no_graph_registered_in_tensorflow(tiny_series, execution) -> None:
    """Keras' optimizer registers a custom gradient per traced step, holding its graph; train_model removes them."""
    import keras
    import tensorflow as tf

    from rnnkit.gradient_registry import _gradient_registry, custom_gradient_names

    assert _gradient_registry() is not None  # a TensorFlow that moved its registry fails here instead of leaking

    @tf.custom_gradient
    def users_own(x):
        return tf.identity(x), lambda dy: 2 * dy

    users_step = tf.function(users_own).get_concrete_function(tf.TensorSpec([], tf.float32))
    kept = custom_gradient_names()
    assert kept, "a user's own traced custom gradient is registered"
    prepared = prepare(tiny_series, WindowSpec(lookback=12), SplitSpec(train=0.6, val=0.2))
    config = TrainingConfig(epochs=2, batch_size=16, seed=3, execution=execution)
    x, y = prepared.train.arrays()
    bare = keras.Sequential([keras.Input(x.shape[1:]), keras.layers.GRU(3), keras.layers.Dense(y.shape[1])])
    bare.compile(optimizer="adam", loss="mse")
    bare.fit(x, y, epochs=1, verbose=0)
    assert custom_gradient_names() - kept, ("Keras' fit no longer leaves a registration per traced step: "
                                            "rnnkit.gradient_registry may be obsolete with this TensorFlow/Keras")
    kept = custom_gradient_names()
    trained = [train_model(ModelSpec("leak", cell=cell, units=(4,)), prepared, config) for cell in ("gru", "lstm")]
    assert custom_gradient_names() == kept
    with tf.GradientTape() as tape:  # the user's registration still works
        value = tf.constant(3.0)
        tape.watch(value)
        result = users_step(value)
    assert float(tape.gradient(result, value)) == 2.0
    model = trained[0].model  # and a trained model still predicts and trains again
    assert np.isfinite(model.predict(x, verbose=0)).all()
    assert np.isfinite(model.fit(x, y, epochs=1, verbose=0).history["loss"]).all()
