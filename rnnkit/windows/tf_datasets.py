"""Windows as ``tf.data`` pipelines for ``model.fit`` and ``model.predict``, with tf.data's autotuning off.

Why not hand Keras the arrays (or a ``keras.utils.PyDataset``) and let it build
the pipeline: Keras' pipelines keep tf.data's autotuning on, and its background
thread waits on a timer that doubles up to seconds; an iterator dropped at an
epoch's end waits for that timer. With two trainings side by side on two cores
(the process pool's workers) that stalled one of them for 2–2.5 s of a 7 s
training in half the runs, with its core idle (bench/throughput.py); alone, it
cost 6–9%. A fixed one-batch prefetch keeps the next batch gathered on another
thread, which is all autotuning found to do here. Imports TensorFlow.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import tensorflow as tf

from rnnkit.windows.batches import WindowBatches


def without_autotune(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """``dataset`` with tf.data's autotuning (and its timer thread) turned off."""
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def array_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = False,
                  seed: int | None = None) -> tf.data.Dataset:
    """Batches of in-memory windows; with ``shuffle``, a fresh seeded order every epoch (as ``fit(shuffle=True)``).

    Only the row numbers are shuffled; each batch is gathered from the two arrays,
    held once as tensors.
    """
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} windows and y {len(y)}")
    inputs, targets = tf.constant(x), tf.constant(y)
    rows = tf.data.Dataset.range(len(x))
    if shuffle:
        rows = rows.shuffle(max(1, len(x)), seed=seed, reshuffle_each_iteration=True)
    batches = rows.batch(batch_size).map(lambda index: (tf.gather(inputs, index), tf.gather(targets, index)))
    return without_autotune(batches.prefetch(1))


def batches_dataset(batches: WindowBatches) -> tf.data.Dataset:
    """Batches gathered on demand (windows too many to hold in memory); reshuffled after each full pass."""
    x, y = batches[0]
    signature = (tf.TensorSpec((None, *x.shape[1:]), tf.float32), tf.TensorSpec((None, *y.shape[1:]), tf.float32))

    def one_pass() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for inputs, targets in batches:
            yield inputs.astype(np.float32, copy=False), targets.astype(np.float32, copy=False)
        batches.on_epoch_end()

    dataset = tf.data.Dataset.from_generator(one_pass, output_signature=signature)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(len(batches)))
    return without_autotune(dataset.prefetch(1))
