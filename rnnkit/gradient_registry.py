"""Remove the gradient registrations a training leaves in TensorFlow's process-wide registry.

Keras' optimizer sums gradients over replicas with ``ReplicaContext.all_reduce``.
In a traced training step, that call registers a ``tf.custom_gradient`` under a
new name (``CustomGradient-N``) in TensorFlow's global gradient registry. The
entry's function holds the traced step's whole graph, and TensorFlow never
removes it, not even on ``keras.backend.clear_session``. Each training on the
Jena-sized comparison left about 18,000 Python objects and 10-15 MB behind. A
pool worker reached 1.3 GB after 24 tasks, and every later full garbage
collection took longer: 0.02 s after the first task, 0.27 s after the 20th.

The registration is only looked up when a graph holding that op is
differentiated. The training step's gradients are built while the step is
traced, so once ``fit`` returns nothing needs the entries: a finished model
still predicts, evaluates and trains again (its step is already traced).
Imports TensorFlow lazily, and only its registry module.
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
    meanwhile by another thread go too; that matters only to a graph which that
    thread is tracing at that moment, with a custom gradient in its forward pass,
    and which it has not differentiated yet. rnnkit's models have none.
    """
    before = custom_gradient_names()
    try:
        yield
    finally:
        registry = _gradient_registry()
        if registry is not None:
            for name in custom_gradient_names() - before:
                registry.pop(name, None)
