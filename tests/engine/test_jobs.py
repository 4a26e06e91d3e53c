"""Background jobs: queued durably in the run store, owned, fair, cancellable, and surviving a restart."""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import TINY_SPECS, TINY_TRAINING

from rnnkit.errors import RnnkitError
from rnnkit.jobqueue import INTERRUPTED_MESSAGE, JobLimitError, JobQueue, JobStatus
from rnnkit.jobs import Job, JobManager, ModelProgress, TaskStatus
from rnnkit.request import ComparisonRequest, make_request
from rnnkit.runners import InlineRunner
from rnnkit.splits import SplitSpec
from rnnkit.store import INDEX_FILE, RunStore, RunStoreError
from rnnkit.training import TrainingConfig
from rnnkit.windows.spec import WindowSpec

ROOT = Path(__file__).resolve().parents[2]
LONG = TrainingConfig(epochs=500, batch_size=8, early_stopping=False, seed=0)
ONE_EPOCH = TrainingConfig(epochs=1, batch_size=32, seed=0)


@pytest.fixture
def managers() -> Iterator[Callable[..., JobManager]]:
    """JobManagers on the inline runner, closed (their jobs cancelled) after the test."""
    made: list[JobManager] = []

    def make(store: RunStore, **options) -> JobManager:
        manager = JobManager(store, InlineRunner(), **options)
        made.append(manager)
        return manager

    yield make
    for manager in made:
        manager.close()


def request(series, store: RunStore, specs=TINY_SPECS, training=TINY_TRAINING, **options) -> ComparisonRequest:
    options.setdefault("statistical", False)
    return make_request(series, WindowSpec(12), specs, SplitSpec(train=0.6, val=0.2), training,
                        snapshot_folder=store.series_folder, label="tiny", **options)


def wait(job: Job | Callable[[], Job | None], timeout: float = 120, until: Callable[[Job], bool] | None = None) -> Job:
    """Poll a job (or a function returning one) until it is done (or ``until`` holds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = job() if callable(job) and not isinstance(job, Job) else job
        if current is not None and (until(current) if until else current.done):
            return current
        time.sleep(0.1)
    raise AssertionError(f"the job did not get there in {timeout} s: {current}")


def test_two_owners_train_without_seeing_each_other(tmp_path: Path, tiny_series, managers) -> None:
    store = RunStore(tmp_path)
    manager = managers(store)
    alice = manager.start("alice", request(tiny_series, store, TINY_SPECS[:1], statistical=True))
    bob = manager.start("bob", request(tiny_series, store, TINY_SPECS[1:]))
    wait(alice), wait(bob)
    assert alice.status == bob.status == JobStatus.FINISHED
    assert manager.jobs_for("alice") == [alice] and manager.get(bob.id, "alice") is None
    assert [r.id for r in store.list(owner="alice")] == [alice.run_id]
    assert [r.id for r in store.list(owner="bob")] == [bob.run_id]
    assert alice.result is not None and alice.result.models[0].model is None  # saved as .keras, freed
    assert RunStore(tmp_path).model_path(alice.run_id, "tiny_gru").is_file()
    assert not list(tmp_path.glob(".tmp-*"))  # the models' work folder went into the run
    progress = alice.models["tiny_gru"]
    assert progress.status == "done" and progress.epoch == 2 and len(progress.loss) == len(progress.val_loss) == 2
    stored = store.record(alice.run_id).params["request"]
    assert ComparisonRequest.from_dict(stored) == ComparisonRequest.from_dict(JobQueue(store).get(alice.id).request)
    assert JobQueue(store).get(alice.id).progress["tiny_gru"]["epoch"] == 2  # the snapshot other servers read


def test_a_mistake_is_refused_before_anything_is_queued(tmp_path: Path, tiny_series, managers) -> None:
    store = RunStore(tmp_path)
    manager = managers(store)
    with pytest.raises(RnnkitError, match="lookback"):
        manager.start("alice", make_request(tiny_series, WindowSpec(500), TINY_SPECS, snapshot_folder=tmp_path))
    assert manager.jobs_for("alice") == []


def test_cancel_a_running_job_keeps_what_finished(tmp_path: Path, tiny_series, managers) -> None:
    store = RunStore(tmp_path)
    manager = managers(store)
    job = manager.start("carol", request(tiny_series, store, training=LONG))
    wait(job, 60, until=lambda j: j.models["tiny_gru"].epoch >= 1)
    assert manager.cancel(job.id, "dave") is False  # not dave's job
    assert manager.cancel(job.id, "carol") is True
    wait(job)
    assert job.status == JobStatus.CANCELLED
    assert job.models["tiny_gru"].status == "cancelled" and job.models["tiny_rnn"].status == "waiting"
    assert RunStore(tmp_path).record(job.run_id).status == "cancelled"


def test_only_recent_finished_jobs_are_listed(tmp_path: Path, tiny_series, managers) -> None:
    store = RunStore(tmp_path)
    manager = managers(store, keep_per_owner=2)
    jobs = [wait(manager.start("erin", request(tiny_series, store, TINY_SPECS[1:], ONE_EPOCH))) for _ in range(3)]
    assert manager.jobs_for("erin") == jobs[1:]
    assert manager.latest("erin") is jobs[-1]


def test_cancelling_a_queued_job_takes_effect_at_once(tmp_path: Path, tiny_series, managers) -> None:
    store = RunStore(tmp_path)
    manager = managers(store)
    first = manager.start("frank", request(tiny_series, store, TINY_SPECS[:1], LONG))
    second = manager.start("frank", request(tiny_series, store, TINY_SPECS[1:], LONG))
    wait(first, 60, until=lambda j: j.status == JobStatus.RUNNING)
    assert manager.get(second.id, "frank").position == 1
    assert manager.cancel(second.id, "frank") is True
    assert second.status == JobStatus.CANCELLED and second.done  # not after the first job's 500 epochs
    manager.cancel(first.id, "frank")
    wait(first)
    assert second.run_id is None and JobQueue(store).get(second.id).status == JobStatus.CANCELLED


def test_a_store_that_cannot_start_a_run_fails_the_job_visibly(tmp_path: Path, tiny_series, managers,
                                                                monkeypatch) -> None:
    store = RunStore(tmp_path)

    def broken(*args, **kwargs) -> str:
        raise RunStoreError("The run store cannot be written: it is read-only.", "Point RNNKIT_RUNS_DIR elsewhere.")

    monkeypatch.setattr(store, "start", broken)
    manager = managers(store)
    job = wait(manager.start("gina", request(tiny_series, store, TINY_SPECS[:1])), 60)
    assert job.status == JobStatus.FAILED and "read-only" in job.error
    assert manager.get(job.id, "gina").error == job.error  # recorded in the queue


def test_a_task_that_fails_fails_the_job_with_its_reason_not_as_a_cancel(tmp_path: Path, tiny_series, managers,
                                                                         monkeypatch) -> None:
    import rnnkit.ensemble

    tried = []

    def failing(spec, *args, **kwargs):  # a failure inside one model's task, as a base model's can be
        tried.append(spec.name)
        raise RnnkitError(f"The model {spec.name} cannot be trained here (injected).", "Drop it.")

    monkeypatch.setattr(rnnkit.ensemble, "train_spec", failing)
    store = RunStore(tmp_path)
    manager = managers(store)
    job = wait(manager.start("gina", request(tiny_series, store, TINY_SPECS[:2])), 60)
    assert job.status == JobStatus.FAILED, (job.status, job.error)
    assert "cannot be trained here (injected)" in job.error and "Cancelled" not in job.error
    assert store.record(job.run_id).status == "failed"
    assert manager.get(job.id, "gina").status == JobStatus.FAILED
    assert tried == [TINY_SPECS[0].name]  # the failure stopped the comparison's other tasks at once


def test_a_full_disk_while_saving_fails_the_job_and_never_leaves_the_run_running(
        tmp_path: Path, tiny_series, monkeypatch, managers) -> None:
    store = RunStore(tmp_path)
    real_writer = store._writer

    def full_disk(*args, **kwargs) -> None:
        def no_room():  # from now on SQLite cannot write either, as on a really full disk
            raise RunStoreError("The run store cannot be written: the disk is full.", "Free some space.")

        monkeypatch.setattr(store, "_writer", no_room)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("rnnkit.serialize.write_result", full_disk)
    manager = managers(store)
    job = wait(manager.start("hana", request(tiny_series, store, TINY_SPECS[:1])))
    job.thread.join(timeout=10)
    assert not job.thread.is_alive()
    assert job.status == JobStatus.FAILED and "the disk is full" in job.error
    assert "could not record the failure" in job.error
    assert store.record(job.run_id).status == "failed"  # not "running" forever
    monkeypatch.setattr(store, "_writer", real_writer)  # space again: the next writes record both ends
    manager.beat()
    store.start("x", "y", ["z"], {})
    assert RunStore(tmp_path).record(job.run_id).status == "failed"
    assert JobQueue(RunStore(tmp_path)).get(job.id).status == JobStatus.FAILED


def test_an_owner_may_queue_only_so_many(tmp_path: Path, tiny_series, managers) -> None:
    store = RunStore(tmp_path)
    manager = managers(store, owner_limit=3, dispatch=False)
    for _ in range(3):
        manager.start("ida", request(tiny_series, store))
    with pytest.raises(JobLimitError, match="You have 3 comparisons waiting or running") as refused:
        manager.start("ida", request(tiny_series, store))
    assert "Cancel one or wait" in refused.value.fix
    manager.start("jon", request(tiny_series, store))  # another owner is not affected
    manager.cancel(manager.jobs_for("ida")[0].id, "ida")
    manager.start("ida", request(tiny_series, store))  # room again


def test_claims_are_round_robin_so_a_backlog_never_starves_another_owner(tmp_path: Path, tiny_series) -> None:
    store = RunStore(tmp_path)
    queue = JobQueue(store)
    plain = request(tiny_series, store).to_dict()
    backlog = [queue.submit("alice", "a", plain, limit=100).id for _ in range(40)]
    bob = queue.submit("bob", "b", plain, limit=100).id
    assert queue.position(backlog[0]) == 1 and queue.position(bob) == 2
    first = queue.claim("server")
    assert first.id == backlog[0] and queue.claim("server").id == bob  # bob before alice's 39 others
    queue.finish(first.id, JobStatus.FINISHED)
    assert queue.claim("server").id == backlog[1]


def test_fairness_with_real_jobs(tmp_path: Path, tiny_series, managers) -> None:
    store = RunStore(tmp_path)
    manager = managers(store, owner_limit=10, dispatch=False)
    alice = [manager.start("alice", request(tiny_series, store, TINY_SPECS[1:], ONE_EPOCH)) for _ in range(4)]
    bob = manager.start("bob", request(tiny_series, store, TINY_SPECS[1:], ONE_EPOCH))
    manager.resume()
    for job in [*alice, bob]:
        wait(job)
    started = sorted([*alice, bob], key=lambda j: j.started_at)
    assert started[:2] == [alice[0], bob]  # bob's one job went second, not after alice's backlog


def test_claims_are_atomic_across_processes(tmp_path: Path, tiny_series) -> None:
    store = RunStore(tmp_path)
    queue = JobQueue(store)
    plain = request(tiny_series, store).to_dict()
    ids = {queue.submit(f"owner-{i % 7}", "x", plain, limit=1000).id for i in range(120)}
    script = textwrap.dedent(f"""
        import sys
        from rnnkit.jobqueue import JobQueue
        from rnnkit.store import RunStore
        queue = JobQueue(RunStore({str(tmp_path)!r}))
        while (job := queue.claim(sys.argv[1])) is not None:
            print(job.id, flush=True)
    """)
    servers = [subprocess.Popen([sys.executable, "-c", script, f"server-{n}"], cwd=ROOT, stdout=subprocess.PIPE,
                                text=True) for n in range(3)]
    claimed = [out.split() for out, _ in (p.communicate(timeout=120) for p in servers)]
    everything = [job_id for part in claimed for job_id in part]
    assert sorted(everything) == sorted(ids)  # every job claimed, none twice
    with sqlite3.connect(tmp_path / INDEX_FILE) as db:
        rows = db.execute("SELECT claimed_by, COUNT(*) FROM jobs GROUP BY claimed_by").fetchall()
    assert {server: count for server, count in rows} == {f"server-{n}": len(c) for n, c in enumerate(claimed) if c}


def test_two_servers_share_one_folder_and_run_each_job_once(tmp_path: Path, tiny_series, managers) -> None:
    first, second = managers(RunStore(tmp_path), owner_limit=10), managers(RunStore(tmp_path), owner_limit=10)
    jobs = [(first if i % 2 else second).start("kim", request(tiny_series, first.store, TINY_SPECS[1:], ONE_EPOCH))
            for i in range(4)]
    done = [wait(lambda job=job: first.get(job.id, "kim")) for job in jobs]
    assert {j.status for j in done} == {JobStatus.FINISHED}
    runs = RunStore(tmp_path).list(owner="kim")
    assert len(runs) == 4 and {r.id for r in runs} == {j.run_id for j in done}
    assert {r.params["job_id"] for r in runs} == {j.id for j in jobs}
    assert all(j.result is not None for j in done)  # read from the store when another server ran it


def test_a_job_claimed_before_start_returns_is_the_job_start_returns(tmp_path: Path, tiny_series, managers) -> None:
    """The dispatcher can claim a job between its queueing and start() registering it (seen in CI under load):
    start() must hand back the job that runs, not a copy left queued forever."""
    store = RunStore(tmp_path)
    manager = managers(store, dispatch=False)
    submit = manager.queue.submit

    def submit_then_claim(*args, **kwargs):
        record = submit(*args, **kwargs)
        manager._claim_some()  # what a dispatcher thread may do at this moment
        return record

    manager.queue.submit = submit_then_claim  # type: ignore[method-assign]
    job = manager.start("ivy", request(tiny_series, store, TINY_SPECS[1:], ONE_EPOCH))
    assert wait(job, 60).status == JobStatus.FINISHED
    assert manager.get(job.id, "ivy") is job and set(job.models) == {TINY_SPECS[1].name}


def test_a_server_that_stops_beating_leaves_its_job_interrupted_and_it_runs_again(tmp_path: Path, tiny_series,
                                                                                  managers) -> None:
    store = RunStore(tmp_path, stale_after_s=1)
    queue = JobQueue(store)
    manager = managers(store, dispatch=False)
    job = manager.start("lee", request(tiny_series, store, TINY_SPECS[1:], ONE_EPOCH))
    ghost = queue.claim("ghost-server")  # a server that claimed the job, started its run, then vanished
    run_id = store.start("tiny", "value", ["tiny_rnn"], {}, owner="lee")
    queue.attach_run(ghost.id, run_id)
    time.sleep(1.5)
    assert manager.expire() == [job.id]
    view = manager.get(job.id, "lee")
    assert view.status == JobStatus.INTERRUPTED and view.error == INTERRUPTED_MESSAGE
    record = store.record(run_id)
    assert record.status == "interrupted" and "stopped before it finished" in record.message
    manager.resume()
    again = wait(manager.run_again(job.id, "lee"))
    assert again.status == JobStatus.FINISHED and again.id != job.id
    assert queue.get(again.id).request == queue.get(job.id).request  # exactly what was asked
    from_run = wait(manager.run_again(again.run_id, "lee"))  # a stored run can be run again too
    assert from_run.status == JobStatus.FINISHED
    with pytest.raises(RnnkitError, match="no stored run"):
        manager.run_again(again.run_id, "mallory")


SERVER = """
import sys, time
from rnnkit.jobs import JobManager
from rnnkit.request import make_request
from rnnkit.runners import InlineRunner
from rnnkit.store import RunStore
from rnnkit.data.series import load_series
from rnnkit.models.spec import ModelSpec
from rnnkit.splits import SplitSpec
from rnnkit.training import TrainingConfig
from rnnkit.windows.spec import WindowSpec
from helpers import seasonal_csv

store = RunStore(sys.argv[1])
manager = JobManager(store, InlineRunner())
series = load_series(seasonal_csv(), name="tiny", target="value")
specs = [ModelSpec("tiny_gru", cell="gru", units=(4,))]
def ask(training):
    return make_request(series, WindowSpec(12), specs, SplitSpec(train=0.6, val=0.2), training, statistical=False,
                        snapshot_folder=store.series_folder, label="tiny")
long = manager.start("max", ask(TrainingConfig(epochs=5000, batch_size=8, early_stopping=False, seed=0)))
queued = manager.start("max", ask(TrainingConfig(epochs=2, batch_size=16, seed=0)))
print(long.id, queued.id, flush=True)
while long.models["tiny_gru"].epoch < 2:
    time.sleep(0.05)
print("training", flush=True)
time.sleep(600)
"""


def test_a_progress_line_says_where_a_stopped_task_stopped_and_promises_no_time_left() -> None:
    """An interrupted job's tasks keep their last snapshot (status training): no ETA for a job that is over."""
    training = ModelProgress("gru", 1000, 18, 16.0, TaskStatus.TRAINING)
    assert training.describe() == (0.018, "gru: epoch 18 of 1000 · 16 s, about 873 s left")
    assert training.describe(stopped=True) == (0.018, "gru: stopped at epoch 18 of 1000, after 16 s")
    assert ModelProgress("lstm", 1000).describe(stopped=True) == (0.0, "lstm: not trained")
    assert ModelProgress("lstm", 1000).describe() == (0.0, "lstm: waiting for a free worker")
    done = ModelProgress("rnn", 5, 1, 4.2, TaskStatus.DONE)
    assert done.describe(stopped=True) == (1.0, "rnn: done in 4 s (1 epoch)")
    cancelled = ModelProgress("rnn", 5, 3, 9.0, TaskStatus.CANCELLED)
    assert cancelled.describe()[1] == "rnn: stopped at epoch 3 of 5, after 9 s"


def test_a_killed_server_leaves_its_job_interrupted_and_the_next_server_runs_the_queue(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)]), "RNNKIT_RUNNER": "inline"}
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(runs)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              text=True)
    try:
        long_id, queued_id = server.stdout.readline().split()
        assert server.stdout.readline().strip() == "training"
        queue = JobQueue(RunStore(runs))
        deadline = time.monotonic() + 60  # until a heartbeat has written the progress snapshot (slow under load)
        while (queue.get(long_id).progress or {}).get("tiny_gru", {}).get("epoch", 0) < 2:
            assert time.monotonic() < deadline, "no heartbeat wrote the job's progress within 60 s"
            time.sleep(0.1)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert queue.get(long_id).status == JobStatus.RUNNING and queue.get(queued_id).status == JobStatus.QUEUED
    assert queue.get(long_id).progress["tiny_gru"]["epoch"] >= 2
    manager = JobManager(RunStore(runs, stale_after_s=3), InlineRunner())
    try:
        killed = wait(lambda: manager.get(long_id, "max"), 30)
        assert killed.status == JobStatus.INTERRUPTED and killed.error == INTERRUPTED_MESSAGE
        assert RunStore(runs).record(killed.run_id).status == "interrupted"
        finished = wait(lambda: manager.get(queued_id, "max"), 120)
        assert finished.status == JobStatus.FINISHED, finished.error
        assert RunStore(runs).record(finished.run_id).status == "finished"
    finally:
        manager.close()


def test_a_runner_that_cannot_be_made_fails_queued_jobs_with_its_reason(tmp_path: Path, tiny_series,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A misconfigured server says what is wrong on every job instead of leaving them queued forever."""
    import rnnkit.runners

    monkeypatch.setattr(rnnkit.runners, "_default", None)  # the process's shared runner, made again from the env
    monkeypatch.setenv("RNNKIT_WORKERS", "two")
    store = RunStore(tmp_path)
    manager = JobManager(store)  # no runner given: the default one, from the environment
    try:
        queued = manager.start("gina", request(tiny_series, store, TINY_SPECS[:1], ONE_EPOCH))
        job = wait(lambda: manager.get(queued.id, "gina"), 60)
    finally:
        manager.close()
    assert job.status == JobStatus.FAILED
    assert job.error is not None and "RNNKIT_WORKERS" in job.error and "not a whole number" in job.error


def test_the_job_picker_names_each_job_by_what_it_is_doing_and_keeps_the_pick() -> None:
    from rnnkit.job_choice import job_line, shown_job, status_signature

    queued = Job("a", "owner", "electric", {}, JobStatus.QUEUED, position=2)
    running = Job("b", "owner", "jena", {"gru": ModelProgress("gru", 5), "lstm": ModelProgress("lstm", 5)},
                  JobStatus.RUNNING)
    running.models["gru"].status = TaskStatus.DONE
    failed = Job("c", "owner", "stocks", {}, JobStatus.FAILED, error="No windows.")
    assert job_line(queued).startswith("electric · queued, number 2 · ")
    assert job_line(running).startswith("jena · running, 1 of 2 models done · ")
    assert job_line(failed).startswith("stocks · failed · ")
    assert job_line(failed).endswith(" · c")  # the id tells alike jobs apart
    mine = [queued, running, failed]
    assert shown_job(mine, "b") is running and shown_job(mine, "gone") is failed and shown_job([], "b") is None
    before = status_signature(mine)
    running.status = JobStatus.FINISHED
    assert status_signature(mine) != before


def test_a_server_that_exits_leaves_its_running_job_interrupted_and_its_queue_queued(tmp_path: Path,
                                                                                    tiny_series) -> None:
    """What the interpreter's exit hooks do on SIGTERM: the manager's hook, then the pool stopping its workers."""
    from rnnkit.jobqueue import SERVER_STOPPED_MESSAGE
    from rnnkit.runners import make_runner

    store = RunStore(tmp_path)
    runner = make_runner("process", workers=1)
    manager = JobManager(store, runner)
    try:
        running = manager.start("frank", request(tiny_series, store, training=LONG))
        wait(running, 120, until=lambda j: any(m.epoch >= 1 for m in j.models.values()))
        waiting = manager.start("grace", request(tiny_series, store, TINY_SPECS[1:], ONE_EPOCH))
        manager.prepare_for_exit()
        runner.shutdown(wait=False)
        wait(running, 60)
        assert running.status == JobStatus.INTERRUPTED and running.error == SERVER_STOPPED_MESSAGE
        assert manager.queue.get(running.id).status == JobStatus.INTERRUPTED  # "Run again" is offered
        time.sleep(1.5)  # the dispatcher would have claimed it by now
        assert manager.queue.get(waiting.id).status == JobStatus.QUEUED  # for the next server
    finally:
        manager.close(timeout=10)
        runner.shutdown(wait=False)
