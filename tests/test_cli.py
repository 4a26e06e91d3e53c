"""``python -m rnnkit``: inspect reads every shared file and rejects bad input on one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import csv_bytes, synthetic_frame
from rnnkit.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rnnkit", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.parametrize(
    ("name", "rows", "frequency", "target"),
    [
        ("Electric_Production.csv", "397", "monthly (month start) [MS]", "'IPG2211A2N'"),
        ("Google_Stock_Price_Train.csv", "1,258", "business days [B]", "'Open'"),
        ("Google_Stock_Price_Test.csv", "20", "business days [B]", "'Open'"),
        ("GSPC.csv", "7,252", "business days [B]", "'Open'"),
        ("weather.csv", "52,704", "every 10 minutes [10min]", "'p (mbar)'"),
    ],
)
def test_inspect_reads_every_shared_file(shared_data: Path, capsys, name: str, rows: str, frequency: str,
                                         target: str) -> None:
    assert main(["inspect", str(shared_data / name)]) == 0
    out = capsys.readouterr().out
    assert f"Rows:       {rows} after cleaning" in out
    assert f"Frequency:  {frequency}" in out
    assert f"Target:     {target}" in out


def test_inspect_with_target_and_resampling(shared_data: Path, capsys) -> None:
    assert main(["inspect", str(shared_data / "weather.csv"), "--target", "T (degC)", "--resample", "1h"]) == 0
    out = capsys.readouterr().out
    assert "Rows:       8,785 after cleaning (52,696 read)" in out
    assert "Resampled from every 10 minutes to hourly." in out
    assert "1 exact duplicate row dropped." in out
    assert "50 values of -9999 (no reading) in 'OT' treated as missing." in out


def test_inspect_prints_columns_types_and_gaps(tmp_path: Path, capsys) -> None:
    frame = synthetic_frame(60).drop(index=[20, 21])
    frame["note"] = "x"
    path = tmp_path / "series.csv"
    path.write_bytes(csv_bytes(frame))
    assert main(["inspect", str(path), "--target", "other"]) == 0
    out = capsys.readouterr().out
    assert "Target:     'other'" in out
    assert "note" in out and "(not a model input)" in out
    assert "1 gap with 2 missing steps (frequency: daily); rows inserted and filled." in out


def test_inspect_reads_ambiguous_dates_in_the_order_asked(tmp_path: Path, capsys) -> None:
    path = tmp_path / "dates.csv"
    path.write_text("date,value\n" + "\n".join(f"{d:02d}/01/2020,{d}" for d in range(1, 13)))  # Jan 1-12 or monthly
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "M/D/YYYY" in out and "--date-order day-first" in out  # the guess is said, with the flag to change it
    assert main(["inspect", str(path), "--date-order", "day-first"]) == 0
    out = capsys.readouterr().out
    assert "D/M/YYYY" in out and "daily" in out and "could be day-first or month-first" not in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "error: The file is empty."),
        (b"date,value\n", "error: The file has a header but no data rows."),
        (b"name,value\na,1\nb,2\n", "error: No column holds dates or times"),
        (b"date,city\n2020-01-01,Paris\n2020-01-02,Rome\n", "error: The file has no numeric column"),
        (b"\x00\x01\x02\x03binary\xff\xfe" * 50, "error: The file is binary data"),
    ],
)
def test_bad_input_prints_one_line_and_fails(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = run_cli("inspect", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(message)
    assert "Traceback" not in result.stderr


def test_bad_target_names_the_choices(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(csv_bytes(synthetic_frame(30)))
    result = run_cli("inspect", str(path), "--target", "price")
    assert result.returncode == 2
    assert "There is no column named 'price'" in result.stderr and "'value', 'other'" in result.stderr


def test_missing_file(tmp_path: Path) -> None:
    result = run_cli("inspect", str(tmp_path / "nope.csv"))
    assert result.returncode == 2 and "No such file" in result.stderr


def test_datasets_lists_offline_availability(shared_data: Path) -> None:
    result = run_cli("datasets")
    assert result.returncode == 0
    assert "electric" in result.stdout and "offline: yes; local copy" in result.stdout
    assert "jena" in result.stdout and "2020 stand-in" in result.stdout


def test_heavy_filling_is_refused_and_accepted_with_max_filled(tmp_path: Path) -> None:
    hours = [f"2021-01-01T{h:02d}:00:00" + ("+00:00" if h % 2 == 0 else "+00:30") for h in range(24)]
    hours += [f"2021-01-02T{h:02d}:00:00" + ("+00:00" if h % 2 == 0 else "+00:30") for h in range(24)]
    path = tmp_path / "zones.csv"
    path.write_text("time,value\n" + "\n".join(f"{s},{i}" for i, s in enumerate(hours)))
    refused = run_cli("inspect", str(path))
    assert refused.returncode == 2 and "--max-filled 0.5" in refused.stderr and "Traceback" not in refused.stderr
    accepted = run_cli("inspect", str(path), "--max-filled", "0.5")
    assert accepted.returncode == 0, accepted.stderr
