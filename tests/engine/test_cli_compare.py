"""``python -m rnnkit compare`` and ``runs`` on a CSV and on the built-in datasets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import seasonal_csv

ROOT = Path(__file__).resolve().parents[2]


def rnnkit(*args: str, runs: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rnnkit", *args, "--runs-dir", str(runs)],
                          check=False, capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_compare_a_csv_then_list_and_delete_the_run(tmp_path: Path) -> None:
    csv = tmp_path / "mine.csv"
    csv.write_bytes(seasonal_csv())
    runs = tmp_path / "runs"
    result = rnnkit("compare", "--csv", str(csv), "--target", "value", "--models", "jena_gru,simple_rnn",
                    "--epochs", "2", "--lookback", "12", "--json", runs=runs)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload["metrics"]) == {"jena_gru", "simple_rnn", "naive", "seasonal_naive", "drift", "linear",
                                      "auto_ets", "auto_theta", "auto_arima"}
    assert payload["window"]["lookback"] == 12 and payload["run_id"]
    listed = rnnkit("runs", runs=runs)
    assert payload["run_id"] in listed.stdout and "finished" in listed.stdout and "mine.csv [value]" in listed.stdout
    assert rnnkit("runs", "--delete", payload["run_id"], runs=runs).returncode == 0
    assert "No stored runs" in rnnkit("runs", runs=runs).stdout


def test_compare_prints_the_table_in_original_units(tmp_path: Path) -> None:
    csv = tmp_path / "mine.csv"
    csv.write_bytes(seasonal_csv())
    result = rnnkit("compare", "--csv", str(csv), "--target", "value", "--models", "jena_gru", "--epochs", "1",
                    "--no-save", runs=tmp_path / "runs")
    assert result.returncode == 0, result.stderr
    assert "Test metrics for 'value' in its own units" in result.stdout
    assert "← best baseline" in result.stdout and "Diebold–Mariano p =" in result.stdout
    assert "[1/1] jena_gru epoch 1/1" in result.stderr


def test_compare_errors_are_one_line(tmp_path: Path) -> None:
    csv = tmp_path / "mine.csv"
    csv.write_bytes(seasonal_csv(30))
    result = rnnkit("compare", "--csv", str(csv), "--models", "jena_gru", "--lookback", "40", runs=tmp_path / "r")
    assert result.returncode == 2 and result.stderr.startswith("error: The series 'mine.csv' has 30 rows")
    assert "Traceback" not in result.stderr
    bad = rnnkit("compare", "--csv", str(csv), "--models", "transformer", runs=tmp_path / "r")
    assert bad.returncode == 2 and "no model preset called 'transformer'" in bad.stderr


@pytest.mark.parametrize(("dataset", "extra"), [
    ("electric", ["--models", "simple_rnn,jena_gru"]),
    ("stocks", ["--models", "lstm,gru"]),
    ("jena", ["--models", "jena_gru,jena_lstm", "--resample", "1h", "--lookback", "120", "--step", "1",
              "--delay", "23"]),
])
def test_classic_presets_on_each_built_in_dataset(shared_data: Path, tmp_path: Path, dataset: str,
                                                   extra: list[str]) -> None:
    result = rnnkit("compare", "--dataset", dataset, *extra, "--epochs", "1", "--json", runs=tmp_path / "runs")
    assert result.returncode == 0, result.stderr[-2000:]
    payload = json.loads(result.stdout)
    assert payload["status"] == "finished"
    assert {"naive", "drift", "linear"} <= set(payload["metrics"])


def test_ctrl_c_keeps_the_finished_models_as_a_cancelled_run(tmp_path: Path) -> None:
    import os
    import signal
    import time

    csv = tmp_path / "mine.csv"
    csv.write_bytes(seasonal_csv(400))
    runs = tmp_path / "runs"
    process = subprocess.Popen(
        [sys.executable, "-m", "rnnkit", "compare", "--csv", str(csv), "--target", "value", "--models",
         "simple_rnn,gru", "--epochs", "5000", "--no-early-stopping", "--runs-dir", str(runs)],
        cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        for line in process.stderr:  # wait until training is under way
            if "epoch 3/" in line or time.monotonic() > deadline:
                break
        os.kill(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err and "Stopped by Ctrl-C" in err
    assert "Test metrics for 'value'" in out and "simple_rnn" in out  # the stopped model is scored
    listed = rnnkit("runs", "--json", runs=runs)
    [run] = json.loads(listed.stdout)
    assert run["status"] == "cancelled" and run["models"] == ["simple_rnn"]
    assert (runs / run["id"] / "models" / "simple_rnn.keras").is_file()


def test_a_full_disk_prints_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    import errno

    from rnnkit.cli import main

    def full_disk(*args, **kwargs) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    csv = tmp_path / "mine.csv"
    csv.write_bytes(seasonal_csv())
    monkeypatch.setattr("rnnkit.serialize.write_result", full_disk)
    code = main(["compare", "--csv", str(csv), "--target", "value", "--models", "simple_rnn", "--epochs", "1",
                 "--runs-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2
    [line] = [x for x in err.splitlines() if x.startswith("error:")]
    assert "the disk is full" in line and "Free some disk space" in line and "Traceback" not in err
    monkeypatch.undo()
    assert main(["runs", "--runs-dir", str(tmp_path / "runs")]) == 0
    assert "failed" in capsys.readouterr().out  # not left running


def test_a_stored_run_runs_again_from_its_request(tmp_path: Path) -> None:
    csv = tmp_path / "mine.csv"
    csv.write_bytes(seasonal_csv())
    runs = tmp_path / "runs"
    first = rnnkit("compare", "--csv", str(csv), "--target", "value", "--models", "simple_rnn", "--epochs", "1",
                   "--lookback", "12", "--no-statistical", "--json", runs=runs)
    assert first.returncode == 0, first.stderr
    first_id = json.loads(first.stdout)["run_id"]
    csv.unlink()  # the stored request carries its own snapshot of the series
    again = rnnkit("compare", "--from-run", first_id, "--json", runs=runs)
    assert again.returncode == 0, again.stderr
    payload = json.loads(again.stdout)
    assert payload["run_id"] != first_id and payload["run_again_of"] == first_id
    assert payload["window"]["lookback"] == 12 and set(payload["metrics"]) >= {"simple_rnn", "naive"}
    assert "auto_ets" not in payload["metrics"]  # --no-statistical travelled with the request
    from rnnkit.store import RunStore

    store = RunStore(runs)
    assert store.record(payload["run_id"]).status == "finished"
    assert store.record(payload["run_id"]).params["request"] == store.record(first_id).params["request"]
    missing = rnnkit("compare", "--from-run", "20200101-000000-abcdef", runs=runs)
    assert missing.returncode == 2 and "no stored run" in missing.stderr and "Traceback" not in missing.stderr
