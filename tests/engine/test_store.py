"""The run store: round trips, deletion, owners, safe model loading, and surviving a kill."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnnkit.store import RunNotFoundError, RunStore

from helpers import seasonal_csv

ROOT = Path(__file__).resolve().parents[2]


def test_finished_run_round_trips(tmp_path: Path, tiny_result) -> None:
    store = RunStore(tmp_path)
    run_id = store.start("tiny", "value", ["tiny_gru", "tiny_rnn"], {"epochs": 2}, owner="alice")
    assert store.record(run_id).status == "running"
    record = store.finish(run_id, tiny_result)
    assert record.status == "finished" and record.best_model == tiny_result.best_model
    assert record.metrics["naive"]["rmse"] == pytest.approx(tiny_result.metrics.loc["naive", "rmse"])
    loaded = store.load(run_id)
    pd.testing.assert_frame_equal(loaded.metrics, tiny_result.metrics, check_exact=False)
    np.testing.assert_allclose(loaded.y_test, tiny_result.y_test)
    for a, b in zip(loaded.models, tiny_result.models, strict=True):
        assert a.spec == b.spec and a.history == b.history
        np.testing.assert_allclose(a.test_pred, b.test_pred)
        pd.testing.assert_frame_equal(a.forecast, b.forecast, check_dtype=False)
    assert (loaded.test_times == tiny_result.test_times).all()
    np.testing.assert_array_equal(loaded.target_times, tiny_result.target_times)
    assert loaded.boundaries == tiny_result.boundaries
    model = store.load_model(run_id, "tiny_gru")
    x = np.zeros((1, 12, 1), dtype=np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), tiny_result.models[0].model.predict(x, verbose=0))
    assert not list(tmp_path.glob(".tmp-*"))


def test_owners_and_deletion(tmp_path: Path, tiny_result) -> None:
    store = RunStore(tmp_path)
    mine = store.start("tiny", "value", ["a"], {}, owner="alice")
    theirs = store.start("tiny", "value", ["b"], {}, owner="bob")
    store.finish(mine, tiny_result, save_models=False)
    assert [r.id for r in store.list(owner="alice")] == [mine]
    assert {r.id for r in store.list()} == {mine, theirs}
    store.delete(mine)
    assert not (tmp_path / mine).exists()
    with pytest.raises(RunNotFoundError, match="no stored run"):
        store.load(mine)


def test_the_latest_viewable_run_skips_failed_and_running_ones_and_other_owners(tmp_path: Path,
                                                                                tiny_result) -> None:
    store = RunStore(tmp_path)
    assert store.latest_viewable("alice") is None
    done = store.start("tiny", "value", ["a"], {}, owner="alice")
    store.finish(done, tiny_result, save_models=False)
    failed = store.start("tiny", "value", ["a"], {}, owner="alice")
    store.fail(failed, "boom")
    store.start("tiny", "value", ["a"], {}, owner="alice")  # still running
    store.start("tiny", "value", ["a"], {}, owner="bob")
    assert store.latest_viewable("alice") == done
    assert store.latest_viewable("bob") is None


def test_runs_started_within_one_second_list_the_later_first(tmp_path: Path) -> None:
    import sqlite3

    store = RunStore(tmp_path)
    started = [store.start("tiny", "value", ["a"], {}, owner="alice") for _ in range(4)]
    with sqlite3.connect(store.index) as db:  # the same second for all four, whatever their random suffixes
        db.execute("UPDATE runs SET created_at='2026-12-01T12:00:00+00:00'")
    assert [r.id for r in store.list("alice")] == started[::-1]


def test_lambda_model_refuses_to_load_in_safe_mode(tmp_path: Path) -> None:
    keras = pytest.importorskip("keras")
    store = RunStore(tmp_path)
    run_id = store.start("x", "y", ["evil"], {})
    (store.folder(run_id) / "models").mkdir(parents=True)
    inputs = keras.Input((3,))
    evil = keras.Model(inputs, keras.layers.Lambda(lambda v: v * 2)(inputs))
    evil.save(store.folder(run_id) / "models" / "evil.keras")
    with pytest.raises(ValueError, match="safe_mode"):
        store.load_model(run_id, "evil")


def test_a_killed_run_is_marked_interrupted_and_earlier_runs_survive(tmp_path: Path, tiny_result) -> None:
    runs = tmp_path / "runs"
    store = RunStore(runs)
    earlier = store.start("tiny", "value", ["tiny_gru", "tiny_rnn"], {})
    store.finish(earlier, tiny_result)
    csv = tmp_path / "series.csv"
    csv.write_bytes(seasonal_csv(400))
    process = subprocess.Popen(
        [sys.executable, "-m", "rnnkit", "compare", "--csv", str(csv), "--target", "value",
         "--models", "gru", "--epochs", "5000", "--no-early-stopping", "--runs-dir", str(runs)],
        cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        for line in process.stderr:  # wait until training is under way
            if "epoch 2/" in line or time.monotonic() > deadline:
                break
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    with sqlite3.connect(runs / "runs.sqlite") as db:
        assert db.execute("SELECT status FROM runs WHERE id != ?", (earlier,)).fetchone() == ("running",)
    assert {r.status for r in RunStore(runs).list()} == {"running", "finished"}  # its heartbeat is recent
    time.sleep(1.5)
    records = {r.id: r for r in RunStore(runs, stale_after_s=1).list()}
    killed = next(r for r in records.values() if r.id != earlier)
    assert killed.status == "interrupted" and "stopped before it finished" in killed.message
    assert records[earlier].status == "finished"
    np.testing.assert_allclose(RunStore(runs).load(earlier).y_test, tiny_result.y_test)
    with pytest.raises(RunNotFoundError, match="interrupted and has no stored results"):
        RunStore(runs).load(killed.id)


def test_a_run_whose_heartbeat_stopped_is_interrupted_even_when_its_process_id_lives(tmp_path: Path) -> None:
    """A restarted container can reuse the process id of the one that died: only the heartbeat counts."""
    store = RunStore(tmp_path, stale_after_s=30)
    beating, silent = (store.start("tiny", "value", ["gru"], {}) for _ in range(2))  # both with this live pid
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        db.execute("UPDATE runs SET heartbeat_at = heartbeat_at - 60 WHERE id=?", (silent,))
    store.beat([beating])
    statuses = {r.id: r.status for r in store.list()}
    assert statuses == {beating: "running", silent: "interrupted"}
    with store.alive(beating, every_s=0.1):
        time.sleep(0.3)
    assert RunStore(tmp_path, stale_after_s=0.25).record(beating).status == "running"
