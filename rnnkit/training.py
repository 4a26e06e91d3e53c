"""Train one model spec on prepared windows: seeded, early-stopped, observable and cancellable.

Progress reaches callers through a plain callback (no Streamlit); a
:class:`CancelToken` set from any thread stops training after the current batch
and keeps the epochs that finished.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rnnkit.gradient_registry import custom_gradients_released
from rnnkit.models.spec import ModelSpec
from rnnkit.prepare import PreparedData, WindowSet
from rnnkit.progress import CancelToken, ProgressCallback, ProgressEvent  # noqa: F401 - re-exported
from rnnkit.speed import ExecutionPlan, plan_execution
from rnnkit.training_config import LOSSES, OPTIMIZERS, TrainingConfig  # noqa: F401 - re-exported

if TYPE_CHECKING:  # imported lazily at run time, after the log-level settings below
    import keras

# Quiet TensorFlow's C++ start-up logs; must be set before TensorFlow is first imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

@dataclass
class TrainedModel:
    """A fitted model and what happened while fitting it."""

    spec: ModelSpec
    model: Any
    history: dict[str, list[float]]
    train_seconds: float
    params: int
    epochs_run: int
    best_epoch: int | None
    status: str  # "finished", "stopped early", "cancelled" or "diverged" (the loss became NaN or infinite)
    execution: ExecutionPlan | None = None


def configure_tensorflow(seed: int, deterministic: bool) -> None:
    """Seed Python, NumPy and TensorFlow, and make TensorFlow ops deterministic."""
    import keras
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def train_model(
    spec: ModelSpec,
    prepared: PreparedData,
    config: TrainingConfig,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    model_index: int = 0,
    n_models: int = 1,
    extra_callbacks: Sequence[keras.callbacks.Callback] = (),
) -> TrainedModel:
    """Build, compile and fit ``spec`` on ``prepared``'s train windows, validating on its val windows.

    ``extra_callbacks`` join rnnkit's own (a search trial's pruning monitor, for example).
    """
    import keras

    from rnnkit.models.build import build_model
    from rnnkit.models.callbacks import ProgressReporter

    keras.backend.clear_session()  # free the previous model's graph: memory stays flat across trainings
    configure_tensorflow(config.seed, config.deterministic)
    sequence = spec.head == "time_distributed"
    plan = execution_plan(spec, prepared, config)
    model = build_model(spec, prepared.input_shape, prepared.spec.horizon)
    model.compile(optimizer=_optimizer(config), loss=_loss(config),
                  jit_compile=plan.jit_compile if plan.engine == "keras" else False)
    reporter = ProgressReporter(spec.name, model_index, n_models, config.epochs, progress, cancel)
    callbacks: list[keras.callbacks.Callback] = [reporter, keras.callbacks.TerminateOnNaN(), *extra_callbacks]
    has_val = len(prepared.val) > 0
    if config.early_stopping and has_val:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=config.patience, restore_best_weights=True))
    if config.reduce_lr and has_val:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=0.5, patience=max(config.patience // 3, 2), min_lr=config.learning_rate / 64))
    start = time.perf_counter()
    if plan.engine == "loop":  # the loop releases what Keras registers itself
        from rnnkit.compiled_fit import CompiledLoop

        loop = CompiledLoop(model, config.batch_size, plan.steps_per_execution, plan.jit_compile)
        val = prepared.val.arrays(sequence_targets=sequence) if has_val else None
        losses = loop.fit(*prepared.train.arrays(sequence_targets=sequence), epochs=config.epochs,
                          callbacks=callbacks, validation_data=val, seed=config.seed)
    else:
        val_data = _fit_inputs(prepared.val, config, sequence, shuffle=False) if has_val else None
        with custom_gradients_released():  # Keras leaves each traced step's graph registered: ~15 MB a training
            history = model.fit(_fit_inputs(prepared.train, config, sequence, shuffle=True), epochs=config.epochs,
                                callbacks=callbacks, verbose=0, validation_data=val_data,
                                shuffle=False)  # the pipeline shuffles, from the seed
        losses = {k: [float(v) for v in values] for k, values in history.history.items()}
    seconds = time.perf_counter() - start
    epochs_run = len(losses.get("loss", []))
    val_losses = np.asarray(losses.get("val_loss", []), dtype=float)
    best_epoch = int(np.nanargmin(val_losses)) + 1 if np.isfinite(val_losses).any() else None
    diverged = not np.isfinite(losses.get("loss", [np.nan])).all()
    status = ("cancelled" if reporter.cancelled else "diverged" if diverged else
              "stopped early" if epochs_run < config.epochs else "finished")
    return TrainedModel(spec, model, losses, seconds, int(model.count_params()), epochs_run, best_epoch, status,
                        plan)


def execution_plan(spec: ModelSpec, prepared: PreparedData, config: TrainingConfig) -> ExecutionPlan:
    """How :func:`train_model` runs ``spec`` on ``prepared`` under ``config`` (see :mod:`rnnkit.speed`)."""
    steps, features = prepared.input_shape
    units = tuple(u * (2 if spec.bidirectional else 1) for u in spec.units)
    dropout = bool(spec.dropout or spec.input_dropout or spec.recurrent_dropout)
    return plan_execution(len(prepared.train), steps, features, config.batch_size, units, config.epochs, dropout,
                          config.execution, prepared.train.fits_in_memory, config.steps_per_execution,
                          config.jit_compile)


def predict(trained: TrainedModel, windows: WindowSet, batch_size: int = 256) -> np.ndarray:
    """Scaled predictions ``(n, horizon)``; a time-distributed head gives its last step."""
    if len(windows) == 0:
        return np.empty((0, windows.spec.horizon), dtype=np.float32)
    if windows.fits_in_memory:
        from rnnkit.compiled_fit import compiled_predict

        output = compiled_predict(trained.model, windows.arrays()[0], batch_size)
    else:
        from rnnkit.windows.tf_datasets import batches_dataset

        output = trained.model.predict(batches_dataset(windows.batches(batch_size)), verbose=0)
    output = np.asarray(output)
    return output[:, -1, :] if output.ndim == 3 else output


def _fit_inputs(windows: WindowSet, config: TrainingConfig, sequence: bool, shuffle: bool) -> Any:
    """A ``tf.data`` pipeline of the windows (autotuning off, see rnnkit.windows.tf_datasets): arrays for small
    window sets, batches gathered on demand for large ones."""
    from rnnkit.windows.tf_datasets import array_dataset, batches_dataset

    batch, seed = config.batch_size, config.seed
    if windows.fits_in_memory:
        x, y = windows.arrays(sequence_targets=sequence)
        return array_dataset(x, y, batch, shuffle=shuffle, seed=seed)
    return batches_dataset(windows.batches(batch, shuffle=shuffle, seed=seed, sequence_targets=sequence))


def _optimizer(config: TrainingConfig) -> keras.optimizers.Optimizer:
    """A fresh optimizer of the configured kind and learning rate."""
    import keras

    classes = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop, "sgd": keras.optimizers.SGD}
    return classes[config.optimizer](learning_rate=config.learning_rate)


def _loss(config: TrainingConfig) -> str | keras.losses.Loss:
    """The Keras loss for the configured name."""
    import keras

    return {"mse": "mse", "mae": "mae", "huber": keras.losses.Huber()}[config.loss]
