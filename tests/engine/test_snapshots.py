"""Series snapshots: reused by content, pruned when no run or job refers to them, never while in use."""

from __future__ import annotations

import os
import time
from pathlib import Path

from helpers import TINY_SPECS, TINY_TRAINING, seasonal_csv

from rnnkit.data.series import TimeSeries, load_series
from rnnkit.jobqueue import JobQueue, JobStatus
from rnnkit.jobs import JobManager
from rnnkit.request import make_request, save_series
from rnnkit.snapshots import SNAPSHOT_SUFFIX, prune_snapshots
from rnnkit.runners import InlineRunner
from rnnkit.splits import SplitSpec
from rnnkit.store import RunStore
from rnnkit.windows.spec import WindowSpec

DAY = 86_400.0


def _series(rows: int) -> TimeSeries:
    return load_series(seasonal_csv(rows), name=f"s{rows}", target="value")


def _age(path: Path | str, seconds: float) -> None:
    """Make ``path`` look untouched for ``seconds``."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_prune_deletes_only_old_unkept_snapshots_and_partials(tmp_path: Path) -> None:
    old, kept, fresh = (Path(save_series(_series(n), tmp_path).path) for n in (120, 130, 140))
    partial = tmp_path / f".abc{SNAPSHOT_SUFFIX}.123.tmp"
    partial.write_bytes(b"half")
    other = tmp_path / "notes.txt"
    other.write_text("not ours")
    for path in (old, kept, partial, other):
        _age(path, 2 * DAY)
    removed = prune_snapshots(tmp_path, {kept.name}, DAY)
    assert sorted(removed) == sorted([old, partial])
    assert kept.exists() and fresh.exists() and other.exists() and not old.exists()
    assert prune_snapshots(tmp_path / "missing", set(), 0) == []


def test_saving_the_same_series_again_makes_its_snapshot_young(tmp_path: Path) -> None:
    ref = save_series(_series(120), tmp_path)
    _age(ref.path, 2 * DAY)
    assert save_series(_series(120), tmp_path) == ref
    assert prune_snapshots(tmp_path, set(), DAY) == []  # in use again: not pruned
    assert Path(ref.path).exists()


def test_store_keeps_what_runs_and_jobs_use_and_deletes_the_rest(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    window, split = WindowSpec(12), SplitSpec(train=0.6, val=0.2)
    manager = JobManager(store, InlineRunner())
    try:
        ran = make_request(_series(160), window, TINY_SPECS[:1], split, TINY_TRAINING,
                           snapshot_folder=store.series_folder, statistical=False)
        job = manager.start("alice", ran)
        deadline = time.monotonic() + 120
        while not job.done and time.monotonic() < deadline:
            time.sleep(0.1)
        assert job.status == JobStatus.FINISHED and job.run_id is not None
    finally:
        manager.close()
    queued = make_request(_series(170), window, TINY_SPECS[:1], split, TINY_TRAINING,
                          snapshot_folder=store.series_folder, statistical=False)
    JobQueue(store).submit("bob", "waiting", queued.to_dict())
    orphan = save_series(_series(180), store.series_folder)  # asked for, never queued
    for ref in (ran.series, queued.series, orphan):
        _age(ref.path, 2 * 3600)

    assert store.prune_series() == (Path(orphan.path),)
    assert Path(ran.series.path).exists() and Path(queued.series.path).exists()
    store.delete(job.run_id)  # the run, and the finished job that made it, go; so does their series
    assert not Path(ran.series.path).exists() and Path(queued.series.path).exists()
    assert [r.label for r in JobQueue(store).for_owner("alice")] == []


def test_a_young_unreferenced_snapshot_survives_pruning(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.start("other", "value", ["gru"], {})  # an index, so pruning knows what is in use
    just_made = save_series(_series(120), store.series_folder)  # a request on its way to the queue
    forgotten = save_series(_series(130), store.series_folder)
    _age(forgotten.path, 2 * 3600)
    assert store.prune_series() == (Path(forgotten.path),) and Path(just_made.path).exists()


def test_nothing_is_pruned_without_a_readable_index(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    old = save_series(_series(120), store.series_folder)
    _age(old.path, 2 * DAY)
    assert store.prune_series() == () and Path(old.path).exists()  # no index: what is in use is unknown


def test_ended_jobs_are_forgotten_after_a_month_queued_ones_never(tmp_path: Path, tiny_series) -> None:
    store = RunStore(tmp_path)
    queue = JobQueue(store)
    request = make_request(tiny_series, WindowSpec(12), TINY_SPECS[:1], SplitSpec(train=0.6, val=0.2),
                           TINY_TRAINING, snapshot_folder=store.series_folder, statistical=False).to_dict()
    old, recent, waiting = (queue.submit("alice", name, request) for name in ("old", "recent", "waiting"))
    for record, ended in ((old, 40 * DAY), (recent, DAY)):
        queue.cancel(record.id, "alice")
        with store.transaction() as db:
            db.execute("UPDATE jobs SET finished_at=? WHERE id=?", (time.time() - ended, record.id))
    assert queue.forget() == 1
    assert sorted(r.label for r in queue.for_owner("alice")) == ["recent", "waiting"]
    assert waiting.status == JobStatus.QUEUED


def test_a_reference_names_the_target_and_inputs_and_hashes_the_target_alone(tmp_path: Path) -> None:
    from rnnkit.request import ComparisonRequest

    target_only = _series(80)
    series = target_only.with_columns("value", ("other",))  # seasonal_csv has a second numeric column
    with_features = save_series(series, tmp_path)
    target_only = save_series(target_only, tmp_path)
    assert with_features.sha256 != target_only.sha256  # other inputs, another snapshot
    assert with_features.target_sha256 == target_only.target_sha256  # the same targets to score
    assert with_features.inputs == ("value", "other") and target_only.inputs == ("value",)
    asked = make_request(series, WindowSpec(12), TINY_SPECS[:1], SplitSpec(), TINY_TRAINING, snapshot_folder=tmp_path)
    assert ComparisonRequest.from_dict(asked.to_dict()) == asked
    older = asked.to_dict()
    for field in ("target", "inputs", "target_sha256"):  # a request stored before these existed
        del older["series"][field]
    assert ComparisonRequest.from_dict(older).series.target_sha256 == ""
