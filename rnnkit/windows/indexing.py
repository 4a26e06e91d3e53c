"""Vectorised window indexing: anchors and gathers with no per-sample Python loop."""

from __future__ import annotations

import numpy as np

from rnnkit.windows.spec import WindowSpec


def anchors_for_targets(spec: WindowSpec, start: int, stop: int, inputs_from: int = 0) -> np.ndarray:
    """Anchors of every window whose targets all lie in rows ``[start, stop)``.

    Inputs may reach back before ``start`` (they are the known past) but not
    before ``inputs_from``. Returns an ``int64`` array, possibly empty.
    """
    first = max(start - spec.delay, inputs_from + spec.lookback)
    last = stop - spec.delay - spec.horizon  # inclusive
    if last < first:
        return np.empty(0, dtype=np.int64)
    return np.arange(first, last + 1, dtype=np.int64)


def input_offsets(spec: WindowSpec) -> np.ndarray:
    """Row offsets of the inputs relative to the anchor: ``-lookback, -lookback+step, ...``."""
    return np.arange(-spec.lookback, 0, spec.step, dtype=np.int64)


def target_offsets(spec: WindowSpec) -> np.ndarray:
    """Row offsets of the targets relative to the anchor: ``delay .. delay+horizon-1``."""
    return np.arange(spec.delay, spec.delay + spec.horizon, dtype=np.int64)


def gather_inputs(data: np.ndarray, anchors: np.ndarray, spec: WindowSpec) -> np.ndarray:
    """Input windows of shape ``(len(anchors), n_steps, n_features)`` from a 2-D array."""
    rows = anchors[:, None] + input_offsets(spec)[None, :]
    return np.take(data, rows, axis=0)


def gather_targets(target: np.ndarray, anchors: np.ndarray, spec: WindowSpec) -> np.ndarray:
    """Targets of shape ``(len(anchors), horizon)`` from a 1-D array."""
    rows = anchors[:, None] + target_offsets(spec)[None, :]
    return np.take(target, rows, axis=0)
