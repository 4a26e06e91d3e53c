"""From a validated series to scaled train / validation / test windows: the models' input.

``prepare`` splits the series in time order, fits the scaler on the training
rows only, and builds one :class:`WindowSet` per split whose targets all lie
inside that split (inputs may reach back into earlier rows: they are the known
past, not leakage).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnkit.data.series import TimeSeries
from rnnkit.errors import SeriesTooShortError, SplitError
from rnnkit.scaling import ScalerKind, SeriesScaler
from rnnkit.splits import SPLIT_NAMES, SplitBounds, SplitSpec
from rnnkit.windows.batches import MATERIALISE_LIMIT_BYTES, WindowBatches, materialise, window_bytes
from rnnkit.windows.indexing import anchors_for_targets, gather_inputs, gather_targets
from rnnkit.windows.spec import WindowSpec


@dataclass(frozen=True)
class WindowSet:
    """The windows of one split, over the shared scaled arrays."""

    name: str
    anchors: np.ndarray
    inputs: np.ndarray
    target: np.ndarray
    spec: WindowSpec
    index: pd.DatetimeIndex

    def __len__(self) -> int:
        return len(self.anchors)

    @property
    def target_times(self) -> pd.DatetimeIndex:
        """Timestamp of each window's first target row."""
        return self.index[self.anchors + self.spec.delay]

    @property
    def fits_in_memory(self) -> bool:
        return window_bytes(len(self), self.spec, self.inputs.shape[1]) <= MATERIALISE_LIMIT_BYTES

    def arrays(self, sequence_targets: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """All windows: ``X`` ``(n, n_steps, features)`` float32, ``y`` ``(n, horizon)`` scaled."""
        return materialise(self.inputs, self.target, self.anchors, self.spec, sequence_targets)

    def batches(self, batch_size: int = 128, shuffle: bool = False, seed: int | None = None,
                sequence_targets: bool = False) -> WindowBatches:
        """Batches gathered on demand; memory independent of the number of windows."""
        return WindowBatches(self.inputs, self.target, self.anchors, self.spec, batch_size, shuffle, seed,
                             sequence_targets)

    def targets(self) -> np.ndarray:
        """The scaled targets alone, ``(n, horizon)``: cheap, no input windows."""
        return gather_targets(self.target, self.anchors, self.spec)


@dataclass(frozen=True)
class PreparedData:
    """Scaled arrays, the fitted scaler and the three window sets of one series and spec."""

    series: TimeSeries
    spec: WindowSpec
    bounds: SplitBounds
    scaler: SeriesScaler
    train: WindowSet
    val: WindowSet
    test: WindowSet

    @property
    def n_features(self) -> int:
        return self.train.inputs.shape[1]

    @property
    def input_shape(self) -> tuple[int, int]:
        return (self.spec.n_steps, self.n_features)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in SPLIT_NAMES}

    def actual(self, windows: WindowSet) -> np.ndarray:
        """The targets of ``windows``, ``(n, horizon)``, in the series' own units: exactly its values.

        Taken from the float64 target column, not unscaled from the float32 model
        targets, whose rounding reaches whole units on series near 1e9.
        """
        values = self.series.frame[self.series.target].to_numpy(dtype=np.float64)
        return gather_targets(values, windows.anchors, windows.spec)

    def latest_window(self) -> np.ndarray:
        """The input window that ends with the last row: shape ``(1, n_steps, features)``.

        Its anchor is one past the end of the data, so its targets are the
        future: this is what a forecast beyond the data is made from.
        """
        anchor = np.array([len(self.series)], dtype=np.int64)
        return gather_inputs(self.train.inputs, anchor, self.spec)


def window_counts(n_rows: int, spec: WindowSpec, bounds: SplitBounds) -> dict[str, int]:
    """Windows per split, from lengths alone: cheap enough for a live display."""
    return {
        name: len(anchors_for_targets(spec, *bounds.rows(name)))
        for name in SPLIT_NAMES
    }


def plan_windows(series: TimeSeries, spec: WindowSpec, split: SplitSpec) -> tuple[SplitBounds, dict[str, int]]:
    """The split's row bounds and window counts, or the error that training would hit, before any work.

    Cheap (lengths only), so the dashboard runs it on every change of the settings.
    """
    spec.require_rows(len(series), f"The series {series.name!r}")
    bounds = split.bounds(series.frame.index)
    counts = window_counts(len(series), spec, bounds)
    if counts["train"] < 1:
        raise SeriesTooShortError(
            f"The training part has {bounds.train_stop} rows, but one window needs lookback "
            f"{spec.lookback} + delay {spec.delay} + horizon {spec.horizon} = {spec.span} rows.",
            "Shorten the lookback, delay or horizon, give training a larger share, or use a longer series.",
        )
    for name in ("val", "test"):
        start, stop = bounds.rows(name)
        if stop > start and counts[name] < 1:
            raise SeriesTooShortError(
                f"The {'validation' if name == 'val' else 'test'} part has {stop - start} rows, fewer than "
                f"the delay {spec.delay} + horizon {spec.horizon} = {spec.delay + spec.horizon} rows "
                "one target needs.",
                "Shorten the delay or horizon, or give this part a larger share of the series.",
            )
    if counts["test"] < 1:
        raise SplitError("The split leaves no test windows, so nothing can be scored.",
                         "Give the test part a share of the series (for example 15%).")
    return bounds, counts


def prepare(
    series: TimeSeries,
    spec: WindowSpec,
    split: SplitSpec = SplitSpec(),
    scaling: ScalerKind = "minmax",
) -> PreparedData:
    """Split, scale (fitted on training rows only) and window a series for the models."""
    bounds, _ = plan_windows(series, spec, split)
    values = series.frame[series.inputs].to_numpy(dtype=np.float64)
    target = series.frame[series.target].to_numpy(dtype=np.float64)
    scaler = SeriesScaler.fit(values, target, bounds.train_stop, scaling)
    inputs_scaled = scaler.transform_inputs(values)
    target_scaled = scaler.transform_target(target)
    sets = {
        name: WindowSet(
            name,
            anchors_for_targets(spec, *bounds.rows(name)),
            inputs_scaled,
            target_scaled,
            spec,
            series.frame.index,
        )
        for name in SPLIT_NAMES
    }
    return PreparedData(series, spec, bounds, scaler, **sets)
