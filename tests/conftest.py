"""Shared test settings: CPU only, quiet TensorFlow, an isolated download cache, tiny series."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Tasks run in the test process unless a test picks another runner: fast, and models stay live.
os.environ.setdefault("RNNKIT_RUNNER", "inline")

import pytest

from helpers import TINY_SPECS, TINY_TRAINING, seasonal_csv
from rnnkit.compare import ComparisonResult, compare
from rnnkit.data.series import TimeSeries, load_series
from rnnkit.splits import SplitSpec
from rnnkit.windows.spec import WindowSpec

SHARED_DATA = os.environ.get("RNNKIT_DATA_DIR")


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets an empty download cache, so no test sees another's downloads."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("RNNKIT_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def shared_data() -> Path:
    """The real data files of ``../shared/data``; the test is skipped when they are absent."""
    if not SHARED_DATA or not Path(SHARED_DATA).is_dir():
        pytest.skip("RNNKIT_DATA_DIR does not point at the shared data folder")
    return Path(SHARED_DATA)


@pytest.fixture
def no_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend no local copies exist."""
    monkeypatch.delenv("RNNKIT_DATA_DIR", raising=False)


@pytest.fixture(scope="session")
def tiny_series() -> TimeSeries:
    return load_series(seasonal_csv(), name="tiny", target="value")


@pytest.fixture(scope="session")
def tiny_result(tiny_series: TimeSeries) -> ComparisonResult:
    return compare(tiny_series, WindowSpec(lookback=12), TINY_SPECS, SplitSpec(train=0.6, val=0.2), TINY_TRAINING)
