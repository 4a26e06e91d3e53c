"""Load a model file rnnkit saved (``.keras``), in any Python with rnnkit installed.

rnnkit's networks use layers of its own (``rnnkit.models.layers``, such as the
last-value head); Keras finds them only once that module is imported, so plain
``keras.models.load_model`` fails with "Could not locate class 'LastValue'".
The model maps windows of scaled inputs to scaled targets: the run's
``run.json`` (key ``scaler``) holds the values to scale and unscale them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_model_file(path: str | Path) -> Any:
    """The Keras model in ``path``, loaded with Keras' ``safe_mode`` (no arbitrary code, no pickles)."""
    import keras

    import rnnkit.models.layers  # noqa: F401  (registers rnnkit's layers with Keras)

    return keras.saving.load_model(path, safe_mode=True, compile=False)
