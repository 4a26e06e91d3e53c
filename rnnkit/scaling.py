"""Scalers fitted on the training rows only, with the inverse for predictions.

Uses scikit-learn's ``MinMaxScaler`` (default) or ``StandardScaler``. Inputs and
target get separate scalers so predictions can be turned back into the
series' own units without the feature columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.base import TransformerMixin
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

from rnnkit.errors import RnnkitError

ScalerKind = Literal["minmax", "standard", "none"]
SCALER_KINDS: tuple[str, ...] = ("minmax", "standard", "none")


def make_scaler(kind: ScalerKind) -> TransformerMixin:
    """A fresh unfitted scikit-learn transformer of the given kind."""
    if kind == "minmax":
        return MinMaxScaler()
    if kind == "standard":
        return StandardScaler()
    if kind == "none":
        return FunctionTransformer()  # identity both ways
    raise RnnkitError(f"Unknown scaler {kind!r}.", f"Use one of: {', '.join(SCALER_KINDS)}.")


@dataclass
class SeriesScaler:
    """Input and target scalers, both fitted on rows ``[0, fit_rows)`` only."""

    kind: ScalerKind
    inputs: TransformerMixin
    target: TransformerMixin
    fit_rows: int

    @classmethod
    def fit(cls, inputs: np.ndarray, target: np.ndarray, fit_rows: int, kind: ScalerKind = "minmax") -> SeriesScaler:
        """Fit on the first ``fit_rows`` rows (the training part) of ``inputs`` (2-D) and ``target`` (1-D)."""
        input_scaler, target_scaler = make_scaler(kind), make_scaler(kind)
        input_scaler.fit(inputs[:fit_rows])
        target_scaler.fit(np.asarray(target[:fit_rows]).reshape(-1, 1))
        return cls(kind, input_scaler, target_scaler, fit_rows)

    def transform_inputs(self, inputs: np.ndarray) -> np.ndarray:
        return np.asarray(self.inputs.transform(inputs), dtype=np.float32)

    def transform_target(self, target: np.ndarray) -> np.ndarray:
        values = np.asarray(target, dtype=np.float64).reshape(-1, 1)
        return np.asarray(self.target.transform(values), dtype=np.float32).reshape(np.shape(target))

    def describe(self, input_columns: list[str]) -> dict[str, object]:
        """The fitted values, as plain numbers, to scale inputs and unscale outputs without rnnkit.

        ``minmax``: ``scaled = (x - min) / (max - min)`` (``x - min`` for a constant column, as
        scikit-learn does); ``standard``: ``scaled = (x - mean) / scale``; ``none``: unchanged.
        ``inputs`` is per input column, in the model's input order.
        """
        def values(scaler: TransformerMixin, names: list[str]) -> dict[str, dict[str, float]]:
            if self.kind == "minmax":
                pairs = zip(scaler.data_min_, scaler.data_max_, strict=True)
                return {n: {"min": float(a), "max": float(b)} for n, (a, b) in zip(names, pairs, strict=True)}
            if self.kind == "standard":
                pairs = zip(scaler.mean_, scaler.scale_, strict=True)
                return {n: {"mean": float(a), "scale": float(b)} for n, (a, b) in zip(names, pairs, strict=True)}
            return {}

        formula = {"minmax": "scaled = (x - min) / (max - min); x - min where max equals min",
                   "standard": "scaled = (x - mean) / scale", "none": "scaled = x"}[self.kind]
        return {"kind": self.kind, "formula": formula, "fitted_on_rows": self.fit_rows,
                "inputs": values(self.inputs, input_columns),
                "target": next(iter(values(self.target, ["target"]).values()), {})}

    def inverse_target(self, values: np.ndarray) -> np.ndarray:
        """Scaled predictions or targets (any shape) back to the series' own units."""
        values = np.asarray(values, dtype=np.float64)
        flat = self.target.inverse_transform(values.reshape(-1, 1))
        return np.asarray(flat, dtype=np.float64).reshape(values.shape)
