"""Train one model spec on prepared windows: seeded, early-stopped, observable and cancellable.

Progress reaches callers through a plain callback (no Streamlit); a
:class:`CancelToken` set from any thread stops training after the current batch
and keeps the epochs that finished.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rnnkit.errors import RnnkitError
from rnnkit.models.spec import ModelSpec
from rnnkit.prepare import PreparedData, WindowSet
from rnnkit.progress import CancelToken, ProgressCallback, ProgressEvent  # noqa: F401 - re-exported
from rnnkit.speed import EXECUTIONS, ExecutionPlan, plan_execution

if TYPE_CHECKING:  # imported lazily at run time, after the log-level settings below
    import keras

# Quiet TensorFlow's C++ start-up logs; must be set before TensorFlow is first imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

OPTIMIZERS: tuple[str, ...] = ("adam", "rmsprop", "sgd")
LOSSES: tuple[str, ...] = ("mse", "mae", "huber")


@dataclass(frozen=True)
class TrainingConfig:
    """How to fit every model in a comparison."""

    epochs: int = 20
    batch_size: int = 32
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    loss: str = "mse"
    early_stopping: bool = True
    patience: int = 5
    seed: int = 42
    deterministic: bool = True
    #: halve the learning rate when validation loss stalls for ``patience // 3`` epochs (at least 2)
    reduce_lr: bool = True
    #: how to run training (rnnkit.speed.EXECUTIONS): "auto" picks per window shape; experts may
    #: force "fast", "plain" or "keras", and override the batches per compiled call or XLA.
    execution: str = "auto"
    steps_per_execution: int | None = None
    jit_compile: bool | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.epochs <= 10_000:
            raise RnnkitError(f"epochs is {self.epochs}.", "Use 1 to 10,000 epochs.")
        if not 1 <= self.batch_size <= 65_536:
            raise RnnkitError(f"batch size is {self.batch_size}.", "Use a batch size from 1 to 65,536.")
        if not 0 < self.learning_rate < 10:
            raise RnnkitError(f"learning rate is {self.learning_rate}.", "Use a small positive rate such as 0.001.")
        if self.optimizer not in OPTIMIZERS:
            raise RnnkitError(f"Unknown optimizer {self.optimizer!r}.", f"Use one of: {', '.join(OPTIMIZERS)}.")
        if self.loss not in LOSSES:
            raise RnnkitError(f"Unknown loss {self.loss!r}.", f"Use one of: {', '.join(LOSSES)}.")
        if not 0 <= self.seed < 2**32:
            raise RnnkitError(f"seed is {self.seed}.", "Use a whole number from 0 to 4,294,967,295.")
        if self.patience < 1:
            raise RnnkitError(f"patience is {self.patience}.", "Use a patience of 1 epoch or more.")
        if self.execution not in EXECUTIONS:
            raise RnnkitError(f"Unknown execution {self.execution!r}.", f"Use one of: {', '.join(EXECUTIONS)}.")
        if self.steps_per_execution is not None and not 1 <= self.steps_per_execution <= 10_000:
            raise RnnkitError(f"steps_per_execution is {self.steps_per_execution}.",
                              "Use 1 to 10,000 batches per compiled call, or leave it unset.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    if plan.engine == "loop":
        from rnnkit.compiled_fit import CompiledLoop

        loop = CompiledLoop(model, config.batch_size, plan.steps_per_execution, plan.jit_compile)
        val = prepared.val.arrays(sequence_targets=sequence) if has_val else None
        losses = loop.fit(*prepared.train.arrays(sequence_targets=sequence), epochs=config.epochs,
                          callbacks=callbacks, validation_data=val, seed=config.seed)
    else:
        train_data, fit_kwargs = _fit_inputs(prepared.train, config, sequence, shuffle=True)
        if has_val:
            fit_kwargs["validation_data"] = _fit_inputs(prepared.val, config, sequence, shuffle=False)[0]
        if isinstance(train_data, tuple):
            history = model.fit(*train_data, epochs=config.epochs, callbacks=callbacks, verbose=0, **fit_kwargs)
        else:
            history = model.fit(train_data, epochs=config.epochs, callbacks=callbacks, verbose=0, **fit_kwargs)
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
        from rnnkit.windows.keras_adapter import KerasWindowBatches

        output = trained.model.predict(KerasWindowBatches(windows.batches(batch_size)), verbose=0)
    output = np.asarray(output)
    return output[:, -1, :] if output.ndim == 3 else output


def _fit_inputs(windows: WindowSet, config: TrainingConfig, sequence: bool,
                shuffle: bool) -> tuple[Any, dict[str, Any]]:
    """Arrays for small window sets, a streamed PyDataset for large ones."""
    batch, seed = config.batch_size, config.seed
    if windows.fits_in_memory:
        x, y = windows.arrays(sequence_targets=sequence)
        return (x, y), {"batch_size": batch, "shuffle": shuffle}
    from rnnkit.windows.keras_adapter import KerasWindowBatches

    return KerasWindowBatches(windows.batches(batch, shuffle=shuffle, seed=seed, sequence_targets=sequence)), {}


def _optimizer(config: TrainingConfig) -> keras.optimizers.Optimizer:
    """A fresh optimizer of the configured kind and learning rate."""
    import keras

    classes = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop, "sgd": keras.optimizers.SGD}
    return classes[config.optimizer](learning_rate=config.learning_rate)


def _loss(config: TrainingConfig) -> str | keras.losses.Loss:
    """The Keras loss for the configured name."""
    import keras

    return {"mse": "mse", "mae": "mae", "huber": keras.losses.Huber()}[config.loss]
