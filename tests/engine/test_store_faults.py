"""The run store under faults: old and damaged indexes, read-only disks, full disks, hostile names, owners."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from rnnkit.store import (
    INDEX_FILE,
    SCHEMA_VERSION,
    RunBusyError,
    RunDamagedError,
    RunNotFoundError,
    RunStore,
    RunStoreError,
    owner_key,
)

ROOT = Path(__file__).resolve().parents[2]
LEGACY_SCHEMA = """CREATE TABLE runs (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, finished_at TEXT,
    status TEXT NOT NULL, dataset TEXT NOT NULL, target TEXT NOT NULL, models TEXT NOT NULL, params TEXT NOT NULL,
    metrics TEXT, best_model TEXT, best_baseline TEXT, owner TEXT, host TEXT NOT NULL, pid INTEGER NOT NULL,
    message TEXT)"""


def rnnkit(*args: str, runs: Path, user: int | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "rnnkit", *args, "--runs-dir", str(runs)]
    if user is not None:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    return subprocess.run(command, check=False, capture_output=True, text=True, cwd=ROOT, timeout=120)


def legacy_index(folder: Path, owner: str) -> None:
    """An index as rnnkit wrote it before versions: the table, raw owner tokens, user_version 0."""
    folder.mkdir(parents=True)
    with sqlite3.connect(folder / INDEX_FILE) as db:
        db.execute(LEGACY_SCHEMA)
        db.execute("INSERT INTO runs VALUES ('20240101-000000-abcdef', '2024-01-01T00:00:00+00:00', NULL, 'failed',"
                   " 'old', 'value', '[\"gru\"]', '{}', NULL, NULL, NULL, ?, 'host', 1, 'boom')", (owner,))
    with sqlite3.connect(folder / INDEX_FILE) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (0,)


def test_an_old_index_is_migrated_in_place(tmp_path: Path) -> None:
    token = "old-browser-token-0123456789"
    legacy_index(tmp_path / "runs", token)
    store = RunStore(tmp_path / "runs")
    assert [r.id for r in store.list(owner=token)] == ["20240101-000000-abcdef"]
    store.start("new", "value", ["gru"], {}, owner=token)  # writes go through the migrated index
    with sqlite3.connect(tmp_path / "runs" / INDEX_FILE) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        owners = {row[0] for row in db.execute("SELECT owner FROM runs")}
    assert owners == {owner_key(token)} and token not in owners  # the file no longer holds bearer keys
    assert len(store.list(owner=token)) == 2


def test_an_index_from_a_newer_rnnkit_is_refused(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.start("x", "y", ["gru"], {})
    with sqlite3.connect(tmp_path / INDEX_FILE) as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(RunStoreError, match="written by a newer rnnkit"):
        RunStore(tmp_path).start("x", "y", ["gru"], {})


def test_listing_creates_nothing(tmp_path: Path) -> None:
    assert RunStore(tmp_path).list() == []
    assert list(tmp_path.iterdir()) == []  # no index, no WAL switch just to list


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder that another user can reach (pytest's own tmp folders are private to their owner)."""
    with tempfile.TemporaryDirectory(prefix="rnnkit-ro-") as folder:
        Path(folder).chmod(0o755)
        yield Path(folder)


@pytest.mark.skipif(sys.platform != "linux", reason="needs POSIX permissions and setpriv")
def test_listing_works_on_a_read_only_folder(open_folder: Path, tiny_result) -> None:
    tmp_path = open_folder
    runs = tmp_path / "runs"
    store = RunStore(runs)
    done = store.start("tiny", "value", ["tiny_gru"], {}, owner="alice-token-0123456789abc")
    store.finish(done, tiny_result, save_models=False)
    for path in [tmp_path, runs, *runs.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        user = 65534 if os.geteuid() == 0 else None  # root ignores permissions: list as nobody
        if user is not None and subprocess.run(["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups",
                                                sys.executable, "-c", "import numpy"],
                                               capture_output=True, check=False).returncode != 0:
            pytest.skip("user nobody cannot run this Python (its virtual environment is private)")
        listed = rnnkit("runs", runs=runs, user=user)
        assert listed.returncode == 0, listed.stderr
        assert done in listed.stdout and "finished" in listed.stdout
        as_json = json.loads(rnnkit("runs", "--json", runs=runs, user=user).stdout)
        assert as_json[0]["id"] == done
        refused = rnnkit("runs", "--delete", done, runs=runs, user=user)
        assert refused.returncode == 2 and "read-only" in refused.stderr and "Traceback" not in refused.stderr
    finally:
        for path in [tmp_path, runs, *runs.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert sorted(p.name for p in runs.iterdir()) == sorted([INDEX_FILE, done])  # nothing written


def test_a_bad_json_value_names_its_run_and_spares_the_others(tmp_path: Path, tiny_result) -> None:
    store = RunStore(tmp_path)
    good, bad = (store.start("tiny", "value", ["tiny_gru"], {}) for _ in range(2))
    for run_id in (good, bad):
        store.finish(run_id, tiny_result, save_models=False)
    with sqlite3.connect(tmp_path / INDEX_FILE) as db:
        db.execute("UPDATE runs SET metrics='{\"naive\": {' WHERE id=?", (bad,))
    records = {r.id: r for r in store.list()}
    assert not records[good].damaged and records[bad].damaged and "metrics" in records[bad].problem
    with pytest.raises(RunDamagedError, match=f"Run {bad} is damaged: its metrics in the run index"):
        store.load(bad)
    store.load(good)
    listed = rnnkit("runs", runs=tmp_path)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
    assert "damaged: its metrics in the run index is not valid JSON" in listed.stdout and good in listed.stdout


def test_a_damaged_index_page_names_the_runs_on_it(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    ids = [store.start("tiny", "value", ["gru"], {"pad": "x" * 1200}) for _ in range(12)]
    with sqlite3.connect(tmp_path / INDEX_FILE) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray((tmp_path / INDEX_FILE).read_bytes())
    victim = ids[5]
    pages = {data.find(victim.encode(), start) // page_size for start in range(0, len(data), page_size)
             if data.find(victim.encode(), start) != -1}
    leaf = next(p for p in sorted(pages) if data[p * page_size] == 0x0D)  # the table leaf, not the id index
    data[leaf * page_size:leaf * page_size + 8] = b"\xff" * 8
    (tmp_path / INDEX_FILE).write_bytes(bytes(data))
    records = {r.id: r for r in RunStore(tmp_path).list()}
    assert victim in records and records[victim].damaged and "damaged" in records[victim].problem
    readable = [i for i in ids if not records[i].damaged]
    assert len(readable) >= 6 and all(records[i].status == "running" for i in readable)
    listed = rnnkit("runs", runs=tmp_path)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
    assert "is damaged" in listed.stderr and f"{victim}  damaged:" in listed.stdout


def test_a_corrupt_run_folder_names_the_run_and_the_file(tmp_path: Path, tiny_result) -> None:
    store = RunStore(tmp_path)
    run_id = store.start("tiny", "value", ["tiny_gru"], {})
    store.finish(run_id, tiny_result, save_models=False)
    (store.folder(run_id) / "config.json").write_text("{not json")
    with pytest.raises(RunDamagedError, match=f"Run {run_id} is damaged: its config.json is not valid JSON"):
        store.load(run_id)
    (store.folder(run_id) / "config.json").unlink()
    with pytest.raises(RunDamagedError, match="its config.json is missing"):
        store.load(run_id)


def test_finished_files_and_folders_are_fsynced_before_and_after_the_rename(
        tmp_path: Path, tiny_result, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    store = RunStore(tmp_path)
    run_id = store.start("tiny", "value", ["tiny_gru", "tiny_rnn"], {})
    monkeypatch.setattr(os, "fsync", recording_fsync)
    store.finish(run_id, tiny_result)
    staging = str(tmp_path / f".tmp-{run_id}")
    files = {str(p.relative_to(store.folder(run_id))) for p in store.folder(run_id).rglob("*")}
    assert files <= {str(Path(s).relative_to(staging)) for s in synced if s.startswith(staging + "/")}
    assert staging in synced and synced.index(staging) < synced.index(str(tmp_path))  # files, folder, then parent
    assert synced[-1] == str(tmp_path)


@pytest.mark.parametrize("name", ["../../other/models/tiny_gru", "../tiny_gru", "/etc/passwd", ".hidden", ""])
def test_model_names_cannot_leave_their_run(tmp_path: Path, tiny_result, name: str) -> None:
    store = RunStore(tmp_path)
    mine, other = (store.start("tiny", "value", ["tiny_gru"], {}) for _ in range(2))
    store.finish(mine, tiny_result)
    store.finish(other, tiny_result)
    with pytest.raises(RunNotFoundError, match="has no saved model"):
        store.model_path(mine, name.replace("other", other))
    with pytest.raises(RunNotFoundError, match="no stored run"):
        store.record(f"../{other}")


def test_a_training_run_cannot_be_deleted_and_no_folder_is_orphaned(tmp_path: Path, tiny_result) -> None:
    store = RunStore(tmp_path)
    running = store.start("tiny", "value", ["tiny_gru"], {})
    with pytest.raises(RunBusyError, match=f"Run {running} is still training.*Cancel it first"):
        store.delete(running)
    result = rnnkit("runs", "--delete", running, runs=tmp_path)
    assert result.returncode == 2 and "still training" in result.stderr and "Traceback" not in result.stderr
    store.finish(running, tiny_result)
    store.delete(running)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(INDEX_FILE)) == []


def test_another_owners_token_reaches_nothing(tmp_path: Path, tiny_result) -> None:
    alice, mallory = "alice-token-0123456789abcdef", "mallory-token-0123456789abcd"
    store = RunStore(tmp_path)
    run_id = store.start("tiny", "value", ["tiny_gru"], {}, owner=alice)
    store.finish(run_id, tiny_result)
    assert store.list(owner=mallory) == []
    for attempt in (lambda: store.record(run_id, owner=mallory), lambda: store.load(run_id, owner=mallory),
                    lambda: store.model_path(run_id, "tiny_gru", owner=mallory),
                    lambda: store.delete(run_id, owner=mallory)):
        with pytest.raises(RunNotFoundError, match="no stored run"):
            attempt()
    assert store.model_path(run_id, "tiny_gru", owner=alice).is_file()
    printed = rnnkit("runs", "--json", runs=tmp_path).stdout
    assert alice not in printed and owner_key(alice) not in printed
    assert json.loads(printed)[0]["owner"] == owner_key(alice)[:10]


def test_a_failure_on_a_full_disk_is_kept_until_it_can_be_written(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run_id = store.start("tiny", "value", ["gru"], {})
    full = RunStoreError("The run store cannot be written: the disk is full.", "Free some space.")

    def no_room() -> sqlite3.Connection:
        raise full

    real_writer = store._writer
    store._writer = no_room  # type: ignore[method-assign]  # SQLite answering "database or disk is full"
    assert store.fail(run_id, "disk full") is False  # no exception inside the caller's except
    assert store.record(run_id).status == "failed"  # listed as failed, not running, meanwhile
    store._writer = real_writer  # type: ignore[method-assign]
    store.start("next", "value", ["gru"], {})  # the next write carries the failure to disk
    assert RunStore(tmp_path).record(run_id).status == "failed"


def test_saving_on_a_full_disk_says_so(tmp_path: Path, tiny_result, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(*args, **kwargs) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("rnnkit.serialize.write_result", full_disk)
    store = RunStore(tmp_path)
    run_id = store.start("tiny", "value", ["gru"], {})
    with pytest.raises(RunStoreError, match="the disk is full") as raised:
        store.finish(run_id, tiny_result)
    assert "Free some disk space" in raised.value.fix
    assert not list(tmp_path.glob(".tmp-*")) and not store.folder(run_id).exists()
