"""Hybrid models: statistical forecast + a network trained on its errors, scored honestly through compare()."""

from __future__ import annotations

import io

import keras
import numpy as np
import pandas as pd
import pytest

from rnnkit.compare import compare
from rnnkit.compiled_fit import compiled_predict
from rnnkit.data.series import TimeSeries, load_series
from rnnkit.errors import RnnkitError
from rnnkit.hybrid import ErrorWindowSet, base_forecasts, error_data
from rnnkit.models.presets import PRESETS
from rnnkit.models.spec import ModelSpec, ModelSpecError
from rnnkit.prepare import prepare
from rnnkit.serialize import MODELS_DIR, read_result, write_result
from rnnkit.splits import SplitSpec
from rnnkit.statistical import rolling_forecasts
from rnnkit.windows.spec import WindowSpec

from helpers import TINY_TRAINING

HYBRID = ModelSpec("tiny_hybrid", cell="gru", units=(4,), hybrid="auto_ets")
SPLIT = SplitSpec(train=0.6, val=0.2)
WINDOW = WindowSpec(lookback=12)


def _series(test_shift: float = 0.0, rows: int = 120) -> TimeSeries:
    """A trending monthly season with noise; ``test_shift`` is added to the last 20% of rows only."""
    t = np.arange(rows)
    values = 50 + 0.05 * t + 5 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(0, 0.3, rows)
    values[int(rows * 0.8):] += test_shift
    frame = pd.DataFrame({"month": pd.date_range("2000-01-01", periods=rows, freq="MS").strftime("%Y-%m-%d"),
                          "value": values.round(4)})
    return load_series(io.BytesIO(frame.to_csv(index=False).encode()), name="tiny", target="value")


def test_hybrid_predicts_the_statistical_forecast_plus_the_networks_error(tmp_path) -> None:
    series = _series()
    result = compare(series, WINDOW, [HYBRID], SPLIT, TINY_TRAINING)
    model = result.model("tiny_hybrid")
    assert np.isfinite(result.metrics.loc["tiny_hybrid", ["rmse", "val_rmse"]].to_numpy(dtype=float)).all()

    prepared = prepare(series, WINDOW, SPLIT)
    values = series.frame["value"].to_numpy(dtype=np.float64)
    bounds = prepared.bounds
    from dataclasses import replace

    from rnnkit.statistical import min_history

    anchors = prepared.train.anchors[prepared.train.anchors >= min_history(12)]  # forecast from enough rows only
    on_train = rolling_forecasts(values, bounds.train_stop, anchors, 0, 1, 12, 0.9, ("auto_ets",))
    on_val = rolling_forecasts(values, bounds.train_stop, prepared.val.anchors, 0, 1, 12, 0.9, ("auto_ets",))
    on_test = rolling_forecasts(values, bounds.val_stop, prepared.test.anchors, 0, 1, 12, 0.9, ("auto_ets",))
    scale = np.std(prepared.actual(replace(prepared.train, anchors=anchors)) - on_train.points["auto_ets"])
    network = model.model  # the error network, live under the inline runner
    for windows, base, pred in ((prepared.val, on_val, model.val_pred), (prepared.test, on_test, model.test_pred)):
        expected = base.points["auto_ets"] + scale * compiled_predict(network, windows.arrays()[0])
        np.testing.assert_allclose(pred, expected, rtol=1e-5)
    # the statistical part of the test predictions is exactly the auto_ets baseline the comparison scores
    np.testing.assert_allclose(on_test.points["auto_ets"], result.baselines["auto_ets"])
    forecast = model.forecast
    assert len(forecast) == 12 and np.isfinite(forecast["forecast"]).all()
    assert (forecast["lower"] <= forecast["forecast"]).all() and (forecast["forecast"] <= forecast["upper"]).all()

    folder = tmp_path / "run"
    folder.mkdir()
    write_result(result, folder)  # a stored run keeps the hybrid's own predictions and forecast
    stored = read_result(folder).model("tiny_hybrid")
    assert stored.spec == HYBRID
    np.testing.assert_allclose(stored.test_pred, model.test_pred, rtol=1e-6)
    np.testing.assert_allclose(stored.forecast["forecast"], forecast["forecast"], rtol=1e-6)
    reloaded = keras.saving.load_model(folder / MODELS_DIR / "tiny_hybrid.keras")  # the error network alone
    np.testing.assert_allclose(compiled_predict(reloaded, prepared.test.arrays()[0]),
                               compiled_predict(network, prepared.test.arrays()[0]), rtol=1e-5)


def test_hybrid_validation_predictions_do_not_depend_on_the_test_part() -> None:
    first = compare(_series(), WINDOW, [HYBRID], SPLIT, TINY_TRAINING, statistical=False, forecast=False)
    second = compare(_series(test_shift=30.0), WINDOW, [HYBRID], SPLIT, TINY_TRAINING, statistical=False,
                     forecast=False)
    a, b = first.model("tiny_hybrid"), second.model("tiny_hybrid")
    np.testing.assert_array_equal(a.val_pred, b.val_pred)
    assert not np.allclose(a.test_pred, b.test_pred)  # the test part itself did change


def test_error_targets_are_the_same_streamed_or_materialised() -> None:
    prepared = prepare(_series(), WINDOW, SPLIT)
    base = base_forecasts("auto_theta", prepared, 12)
    errors = error_data(prepared, base).train
    assert isinstance(errors, ErrorWindowSet) and len(errors) == len(base.train)
    batches = errors.batches(batch_size=7, shuffle=True, seed=1)
    by_anchor = dict(zip(errors.anchors.tolist(), errors.arrays()[1][:, 0].tolist(), strict=True))
    x, y = batches[0]
    assert x.shape[0] == 7
    rows = batches.anchors[batches._order[:7]]
    np.testing.assert_array_equal(y[:, 0], [by_anchor[r] for r in rows.tolist()])
    np.testing.assert_allclose(np.std(errors.errors), 1.0, rtol=1e-5)  # learnt in units of the errors' spread


@pytest.mark.parametrize("settings", [dict(hybrid="auto_arima"), dict(hybrid="auto_ets", residual=True),
                                      dict(hybrid="auto_ets", head="time_distributed")])
def test_impossible_hybrids_are_refused(settings: dict) -> None:
    with pytest.raises(ModelSpecError):
        ModelSpec("bad", **settings)


def test_hybrid_presets_are_listed_and_say_what_they_are() -> None:
    for name, base in (("hybrid_ets_gru", "auto_ets"), ("hybrid_theta_gru", "auto_theta")):
        spec = PRESETS[name]
        assert spec.hybrid == base and spec.layer_summary.startswith(f"{base} + GRU(64)")
        assert ModelSpec.from_dict(spec.to_dict()) == spec


def test_multi_step_hybrid_forecasts_its_horizon_directly() -> None:
    spec = ModelSpec("tiny_theta_hybrid", cell="gru", units=(4,), hybrid="auto_theta")
    result = compare(_series(), WindowSpec(lookback=12, horizon=3), [spec], SPLIT, TINY_TRAINING, statistical=False)
    model = result.model("tiny_theta_hybrid")
    assert model.test_pred.shape == (len(result.test_times), 3) and np.isfinite(model.test_pred).all()
    assert list(model.forecast["step"]) == [1, 2, 3] and np.isfinite(model.forecast["forecast"]).all()


def test_a_hybrid_on_a_short_series_forecasts_only_training_windows_with_enough_past() -> None:
    """Twelve months: the earliest training windows have too few rows before them for AutoTheta ("tiny datasets")."""
    from rnnkit.models.presets import PRESETS
    from rnnkit.statistical import hybrid_skip_reasons

    index = pd.date_range("2020-01-01", periods=12, freq="MS")
    text = "month,v\n" + "\n".join(f"{d:%Y-%m-%d},{10 + i % 4}" for i, d in enumerate(index))
    series = load_series(text.encode(), name="twelve.csv")
    window, split = WindowSpec(lookback=2), SplitSpec(train=0.7, val=0.15)
    result = compare(series, window, [PRESETS["hybrid_theta_gru"]], split, TINY_TRAINING, statistical=False)
    assert result.status == "finished" and np.isfinite(result.model("hybrid_theta_gru").test_pred).all()
    assert "auto_theta" in hybrid_skip_reasons(WindowSpec(lookback=2, horizon=4), 7, 1, None)  # no window has 6 rows


def test_a_hybrid_whose_base_cannot_run_is_refused_before_anything_trains(tiny_series) -> None:
    from rnnkit.models.presets import PRESETS
    from rnnkit.plan import plan_comparison
    from rnnkit.request import make_request

    request = make_request(tiny_series, WindowSpec(12), [PRESETS["hybrid_theta_gru"]],
                           SplitSpec(train_rows=20, val_rows=20))
    with pytest.raises(RnnkitError, match="hybrid_theta_gru.*cannot run on this split.*too few") as error:
        plan_comparison(request)
    assert "Drop the hybrid" in error.value.fix
