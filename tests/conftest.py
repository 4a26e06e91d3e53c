"""Shared test settings: CPU only, quiet TensorFlow, an isolated download cache, tiny series."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest

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
