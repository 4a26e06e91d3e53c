"""Forecast accuracy in the series' own units, skill against baselines, and the Diebold–Mariano test."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

ZERO_GUARD = 1e-8


def mae(y: np.ndarray, pred: np.ndarray) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(y - pred)))


def rmse(y: np.ndarray, pred: np.ndarray) -> float:
    """Root mean squared error."""
    return float(np.sqrt(np.mean((y - pred) ** 2)))


def mape(y: np.ndarray, pred: np.ndarray) -> float:
    """Mean absolute percentage error over targets that are not (near) zero; NaN if all are."""
    keep = np.abs(y) > ZERO_GUARD
    if not keep.any():
        return float("nan")
    return float(100 * np.mean(np.abs((y[keep] - pred[keep]) / y[keep])))


def smape(y: np.ndarray, pred: np.ndarray) -> float:
    """Symmetric MAPE in percent (0–200); pairs where both values are zero count as exact."""
    denominator = np.abs(y) + np.abs(pred)
    ratio = np.divide(2 * np.abs(y - pred), denominator, out=np.zeros_like(denominator, dtype=float),
                      where=denominator > ZERO_GUARD)
    return float(100 * np.mean(ratio))


def mase_scale(train_target: np.ndarray, period: int | None) -> float:
    """In-sample MAE of the (seasonal) naive forecast on the training rows: MASE's denominator."""
    m = period if period and period < len(train_target) else 1
    diffs = np.abs(train_target[m:] - train_target[:-m])
    return float(np.mean(diffs)) if len(diffs) else float("nan")


def mase(y: np.ndarray, pred: np.ndarray, scale: float) -> float:
    """Mean absolute scaled error: MAE over the in-sample (seasonal) naive MAE; NaN if that is zero."""
    return mae(y, pred) / scale if scale and scale > ZERO_GUARD else float("nan")


def diebold_mariano(errors_a: np.ndarray, errors_b: np.ndarray, lead: int = 1) -> tuple[float, float]:
    """Diebold–Mariano test of equal squared-error accuracy, with Harvey et al.'s small-sample correction.

    ``errors_*`` are ``(n, horizon)`` forecast errors on the same targets, one
    row per consecutive window. ``lead`` is how many rows ahead the furthest
    target lies (delay + horizon): errors of windows closer than that share
    surprises, so their loss differences are autocorrelated up to ``lead - 1``
    lags, which the long-run variance must include (rectangular weights, with
    Bartlett weights as the fallback that is never negative). A negative
    statistic means ``a`` is more accurate. Returns
    ``(statistic, two-sided p-value)``; NaN when there are too few windows.
    """
    loss_a = np.mean(np.square(errors_a), axis=1)
    loss_b = np.mean(np.square(errors_b), axis=1)
    d = loss_a - loss_b
    n = len(d)
    lags = min(lead - 1, n - 1)
    correction_term = n + 1 - 2 * lead + lead * (lead - 1) / n
    if n < 3 or correction_term <= 0:
        return float("nan"), float("nan")
    mean = d.mean()
    centred = d - mean
    autocovariances = [centred @ centred / n] + [(centred[k:] @ centred[:-k]) / n for k in range(1, lags + 1)]
    # Rectangular weights up to lead - 1, the lags Harvey et al.'s correction assumes (Bartlett weights
    # shrink the variance and reject too often); Bartlett only when the rectangular sum is not positive.
    variance = autocovariances[0] + 2 * sum(autocovariances[1:])
    if variance <= 0:
        variance = autocovariances[0] + 2 * sum((1 - k / (lags + 1)) * autocovariances[k] for k in range(1, lags + 1))
    if variance <= ZERO_GUARD * max(float(np.mean(loss_a + loss_b)), ZERO_GUARD) ** 2:
        # the two forecasters differ by the same amount on every window (or not at all)
        return (0.0, 1.0) if abs(mean) <= ZERO_GUARD else (float(np.sign(mean) * np.inf), 0.0)
    statistic = mean / np.sqrt(variance / n) * np.sqrt(correction_term / n)
    p_value = 2 * stats.t.sf(abs(statistic), df=n - 1)
    return float(statistic), float(p_value)


def coverage(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of targets inside their interval, in percent (a 90% interval should give about 90)."""
    return float(100 * np.mean((y >= lower) & (y <= upper)))


def winkler(y: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: float) -> float:
    """Mean Winkler (interval) score: width plus ``2 / (1 − level)`` × the miss; lower is better.

    It rewards narrow intervals and punishes every target they miss, so a
    too-narrow interval with poor coverage cannot look good.
    """
    alpha = 1 - level
    below = np.maximum(lower - y, 0)
    above = np.maximum(y - upper, 0)
    return float(np.mean((upper - lower) + 2 / alpha * (below + above)))


def holm(p_values: dict[str, float]) -> dict[str, float]:
    """Holm's step-down adjustment of several p-values (family-wise error); NaN p-values stay NaN.

    With ``m`` tests, the ``k``-th smallest p-value is multiplied by ``m − k + 1``,
    kept monotone and capped at 1: a model counts as better at 5% only if its
    adjusted p-value is below 0.05, however many models were compared.
    """
    finite = sorted((p, name) for name, p in p_values.items() if np.isfinite(p))
    adjusted = {name: float("nan") for name in p_values}
    running = 0.0
    for k, (p, name) in enumerate(finite):
        running = max(running, min(1.0, (len(finite) - k) * p))
        adjusted[name] = running
    return adjusted


def metrics_table(
    y_true: np.ndarray,
    forecasts: dict[str, np.ndarray],
    kinds: dict[str, str],
    scale: float,
    lead: int = 1,
    reference: str | None = None,
) -> pd.DataFrame:
    """One row per forecaster: MAE, RMSE, MAPE, sMAPE, MASE, skill and DM test against the reference baseline.

    ``kinds`` maps each name to ``"model"`` or ``"baseline"``; ``lead`` is the
    window's delay + horizon (see :func:`diebold_mariano`). ``reference`` is the
    baseline to measure against (the one chosen on validation); without it,
    the baseline with the lowest RMSE here. Skill is
    ``100 × (1 − RMSE / RMSE of the reference)``; positive means better.
    """
    rows = []
    for name, pred in forecasts.items():
        rows.append({"name": name, "kind": kinds[name], "mae": mae(y_true, pred), "rmse": rmse(y_true, pred),
                     "mape": mape(y_true, pred), "smape": smape(y_true, pred), "mase": mase(y_true, pred, scale)})
    table = pd.DataFrame(rows).set_index("name")
    baselines = table[table["kind"] == "baseline"]
    best_baseline = reference if reference in table.index else (
        baselines["rmse"].idxmin() if len(baselines) and baselines["rmse"].notna().any() else None)
    table["skill_pct"] = np.nan
    table["skill_vs_naive_pct"] = np.nan
    table["dm_stat"] = np.nan
    table["dm_p"] = np.nan
    if best_baseline is not None:
        table["skill_pct"] = 100 * (1 - table["rmse"] / table.loc[best_baseline, "rmse"])
        if "naive" in table.index:
            table["skill_vs_naive_pct"] = 100 * (1 - table["rmse"] / table.loc["naive", "rmse"])
        base_errors = forecasts[best_baseline] - y_true
        for name in table.index:
            if name != best_baseline:
                stat, p = diebold_mariano(forecasts[name] - y_true, base_errors, lead)
                table.loc[name, ["dm_stat", "dm_p"]] = stat, p
    table.attrs["best_baseline"] = best_baseline
    return table
