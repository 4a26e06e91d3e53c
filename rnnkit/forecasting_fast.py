"""Recursive forecasts in one compiled call: each prediction fed back as the newest input, no per-step Python.

The same arithmetic as feeding ``model(window)`` back step by step from NumPy
(``rnnkit.compare._recursive``), run as a ``tf.while_loop`` over a tensor
buffer. Imports TensorFlow.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from rnnkit.windows.indexing import input_offsets
from rnnkit.windows.spec import WindowSpec


def recursive_values(model: keras.Model, buffer: np.ndarray, start: int, spec: WindowSpec) -> np.ndarray:
    """Scaled values ``buffer[start:, 0]`` after filling each row from the model's one-step prediction.

    Args:
        model: maps windows ``(1, n_steps, features)`` to ``(1, 1)`` (or ``(1, n_steps, 1)``).
        buffer: ``(rows, features)`` scaled inputs; rows from ``start`` on are the future, their
            column 0 (the target) is overwritten in order, the other columns are known ahead.
        start: the first future row.
        spec: the window; row ``t``'s inputs are rows ``t + input_offsets(spec)``.
    Returns:
        ``(rows - start,)`` scaled target values, in ``buffer``'s dtype.
    """
    offsets = input_offsets(spec).astype(np.int64)
    first = start + int(offsets.min())  # only the rows the first window reads, and the future
    tail = np.asarray(buffer[first:], dtype=np.float32)
    function = getattr(model, "_rnnkit_recursive", None)
    if function is None:
        function = tf.function(lambda rows, begin, offs: _loop(model, rows, begin, offs), autograph=False,
                               reduce_retracing=True)
        model._rnnkit_recursive = function
    filled = function(tf.constant(tail), tf.constant(start - first, tf.int64), tf.constant(offsets))
    return np.asarray(filled)[start - first:, 0].astype(buffer.dtype)


def _loop(model: keras.Model, rows: tf.Tensor, begin: tf.Tensor, offsets: tf.Tensor) -> tf.Tensor:
    """``rows`` with column 0 filled from ``begin`` on, one model call per row inside the graph."""
    n = tf.cast(tf.shape(rows)[0], tf.int64)

    def body(t: tf.Tensor, values: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        window = tf.gather(values, t + offsets)[None]
        output = model(window, training=False)
        value = tf.reshape(output, [-1])[-1] if output.shape.rank == 3 else output[0, 0]
        values = tf.tensor_scatter_nd_update(values, [[t, 0]], [tf.cast(value, values.dtype)])
        return t + 1, values

    return tf.while_loop(lambda t, _: t < n, body, (begin, rows), parallel_iterations=1)[1]
