"""Cleaning: order, duplicates, frequency, gaps, missing values, sentinels and resampling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import csv_bytes, synthetic_frame
from rnnkit.data.cleaning import CleaningOptions
from rnnkit.data.frequency import frequency_label, infer_frequency
from rnnkit.data.series import load_series
from rnnkit.errors import DataError, EmptyTargetError


def _hourly(rows: int = 48) -> pd.DataFrame:
    return synthetic_frame(rows, freq="h")


def test_rows_are_sorted_and_exact_duplicates_dropped() -> None:
    frame = _hourly(24)
    shuffled = pd.concat([frame.iloc[::-1], frame.iloc[[3]]])
    series = load_series(csv_bytes(shuffled), target="value")
    assert series.frame.index.is_monotonic_increasing
    assert len(series) == 24
    assert series.report.cleaning.was_sorted is False
    assert series.report.cleaning.exact_duplicates == 1


@pytest.mark.parametrize(("policy", "expected"), [("mean", 2.0), ("first", 1.0), ("last", 3.0)])
def test_duplicated_timestamps_are_merged(policy: str, expected: float) -> None:
    text = "date,value\n2020-01-01 00:00,0\n2020-01-01 01:00,1\n2020-01-01 01:00,3\n2020-01-01 02:00,4\n"
    series = load_series(text.encode(), options=CleaningOptions(duplicate_timestamps=policy))
    assert series.report.cleaning.duplicate_timestamps == 1
    assert series.frame.loc["2020-01-01 01:00", "value"] == expected
    assert any("repeated an earlier timestamp" in line for line in series.report.summary_lines())


@pytest.mark.parametrize(
    ("dates", "alias"),
    [
        (pd.date_range("2000-01-01", periods=30, freq="MS"), "MS"),
        (pd.date_range("2000-01-31", periods=30, freq="ME"), "ME"),
        (pd.date_range("2000-01-01", periods=30, freq="10min"), "10min"),
        (pd.date_range("2000-01-03", periods=30, freq="B").delete([7, 12]), "B"),
        (pd.date_range("2000-01-01", periods=30, freq="D").delete([4, 5, 6]), "D"),
        (pd.date_range("2000-01-02", periods=30, freq="W-SUN"), "W-SUN"),
        (pd.date_range("1700-01-01", periods=30, freq="YS"), "YS"),
    ],
)
def test_frequency_inference_tolerates_gaps(dates: pd.DatetimeIndex, alias: str) -> None:
    assert infer_frequency(dates) == alias


def test_irregular_timestamps_have_no_frequency() -> None:
    """Event times with no common step are irregular, not sampled at the smallest gap between them."""
    rng = np.random.default_rng(0)
    seconds = np.cumsum(rng.integers(3_600, 20 * 86_400, 60))
    events = pd.Timestamp("2020-01-01") + pd.to_timedelta(seconds, unit="s")
    assert infer_frequency(pd.DatetimeIndex(events)) is None


def test_frequency_labels() -> None:
    assert frequency_label("10min") == "every 10 minutes"
    assert frequency_label("MS") == "monthly (month start)"
    assert frequency_label(None) == "irregular"


def test_the_default_fill_takes_nothing_from_later_rows() -> None:
    text = "date,v\n2020-01-01,10\n2020-01-02,11\n2020-01-03,12\n2020-01-04,\n2020-01-05,100\n2020-01-06,101\n"
    series = load_series(text.encode())
    assert series.report.cleaning.missing_policy == "ffill"
    assert series.frame["v"].tolist() == [10, 11, 12, 12, 100, 101]  # not 56: half of the next row, its target
    assert "1 missing value filled (ffill)." in series.report.summary_lines()


def test_gaps_are_reported_and_filled_by_interpolation() -> None:
    frame = _hourly(48)
    frame["value"] = np.arange(48, dtype=float)
    holed = frame.drop(index=[10, 11, 12, 30])
    series = load_series(csv_bytes(holed), target="value", options=CleaningOptions(missing="interpolate"))
    log = series.report.cleaning
    assert log.frequency == "h"
    assert [g.missing_steps for g in log.gaps] == [3, 1]
    assert log.gaps[0].after == pd.Timestamp("2020-01-01 09:00")
    assert log.gaps[0].before == pd.Timestamp("2020-01-01 13:00")
    assert len(series) == 48
    np.testing.assert_allclose(series.frame["value"].to_numpy(), np.arange(48.0))


def test_business_day_gaps_are_kept_as_holidays() -> None:
    dates = pd.date_range("2021-01-04", periods=40, freq="B").delete([10])
    text = "Date,Open\n" + "\n".join(f"{d:%Y-%m-%d},{i}" for i, d in enumerate(dates))
    series = load_series(text.encode())
    assert series.report.cleaning.frequency == "B"
    assert len(series.report.cleaning.gaps) == 1
    assert len(series) == 39


@pytest.mark.parametrize(("policy", "value"), [("interpolate", 2.0), ("ffill", 1.0), ("zero", 0.0)])
def test_missing_value_policies(policy: str, value: float) -> None:
    text = "date,v\n2020-01-01,0\n2020-01-02,1\n2020-01-03,\n2020-01-04,3\n"
    series = load_series(text.encode(), options=CleaningOptions(missing=policy))
    assert series.frame.loc["2020-01-03", "v"] == value
    assert series.report.cleaning.missing_values == {"v": 1}
    assert series.report.cleaning.values_filled == 1


def test_drop_policy_only_looks_at_model_columns() -> None:
    text = "date,v,w\n2020-01-01,0,\n2020-01-02,1,5\n2020-01-03,,6\n2020-01-04,3,7\n"
    series = load_series(text.encode(), target="v", options=CleaningOptions(missing="drop"))
    assert len(series) == 3
    assert series.report.cleaning.rows_dropped_missing == 1


def test_sentinel_minus_9999_becomes_missing() -> None:
    frame = _hourly(24)
    frame.loc[5, "value"] = -9999
    series = load_series(csv_bytes(frame), target="value")
    assert series.report.cleaning.sentinels == {"value": 1}
    assert series.frame["value"].min() > 0


def test_resampling_ten_minutes_to_hourly() -> None:
    frame = synthetic_frame(6 * 24, freq="10min")
    series = load_series(csv_bytes(frame), target="value", options=CleaningOptions(resample="1h"))
    assert len(series) == 24
    assert series.report.cleaning.frequency == "h"
    assert series.report.cleaning.resampled_from == "10min"
    np.testing.assert_allclose(series.frame["value"].iloc[0], frame["value"].iloc[:6].mean())


def test_bad_options_are_rejected_with_the_choices() -> None:
    with pytest.raises(DataError, match="ffill, interpolate, drop, zero"):
        CleaningOptions(missing="guess")
    with pytest.raises(DataError, match="'1h'"):
        CleaningOptions(resample="every hour")


def test_unadjusted_split_in_close_is_rescaled() -> None:
    dates = pd.date_range("2014-01-02", periods=60, freq="B")
    open_ = np.linspace(500, 560, 60)
    close = open_ + 1.0
    close[:25] *= 2
    frame = pd.DataFrame({"Date": dates.strftime("%m/%d/%Y"), "Open": open_, "High": open_ + 3,
                          "Low": open_ - 3, "Close": close})
    series = load_series(csv_bytes(frame))
    np.testing.assert_allclose(series.frame["Close"].to_numpy(), open_ + 1.0)
    assert any("not split-adjusted in the first 25 rows" in n for n in series.report.notes)


def _late_start_csv() -> bytes:
    """40 days of ``v``; ``w`` starts on day 11."""
    t = np.arange(40, dtype=float)
    w = 2 * t
    w[:10] = np.nan
    frame = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=40, freq="D").strftime("%Y-%m-%d"),
                          "v": t, "w": w})
    return csv_bytes(frame)


def test_infinite_values_become_missing_and_are_reported() -> None:
    frame = _hourly(24)
    frame.loc[5, "value"] = np.inf
    frame.loc[7, "value"] = -np.inf
    series = load_series(csv_bytes(frame), target="value")
    assert series.report.cleaning.infinite == {"value": 2}
    assert np.isfinite(series.frame["value"]).all()
    assert "2 infinite values in 'value' treated as missing." in series.report.summary_lines()


@pytest.mark.parametrize("policy", ["interpolate", "ffill"])
def test_a_late_column_is_never_back_filled_from_the_future(policy: str) -> None:
    series = load_series(_late_start_csv(), target="w", options=CleaningOptions(missing=policy))
    assert series.frame.index[0] == pd.Timestamp("2020-01-11") and len(series) == 30
    assert series.frame["w"].iloc[0] == 20.0
    assert series.report.cleaning.leading_columns == ("w",)
    assert any(line.startswith("The first 10 rows dropped: 'w' had no value yet")
               for line in series.report.summary_lines())


def test_choosing_a_late_feature_drops_the_rows_before_it() -> None:
    series = load_series(_late_start_csv(), target="v")
    assert len(series) == 40  # 'w' is not a model column yet: nothing dropped
    with_w = series.with_columns("v", ("w",))
    assert len(with_w) == 30 and with_w.frame[["v", "w"]].notna().all().all()
    assert with_w.report.notes[-1].startswith("The first 10 rows dropped")


@pytest.mark.parametrize("policy", ["interpolate", "ffill"])
def test_trailing_missing_values_are_dropped_not_repeated(policy: str) -> None:
    t = np.arange(60, dtype=float)
    y = t.copy()
    y[-10:] = np.nan
    frame = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=60, freq="D").strftime("%Y-%m-%d"), "y": y})
    series = load_series(csv_bytes(frame), target="y", options=CleaningOptions(missing=policy))
    assert len(series) == 50 and series.frame["y"].iloc[-1] == 49.0
    assert series.report.cleaning.trailing_rows_dropped == 10 and series.report.cleaning.values_filled == 0
    assert any(line.startswith("The last 10 rows dropped: 'y' had no value after them")
               for line in series.report.summary_lines())


def test_columns_that_never_overlap_are_refused_with_a_fix() -> None:
    t = np.arange(40, dtype=float)
    early, late = t.copy(), t.copy()
    early[20:] = np.nan
    late[:20] = np.nan
    frame = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=40, freq="D").strftime("%Y-%m-%d"),
                          "y": t, "early": early, "late": late})
    series = load_series(csv_bytes(frame), target="y")
    with pytest.raises(EmptyTargetError, match="never have values on the same rows"):
        series.with_columns("y", ("early", "late"))


def test_resampling_finer_than_the_data_is_refused() -> None:
    monthly = pd.DataFrame({"date": pd.date_range("2000-01-01", periods=24, freq="MS").strftime("%Y-%m-%d"),
                            "v": np.arange(24.0)})
    with pytest.raises(DataError, match=r"finer than its own spacing \(about 31 days\)"):
        load_series(csv_bytes(monthly), options=CleaningOptions(resample="1h"))
    assert len(load_series(csv_bytes(monthly), options=CleaningOptions(resample="QS"))) == 8


def test_events_on_random_days_are_irregular_not_daily() -> None:
    """Rows on 30% of the days: calling it daily would invent the other 70% by filling."""
    days = pd.date_range("2020-01-01", periods=400, freq="D")
    chosen = np.sort(np.random.default_rng(0).choice(400, 120, replace=False))
    assert infer_frequency(days[chosen]) is None
    exponential = pd.Timestamp("2020-01-01") + pd.to_timedelta(
        np.cumsum(np.random.default_rng(0).exponential(3_600, 200)).round(), unit="s")
    assert infer_frequency(pd.DatetimeIndex(exponential)) is None
