"""Fair fights: statistical baselines on the same targets, choice on validation, Holm, intervals, backtests."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from rnnkit.backtest import backtest, plan_folds
from rnnkit.compare import compare
from rnnkit.defaults import default_batch_size, default_lookback, default_setup, suggest_defaults
from rnnkit.errors import SplitError
from rnnkit.metrics import coverage, holm, winkler
from rnnkit.models.spec import ModelSpec, ModelSpecError
from rnnkit.splits import SplitSpec
from rnnkit.statistical import ARIMA_MAX_ANCHORS, rolling_forecasts, skip_reasons
from rnnkit.verdicts import result_verdict, selection_note
from rnnkit.windows.spec import WindowSpec

from helpers import TINY_SPECS, TINY_TRAINING


def seasonal_values(n: int = 200, seed: int = 0) -> np.ndarray:
    t = np.arange(n)
    return 20 + 0.05 * t + 4 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(seed).normal(0, 0.5, n)


def test_statistical_forecasts_use_only_rows_before_each_anchor() -> None:
    values = seasonal_values()
    anchors = np.arange(170, 190)
    first = rolling_forecasts(values, 160, anchors, delay=2, horizon=3, period=12, level=0.9,
                              models=("auto_ets", "auto_theta"))
    changed = values.copy()
    changed[185:] += 1_000  # the future of the first anchors, and the targets of the later ones
    second = rolling_forecasts(changed, 160, anchors, delay=2, horizon=3, period=12, level=0.9,
                               models=("auto_ets", "auto_theta"))
    for name in ("auto_ets", "auto_theta"):
        assert first.points[name].shape == (20, 3)
        np.testing.assert_allclose(first.points[name][:16], second.points[name][:16])  # anchors up to 185
        assert not np.allclose(first.points[name][16:], second.points[name][16:])
        assert (first.lower[name] < first.points[name]).all() and (first.points[name] < first.upper[name]).all()


def test_statistical_forecasts_equal_one_forward_call_per_anchor() -> None:
    from statsforecast.models import AutoETS

    values = seasonal_values()
    out = rolling_forecasts(values, 150, np.array([160, 175]), delay=0, horizon=2, period=12, level=0.8,
                            models=("auto_ets",))
    fitted = AutoETS(season_length=12).fit(values[:150])
    for row, anchor in enumerate((160, 175)):
        np.testing.assert_allclose(out.points["auto_ets"][row], fitted.forward(y=values[:anchor], h=2)["mean"])


def test_arima_is_skipped_with_a_reason_on_long_series_and_all_on_tiny_ones() -> None:
    reasons = skip_reasons(5_000, ARIMA_MAX_ANCHORS + 1, 24)
    assert set(reasons) == {"auto_arima"} and "bound its cost" in reasons["auto_arima"]
    assert set(skip_reasons(5_000, 5_000, 24)) == {"auto_arima", "auto_theta"}
    assert set(skip_reasons(10, 5, 12)) == {"auto_ets", "auto_theta", "auto_arima"}


def test_coverage_winkler_and_holm() -> None:
    y = np.array([[1.0], [2.0], [3.0], [4.0]])
    lower, upper = y - 0.5, y + 0.5
    assert coverage(y, lower, upper) == 100.0 and winkler(y, lower, upper, 0.9) == pytest.approx(1.0)
    shifted = lower + 1, upper + 1  # every target misses by 0.5 below the band
    assert coverage(y, *shifted) == 0.0
    assert winkler(y, *shifted, 0.9) == pytest.approx(1.0 + 2 / 0.1 * 0.5)
    adjusted = holm({"a": 0.01, "b": 0.04, "c": 0.03, "d": float("nan")})
    assert adjusted["a"] == pytest.approx(0.03) and adjusted["c"] == pytest.approx(0.06)
    assert adjusted["b"] == pytest.approx(0.06) and np.isnan(adjusted["d"])


def test_best_model_and_baseline_are_chosen_on_validation(tiny_result) -> None:
    table = tiny_result.metrics
    assert tiny_result.selection == "validation"
    baselines = table[table["kind"] == "baseline"]
    models = table[table["kind"] == "model"]
    assert tiny_result.best_baseline == baselines["val_rmse"].idxmin()
    assert tiny_result.best_model == models["val_rmse"].idxmin()
    assert {"auto_ets", "auto_theta", "auto_arima"} <= set(baselines.index)
    skill = 100 * (1 - table["rmse"] / table.loc[tiny_result.best_baseline, "rmse"])
    np.testing.assert_allclose(table["skill_pct"], skill)
    assert "chosen by their validation RMSE" in result_verdict(tiny_result)
    for name in table.index:  # every forecaster has test intervals, coverage and a Winkler score
        assert 0 <= table.loc[name, "coverage_pct"] <= 100 and table.loc[name, "winkler"] > 0


def test_holm_corrects_over_the_models(tiny_result) -> None:
    models = tiny_result.metrics[tiny_result.metrics["kind"] == "model"]
    p = models["dm_p"].to_numpy()
    expected = np.maximum.accumulate(np.minimum(1, np.sort(p) * np.array([2, 1])))
    np.testing.assert_allclose(np.sort(models["dm_p_holm"].to_numpy()), expected)
    assert "Holm-corrected over 2 models" in result_verdict(tiny_result)


def test_without_validation_the_choice_falls_back_to_test_and_says_so(tiny_series) -> None:
    result = compare(tiny_series, WindowSpec(lookback=12), TINY_SPECS[:1], SplitSpec(train=0.8, val=0.0),
                     TINY_TRAINING, statistical=False)
    assert result.selection == "test"
    assert "optimistic" in selection_note(result)
    baselines = result.metrics[result.metrics["kind"] == "baseline"]
    assert result.best_baseline == baselines["rmse"].idxmin()


def test_non_finite_scores_never_give_a_verdict(tiny_result) -> None:
    broken = replace(tiny_result, metrics=tiny_result.metrics.copy())
    broken.metrics.attrs = dict(tiny_result.metrics.attrs)
    broken.metrics.loc[:, "rmse"] = np.inf
    assert result_verdict(broken).startswith("No verdict: the test scores are not finite")


def test_stored_runs_keep_intervals_choice_and_statistical_forecasts(tiny_result, tmp_path) -> None:
    from rnnkit.serialize import read_result, write_result

    write_result(tiny_result, tmp_path, save_models=False)
    loaded = read_result(tmp_path)
    assert loaded.selection == "validation" and loaded.best_model == tiny_result.best_model
    assert set(loaded.intervals) == set(tiny_result.intervals)
    np.testing.assert_allclose(loaded.intervals["auto_ets"][0], tiny_result.intervals["auto_ets"][0])
    assert set(loaded.baseline_forecasts) == set(tiny_result.baseline_forecasts) >= {"auto_ets", "auto_theta"}


def test_backtest_folds_tile_the_test_part_and_pool_the_errors(tiny_series) -> None:
    split = SplitSpec(train=0.5, val=0.2)
    plans = plan_folds(tiny_series, WindowSpec(12), split, 3)
    assert [(p.train_stop, p.test_start, p.test_stop) for p in plans] == [(80, 112, 128), (96, 128, 144),
                                                                          (112, 144, 160)]
    result = backtest(tiny_series, WindowSpec(12), TINY_SPECS[:1], 3, split, TINY_TRAINING, statistical=False)
    folds = result.fold_table()
    assert sorted(folds["fold"].unique()) == [1, 2, 3]
    for (_, part), plan in zip(folds.groupby("fold"), plans, strict=True):
        assert part["test_start"].iloc[0] == tiny_series.frame.index[plan.test_start]
    summary = result.summary()
    naive = folds[folds["name"] == "naive"]["rmse"]
    assert summary.loc["naive", "rmse_mean"] == pytest.approx(naive.mean())
    assert summary.loc["naive", "rmse_std"] == pytest.approx(naive.std(ddof=0))
    assert result.best_baseline == summary[summary["kind"] == "baseline"]["val_rmse"].idxmin()
    assert np.isfinite(result.pooled_dm_p) and result.verdict().startswith("Over all 3 folds' test targets")
    stored = result.as_result()
    assert stored.backtest_folds is not None and stored.backtest_verdict == result.verdict()


def test_impossible_fold_counts_are_refused(tiny_series) -> None:
    with pytest.raises(SplitError, match="Use 2 to 20 folds"):
        plan_folds(tiny_series, WindowSpec(12), SplitSpec(), 1)
    with pytest.raises(SplitError, match="shorter than the delay"):
        plan_folds(tiny_series, WindowSpec(12, delay=10), SplitSpec(train=0.7, val=0.15), 10)


def test_seed_ensemble_is_one_model_averaging_its_copies(tiny_series) -> None:
    spec = ModelSpec("ens", cell="gru", units=(4,), residual=True, ensemble=2)
    events = []
    result = compare(tiny_series, WindowSpec(12), [spec], SplitSpec(train=0.6, val=0.2), TINY_TRAINING,
                     statistical=False, progress=events.append)
    # one model's progress: started once, epochs counted on over both copies, finished once
    assert [(e.kind, e.epoch, e.epochs) for e in events] == [
        ("started", 0, 4), ("epoch", 1, 4), ("epoch", 2, 4), ("epoch", 3, 4), ("epoch", 4, 4), ("finished", 4, 4)]
    assert all(a.elapsed_s <= b.elapsed_s for a, b in zip(events, events[1:], strict=False))
    model = result.models[0]
    assert model.epochs_run == 2 and model.status == "finished"
    members = [layer for layer in model.model.layers if layer.name.startswith("ens_copy_")]
    assert len(members) == 2
    x = np.random.default_rng(0).random((3, 12, 1)).astype("float32")
    mean = (members[0].predict(x, verbose=0) + members[1].predict(x, verbose=0)) / 2
    np.testing.assert_allclose(model.model.predict(x, verbose=0), mean, rtol=1e-5)
    with pytest.raises(ModelSpecError, match="ensemble of 11 copies"):
        ModelSpec("too_many", ensemble=11)


def test_defaults_follow_the_season_and_the_data_size(tiny_series) -> None:
    assert default_lookback(12, 1_000)[0] == 24 and default_lookback(144, 100_000)[0] == 240
    assert default_lookback(None, 1_000)[0] == 24 and default_lookback(12, 60)[0] == 12
    assert default_batch_size(200) == 16 and default_batch_size(6_000) == 128 and default_batch_size(10**6) == 256
    defaults = suggest_defaults(tiny_series)
    assert defaults.window == WindowSpec(24) and defaults.calendar
    assert defaults.training.epochs == 200 and defaults.training.reduce_lr
    assert defaults.models[:2] == ("tuned_gru", "tuned_lstm") and len(defaults.reasons) == 5
    # the AutoTheta hybrid joins where its base can roll over every validation and test window, not beyond
    assert defaults.models[2:] == ("hybrid_theta_gru",) and "hybrid_theta_gru" in defaults.reasons[-1]
    short_training = suggest_defaults(tiny_series, None, SplitSpec(train_rows=25, val_rows=20))
    assert short_training.models == ("tuned_gru", "tuned_lstm")  # 25 rows: too few for AutoTheta's two seasons
    assert "cannot run" in short_training.reasons[-1]
    kept = suggest_defaults(tiny_series, WindowSpec(15, delay=2, horizon=3), SplitSpec(train_rows=100, val_rows=20))
    assert (kept.window.delay, kept.window.horizon, kept.split.train_rows) == (2, 3, 100)


def test_default_setup_applies_the_defaults_as_the_cli_does(tiny_series) -> None:
    setup = default_setup(tiny_series, seed=7)
    assert setup.window == setup.defaults.window and setup.split == SplitSpec()
    assert [s.name for s in setup.specs] == list(setup.defaults.models) and setup.training.seed == 7
    assert len(setup.series.features) > len(tiny_series.features)  # calendar inputs, since the series is monthly
    plain = default_setup(tiny_series, calendar=False, models="gru")
    assert plain.series is tiny_series and [s.name for s in plain.specs] == ["gru"]


def test_daily_series_without_a_known_season_gets_no_calendar() -> None:
    from rnnkit.data.series import load_series

    index = pd.date_range("2000-01-01", periods=40, freq="YS")
    frame = pd.DataFrame({"year": index.strftime("%Y-%m-%d"), "value": np.arange(40.0)})
    series = load_series(frame.to_csv(index=False).encode(), name="yearly", target="value")
    assert not suggest_defaults(series).calendar


def monthly_series(rows: int):
    from rnnkit.data.series import load_series

    index = pd.date_range("2000-01-01", periods=rows, freq="MS")
    frame = pd.DataFrame({"month": index.strftime("%Y-%m-%d"), "value": seasonal_values(rows).round(4)})
    return load_series(frame.to_csv(index=False).encode(), name="monthly", target="value")


def test_a_backtest_never_chooses_by_test_score() -> None:
    series = monthly_series(120)
    # fold 1 trains on 24 rows: too few for the statistical models on its validation part
    result = backtest(series, WindowSpec(12), TINY_SPECS[:1], 2, SplitSpec(train_rows=24, val_rows=24),
                      TINY_TRAINING)
    folds = result.fold_table()
    missing = folds[(folds["fold"] == 1) & folds["val_rmse"].isna()]["name"]
    assert {"auto_ets", "auto_theta"} <= set(missing)
    assert result.selection == "validation" and result.best_baseline not in set(missing)
    assert result.summary().loc[result.best_baseline, "chosen"] == "baseline"
    without_val = backtest(series, WindowSpec(12), TINY_SPECS[:1], 2, SplitSpec(train=0.5, val=0.0),
                           TINY_TRAINING, statistical=False)
    assert without_val.selection == "test" and "optimistic" in without_val.verdict()


def test_a_backtest_chooses_only_on_the_validation_rows_before_every_test_row() -> None:
    """A later fold's validation part holds earlier folds' test rows: its scores never sway the choice."""
    result = backtest(monthly_series(120), WindowSpec(12), TINY_SPECS[:2], 3, SplitSpec(train_rows=60, val_rows=12),
                      TINY_TRAINING, statistical=False)
    plans = result.plans
    assert plans[1].train_stop < plans[0].test_stop  # fold 2's validation part is fold 1's test part
    table = result.fold_table()
    first = table[table["fold"] == 1].set_index("name")
    models, baselines = first[first["kind"] == "model"], first[first["kind"] == "baseline"]
    assert result.best_model == models["val_rmse"].idxmin()
    assert result.best_baseline == baselines["val_rmse"].idxmin()
    assert result.summary()["val_rmse"].to_dict() == pytest.approx(first["val_rmse"].to_dict())

    class Swayed(type(result)):  # later folds' validation scores made to favour the other model, hugely
        def fold_table(self) -> pd.DataFrame:
            table = super().fold_table()
            later = table["fold"] > 1
            table.loc[later & (table["name"] == result.best_model), "val_rmse"] = 1e9
            table.loc[later & (table["name"] != result.best_model), "val_rmse"] = 0.0
            return table

    swayed = Swayed(result.target, result.window, result.plans, result.folds, result.status)
    assert swayed.best_model == result.best_model and swayed.best_baseline == result.best_baseline
    assert "before the first fold, so no fold's test rows took part in the choice" in result.verdict()


def test_too_few_validation_windows_give_no_intervals_rather_than_zero_coverage() -> None:
    result = compare(monthly_series(120), WindowSpec(12), TINY_SPECS[:1], SplitSpec(train_rows=100, val_rows=6),
                     TINY_TRAINING, statistical=False)
    assert not result.intervals
    assert result.metrics["coverage_pct"].isna().all()


def test_quarter_end_series_have_a_season_of_four() -> None:
    from rnnkit.baselines import seasonal_period
    from rnnkit.data.series import load_series

    index = pd.date_range("1990-03-31", periods=60, freq="QE")
    frame = pd.DataFrame({"date": index.strftime("%Y-%m-%d"), "v": np.arange(60.0)})
    series = load_series(frame.to_csv(index=False).encode(), name="q", target="v")
    assert series.report.frequency == "QE" and seasonal_period("QE") == 4 and seasonal_period("QE-NOV") == 4
    assert suggest_defaults(series).calendar


def test_a_backtest_stopped_before_its_first_fold_reports_it() -> None:
    from rnnkit.backtest import BacktestResult
    from rnnkit.cli.compare import format_backtest

    empty = BacktestResult("value", WindowSpec(12), [], [], "cancelled")
    assert "stopped before its first fold" in format_backtest(empty)
    assert empty.summary().empty and empty.best_model is None


def test_runs_saved_before_validation_choice_say_their_verdict_is_optimistic(tiny_result, tmp_path) -> None:
    import json

    from rnnkit.serialize import read_result, write_result

    write_result(tiny_result, tmp_path, save_models=False)
    config = json.loads((tmp_path / "config.json").read_text())
    del config["selection"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert "saved before rnnkit chose on validation" in selection_note(read_result(tmp_path))
