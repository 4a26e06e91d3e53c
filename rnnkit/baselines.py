"""Naive baselines on exactly the test windows the models see, in the series' own units.

At a window's anchor ``t`` every row before ``t`` is known, so each baseline may
use the whole past: naive repeats row ``t-1``, seasonal naive repeats the same
season of the last known cycle, drift extends the line from the first row to
row ``t-1``, and the linear baseline is a ridge regression on the same scaled
input windows the networks get.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
from sklearn.linear_model import RidgeCV

from rnnkit.prepare import PreparedData, WindowSet
from rnnkit.windows.indexing import target_offsets

#: Seasonal period (in rows) implied by a frequency alias.
SEASONAL_PERIODS: dict[str, int] = {
    "MS": 12, "ME": 12, "QS": 4, "QE": 4, "D": 7, "B": 5, "h": 24, "30min": 48, "15min": 96, "10min": 144,
    "5min": 288, "min": 1440,
}
#: Training windows used to fit the ridge baseline (evenly spaced), to bound its memory.
RIDGE_MAX_WINDOWS = 20_000
#: Largest input (windows × lookback × columns) fitted through :class:`GramRidge` (200 MB per float64 copy).
RIDGE_GRAM_MAX_VALUES = 25_000_000


def seasonal_period(frequency: str | None) -> int | None:
    """The natural cycle of a frequency (12 for monthly, 24 for hourly...), or None."""
    if frequency is None:
        return None
    if frequency.startswith("W-"):
        return 52
    if frequency.startswith(("QS-", "QE-")):  # quarters anchored on other months
        return 4
    return SEASONAL_PERIODS.get(frequency)


def _target_rows(windows: WindowSet) -> np.ndarray:
    """``(n, horizon)`` row numbers of every window's targets."""
    return windows.anchors[:, None] + target_offsets(windows.spec)[None, :]


def naive(values: np.ndarray, windows: WindowSet) -> np.ndarray:
    """The last known value (row ``anchor - 1``) for every target: persistence."""
    last = values[windows.anchors - 1]
    return np.repeat(last[:, None], windows.spec.horizon, axis=1)


def seasonal_naive(values: np.ndarray, windows: WindowSet, period: int) -> np.ndarray:
    """For every target, the value one or more whole periods earlier, the latest such row already known."""
    rows = _target_rows(windows)
    known = windows.anchors[:, None] - 1
    cycles = np.ceil((rows - known) / period).astype(np.int64)
    source = rows - cycles * period
    return values[np.maximum(source, 0)]


def drift(values: np.ndarray, windows: WindowSet) -> np.ndarray:
    """The line through the first row and the last known row, extended to every target."""
    known = windows.anchors - 1
    slope = (values[known] - values[0]) / np.maximum(known, 1)
    steps = _target_rows(windows) - known[:, None]
    return values[known][:, None] + steps * slope[:, None]


RIDGE_ALPHAS = np.logspace(-4, 3, 15)


@dataclass(frozen=True)
class GramRidge:
    """A ridge regression fitted through the eigenvectors of the centred inputs' Gram matrix ``XᵀX``.

    Same model, same efficient leave-one-out choice of alpha and same predictions
    as scikit-learn's ``RidgeCV`` (to rounding, tested; two alphas whose scores tie
    to the last digits may be chosen either way), about three times faster
    when there are more windows than inputs: the decomposition is of the small
    ``features × features`` matrix, not of the ``windows × features`` one, and it
    is made in float64 whatever the inputs' type.
    """

    coef: np.ndarray  # (features, targets)
    intercept: np.ndarray  # (targets,)
    alpha_: float

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, alphas: np.ndarray = RIDGE_ALPHAS) -> GramRidge:
        """Centre, decompose once, score every alpha by leave-one-out squared error, keep the best."""
        from scipy import linalg

        y2 = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if not (np.isfinite(x).all() and np.isfinite(y2).all()):
            raise ValueError("GramRidge needs finite inputs and targets (no NaN or infinity).")
        x_mean, y_mean = x.mean(axis=0, dtype=np.float64), y2.mean(axis=0)
        centred = np.asarray(x, dtype=np.float64) - x_mean
        eigenvalues, vectors = linalg.eigh(centred.T @ centred, overwrite_a=True, check_finite=False)
        eigenvalues = np.clip(eigenvalues, 0.0, None)  # rounding can make a null direction slightly negative
        projected = centred @ vectors  # no division by singular values: stable for rank-deficient inputs
        del centred
        y_centred = y2 - y_mean
        projected_y = projected.T @ y_centred
        squares = projected * projected
        scores = []
        for alpha in alphas:
            shrink = 1.0 / (eigenvalues + alpha)
            leverage = squares @ shrink + 1.0 / len(x)  # the hat matrix's diagonal, intercept included
            fitted = projected @ (shrink[:, None] * projected_y)
            scores.append(float(np.mean(((y_centred - fitted) / (1.0 - leverage)[:, None]) ** 2)))
        alpha = float(alphas[int(np.argmin(scores))])
        coef = vectors @ (projected_y / (eigenvalues + alpha)[:, None])
        return cls(coef, y_mean - x_mean @ coef, alpha)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """``(n, targets)`` forecasts for the flattened inputs ``x``."""
        return np.asarray(x, dtype=np.float64) @ self.coef + self.intercept


LinearModel: TypeAlias = GramRidge | RidgeCV


def fit_ridge(prepared: PreparedData) -> LinearModel:
    """Ridge regression (alpha by efficient leave-one-out) from flattened train windows to targets."""
    anchors = prepared.train.anchors
    if len(anchors) > RIDGE_MAX_WINDOWS:
        anchors = anchors[np.linspace(0, len(anchors) - 1, RIDGE_MAX_WINDOWS).astype(np.int64)]
    subset = WindowSet("train", anchors, prepared.train.inputs, prepared.train.target, prepared.spec,
                       prepared.train.index)
    x, y = subset.arrays()
    x = x.reshape(len(x), -1)
    if x.shape[0] >= x.shape[1] and x.size <= RIDGE_GRAM_MAX_VALUES:
        # 1.5 s instead of 4.4 s (one thread) on Jena-hourly windows (4,249 × 1,680), the same alpha and forecasts.
        return GramRidge.fit(x, y)
    return RidgeCV(alphas=RIDGE_ALPHAS).fit(x, y)  # wide or very large inputs: scikit-learn's own route


def ridge(model: LinearModel, prepared: PreparedData, windows: WindowSet) -> np.ndarray:
    """The fitted ridge's forecasts for ``windows``, back in the series' units."""
    x, _ = windows.arrays()
    scaled = model.predict(x.reshape(len(x), -1)).reshape(len(x), windows.spec.horizon)
    return prepared.scaler.inverse_target(scaled)


def baseline_forecasts(prepared: PreparedData, windows: WindowSet, period: int | None,
                       linear: LinearModel | None = None) -> dict[str, np.ndarray]:
    """Every baseline's ``(n, horizon)`` forecasts for ``windows``, in original units (``linear``: a fitted ridge)."""
    if len(windows) == 0:
        return {}
    values = prepared.series.frame[prepared.series.target].to_numpy(dtype=np.float64)
    forecasts = {"naive": naive(values, windows)}
    if period and period > 1:
        forecasts["seasonal_naive"] = seasonal_naive(values, windows, period)
    forecasts["drift"] = drift(values, windows)
    forecasts["linear"] = ridge(linear if linear is not None else fit_ridge(prepared), prepared, windows)
    return forecasts


@dataclass
class SimpleForecasts:
    """The naive, seasonal naive, drift and linear forecasts of one split's validation and test windows."""

    on_val: dict[str, np.ndarray]
    on_test: dict[str, np.ndarray]


def simple_forecasts(prepared: PreparedData, period: int | None) -> SimpleForecasts:
    """Every simple baseline on validation and test; the ridge (fitted on training windows) is fitted once."""
    linear = fit_ridge(prepared)
    on_val = baseline_forecasts(prepared, prepared.val, period, linear) if len(prepared.val) else {}
    return SimpleForecasts(on_val, baseline_forecasts(prepared, prepared.test, period, linear))
