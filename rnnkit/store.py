"""Stored runs: an SQLite index plus one folder per run, written so that a crash loses nothing earlier.

A run is registered as ``running`` before training, with a heartbeat
(``heartbeat_at``) that the process training it keeps fresh (:meth:`RunStore.alive`,
or the job dispatcher's heartbeat). Its files are written into a hidden
temporary folder, flushed to disk (files and folders fsynced) and renamed into
place in one step; only then is the index row marked finished. A process killed
midway stops beating: once its heartbeat is older than ``stale_after_s``,
listing the runs marks it ``interrupted`` (a restarted container that reuses the
process id cannot keep it ``running``). Earlier runs are never touched.

The store degrades instead of failing: listing works on a read-only or full
disk (the index is then opened with ``mode=ro``), a damaged index row or run
folder is reported by run id while the others stay usable, and a failure that
cannot be written (a full disk) is kept in memory until it can be.

Owners are stored as the SHA-256 of their token, so the index holds no bearer
keys. The index carries a schema version (``PRAGMA user_version``) and is
brought up to date by :data:`MIGRATIONS`, applied in order in one transaction.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from rnnkit.errors import RnnkitError

if TYPE_CHECKING:  # keras and the result types load lazily: the store is used by pages without TensorFlow
    import keras

    from rnnkit.results import ComparisonResult

RUNS_DIR_ENV = "RNNKIT_RUNS_DIR"
INDEX_FILE = "runs.sqlite"
MODELS_DIR = "models"
STAGING_PREFIX = ".tmp-"
TRASH_PREFIX = ".trash-"
WORK_DIR = "trained"  # inside a run's staging folder: the models its tasks save while training
SERIES_DIR = "series"  # the series snapshots of queued and stored requests
STALE_AFTER_ENV = "RNNKIT_STALE_AFTER"
DEFAULT_STALE_AFTER_S = 30.0
HEARTBEAT_S = 2.0  # how often a process training a run refreshes its heartbeat
SNAPSHOT_GRACE_S = 3600.0  # an unreferenced series snapshot is kept this long (a request may be on its way)

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")  # run ids and model names: never a path
_INTERRUPTED = "The process running this comparison stopped before it finished."


class RunStatus(StrEnum):
    """Where a run stands; compares equal to the plain strings stored in the index."""

    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    DAMAGED = "damaged"


class RunNotFoundError(RnnkitError):
    """A run id that is not in the store (or not the caller's)."""


class RunBusyError(RnnkitError):
    """A run that is still training cannot be deleted."""


class RunDamagedError(RnnkitError):
    """A run whose index row or folder cannot be read."""


class RunStoreError(RnnkitError):
    """The store's folder or index cannot be opened or written."""


def owner_key(token: str) -> str:
    """What the index stores for an owner: the SHA-256 of the token, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- schema versions ---------------------------------------------------------------------------

def _create_runs_table(db: sqlite3.Connection) -> None:
    """Version 1: the runs table as rnnkit wrote it before the index had a version."""
    db.execute("""
        CREATE TABLE IF NOT EXISTS runs (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            dataset TEXT NOT NULL,
            target TEXT NOT NULL,
            models TEXT NOT NULL,
            params TEXT NOT NULL,
            metrics TEXT,
            best_model TEXT,
            best_baseline TEXT,
            owner TEXT,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            message TEXT
        )""")


def _hash_owner_tokens(db: sqlite3.Connection) -> None:
    """Version 2: owners as SHA-256 of their token, so the index file holds no bearer keys."""
    rows = db.execute("SELECT id, owner FROM runs WHERE owner IS NOT NULL").fetchall()
    db.executemany("UPDATE runs SET owner=? WHERE id=?", [(owner_key(owner), run_id) for run_id, owner in rows])


def _add_jobs_and_heartbeats(db: sqlite3.Connection) -> None:
    """Version 3: the durable job queue, and a heartbeat per run instead of process id and host name.

    Times in ``jobs`` and ``runs.heartbeat_at`` are Unix seconds (REAL), so staleness is one comparison.
    """
    db.execute("""
        CREATE TABLE IF NOT EXISTS jobs (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            label TEXT NOT NULL,
            request TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL,
            heartbeat_at REAL,
            claimed_by TEXT,
            run_id TEXT,
            message TEXT,
            progress TEXT,
            cancel_requested INTEGER NOT NULL DEFAULT 0
        )""")
    db.execute("CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_at)")
    db.execute("CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs (owner, created_at)")
    db.execute("ALTER TABLE runs ADD COLUMN heartbeat_at REAL")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _create_runs_table, _hash_owner_tokens, _add_jobs_and_heartbeats)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection) -> int:
    """Apply the migrations the index lacks, in order, in one transaction; return the old version."""
    previous = db.isolation_level
    db.isolation_level = None  # explicit transaction: DDL and user_version commit or roll back together
    db.execute("BEGIN IMMEDIATE")  # one writer at a time, so two processes never migrate twice
    try:
        version = schema_version(db)
        if version > SCHEMA_VERSION:
            raise RunStoreError(
                f"The run index was written by a newer rnnkit (schema version {version}; this one knows "
                f"up to {SCHEMA_VERSION}).",
                "Upgrade rnnkit, or point RNNKIT_RUNS_DIR (or --runs-dir) at another folder.")
        for migration in MIGRATIONS[version:]:
            migration(db)
        if version != SCHEMA_VERSION:
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    finally:
        db.isolation_level = previous
    return version


# --- records -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunRecord:
    """One row of the run index; ``problem`` says why a damaged row could not be read in full."""

    id: str
    created_at: str
    finished_at: str | None
    status: str
    dataset: str
    target: str
    models: list[str]
    params: dict[str, Any]
    metrics: dict[str, dict[str, float]]
    best_model: str | None
    best_baseline: str | None
    owner: str | None
    message: str | None
    problem: str | None = None

    @property
    def damaged(self) -> bool:
        return self.problem is not None

    def public(self) -> dict[str, Any]:
        """The record for printing: the owner reduced to a short fingerprint."""
        fields = dict(self.__dict__)
        fields["owner"] = self.owner[:10] if self.owner else None
        return fields


def _damaged(run_id: str, problem: str) -> RunRecord:
    return RunRecord(id=run_id, created_at="", finished_at=None, status=RunStatus.DAMAGED, dataset="?", target="?",
                     models=[], params={}, metrics={}, best_model=None, best_baseline=None, owner=None,
                     message=None, problem=problem)


def _record(row: sqlite3.Row, hashed_owners: bool = True) -> RunRecord:
    """A record from an index row; a value that is not valid JSON makes a damaged record, not an error."""
    problems: list[str] = []

    def parsed(column: str, empty: Any) -> Any:
        value = row[column]
        if value is None and column == "metrics":
            return empty
        try:
            data = json.loads(value)
        except (TypeError, ValueError) as error:
            problems.append(f"its {column} in the run index is not valid JSON ({error})")
            return empty
        if not isinstance(data, type(empty)):
            problems.append(f"its {column} in the run index is a {type(data).__name__}, not a {type(empty).__name__}")
            return empty
        return data

    owner = row["owner"]
    return RunRecord(
        id=row["id"], created_at=row["created_at"] or "", finished_at=row["finished_at"], status=row["status"],
        dataset=row["dataset"], target=row["target"], models=parsed("models", []), params=parsed("params", {}),
        metrics=parsed("metrics", {}), best_model=row["best_model"], best_baseline=row["best_baseline"],
        owner=owner if hashed_owners or owner is None else owner_key(owner), message=row["message"],
        problem="; ".join(problems) or None,
    )


# --- files -------------------------------------------------------------------------------------

def default_runs_dir() -> Path:
    """``RNNKIT_RUNS_DIR``, or the user data folder (``~/.local/share/rnnkit/runs`` on Linux)."""
    value = os.environ.get(RUNS_DIR_ENV)
    return Path(value).expanduser() if value else Path(platformdirs.user_data_dir("rnnkit")) / "runs"


def fsync_path(path: Path) -> None:
    """Flush one file or folder entry to disk."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """Flush every file under ``folder``, then every folder (deepest first), so a crash keeps them whole."""
    folders = [folder]
    for parent, dirs, files in os.walk(folder):
        for name in files:
            fsync_path(Path(parent) / name)
        folders += [Path(parent) / name for name in dirs]
    for path in reversed(folders):
        fsync_path(path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def stale_after_default() -> float:
    """Seconds without a heartbeat after which a running run or job counts as interrupted."""
    value = os.environ.get(STALE_AFTER_ENV)
    try:
        return float(value) if value else DEFAULT_STALE_AFTER_S
    except ValueError as error:
        raise RnnkitError(f"{STALE_AFTER_ENV} is {value!r}, not a number of seconds.",
                          f"Set {STALE_AFTER_ENV} to a number such as 30.") from error


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _store_error(root: Path, error: BaseException, doing: str = "written") -> RunStoreError:
    """A storage failure as a sentence: a full disk, a read-only folder, or anything else."""
    text = str(error).lower()
    code = error.errno if isinstance(error, OSError) else None
    if code in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in text or "no space" in text:
        return RunStoreError(f"The run store at {root} cannot be {doing}: the disk is full ({error}).",
                             "Free some disk space, or point RNNKIT_RUNS_DIR (or --runs-dir) at a disk with room.")
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly" in text or "read-only" in text:
        return RunStoreError(f"The run store at {root} cannot be {doing}: it is read-only ({error}).",
                             "Point RNNKIT_RUNS_DIR (or --runs-dir) at a folder you can write to; listing and "
                             "opening runs still work here.")
    if isinstance(error, sqlite3.DatabaseError) and ("malformed" in text or "not a database" in text):
        return RunStoreError(f"The run index {root / INDEX_FILE} is damaged ({error}).",
                             f"Rebuild it with `sqlite3 {INDEX_FILE} .recover`, or move it away to start a new one; "
                             "the run folders beside it are not affected.")
    return RunStoreError(f"The run store at {root} cannot be opened ({error}).",
                         "Point RNNKIT_RUNS_DIR (or --runs-dir) at a folder you can write to.")


# --- the store ---------------------------------------------------------------------------------

class RunStore:
    """List, create, finish, load and delete runs under one folder."""

    def __init__(self, root: Path | None = None, stale_after_s: float | None = None) -> None:
        self.root = Path(root) if root is not None else default_runs_dir()
        self.stale_after_s = stale_after_default() if stale_after_s is None else stale_after_s
        self.index = self.root / INDEX_FILE
        self.index_problem: str | None = None  # set when the last listing met a damaged index
        self._ready = False  # WAL on and migrations applied, once per store
        self._pending: dict[str, tuple[str, str, str]] = {}  # run id → (status, message, time) not yet written
        self._lock = threading.Lock()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _store_error(self.root, error, "opened") from error
        if not self.root.is_dir():
            raise RunStoreError(f"The run store at {self.root} cannot be opened (it is not a folder).",
                                "Point RNNKIT_RUNS_DIR (or --runs-dir) at a folder you can write to.")

    @property
    def series_folder(self) -> Path:
        """Where requests' series snapshots live, beside the runs, so a queued job survives a restart."""
        return self.root / SERIES_DIR

    def work_dir(self, run_id: str) -> Path:
        """Where a run's tasks save their models while training; :meth:`finish` moves them into the run."""
        self.folder(run_id)
        return self.root / f"{STAGING_PREFIX}{run_id}" / WORK_DIR

    def folder(self, run_id: str) -> Path:
        """A run's folder; an id that could name a path elsewhere is refused."""
        if not _SAFE_NAME.fullmatch(run_id):
            raise RunNotFoundError(f"There is no stored run {run_id!r}.", "List the runs to see their ids.")
        return self.root / run_id

    # connections

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.index, timeout=30)
        db.row_factory = sqlite3.Row
        return db

    def _writer(self) -> sqlite3.Connection:
        """A connection that can write: the index is created, switched to WAL and migrated on first use."""
        db = None
        try:
            db = self._connect()
            if not self._ready:
                if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                    db.execute("PRAGMA journal_mode=WAL")
                migrate(db)
                self._ready = True
            return db
        except (OSError, sqlite3.Error) as error:
            if db is not None:
                db.close()
            raise _store_error(self.root, error) from error
        except BaseException:
            if db is not None:
                db.close()
            raise

    def _reader(self) -> tuple[sqlite3.Connection | None, bool]:
        """A connection for reading and whether it may write; ``mode=ro`` when writing is impossible."""
        if not self.index.is_file():
            return None, False
        try:
            return self._writer(), True
        except RunStoreError as error:
            if "newer rnnkit" in error.problem:
                raise
        uri = self.index.resolve().as_uri()
        last: sqlite3.Error | None = None
        for flags in ("mode=ro", "mode=ro&immutable=1"):  # immutable: a WAL index in a read-only folder
            db = sqlite3.connect(f"{uri}?{flags}", uri=True, timeout=30)
            db.row_factory = sqlite3.Row
            try:
                schema_version(db)
                db.execute("SELECT 1 FROM runs LIMIT 1").fetchall()
                return db, False
            except sqlite3.Error as error:
                db.close()
                last = error
        raise _store_error(self.root, last or RuntimeError("unknown"), "read")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction (``BEGIN IMMEDIATE``: one writer at a time across processes)."""
        db = self._writer()
        db.isolation_level = None
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as error:
            raise _store_error(self.root, error) from error
        finally:
            db.close()

    @contextmanager
    def query(self) -> Iterator[sqlite3.Connection | None]:
        """A connection for reading (None when there is no index yet)."""
        db, _ = self._reader()
        if db is None:
            yield None
            return
        with closing(db):
            yield db

    def _write(self, statements: Iterable[tuple[str, tuple[Any, ...]]]) -> None:
        """Run ``statements`` (after any failures still pending) in one transaction."""
        with self._lock:
            pending = dict(self._pending)
        try:
            with closing(self._writer()) as db, db:
                for run_id, (status, message, at) in pending.items():
                    db.execute("UPDATE runs SET status=?, finished_at=?, message=? WHERE id=?",
                               (status, at, message, run_id))
                for sql, args in statements:
                    db.execute(sql, args)
        except sqlite3.Error as error:
            raise _store_error(self.root, error) from error
        with self._lock:
            for run_id, value in pending.items():
                if self._pending.get(run_id) == value:
                    del self._pending[run_id]

    # reading

    def _read(self, where: str = "", args: tuple[Any, ...] = ()) -> list[RunRecord]:
        db, writable = self._reader()
        if db is None:
            return []
        with closing(db):
            hashed = schema_version(db) >= 2
            try:
                rows = db.execute("SELECT * FROM runs " + where + " ORDER BY rowid", args).fetchall()
            except sqlite3.DatabaseError as error:
                if where:
                    return [_damaged(args[0], f"its entry in the run index is damaged ({error})")]
                self.index_problem = f"The run index {self.index} is damaged ({error})."
                return self._salvage(db, hashed)
            if not where:
                self.index_problem = None
            records = [self._reconcile(db if writable else None, row, _record(row, hashed)) for row in rows]
            if writable:
                try:
                    db.commit()
                except sqlite3.Error:
                    db.rollback()
        return [self._with_pending(r) for r in records]

    def _stopped(self, row: sqlite3.Row) -> bool:
        """Whether a running row's process is gone: its heartbeat is stale (rows from before
        heartbeats: its process id is dead on this host)."""
        beat = row["heartbeat_at"] if "heartbeat_at" in row.keys() else None
        if beat is not None:
            return time.time() - float(beat) > self.stale_after_s
        return row["host"] == socket.gethostname() and not _process_alive(row["pid"])

    def _reconcile(self, db: sqlite3.Connection | None, row: sqlite3.Row, record: RunRecord) -> RunRecord:
        """A running row whose process stopped beating is interrupted; written back when possible."""
        if record.status != RunStatus.RUNNING or not self._stopped(row):
            return record
        if db is not None:
            try:
                db.execute("UPDATE runs SET status=?, message=? WHERE id=?",
                           (RunStatus.INTERRUPTED.value, _INTERRUPTED, record.id))
                shutil.rmtree(self.root / f"{STAGING_PREFIX}{record.id}", ignore_errors=True)
            except sqlite3.Error:
                pass  # a full disk: the listing still says interrupted
        return replace(record, status=RunStatus.INTERRUPTED, message=_INTERRUPTED)

    def _with_pending(self, record: RunRecord) -> RunRecord:
        with self._lock:
            pending = self._pending.get(record.id)
        if pending is None:
            return record
        status, message, at = pending
        return replace(record, status=status, message=message, finished_at=at)

    def _salvage(self, db: sqlite3.Connection, hashed: bool) -> list[RunRecord]:
        """Read what a damaged index still holds, row by row; runs on damaged pages are named, not lost."""
        ids: set[str] = set()
        cursor = None
        try:
            cursor = db.execute("SELECT id FROM runs INDEXED BY sqlite_autoindex_runs_1")
            for (run_id,) in cursor:
                ids.add(run_id)
        except sqlite3.DatabaseError:
            pass
        ids.update(p.name for p in self.root.iterdir() if p.is_dir() and _SAFE_NAME.fullmatch(p.name))
        records = []
        for run_id in sorted(ids):
            try:
                row = db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
            except sqlite3.DatabaseError as error:
                records.append(_damaged(run_id, f"its entry in the run index is damaged ({error})"))
                continue
            if row is None:
                records.append(_damaged(run_id, "its folder is stored but the run index has no entry for it"))
            else:
                records.append(self._with_pending(self._reconcile(None, row, _record(row, hashed))))
        return records

    def list(self, owner: str | None = None) -> list[RunRecord]:
        """All runs, newest first; with ``owner`` (a token), only that owner's runs.

        Damaged rows come back as records whose ``problem`` says what is wrong;
        the others are unaffected.
        """
        records = self._read()
        if owner is not None:
            key = owner_key(owner)
            records = [r for r in records if r.owner == key]
        # Newest first; runs started within the same second (``created_at`` keeps seconds) in the order they were
        # started, the later first: the rows come in insertion order (a salvaged index: in id order), and the
        # sort is stable.
        return sorted(reversed(records), key=lambda r: r.created_at, reverse=True)

    def latest_viewable(self, owner: str) -> str | None:
        """The id of ``owner``'s newest run that has results to show (finished or cancelled, readable), or None."""
        viewable = {RunStatus.FINISHED.value, RunStatus.CANCELLED.value}
        return next((r.id for r in self.list(owner) if r.status in viewable and not r.damaged and r.models), None)

    def record(self, run_id: str, owner: str | None = None) -> RunRecord:
        """One run; with ``owner``, another owner's run is reported as missing."""
        self.folder(run_id)  # refuses ids that are paths
        found = self._read("WHERE id=?", (run_id,))
        if not found or (owner is not None and found[0].owner != owner_key(owner)):
            raise RunNotFoundError(f"There is no stored run {run_id!r}.", "List the runs to see their ids.")
        return found[0]

    def load(self, run_id: str, owner: str | None = None) -> ComparisonResult:
        """The stored :class:`~rnnkit.results.ComparisonResult` of a finished run (no Keras models)."""
        from rnnkit.serialize import read_result

        record = self.record(run_id, owner)
        if record.problem is not None:
            raise RunDamagedError(f"Run {run_id} is damaged: {record.problem}.",
                                  "Delete it and run the comparison again; the other runs are not affected.")
        if not self.folder(run_id).is_dir():
            raise RunNotFoundError(f"Run {run_id!r} is {record.status} and has no stored results.",
                                   "Open a finished run, or start the comparison again.")
        try:
            return read_result(self.folder(run_id))
        except RunDamagedError as error:
            raise RunDamagedError(f"Run {run_id} is damaged: {error.problem}", error.fix) from error

    def model_path(self, run_id: str, model: str, owner: str | None = None) -> Path:
        """Path of a run's saved ``.keras`` file, or an error naming the run and model."""
        record = self.record(run_id, owner)
        missing = RunNotFoundError(f"Run {run_id!r} has no saved model {model!r}.", "Choose one of the run's models.")
        if not _SAFE_NAME.fullmatch(model) or model not in record.models:
            raise missing
        models = (self.folder(run_id) / MODELS_DIR).resolve()
        path = (models / f"{model}.keras").resolve()
        if path.parent != models or not path.is_file():
            raise missing
        return path

    def load_model(self, run_id: str, model: str, owner: str | None = None) -> keras.Model:
        """Load a saved model with Keras' ``safe_mode`` (no arbitrary code, no pickles)."""
        from rnnkit.models.files import load_model_file

        return load_model_file(self.model_path(run_id, model, owner))

    # writing

    def start(self, dataset: str, target: str, models: Sequence[str], params: dict[str, Any],
              owner: str | None = None, *, hashed_owner: str | None = None) -> str:
        """Register a new running run (its heartbeat starts now) and return its id.

        ``owner`` is a token; ``hashed_owner`` an owner already hashed (a queued job knows only that).
        ``params["request"]``, when given, is the request's dict, so the run can be run again.
        """
        run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        key = owner_key(owner) if owner else hashed_owner
        self._write([(
            ("INSERT INTO runs (id, created_at, status, dataset, target, models, params, owner, host, pid,"
             " heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            (run_id, _now(), RunStatus.RUNNING.value, dataset, target, json.dumps(list(models)),
             json.dumps(params, default=str), key, socket.gethostname(), os.getpid(), time.time()),
        )])
        return run_id

    def beat(self, run_ids: Sequence[str]) -> None:
        """Refresh the heartbeat of these running runs: their process is alive."""
        now = time.time()
        self._write([("UPDATE runs SET heartbeat_at=? WHERE id=? AND status=?", (now, run_id, RunStatus.RUNNING.value))
                     for run_id in run_ids])

    @contextmanager
    def alive(self, run_id: str, every_s: float = HEARTBEAT_S) -> Iterator[None]:
        """Keep ``run_id``'s heartbeat fresh from a background thread while the block runs (the CLI's runs)."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(every_s):
                try:
                    self.beat([run_id])
                except RnnkitError:
                    pass  # a full disk: the next beat tries again

        thread = threading.Thread(target=beat, name=f"rnnkit-heartbeat-{run_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)

    def interrupt(self, db: sqlite3.Connection, run_ids: Sequence[str], message: str = _INTERRUPTED) -> None:
        """Mark running runs interrupted inside the caller's transaction, and drop their staging folders."""
        for run_id in run_ids:
            db.execute("UPDATE runs SET status=?, message=?, finished_at=? WHERE id=? AND status=?",
                       (RunStatus.INTERRUPTED.value, message, _now(), run_id, RunStatus.RUNNING.value))
            shutil.rmtree(self.root / f"{STAGING_PREFIX}{run_id}", ignore_errors=True)

    def finish(self, run_id: str, result: Any, save_models: bool = True) -> RunRecord:
        """Write the result's files, fsync them, rename them into place, then mark the run finished (or cancelled)."""
        from rnnkit.serialize import write_result

        folder = self.folder(run_id)
        staging = self.root / f"{STAGING_PREFIX}{run_id}"
        work = staging / WORK_DIR  # the models the tasks saved: kept until write_result has copied them
        try:
            if staging.is_dir():
                for child in staging.iterdir():
                    if child != work:
                        shutil.rmtree(child) if child.is_dir() else child.unlink()
            staging.mkdir(exist_ok=True)
            write_result(result, staging, save_models=save_models)
            shutil.rmtree(work, ignore_errors=True)
            fsync_tree(staging)
            os.replace(staging, folder)
            fsync_path(self.root)  # the rename itself survives a power cut
        except OSError as error:
            shutil.rmtree(staging, ignore_errors=True)
            raise _store_error(self.root, error, f"written (run {run_id} was not saved)") from error
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        metrics = json.loads(result.metrics.drop(columns="kind").to_json(orient="index"))
        self._write([(
            "UPDATE runs SET status=?, finished_at=?, metrics=?, best_model=?, best_baseline=?, models=? WHERE id=?",
            (str(result.status), _now(), json.dumps(metrics), result.best_model, result.best_baseline,
             json.dumps([m.name for m in result.models]), run_id),
        )])
        with self._lock:
            self._pending.pop(run_id, None)
        return self.record(run_id)

    def fail(self, run_id: str, message: str) -> bool:
        """Mark a run failed. Never raises, so it is safe inside an ``except``.

        Returns False when the index could not be written (a full disk): the
        failure is then kept in memory, shown by :meth:`list` and written with
        the next successful write, so the run never stays ``running``.
        """
        with self._lock:
            self._pending[run_id] = (RunStatus.FAILED.value, message, _now())
        if _SAFE_NAME.fullmatch(run_id):
            shutil.rmtree(self.root / f"{STAGING_PREFIX}{run_id}", ignore_errors=True)
        try:
            self._write([])
        except (RnnkitError, OSError, sqlite3.Error):
            return False
        return True

    def prune_series(self, grace_s: float = SNAPSHOT_GRACE_S) -> tuple[Path, ...]:
        """Delete series snapshots that no run and no job refers to any more (untouched for ``grace_s``).

        Nothing is deleted when the index cannot be read: then what is in use is unknown.
        """
        from rnnkit.snapshots import prune_snapshots

        try:
            with self.query() as db:
                if db is None:
                    return ()
                used = {row[0] for row in db.execute(
                    "SELECT json_extract(params, '$.request.series.path') FROM runs WHERE json_valid(params)")}
                if schema_version(db) >= 3:
                    used |= {row[0] for row in db.execute(
                        "SELECT json_extract(request, '$.series.path') FROM jobs WHERE json_valid(request)")}
        except (RnnkitError, sqlite3.Error):
            return ()
        return tuple(prune_snapshots(self.series_folder, {Path(p).name for p in used if isinstance(p, str)}, grace_s))

    def delete(self, run_id: str, owner: str | None = None) -> None:
        """Remove a run's folder and its index row; a running run is refused, an unknown id raises."""
        record = self.record(run_id, owner)
        if record.status == RunStatus.RUNNING:
            raise RunBusyError(f"Run {run_id} is still training, so it cannot be deleted.",
                               "Cancel it first (the Cancel button on the Train & compare page, or Ctrl-C in its "
                               "terminal), then delete it.")
        folder, trash = self.folder(run_id), self.root / f"{TRASH_PREFIX}{run_id}"
        try:
            moved = folder.exists()
            if moved:  # out of sight first, so no folder outlives its index row
                os.replace(folder, trash)
        except OSError as error:
            raise _store_error(self.root, error) from error
        try:  # with the run go the finished jobs that made it, so its series snapshot can go too
            self._write([("DELETE FROM runs WHERE id=?", (run_id,)),
                         ("DELETE FROM jobs WHERE run_id=? AND status NOT IN ('queued', 'running')", (run_id,))])
        except BaseException:
            if moved:
                os.replace(trash, folder)
            raise
        with self._lock:
            self._pending.pop(run_id, None)
        shutil.rmtree(trash, ignore_errors=True)
        self.prune_series()
