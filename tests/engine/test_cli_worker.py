"""``python -m rnnkit worker``: a process that trains the dashboard's queue without a browser."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers import TINY_SPECS, TINY_TRAINING

from rnnkit.jobqueue import JobQueue, JobStatus
from rnnkit.jobs import JobManager
from rnnkit.request import make_request
from rnnkit.runners import InlineRunner
from rnnkit.splits import SplitSpec
from rnnkit.store import RunStore
from rnnkit.training import TrainingConfig
from rnnkit.windows.spec import WindowSpec

ROOT = Path(__file__).resolve().parents[2]


def _queue(store: RunStore, series, owner: str, training: TrainingConfig = TINY_TRAINING) -> str:
    """Queue one tiny comparison the way a dashboard does (this process only queues); its job id."""
    submitter = JobManager(store, InlineRunner(), dispatch=False)
    request = make_request(series, WindowSpec(12), TINY_SPECS[:1], SplitSpec(train=0.6, val=0.2), training,
                           snapshot_folder=store.series_folder, statistical=False, label=f"{owner}'s run")
    return submitter.start(owner, request).id


def _worker(runs: Path, *flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "rnnkit", "worker", "--runs-dir", str(runs), "--runner", "inline",
                             *flags], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_worker_drains_the_queue_and_says_what_it_did(tmp_path: Path, tiny_series) -> None:
    store = RunStore(tmp_path / "runs")
    jobs = [_queue(store, tiny_series, owner) for owner in ("alice", "bob")]
    worker = _worker(store.root, "--until-empty")
    out, err = worker.communicate(timeout=300)
    assert worker.returncode == 0, err
    records = [JobQueue(store).get(job_id) for job_id in jobs]
    assert [r.status if r else None for r in records] == [JobStatus.FINISHED] * 2
    assert all(r is not None and r.run_id and store.record(r.run_id).status == "finished" for r in records)
    for job_id in jobs:
        assert f"started  {job_id}" in out and f"finished {job_id}" in out
    assert "alice's run" in out and out.strip().endswith("The queue is empty.")


def test_sigterm_stops_the_worker_and_cancels_its_job_keeping_what_trained(tmp_path: Path, tiny_series) -> None:
    store = RunStore(tmp_path / "runs")
    long = TrainingConfig(epochs=5000, batch_size=8, early_stopping=False, seed=0)  # minutes: never done first
    job_id = _queue(store, tiny_series, "carol", long)
    worker = _worker(store.root)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # training: at least one epoch reported by the heartbeat
            record = JobQueue(store).get(job_id)
            if record is not None and any(p.get("epoch", 0) >= 1 for p in record.progress.values()):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the worker never started training the queued job")
        os.kill(worker.pid, signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    record = JobQueue(store).get(job_id)
    assert record is not None and record.status == JobStatus.CANCELLED
    assert f"cancelled {job_id}" in out and out.strip().endswith("Stopped.")
