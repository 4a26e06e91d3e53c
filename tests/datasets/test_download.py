"""Downloads are real: pooch over HTTP from a server on 127.0.0.1, cached and checksum-verified."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import zipfile

import pandas as pd
import pytest

from rnnkit.datasets import registry
from rnnkit.datasets.availability import availability
from rnnkit.datasets.builtin import load_dataset
from rnnkit.datasets.download import download
from rnnkit.errors import DatasetUnavailableError

ELECTRIC_CSV = "observation_date,IPG2211A2N\n" + "\n".join(
    f"{d:%Y-%m-%d},{70 + (i % 12) * 2.5:.4f}" for i, d in enumerate(pd.date_range("1985-01-01", periods=60, freq="MS"))
)


def test_download_reports_progress_and_is_cached(http_server, isolated_cache) -> None:
    payload = ELECTRIC_CSV.encode() * 20
    (http_server.root / "series.csv").write_bytes(payload)
    seen: list[tuple[int, int]] = []
    path = download(http_server.url("series.csv"), "series.csv",
                    progress=lambda done, total: seen.append((done, total)))
    assert path.read_bytes() == payload
    assert path.parent == isolated_cache
    assert seen[-1] == (len(payload), len(payload))
    download(http_server.url("series.csv"), "series.csv")
    assert http_server.requests == ["/series.csv"], "the second call must come from the cache"


def test_known_checksum_is_verified(http_server) -> None:
    (http_server.root / "a.csv").write_bytes(b"date,v\n2020-01-01,1\n")
    good = "sha256:" + hashlib.sha256(b"date,v\n2020-01-01,1\n").hexdigest()
    assert download(http_server.url("a.csv"), "a.csv", known_hash=good).is_file()
    with pytest.raises(DatasetUnavailableError, match="does not match its known checksum"):
        download(http_server.url("a.csv"), "b.csv", known_hash="sha256:" + "0" * 64)


def test_missing_file_on_server_names_the_url_and_the_fix(http_server) -> None:
    with pytest.raises(DatasetUnavailableError) as caught:
        download(http_server.url("nothing.csv"), "nothing.csv", title="the test series")
    assert "HTTP 404" in caught.value.problem
    assert "RNNKIT_DATA_DIR" in caught.value.fix and "upload" in caught.value.fix


def test_unreachable_server_is_a_clear_error(http_server) -> None:
    url = f"http://127.0.0.1:{http_server.port + 1 if http_server.port < 65535 else 1}/x.csv"
    with pytest.raises(DatasetUnavailableError, match="no connection to the server"):
        download(url, "x.csv")


def test_offline_switch_blocks_downloads(http_server, monkeypatch) -> None:
    monkeypatch.setenv("RNNKIT_OFFLINE", "1")
    with pytest.raises(DatasetUnavailableError, match="Downloads are switched off"):
        download(http_server.url("a.csv"), "a.csv")
    assert http_server.requests == []


def test_electric_dataset_downloads_from_its_url(http_server, no_data_dir, monkeypatch) -> None:
    (http_server.root / "fredgraph.csv").write_text(ELECTRIC_CSV)
    info = dataclasses.replace(registry.DATASETS["electric"], url=http_server.url("fredgraph.csv"))
    monkeypatch.setitem(registry.DATASETS, "electric", info)
    assert availability("electric").offline is False
    loaded = load_dataset("electric")
    assert loaded.origin == "downloaded"
    assert len(loaded.series) == 60 and loaded.series.target == "IPG2211A2N"
    assert availability("electric").offline is True  # now in the cache
    assert load_dataset("electric").origin == "download cache"
    assert len(http_server.requests) == 1


def test_jena_zip_download_reads_the_european_dates(http_server, no_data_dir, monkeypatch) -> None:
    stamps = pd.date_range("2009-01-01 00:10", periods=300, freq="10min")
    csv = '"Date Time","p (mbar)","T (degC)"\n' + "\n".join(
        f"{s:%d.%m.%Y %H:%M:%S},{996 + i / 100:.2f},{-8 + i / 50:.2f}" for i, s in enumerate(stamps)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("jena_climate_2009_2016.csv", csv)
        archive.writestr("__MACOSX/._jena_climate_2009_2016.csv", b"\x00\x05\x16\x07")
    (http_server.root / "jena.zip").write_bytes(buffer.getvalue())
    info = dataclasses.replace(registry.DATASETS["jena"], url=http_server.url("jena.zip"))
    monkeypatch.setitem(registry.DATASETS, "jena", info)
    loaded = load_dataset("jena")
    assert loaded.label == "Jena climate 2009–2016" and loaded.notice is None
    assert loaded.series.frame.index[0] == pd.Timestamp("2009-01-01 00:10")
    assert loaded.series.report.frequency == "10min"
    assert loaded.series.target == "T (degC)" and loaded.series.features == ("p (mbar)",)


def test_offline_without_local_copy_says_what_to_download(no_data_dir, monkeypatch) -> None:
    monkeypatch.setenv("RNNKIT_OFFLINE", "1")
    with pytest.raises(DatasetUnavailableError) as caught:
        load_dataset("electric")
    assert "fred.stlouisfed.org" in caught.value.fix
    assert "RNNKIT_DATA_DIR" in caught.value.fix
