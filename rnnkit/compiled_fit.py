"""A compiled training loop over in-memory windows: Keras' maths without Keras' per-epoch overhead.

``model.fit`` on arrays rebuilds a ``tf.data`` pipeline iterator for training and
another for validation every epoch, which costs more than the training itself on
the small window sets the dashboard meets (measured 250 ms an epoch for 7 batches
of electric-production windows). This loop keeps the windows in two tensors,
draws each epoch's order with NumPy from the seed, and runs blocks of batches in
one compiled call (``tf.while_loop`` over ``model.train_step``, optionally XLA).
Keras callbacks (progress, early stopping, NaN checks) see the same hooks as in
``fit``: batch hooks once per block, epoch hooks once per epoch. Imports TensorFlow.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from rnnkit.gradient_registry import custom_gradients_released


class CompiledLoop:
    """Train and evaluate a compiled Keras model on in-memory arrays in blocks of batches.

    Args:
        model: a compiled Keras model (TensorFlow backend).
        batch_size: windows per batch; the last batch of an epoch may be smaller, as in ``fit``.
        steps_per_execution: batches per compiled call.
        jit_compile: compile each step with XLA.
    """

    def __init__(self, model: keras.Model, batch_size: int, steps_per_execution: int, jit_compile: bool) -> None:
        self.model, self.batch_size = model, batch_size
        self.steps_per_execution = max(1, steps_per_execution)
        train_step = tf.function(model.train_step, jit_compile=jit_compile, reduce_retracing=True)
        test_step = tf.function(model.test_step, jit_compile=jit_compile, reduce_retracing=True)
        self._train_block = self._block(train_step)
        self._test_block = self._block(test_step)

    def _block(self, step: Any) -> Any:
        """A compiled call running ``step`` on the batches ``x[idx[i]], y[idx[i]]`` for every row ``i``."""
        signature = [tf.TensorSpec([None, *self.model.input_shape[1:]], tf.float32),
                     tf.TensorSpec([None, *self.model.output_shape[1:]], tf.float32),
                     tf.TensorSpec([None, None], tf.int32)]

        @tf.function(autograph=False, input_signature=signature)
        def block(x: tf.Tensor, y: tf.Tensor, idx: tf.Tensor) -> tf.Tensor:
            def body(i: tf.Tensor) -> tuple[tf.Tensor]:
                rows = idx[i]
                step((tf.gather(x, rows), tf.gather(y, rows)))
                return (i + 1,)

            n = tf.shape(idx)[0]
            return tf.while_loop(lambda i: i < n, body, (tf.constant(0),), parallel_iterations=1)[0]

        return block

    def _blocks(self, order: np.ndarray) -> list[np.ndarray]:
        """``order`` cut into batches, grouped into blocks of equal-size batches (int32 ``(k, batch)``)."""
        n, b = len(order), self.batch_size
        full = n // b
        blocks = [order[i * b: (i + min(self.steps_per_execution, full - i)) * b].reshape(-1, b)
                  for i in range(0, full, self.steps_per_execution)]
        if n % b:
            blocks.append(order[full * b:].reshape(1, -1))
        return [block.astype(np.int32) for block in blocks]

    def _metrics(self) -> dict[str, float]:
        return {name: float(value) for name, value in self.model.get_metrics_result().items()}

    def evaluate(self, x: tf.Tensor, y: tf.Tensor) -> dict[str, float]:
        """The model's loss (and metrics) on all of ``x, y``, as ``model.evaluate`` reports it."""
        self.model.reset_metrics()
        for block in self._blocks(np.arange(int(x.shape[0]))):
            self._test_block(x, y, tf.constant(block))
        return self._metrics()

    def fit(self, x: np.ndarray, y: np.ndarray, epochs: int, callbacks: list[keras.callbacks.Callback],
            validation_data: tuple[np.ndarray, np.ndarray] | None = None, shuffle: bool = True,
            seed: int = 0) -> dict[str, list[float]]:
        """Train like ``model.fit(x, y, batch_size, epochs, callbacks, validation_data, shuffle)``; the history."""
        model = self.model
        xt, yt = tf.constant(x), tf.constant(y)
        val = (tf.constant(validation_data[0]), tf.constant(validation_data[1])) if validation_data else None
        model._symbolic_build(data_batch=(xt[:1], yt[:1]))  # variables exist before the first trace
        rng = np.random.default_rng(seed)
        n_blocks = len(self._blocks(np.arange(len(x))))
        history = keras.callbacks.History()
        callback_list = keras.callbacks.CallbackList([*callbacks, history], model=model, epochs=epochs,
                                                     steps=n_blocks, verbose=0)
        model.stop_training = False
        callback_list.on_train_begin()
        epoch_logs: dict[str, float] = {}
        with custom_gradients_released():  # the traced steps' graphs stay registered otherwise
            for epoch in range(epochs):
                model.reset_metrics()
                callback_list.on_epoch_begin(epoch)
                order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
                for step, block in enumerate(self._blocks(order)):
                    callback_list.on_train_batch_begin(step)
                    self._train_block(xt, yt, tf.constant(block))
                    callback_list.on_train_batch_end(step, self._metrics())
                    if model.stop_training:
                        break
                epoch_logs = self._metrics()
                if val is not None:
                    epoch_logs |= {f"val_{k}": v for k, v in self.evaluate(*val).items()}
                callback_list.on_epoch_end(epoch, epoch_logs)
                if model.stop_training:
                    break
        callback_list.on_train_end(epoch_logs)
        return {k: [float(v) for v in values] for k, values in history.history.items()}


def compiled_predict(model: keras.Model, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """``model(x, training=False)`` in batches through one traced function kept on the model.

    Cheaper than ``model.predict``, which builds a ``tf.data`` pipeline per call; the
    function is traced once per model (any number of windows) and reused by every call.
    """
    function = getattr(model, "_rnnkit_predict", None)
    if function is None:
        signature = [tf.TensorSpec([None, *model.input_shape[1:]], tf.float32)]
        function = tf.function(lambda batch: model(batch, training=False), input_signature=signature)
        model._rnnkit_predict = function
    x = np.asarray(x, dtype=np.float32)
    return np.concatenate([np.asarray(function(tf.constant(x[i: i + batch_size])))
                           for i in range(0, len(x), batch_size)])
