"""Two stored runs side by side: the settings asked differently and each forecaster's change."""

from __future__ import annotations

import copy
import math
from typing import Any

from rnnkit.run_compare import available_metrics, metric_changes, same_test_targets, settings_differences


def request(**changes: Any) -> dict[str, Any]:
    asked = {
        "version": 1,
        "series": {"path": "/runs/series/a.pkl", "sha256": "a" * 64, "name": "sales.csv", "rows": 1200},
        "window": {"lookback": 24, "step": 1, "delay": 0, "horizon": 1},
        "models": [{"name": "tuned_gru", "cell": "gru", "units": [64], "description": "GRU(64)"},
                   {"name": "jena_lstm", "cell": "lstm", "units": [32], "description": "LSTM(32)"}],
        "split": {"train": 0.7, "val": 0.15, "val_rows": 0},
        "training": {"epochs": 30, "batch_size": 32, "seed": 42},
        "scaling": "minmax", "label": "",
    }
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = asked
        for parent in parents:
            node = node[parent]
        node[leaf] = value
    return asked


def test_the_same_request_differs_in_nothing_and_scores_the_same_targets() -> None:
    a = request()
    assert settings_differences(a, copy.deepcopy(a)) == []
    assert same_test_targets(a, copy.deepcopy(a)) is True


def test_each_changed_setting_is_named_with_both_values() -> None:
    a = request()
    b = request(training__epochs=60, window__lookback=48, scaling="standard", label="second try")
    found = {(d.setting, d.first, d.second) for d in settings_differences(a, b)}
    assert found == {("training.epochs", "30", "60"), ("window.lookback", "24", "48"),
                     ("scaling", "minmax", "standard")}  # the label and storage fields are not settings
    assert same_test_targets(a, b) is True  # a longer lookback keeps the test targets


def test_a_model_configured_differently_is_named_per_field_and_other_models_as_a_list() -> None:
    a = request()
    b = copy.deepcopy(a)
    b["models"][0]["units"] = [128]
    b["models"][0]["description"] = "GRU(128)"  # descriptions follow the settings: never listed
    assert [(d.setting, d.first, d.second) for d in settings_differences(a, b)] == [
        ("model tuned_gru: units", "64", "128")]
    c = copy.deepcopy(a)
    c["models"] = c["models"][:1]
    assert [(d.setting, d.first, d.second) for d in settings_differences(a, c)] == [
        ("models", "tuned_gru, jena_lstm", "tuned_gru")]


def test_other_data_split_delay_or_horizon_means_other_test_targets() -> None:
    a = request()
    other_data = request(series__sha256="b" * 64, series__name="sales-v2.csv", series__rows=1300)
    assert settings_differences(a, other_data)[0].setting == "data"
    assert settings_differences(a, other_data)[0].second == "sales-v2.csv (1,300 rows)"
    assert same_test_targets(a, other_data) is False
    assert same_test_targets(a, request(split__train=0.6)) is False
    assert same_test_targets(a, request(window__delay=23)) is False
    assert same_test_targets(a, request(window__horizon=12)) is False
    assert same_test_targets(a, request(folds=5)) is False  # a backtest's metrics are its last fold's
    assert same_test_targets(a, None) is None  # a run stored without its request: unknown
    assert settings_differences(None, a) == []


def test_other_input_features_are_a_setting_not_other_data() -> None:
    """Adding a feature makes another snapshot, but every forecaster is scored on the same target values."""
    a = request(series__target="sales", series__inputs=["sales"], series__target_sha256="t" * 64)
    b = request(series__sha256="b" * 64, series__target="sales", series__inputs=["sales", "price"],
                series__target_sha256="t" * 64)
    assert same_test_targets(a, b) is True
    assert [(d.setting, d.first, d.second) for d in settings_differences(a, b)] == [
        ("inputs", "sales", "sales, price")]
    other = request(series__sha256="c" * 64, series__target="sales", series__target_sha256="u" * 64)
    assert same_test_targets(a, other) is False and settings_differences(a, other)[0].setting == "data"


def test_metric_changes_are_relative_for_errors_and_in_points_for_skill() -> None:
    first = {"tuned_gru": {"rmse": 2.0, "skill_pct": 10.0}, "naive": {"rmse": 4.0, "skill_pct": None}}
    second = {"tuned_gru": {"rmse": 1.5, "skill_pct": 25.0}, "jena_lstm": {"rmse": 3.0, "skill_pct": -5.0}}
    rmse = metric_changes(first, second, "rmse")
    assert list(rmse.index) == ["tuned_gru", "naive", "jena_lstm"]
    assert rmse.attrs["change"] == "%"
    assert rmse.loc["tuned_gru", "change"] == -25.0  # 2.0 → 1.5: a quarter lower
    assert math.isnan(rmse.loc["naive", "second"]) and math.isnan(rmse.loc["naive", "change"])
    assert math.isnan(rmse.loc["jena_lstm", "first"]) and rmse.loc["jena_lstm", "second"] == 3.0
    skill = metric_changes(first, second, "skill_pct")
    assert skill.attrs["change"] == "points" and skill.loc["tuned_gru", "change"] == 15.0


def test_available_metrics_keep_the_shown_order_and_skip_missing_ones() -> None:
    runs = {"m": {"mae": 1.0, "rmse": 2.0, "dm_p": 0.1}}, {"m": {"smape": None, "mase": 0.9}}
    assert available_metrics(*runs) == ["rmse", "mae", "mase"]
