"""Worker-side helper for bench/pipeline_stall.py: one training with a chosen input pipeline (importable by name)."""

from __future__ import annotations

import os
import time
from typing import Any


def keras_pipeline(x: Any, y: Any, batch_size: int, shuffle: bool = False, seed: int | None = None) -> Any:
    """Keras' own pipeline for arrays (what ``fit(x, y)`` builds), tf.data autotuning on as Keras leaves it."""
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

    return ArrayDataAdapter(x, y, batch_size=batch_size, shuffle=shuffle).get_tf_dataset()


def timed_training(task: Any, progress: Any, cancel: Any, pipeline: str = "rnnkit") -> dict[str, float]:
    """Train ``task``'s model with ``pipeline`` ("keras" or "rnnkit"); wall and CPU seconds, and when it ran."""
    import rnnkit.windows.tf_datasets as datasets
    from rnnkit.tasks import prepare_unit
    from rnnkit.training import train_model

    original = datasets.array_dataset
    if pipeline == "keras":
        datasets.array_dataset = keras_pipeline
    try:
        prepared, _ = prepare_unit(task.unit, task.request)
        started, cpu = time.time(), time.process_time()
        train_model(task.spec, prepared, task.request.training)
        return {"started": started, "wall_s": time.time() - started, "cpu_s": time.process_time() - cpu,
                "pid": os.getpid()}
    finally:
        datasets.array_dataset = original


def keras_training(task: Any, progress: Any, cancel: Any) -> dict[str, float]:
    return timed_training(task, progress, cancel, "keras")


def rnnkit_training(task: Any, progress: Any, cancel: Any) -> dict[str, float]:
    return timed_training(task, progress, cancel, "rnnkit")
