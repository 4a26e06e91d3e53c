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


class StridedWindows:
    """Every input window of a series as one read-only strided view: gathers copy whole windows.

    With ``step > 1`` the rows of one window all share ``row % step``, so the
    series is stored once more in phase order (rows 0, step, 2·step, ..., then
    1, 1+step, ...). In that layout each window is a contiguous block of
    ``n_steps`` rows and a batch is one fancy-index copy of whole blocks, instead
    of ``n_steps`` small row copies per window. The extra memory is one copy of
    the series, whatever the number of windows.
    """

    def __init__(self, data: np.ndarray, spec: WindowSpec) -> None:
        if data.ndim != 2:
            raise ValueError(f"data must be 2-D (rows, features), got shape {data.shape}")
        self.spec = spec
        step = spec.step
        phases = [data] if step == 1 else [data[p::step] for p in range(step)]
        self._phase_start = np.cumsum([0] + [len(p) for p in phases[:-1]]).astype(np.int64)
        stacked = np.ascontiguousarray(np.concatenate(phases) if step > 1 else data)
        n_windows = max(len(stacked) - spec.n_steps + 1, 0)
        self._view = np.lib.stride_tricks.as_strided(
            stacked,
            shape=(n_windows, spec.n_steps, stacked.shape[1]),
            strides=(stacked.strides[0], stacked.strides[0], stacked.strides[1]),
            writeable=False,
        )

    def gather(self, anchors: np.ndarray) -> np.ndarray:
        """Input windows of shape ``(len(anchors), n_steps, n_features)``, as :func:`gather_inputs`."""
        first = np.asarray(anchors, dtype=np.int64) - self.spec.lookback
        return self._view[self._phase_start[first % self.spec.step] + first // self.spec.step]


def sequence_target_offsets(spec: WindowSpec) -> np.ndarray:
    """Offsets (from the anchor) of a per-step target sequence for time-distributed heads.

    Input step ``k`` is paired with the row as far ahead of it as the window's
    target is ahead of its last input, so the last pair is the usual target.
    """
    return spec.delay + spec.step * (np.arange(spec.n_steps, dtype=np.int64) - (spec.n_steps - 1))


def gather_sequence_targets(target: np.ndarray, anchors: np.ndarray, spec: WindowSpec) -> np.ndarray:
    """Per-step targets of shape ``(len(anchors), n_steps, 1)``; the last step is the usual target."""
    rows = anchors[:, None] + sequence_target_offsets(spec)[None, :]
    return np.take(target, rows, axis=0)[:, :, None]
