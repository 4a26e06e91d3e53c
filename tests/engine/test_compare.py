"""compare(): same test targets for every model and baseline, and a forecast past the end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnnkit.compare import compare, conformal_quantiles, interval_note, verdict
from rnnkit.data.series import load_series
from rnnkit.errors import RnnkitError
from rnnkit.models.presets import PRESETS
from rnnkit.models.spec import ModelSpec
from rnnkit.splits import SplitSpec
from rnnkit.windows.spec import WindowSpec

from helpers import TINY_SPECS, TINY_TRAINING


def test_result_holds_models_and_baselines_on_the_same_targets(tiny_result, tiny_series) -> None:
    metrics = tiny_result.metrics
    assert list(metrics.index) == ["tiny_gru", "tiny_rnn", "naive", "seasonal_naive", "drift", "linear",
                                   "auto_ets", "auto_theta", "auto_arima"]
    assert tiny_result.period == 12
    n = len(tiny_result.test_times)
    assert tiny_result.y_test.shape == (n, 1)
    for model in tiny_result.models:
        assert model.test_pred.shape == (n, 1)
        assert len(model.history["loss"]) == 2 and model.train_seconds > 0 and model.params > 0
    actual = tiny_series.frame["value"].reindex(tiny_result.test_times).to_numpy()
    np.testing.assert_allclose(tiny_result.y_test[:, 0], actual, rtol=1e-6)
    assert tiny_result.best_model in {"tiny_gru", "tiny_rnn"}
    assert tiny_result.best_baseline in set(metrics.index[metrics["kind"] == "baseline"])
    frame = tiny_result.predictions_frame()
    forecasters = ["tiny_gru", "tiny_rnn", "naive", "seasonal_naive", "drift", "linear", "auto_ets", "auto_theta",
                   "auto_arima"]
    assert list(frame.columns[:12]) == ["time", "step", "actual", *forecasters]
    assert set(frame.columns[12:]) == {f"{name} {side}" for name in forecasters for side in ("lower", "upper")}
    assert (frame["time"] == tiny_result.test_times).all()


def test_recursive_forecast_continues_the_calendar(tiny_result, tiny_series) -> None:
    forecast = tiny_result.model("tiny_gru").forecast
    assert len(forecast) == 12  # one seasonal period, recursively
    last = tiny_series.frame.index[-1]
    assert forecast["time"].iloc[0] == last + pd.offsets.MonthBegin(1)
    assert forecast["time"].iloc[-1] == last + pd.offsets.MonthBegin(12)
    widths = (forecast["upper"] - forecast["lower"]).to_numpy()
    assert (widths > 0).all() and (np.diff(widths) > 0).all()
    assert ((forecast["lower"] <= forecast["forecast"]) & (forecast["forecast"] <= forecast["upper"])).all()


def test_direct_multi_step_forecast(tiny_series) -> None:
    result = compare(tiny_series, WindowSpec(lookback=12, horizon=3), [ModelSpec("d", cell="gru", units=(4,))],
                     SplitSpec(train=0.6, val=0.2), TINY_TRAINING)
    assert result.y_test.shape[1] == 3 and result.models[0].test_pred.shape[1] == 3
    assert result.model("d").forecast["step"].tolist() == [1, 2, 3]
    assert result.predictions_frame()["step"].max() == 3


def test_a_series_spanning_three_centuries_is_compared_and_forecast() -> None:
    """Sunspots' layout (years as numbers, 1700-2008): a span past a nanosecond Timedelta's 292 years."""
    years = np.arange(1700, 2009)
    text = "YEAR,SUNACTIVITY\n" + "\n".join(f"{y}.0,{50 + 40 * np.sin(y / 1.7):.1f}" for y in years)
    series = load_series(text.encode(), name="sunspots.csv")
    assert series.report.frequency == "YS"
    result = compare(series, WindowSpec(lookback=10), [ModelSpec("g", cell="gru", units=(4,))], SplitSpec(),
                     TINY_TRAINING, statistical=False)
    assert result.status == "finished"
    assert result.model("g").forecast["time"].iloc[0] == pd.Timestamp("2009-01-01")


def test_forecast_steps_count_rows_after_the_last_for_every_forecaster(tiny_series) -> None:
    result = compare(tiny_series, WindowSpec(lookback=12, delay=2, horizon=2), [ModelSpec("d", cell="gru", units=(4,))],
                     SplitSpec(train=0.6, val=0.2), TINY_TRAINING)
    frame = result.forecast_frame()
    last = tiny_series.frame.index[-1]
    for _, row in frame.iterrows():  # the same step is the same month, whoever forecasts it
        assert row["time"] == last + int(row["step"]) * pd.offsets.MonthBegin(1), row["model"]
    assert frame.loc[frame["model"] == "d", "step"].tolist() == [3, 4]


def test_multi_step_target_times_come_from_the_series_own_rows() -> None:
    """Trading days with a holiday: step k of a window is the k-th next row, never a day missing from the data."""
    days = pd.bdate_range("2021-01-04", periods=130)
    days = days.delete(days.get_indexer(pd.DatetimeIndex(["2021-05-31", "2021-06-01"])))  # two holidays
    t = np.arange(len(days))
    csv = pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "close": 100 + np.sin(t / 4) + 0.01 * t}).to_csv(index=False)
    series = load_series(csv.encode(), name="prices", target="close")
    result = compare(series, WindowSpec(lookback=10, horizon=5), TINY_SPECS[:1], SplitSpec(train=0.6, val=0.2),
                     TINY_TRAINING)
    frame = result.predictions_frame()
    assert frame["time"].isin(series.frame.index).all()
    assert (frame.groupby("step")["time"].min().diff().dropna() > pd.Timedelta(0)).all()
    actual = series.frame["close"].reindex(pd.DatetimeIndex(frame["time"])).to_numpy()
    np.testing.assert_allclose(frame["actual"].to_numpy(), actual, rtol=1e-6)


def test_time_distributed_preset_is_scored_on_its_last_step(tiny_series) -> None:
    small_td = ModelSpec("td", cell="lstm", units=(4,), head="time_distributed")
    result = compare(tiny_series, WindowSpec(lookback=12), [small_td], SplitSpec(train=0.6, val=0.2), TINY_TRAINING)
    assert result.models[0].test_pred.shape == result.y_test.shape


def test_incompatible_horizon_is_refused(tiny_series) -> None:
    with pytest.raises(RnnkitError, match="Set the window horizon to 14"):
        compare(tiny_series, WindowSpec(lookback=12), [PRESETS["lstm_14"]], SplitSpec(train=0.6, val=0.2))


def test_conformal_quantile() -> None:
    residuals = np.arange(1, 20, dtype=float)[:, None]  # 19 residuals
    assert conformal_quantiles(residuals, 0.9)[0] == 18.0  # ceil(20 × 0.9) = 18th smallest
    assert np.isnan(conformal_quantiles(residuals[:8], 0.9)[0])  # rank 9 of 8: no finite width covers 90%


def test_conformal_intervals_cover_new_errors_at_their_level() -> None:
    """Exchangeable errors: the half-width from 60 calibration errors covers about 90% of new ones."""
    rng = np.random.default_rng(0)
    coverage = []
    for _ in range(400):
        width = conformal_quantiles(rng.standard_t(4, (60, 1)), 0.9)[0]
        coverage.append(np.mean(np.abs(rng.standard_t(4, 200)) <= width))
    assert 0.89 <= np.mean(coverage) <= 0.93  # guaranteed ≥ 0.9, at most 0.9 + 1/61 on average


def test_no_validation_part_means_no_intervals_and_says_so(tiny_series) -> None:
    result = compare(tiny_series, WindowSpec(lookback=12), TINY_SPECS[:1], SplitSpec(train=0.8, val=0.0),
                     TINY_TRAINING)
    forecast = result.models[0].forecast
    assert len(forecast) == 12 and forecast["forecast"].notna().all()
    assert forecast["lower"].isna().all() and forecast["upper"].isna().all()
    assert interval_note(result).startswith("No 90% intervals: the split has no validation part")


def test_interval_note_names_the_calibration(tiny_result) -> None:
    assert interval_note(tiny_result).startswith(
        "90% intervals are split-conformal for the networks and simple baselines, from their errors on the")


@pytest.mark.parametrize("period", [0, -3, 500])
def test_a_period_that_does_not_fit_is_refused(tiny_series, period: int) -> None:
    with pytest.raises(RnnkitError, match=f"seasonal period {period} does not fit"):
        compare(tiny_series, WindowSpec(lookback=12), TINY_SPECS[:1], SplitSpec(train=0.6, val=0.2),
                TINY_TRAINING, period=period)


@pytest.mark.parametrize("name", ["naive", "linear", "actual", "time"])
def test_a_model_cannot_take_a_baseline_or_column_name(name: str) -> None:
    with pytest.raises(RnnkitError, match="reserved"):
        ModelSpec(name, cell="gru", units=(4,))


def test_reserved_names_cover_every_baseline_and_column(tiny_result) -> None:
    from rnnkit.models.spec import RESERVED_NAMES

    columns = {c for c in tiny_result.predictions_frame().columns if not c.endswith((" lower", " upper"))}
    fixed = columns - {m.name for m in tiny_result.models}
    assert fixed <= set(RESERVED_NAMES)


def test_verdict_on_a_constant_test_part_explains_itself() -> None:
    text = verdict("gru", "naive", float("-inf"), float("nan"))
    assert "predicts the test part exactly (RMSE 0)" in text and "nan" not in text
    assert "too few test windows" in verdict("gru", "naive", 3.0, float("nan"))
    assert verdict("gru", "naive", 12.5, 0.001) == (
        "gru beats naive by 12.5% RMSE (Diebold–Mariano p = 0.001: a real difference at the 5% level).")


@pytest.mark.parametrize(("p", "p_holm", "n_test"), [(0.71, 1.0, 147), (0.03, 0.09, 147), (1e-6, 1e-6, 4),
                                                     (float("nan"), None, 147)])
def test_a_lower_rmse_within_noise_is_never_called_a_win(p: float, p_holm: float | None, n_test: int) -> None:
    text = verdict("tuned_gru", "auto_ets", 0.4, p, p_holm, 3, n_test)
    assert "beats" not in text
    assert text.startswith("tuned_gru's test RMSE is 0.4% lower than auto_ets's, not enough to call it a win (")


def test_a_verdict_on_a_handful_of_test_windows_calls_nothing_real_and_huge_losses_read_as_ratios() -> None:
    few = verdict("gru", "naive", 12.0, 1e-6, n_test=9)  # one below the least the verdict trusts
    assert "only 9 test windows, too few to tell a real difference from noise" in few
    assert "real difference at" not in few
    assert "a real difference at the 5% level" in verdict("gru", "naive", 12.0, 1e-6, n_test=10)
    assert "its RMSE is 50.0% higher" in verdict("gru", "naive", -50.0, 0.2)
    assert "its RMSE is 10.4 times as high" in verdict("gru", "naive", -940.0, 0.2)
    assert "its RMSE is 19,333,675 times as high" in verdict("gru", "naive", -1_933_367_405.7, 0.2)


def test_a_model_that_blows_up_is_marked_diverged_not_scored(tiny_series, tmp_path) -> None:
    from dataclasses import replace

    from rnnkit.compare import divergence_note
    from rnnkit.store import RunStore

    huge = replace(tiny_series, frame=tiny_series.frame * 1e20)  # unscaled: the loss overflows
    result = compare(huge, WindowSpec(lookback=12), TINY_SPECS[:1], SplitSpec(train=0.6, val=0.2), TINY_TRAINING,
                     scaling="none")
    assert result.diverged == ["tiny_gru"] and result.best_model is None
    assert np.isnan(result.metrics.loc["tiny_gru", "rmse"]) and len(result.models[0].forecast) == 0
    assert divergence_note(result).startswith("tiny_gru diverged: the loss or the predictions became NaN")
    store = RunStore(tmp_path)
    run_id = store.start("huge", "value", ["tiny_gru"], {})
    assert store.finish(run_id, result).status == "finished"
    assert store.load(run_id).diverged == ["tiny_gru"]


def test_training_seed_out_of_range_is_refused() -> None:
    from rnnkit.training import TrainingConfig

    for seed in (-1, 2**32):
        with pytest.raises(RnnkitError, match=f"seed is {seed}"):
            TrainingConfig(seed=seed)


def test_a_split_date_with_a_utc_offset_splits_a_naive_index() -> None:
    index = pd.date_range("2020-01-01", periods=48, freq="h")
    bounds = SplitSpec(test_start="2020-01-02T02:00+02:00").bounds(index)  # = 2020-01-02 00:00 UTC
    assert index[bounds.val_stop] == pd.Timestamp("2020-01-02 00:00")


def test_a_network_that_forecasts_fewer_rows_past_the_end_is_named_with_why(tiny_result) -> None:
    from dataclasses import replace

    from rnnkit.verdicts import forecast_note

    assert forecast_note(tiny_result) is None  # every forecaster reaches as far
    longest = max(len(m.forecast) for m in tiny_result.models)
    one_row = replace(tiny_result.models[0], forecast=tiny_result.models[0].forecast.head(1))
    note = forecast_note(replace(tiny_result, models=[one_row, *tiny_result.models[1:]]))
    assert note is not None and note.startswith(f"{one_row.name} forecasts 1 row past the end, not {longest}:")
    assert "Extra input features have no known future values." in note
