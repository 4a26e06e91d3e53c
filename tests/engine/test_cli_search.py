"""``python -m rnnkit search`` end to end on a CSV."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import seasonal_csv

ROOT = Path(__file__).resolve().parents[2]


def test_search_a_csv_prints_trials_and_the_best_configuration_as_json(tmp_path: Path) -> None:
    csv = tmp_path / "mine.csv"
    csv.write_bytes(seasonal_csv())
    db = tmp_path / "study.db"
    result = subprocess.run([sys.executable, "-m", "rnnkit", "search", "--csv", str(csv), "--target", "value",
                             "--budget", "20", "--trials", "2", "--epochs", "1", "--storage", f"sqlite:///{db}",
                             "--json"], check=False, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert 1 <= len(payload["trials"]) <= 2 and payload["trials"][0]["state"] == "complete"
    assert payload["selection"].startswith("Chosen on validation") and db.is_file()
    best = payload["best"]
    assert best["model"]["name"].startswith("searched_") and best["training"]["epochs"] == 1
    assert best["compare"].startswith(f"python -m rnnkit compare --csv {csv} --target value --lookback ")


def test_search_refuses_a_split_without_validation(tmp_path: Path) -> None:
    csv = tmp_path / "mine.csv"
    csv.write_bytes(seasonal_csv())
    result = subprocess.run([sys.executable, "-m", "rnnkit", "search", "--csv", str(csv), "--budget", "5",
                             "--train", "0.8", "--val", "0"], check=False, capture_output=True, text=True, cwd=ROOT,
                            timeout=600)
    assert result.returncode == 2 and result.stderr.startswith("error: The split leaves no validation windows")
