"""Metrics on hand-checked numbers; baselines on a series whose right answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sklearn.linear_model import RidgeCV

from rnnkit.baselines import RIDGE_ALPHAS, GramRidge, baseline_forecasts, drift, naive, seasonal_naive, seasonal_period
from rnnkit.data.cleaning import CleaningLog
from rnnkit.data.series import DataReport, TimeSeries
from rnnkit.metrics import diebold_mariano, mae, mape, mase, mase_scale, metrics_table, rmse, smape
from rnnkit.prepare import prepare
from rnnkit.splits import SplitSpec
from rnnkit.windows.spec import WindowSpec


def test_point_metrics() -> None:
    y = np.array([[1.0], [2.0], [4.0]])
    p = np.array([[2.0], [2.0], [1.0]])
    assert mae(y, p) == pytest.approx(4 / 3)
    assert rmse(y, p) == pytest.approx(np.sqrt(10 / 3))
    assert mape(y, p) == pytest.approx(100 * (1 + 0 + 0.75) / 3)
    assert smape(y, p) == pytest.approx(100 * (2 / 3 + 0 + 6 / 5) / 3)
    assert mase(y, p, scale=2.0) == pytest.approx(2 / 3)


def test_mape_ignores_zero_targets_and_smape_handles_double_zero() -> None:
    y = np.array([0.0, 0.0, 2.0])
    p = np.array([0.0, 1.0, 1.0])
    assert mape(y, p) == pytest.approx(50.0)
    assert np.isnan(mape(np.zeros(3), p))
    assert smape(np.zeros(2), np.zeros(2)) == 0.0


def test_mase_scale_is_in_sample_seasonal_naive_error() -> None:
    train = np.array([1.0, 2.0, 3.0, 5.0, 6.0, 7.0])
    assert mase_scale(train, None) == pytest.approx(np.mean([1, 1, 2, 1, 1]))
    assert mase_scale(train, 3) == pytest.approx(np.mean([4, 4, 4]))


def test_diebold_mariano_sign_and_significance() -> None:
    rng = np.random.default_rng(0)
    big = rng.normal(0, 2.0, (300, 1))
    small = rng.normal(0, 1.0, (300, 1))
    stat, p = diebold_mariano(small, big)
    assert stat < 0 and p < 0.001
    same_stat, same_p = diebold_mariano(small, small.copy())
    assert same_stat == 0.0 and same_p == 1.0
    noise_stat, noise_p = diebold_mariano(rng.normal(0, 1, (300, 1)), rng.normal(0, 1, (300, 1)))
    assert noise_p > 0.01



def _overlapping_errors(rng: np.random.Generator, n: int, lead: int) -> np.ndarray:
    """Errors of a forecast ``lead`` rows ahead: sums of the ``lead`` shocks since the forecast, so
    neighbouring windows share ``lead - 1`` of them (an MA(lead - 1) process)."""
    shocks = rng.normal(0, 1, n + lead - 1)
    return np.convolve(shocks, np.ones(lead), mode="valid")[:, None]


def test_diebold_mariano_keeps_its_size_when_errors_overlap() -> None:
    """Equally accurate forecasters 12 rows ahead: the test must reject about 5% of the time at 5%,
    not half the time as when the overlap is ignored."""
    rng = np.random.default_rng(1)
    rejections = {1: 0, 12: 0}
    repeats = 300
    for _ in range(repeats):
        a, b = _overlapping_errors(rng, 200, 12), _overlapping_errors(rng, 200, 12)
        for lead in rejections:
            rejections[lead] += diebold_mariano(a, b, lead)[1] < 0.05
    assert rejections[1] / repeats > 0.3  # ignoring the overlap: far too many false alarms
    assert rejections[12] / repeats < 0.09  # Bartlett weights measured 0.11 here, rectangular 0.06


def test_diebold_mariano_never_claims_certainty_from_a_noisy_difference() -> None:
    """Negatively autocorrelated loss differences make the unweighted long-run variance negative in
    about a third of these cases (the test used to answer p = 0); the Bartlett fallback keeps it a
    finite statistic and a real p-value."""
    rng = np.random.default_rng(0)
    for _ in range(100):
        wiggle = np.diff(rng.normal(0, 1, 41))
        a, b = np.sqrt(np.maximum(1 + wiggle, 0))[:, None], np.ones((40, 1))
        stat, p = diebold_mariano(a, b, lead=6)
        assert np.isfinite(stat) and 0 < p <= 1
    assert np.isnan(diebold_mariano(a[:6], b[:6], lead=6)[1])  # too few windows for this lead


def _series(values: np.ndarray, freq: str = "MS") -> TimeSeries:
    frame = pd.DataFrame({"y": values}, index=pd.date_range("2000-01-01", periods=len(values), freq=freq, name="time"))
    log = CleaningLog(frequency=freq)
    report = DataReport("t", len(values), "time", "ISO 8601", 0, None, {}, (), log)
    return TimeSeries(frame=frame, target="y", features=(), report=report)


def test_baselines_know_the_right_answers() -> None:
    t = np.arange(60, dtype=float)
    values = 10 + 0.5 * t + np.tile([0.0, 3.0, -3.0, 1.0], 15)
    prepared = prepare(_series(values), WindowSpec(lookback=8, delay=1, horizon=2), SplitSpec(train=0.6, val=0.2))
    windows = prepared.test
    t0 = windows.anchors[0]
    assert naive(values, windows)[0].tolist() == [values[t0 - 1]] * 2
    season = seasonal_naive(values, windows, 4)[0]
    assert season.tolist() == [values[t0 + 1 - 4], values[t0 + 2 - 4]]
    slope = (values[t0 - 1] - values[0]) / (t0 - 1)
    np.testing.assert_allclose(drift(values, windows)[0], values[t0 - 1] + slope * np.array([2, 3]))


@pytest.mark.parametrize("scaling", ["none", "minmax"])
def test_scored_targets_are_the_series_values_exactly_even_near_a_billion(scaling: str) -> None:
    values = 1e9 + np.cumsum(np.random.default_rng(0).normal(0, 3, 80))  # float32 rounds these to 64 units
    prepared = prepare(_series(values), WindowSpec(lookback=6, delay=1, horizon=2), SplitSpec(train=0.6, val=0.2),
                       scaling)
    for windows in (prepared.val, prepared.test):
        expected = np.stack([values[windows.anchors + 1], values[windows.anchors + 2]], axis=1)
        assert np.array_equal(prepared.actual(windows), expected)
    naive_mae = mae(prepared.actual(prepared.test), naive(values, prepared.test))
    true_mae = np.mean(np.abs(np.stack([values[prepared.test.anchors + k] for k in (1, 2)], axis=1)
                              - values[prepared.test.anchors - 1][:, None]))
    assert naive_mae == pytest.approx(true_mae, rel=1e-12)


def test_linear_baseline_is_exact_on_a_linear_series() -> None:
    values = 3.0 + 0.25 * np.arange(120)
    prepared = prepare(_series(values, "D"), WindowSpec(lookback=5), SplitSpec(train=0.6, val=0.2))
    forecasts = baseline_forecasts(prepared, prepared.test, period=7)
    truth = prepared.scaler.inverse_target(prepared.test.targets())
    assert set(forecasts) == {"naive", "seasonal_naive", "drift", "linear"}
    np.testing.assert_allclose(forecasts["linear"], truth, atol=0.05)
    np.testing.assert_allclose(forecasts["drift"], truth, atol=1e-9)
    assert rmse(truth, forecasts["naive"]) == pytest.approx(0.25)


@pytest.mark.parametrize("rows, features, targets, noise, twin", [
    (300, 40, 1, 0.3, False), (500, 120, 3, 2.0, False), (80, 79, 2, 0.05, True), (2000, 12, 1, 5.0, True)])
def test_gram_ridge_chooses_and_forecasts_as_scikit_learn_does(rows: int, features: int, targets: int, noise: float,
                                                               twin: bool) -> None:
    rng = np.random.default_rng(rows)
    x = rng.normal(size=(rows, features)).astype(np.float32) + 2.0  # float32, off-centre: as windows arrive
    if twin:
        x[:, 1] = x[:, 0]  # a rank-deficient design (the same column twice)
    y = x[:, :3] @ rng.normal(size=(3, targets)) + noise * rng.normal(size=(rows, targets)) + 5.0
    ours = GramRidge.fit(x, y)
    theirs = RidgeCV(alphas=RIDGE_ALPHAS, gcv_mode="svd").fit(x.astype(np.float64), y)
    assert ours.alpha_ == theirs.alpha_
    x_new = rng.normal(size=(50, features)) + 2.0
    np.testing.assert_allclose(ours.predict(x_new), theirs.predict(x_new).reshape(50, targets), rtol=1e-7,
                               atol=1e-8)
    x[3, 2] = np.nan
    with pytest.raises(ValueError, match="finite"):
        GramRidge.fit(x, y)


def test_seasonal_period_from_frequency() -> None:
    assert seasonal_period("MS") == 12 and seasonal_period("h") == 24 and seasonal_period("10min") == 144
    assert seasonal_period("W-SUN") == 52 and seasonal_period(None) is None


def test_metrics_table_ranks_against_the_best_baseline() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(size=(200, 1))
    forecasts = {"good": y + rng.normal(0, 0.1, y.shape), "naive": y + rng.normal(0, 1.0, y.shape),
                 "seasonal_naive": y + rng.normal(0, 0.5, y.shape)}
    kinds = {"good": "model", "naive": "baseline", "seasonal_naive": "baseline"}
    table = metrics_table(y, forecasts, kinds, scale=1.0)
    assert table.attrs["best_baseline"] == "seasonal_naive"
    rmse = table["rmse"]
    assert table.loc["good", "skill_pct"] == pytest.approx(100 * (1 - rmse["good"] / rmse["seasonal_naive"]))
    assert table.loc["good", "skill_pct"] > 50 and table.loc["good", "dm_p"] < 1e-6
    assert table.loc["good", "skill_vs_naive_pct"] > table.loc["good", "skill_pct"]
    assert np.isnan(table.loc["seasonal_naive", "dm_p"])
