"""Remove the gradient registrations a training leaves in TensorFlow's process-wide registry.

Keras' optimizer sums gradients over replicas with ``ReplicaContext.all_reduce``.
In a traced training step, that call registers a ``tf.custom_gradient`` under a
new name (``CustomGradient-N``) in TensorFlow's global gradient registry. The
entry's function holds the traced step's whole graph, and TensorFlow never
removes it, not even on ``keras.backend.clear_session``. Each Jena-sized
training left about 18,000 Python objects and 15 MB behind: a pool worker grew
from 933 to 1,315 MB over 24 such tasks, and the garbage collector's time per
task (imports frozen, :mod:`rnnkit.runners.worker`) rose from 0.02 s after the
first to 0.27 s after the 20th.

An entry is only looked up when a graph holding its op is differentiated
symbolically (``tf.gradients``, or a tape around a call of that function). A
training step's gradients are built while the step is traced, before the
all-reduce, and nothing differentiates the step afterwards: a finished model
still predicts, evaluates, is saved (a SavedModel export skips a missing
entry) and trains again (a new trace registers anew). Imports TensorFlow at
the first call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

CUSTOM_GRADIENT_PREFIX = "CustomGradient-"  # tensorflow/python/ops/custom_gradient.py names every registration so


def _gradient_registry() -> dict[str, Any] | None:
    """TensorFlow's gradient registry (a private dict), or None where this TensorFlow keeps it elsewhere."""
    try:
        from tensorflow.python.framework import ops
    except ImportError:
        return None
    registry = getattr(getattr(ops, "gradient_registry", None), "_registry", None)
    return registry if isinstance(registry, dict) else None


def custom_gradient_names() -> set[str]:
    """The names of the custom gradients registered in this process so far (empty where the registry is not found)."""
    registry = _gradient_registry()
    if registry is None:
        return set()
    return {name for name in list(registry) if isinstance(name, str) and name.startswith(CUSTOM_GRADIENT_PREFIX)}


@contextlib.contextmanager
def custom_gradients_released() -> Iterator[None]:
    """Unregister the custom gradients registered inside this block when it ends, so their graphs can be freed.

    Registrations made before the block (a user's own) are kept. Those made
    meanwhile by another thread go too, which matters only to a graph that thread
    traced meanwhile, with a custom gradient of its own, and later differentiates.
    rnnkit trains one model at a time per process (the pool's and Ray's workers
    run one task at a time; in-process training holds ``IN_PROCESS_TRAINING``),
    and its models have no custom gradients.
    """
    before = custom_gradient_names()
    try:
        yield
    finally:
        registry = _gradient_registry()
        if registry is not None:
            for name in custom_gradient_names() - before:
                registry.pop(name, None)
