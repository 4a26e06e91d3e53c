"""The built-in datasets from the real files of ../shared/data, and the no-network fallbacks."""

from __future__ import annotations

import pandas as pd
import pytest

from rnnkit.datasets.availability import availability
from rnnkit.data.cleaning import CleaningOptions
from rnnkit.datasets.builtin import load_dataset, rescale_task, row_duration
from rnnkit.datasets.registry import DATASETS, get_info
from rnnkit.errors import UnknownDatasetError
from rnnkit.prepare import prepare
from rnnkit.splits import SplitSpec
from rnnkit.windows.spec import WindowSpec


def test_registry_entries_are_complete() -> None:
    for key, info in DATASETS.items():
        assert info.key == key
        assert info.title and info.description and info.source and info.frequency
        assert info.default_target and info.window.lookback >= 1


def test_unknown_dataset_lists_the_choices() -> None:
    with pytest.raises(UnknownDatasetError, match="electric, jena, stocks"):
        get_info("weather")


def test_electric_from_the_classic_file(shared_data) -> None:
    loaded = load_dataset("electric")
    frame = loaded.series.frame
    assert loaded.origin == "local copy"
    assert len(frame) == 397
    assert frame.index[0] == pd.Timestamp("1985-01-01") and frame.index[-1] == pd.Timestamp("2018-01-01")
    assert frame["IPG2211A2N"].iloc[0] == pytest.approx(72.5052)
    assert loaded.series.report.frequency == "MS"
    prepared = prepare(loaded.series, loaded.window, loaded.split)
    assert prepared.bounds.val_stop == 250  # the classic 250 training months
    assert prepared.counts() == {"train": 211, "val": 24, "test": 147}


def test_jena_falls_back_to_the_2020_file_and_says_so(shared_data, monkeypatch) -> None:
    monkeypatch.setenv("RNNKIT_OFFLINE", "1")
    loaded = load_dataset("jena")
    assert "2020" in loaded.label and "stand-in" in loaded.label
    assert loaded.notice is not None and "2009–2016" in loaded.notice
    log = loaded.series.report.cleaning
    assert log.exact_duplicates == 1
    assert [g.missing_steps for g in log.gaps] == [9]
    assert log.sentinels == {"wv (m/s)": 1, "max. PAR (�mol/m�/s)": 30, "OT": 50}
    assert loaded.series.target == "T (degC)"
    assert len(loaded.series.inputs) == 14
    assert availability("jena").offline is True


def test_a_resampled_dataset_keeps_its_task_in_time(shared_data) -> None:
    assert row_duration("10min") / row_duration("h") == pytest.approx(1 / 6)
    assert row_duration("MS") / row_duration("QS") == pytest.approx(1 / 3)
    window, split = rescale_task(WindowSpec(1440, 6, 144), SplitSpec(train_rows=300, val_rows=60), 1 / 6)
    assert window == WindowSpec(240, 1, 23) and (split.train_rows, split.val_rows) == (50, 10)
    hourly = load_dataset("jena", options=CleaningOptions(resample="1h"))
    assert hourly.window == WindowSpec(240, 1, 23)  # 24 hours ahead of the last input, as at 10 minutes
    assert load_dataset("electric").window == get_info("electric").window


def test_google_classic_files_are_joined_and_split_adjusted(shared_data) -> None:
    loaded = load_dataset("stocks")
    frame = loaded.series.frame
    assert len(frame) == 1278
    assert frame.index[0] == pd.Timestamp("2012-01-03") and frame.index[-1] == pd.Timestamp("2017-01-31")
    assert loaded.series.target == "Open"
    assert frame.loc["2012-01-03", "Open"] == pytest.approx(325.25)
    assert frame.loc["2012-01-03", "Close"] == pytest.approx(663.59 / 2)
    assert frame.loc["2013-10-18", "Close"] == pytest.approx(1008.64 / 2)
    assert frame["Volume"].iloc[0] == 7_380_500
    prepared = prepare(loaded.series, loaded.window, loaded.split)
    assert prepared.counts()["test"] == 20  # January 2017, as in the classic exercise


def test_sp500_from_the_yahoo_layout(shared_data) -> None:
    loaded = load_dataset("stocks", ticker="^GSPC")
    assert len(loaded.series) == 7252
    assert loaded.series.report.frequency == "B"


def test_plotly_sample_when_nothing_else_is_available(no_data_dir, monkeypatch) -> None:
    monkeypatch.setenv("RNNKIT_OFFLINE", "1")
    loaded = load_dataset("stocks", ticker="MSFT")
    assert loaded.origin == "bundled sample"
    assert "plotly" in loaded.label and "not daily OHLCV" in loaded.notice
    assert loaded.series.target == "GOOG"
    prepared = prepare(loaded.series, loaded.window, loaded.split)
    assert min(prepared.counts().values()) > 0
