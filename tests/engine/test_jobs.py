"""Background jobs: they finish on their own, are owned, cancellable, and saved to the store."""

from __future__ import annotations

import time
from pathlib import Path

from helpers import TINY_SPECS, TINY_TRAINING

from rnnkit.jobs import JobManager
from rnnkit.splits import SplitSpec
from rnnkit.store import INDEX_FILE, RunStore, RunStoreError
from rnnkit.training import TrainingConfig
from rnnkit.windows.spec import WindowSpec


def wait(job, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.done


def test_two_owners_train_at_once_without_seeing_each_other(tmp_path: Path, tiny_series) -> None:
    store = RunStore(tmp_path)
    manager = JobManager(store)
    split = SplitSpec(train=0.6, val=0.2)
    alice = manager.start("alice", "tiny", tiny_series, WindowSpec(12), TINY_SPECS[:1], split, TINY_TRAINING)
    bob = manager.start("bob", "tiny", tiny_series, WindowSpec(12), TINY_SPECS[1:], split, TINY_TRAINING)
    wait(alice), wait(bob)
    assert alice.status == bob.status == "finished"
    assert manager.jobs_for("alice") == [alice] and manager.get(bob.id, "alice") is None
    assert [r.id for r in store.list(owner="alice")] == [alice.run_id]
    assert [r.id for r in store.list(owner="bob")] == [bob.run_id]
    assert alice.result.models[0].model is None  # saved as .keras, freed from memory
    assert RunStore(tmp_path).model_path(alice.run_id, "tiny_gru").is_file()
    progress = alice.models["tiny_gru"]
    assert progress.status == "done" and progress.epoch == 2 and len(progress.loss) == len(progress.val_loss) == 2


def test_cancel_a_running_job(tmp_path: Path, tiny_series) -> None:
    manager = JobManager(RunStore(tmp_path))
    job = manager.start("carol", "tiny", tiny_series, WindowSpec(12), TINY_SPECS, SplitSpec(train=0.6, val=0.2),
                        TrainingConfig(epochs=500, batch_size=8, early_stopping=False, seed=0))
    deadline = time.monotonic() + 60
    while job.models["tiny_gru"].epoch < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert manager.cancel(job.id, "dave") is False  # not dave's job
    assert manager.cancel(job.id, "carol") is True
    wait(job)
    assert job.status == "cancelled"
    assert job.models["tiny_gru"].status == "cancelled" and job.models["tiny_rnn"].status == "waiting"
    assert RunStore(tmp_path).record(job.run_id).status == "cancelled"


def test_only_recent_finished_jobs_stay_in_memory(tmp_path: Path, tiny_series) -> None:
    manager = JobManager(None, keep_per_owner=2)
    one_epoch = TrainingConfig(epochs=1, batch_size=32, seed=0)
    jobs = []
    for _ in range(3):
        job = manager.start("erin", "tiny", tiny_series, WindowSpec(12), TINY_SPECS[1:], SplitSpec(0.6, 0.2), one_epoch)
        wait(job)
        jobs.append(job)
    assert manager.jobs_for("erin") == jobs[1:]


def test_cancelling_a_queued_job_takes_effect_at_once(tmp_path: Path, tiny_series) -> None:
    manager = JobManager(RunStore(tmp_path))
    long = TrainingConfig(epochs=500, batch_size=8, early_stopping=False, seed=0)
    first = manager.start("frank", "tiny", tiny_series, WindowSpec(12), TINY_SPECS[:1], SplitSpec(0.6, 0.2), long)
    second = manager.start("frank", "tiny", tiny_series, WindowSpec(12), TINY_SPECS[1:], SplitSpec(0.6, 0.2), long)
    deadline = time.monotonic() + 60
    while first.status != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert second.status == "queued"
    assert manager.cancel(second.id, "frank") is True
    assert second.status == "cancelled" and second.done  # not after the first job's 500 epochs
    manager.cancel(first.id, "frank")
    wait(first)
    assert second.status == "cancelled" and second.run_id is None  # it never started a run


def test_a_store_that_cannot_start_a_run_fails_the_job_visibly(tmp_path: Path, tiny_series) -> None:
    store = RunStore(tmp_path)
    index = tmp_path / INDEX_FILE
    index.unlink(missing_ok=True)
    index.mkdir()  # the SQLite index is now a folder: starting a run raises inside the job's thread
    manager = JobManager(store)
    job = manager.start("gina", "tiny", tiny_series, WindowSpec(12), TINY_SPECS[:1], SplitSpec(0.6, 0.2), TINY_TRAINING)
    wait(job, timeout=30)
    assert job.status == "failed" and job.error


def test_a_full_disk_while_saving_fails_the_job_and_never_leaves_the_run_running(
        tmp_path: Path, tiny_series, monkeypatch) -> None:
    import errno

    store = RunStore(tmp_path)

    def full_disk(*args, **kwargs) -> None:
        def no_room():  # from now on SQLite cannot write either, as on a really full disk
            raise RunStoreError("The run store cannot be written: the disk is full.", "Free some space.")

        monkeypatch.setattr(store, "_writer", no_room)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("rnnkit.serialize.write_result", full_disk)
    manager = JobManager(store)
    job = manager.start("hana", "tiny", tiny_series, WindowSpec(12), TINY_SPECS[:1], SplitSpec(0.6, 0.2), TINY_TRAINING)
    wait(job, timeout=120)
    job.thread.join(timeout=10)
    assert not job.thread.is_alive()
    assert job.status == "failed" and "the disk is full" in job.error and "could not record the failure" in job.error
    assert store.record(job.run_id).status == "failed"  # not "running" forever
    monkeypatch.undo()  # space again: the next write records the failure on disk
    store.start("x", "y", ["z"], {})
    assert RunStore(tmp_path).record(job.run_id).status == "failed"
