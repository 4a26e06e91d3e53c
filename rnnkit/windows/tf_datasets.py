"""Windows as ``tf.data`` pipelines for ``model.fit`` and ``model.predict``, with tf.data's autotuning off.

Why not hand Keras the arrays (or a ``keras.utils.PyDataset``) and let it build
the pipeline: Keras' pipelines keep tf.data's autotuning on, and its background
thread waits on a timer that doubles up to seconds; an iterator dropped at an
epoch's end waits for that timer. With two trainings side by side on two cores
(the process pool's workers) that stalled one of them for 2–2.5 s of a 7 s
training in half the runs, with its core idle (bench/pipeline_stall.py); alone, it
cost about 5% (4 Jena-sized trainings, one thread). A fixed one-batch prefetch keeps
the next batch gathered on another thread, which is all autotuning found to do here.
Imports TensorFlow.
"""

from __future__ import annotations

import itertools
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

    The two arrays are held once, as tensors; each epoch draws one permutation of the row
    numbers in a single operation (from the seed and the epoch), cuts it into batches, and
    gathers each batch from the tensors.
    """
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} windows and y {len(y)}")
    inputs, targets = tf.constant(x), tf.constant(y)
    n, full = len(x), len(x) // batch_size

    def cut(order: tf.Tensor) -> tf.data.Dataset:
        batches = tf.data.Dataset.from_tensor_slices(tf.reshape(order[: full * batch_size], (full, batch_size)))
        return batches.concatenate(tf.data.Dataset.from_tensors(order[full * batch_size:])) if n % batch_size \
            else batches

    if shuffle:  # one random number per epoch (a new one each time the dataset is iterated), seeding the order
        epoch_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
        orders = epoch_seeds.map(lambda s: tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int64), seed=tf.stack([s, tf.constant(0, tf.int64)])))
        rows = orders.flat_map(cut)
    else:
        rows = cut(tf.range(n, dtype=tf.int64))
    rows = rows.apply(tf.data.experimental.assert_cardinality(-(-n // batch_size)))
    batches = rows.map(lambda index: (tf.gather(inputs, index), tf.gather(targets, index)))
    return without_autotune(batches.prefetch(1))


def batches_dataset(batches: WindowBatches) -> tf.data.Dataset:
    """Batches gathered on demand (windows too many to hold in memory), in a new order for every pass.

    The order is redrawn when a pass starts, not when one ends: Keras stops asking for
    batches after the last one of an epoch without reaching the end of the generator.
    """
    x, y = batches[0]
    signature = (tf.TensorSpec((None, *x.shape[1:]), tf.float32), tf.TensorSpec((None, *y.shape[1:]), tf.float32))
    passes = itertools.count()

    def one_pass() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if next(passes):
            batches.on_epoch_end()  # reshuffles when shuffling, before this pass reads a batch
        for index in range(len(batches)):
            inputs, targets = batches[index]
            yield inputs.astype(np.float32, copy=False), targets.astype(np.float32, copy=False)

    dataset = tf.data.Dataset.from_generator(one_pass, output_signature=signature)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(len(batches)))
    return without_autotune(dataset.prefetch(1))
