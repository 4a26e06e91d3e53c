"""Stored runs: an SQLite index plus one folder per run, written so that a crash loses nothing earlier.

A run is registered as ``running`` (with the process id) before training. Its
files are written into a hidden temporary folder that is renamed into place in
one step, and only then is the index row marked finished. A process killed
midway leaves a ``running`` row whose process is gone: listing the runs marks
it ``interrupted``. Earlier runs are never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import uuid
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from rnnkit.errors import RnnkitError

if TYPE_CHECKING:  # keras and the result types load lazily: the store is used by pages without TensorFlow
    import keras

    from rnnkit.compare import ComparisonResult

RUNS_DIR_ENV = "RNNKIT_RUNS_DIR"
INDEX_FILE = "runs.sqlite"

_SCHEMA = """
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
)
"""


class RunNotFoundError(RnnkitError):
    """A run id that is not in the store."""


@dataclass(frozen=True)
class RunRecord:
    """One row of the run index."""

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


def default_runs_dir() -> Path:
    """``RNNKIT_RUNS_DIR``, or the user data folder (``~/.local/share/rnnkit/runs`` on Linux)."""
    value = os.environ.get(RUNS_DIR_ENV)
    return Path(value).expanduser() if value else Path(platformdirs.user_data_dir("rnnkit")) / "runs"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunStore:
    """List, create, finish, load and delete runs under one folder."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_runs_dir()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as db, db:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise RnnkitError(f"The run store at {self.root} cannot be opened ({error}).",
                              "Point RNNKIT_RUNS_DIR (or --runs-dir) at a folder you can write to.") from error

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.root / INDEX_FILE, timeout=30)
        db.row_factory = sqlite3.Row
        return db

    def folder(self, run_id: str) -> Path:
        return self.root / run_id

    def start(self, dataset: str, target: str, models: list[str], params: dict[str, Any],
              owner: str | None = None) -> str:
        """Register a new running run and return its id."""
        run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO runs (id, created_at, status, dataset, target, models, params, owner, host, pid)"
                " VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)",
                (run_id, _now(), dataset, target, json.dumps(models), json.dumps(params, default=str),
                 owner, socket.gethostname(), os.getpid()),
            )
        return run_id

    def finish(self, run_id: str, result: Any, save_models: bool = True) -> RunRecord:
        """Write the result's files atomically, then mark the run finished (or cancelled)."""
        from rnnkit.serialize import write_result

        staging = self.root / f".tmp-{run_id}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            write_result(result, staging, save_models=save_models)
            os.replace(staging, self.folder(run_id))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        metrics = json.loads(result.metrics.drop(columns="kind").to_json(orient="index"))
        with closing(self._connect()) as db, db:
            db.execute(
                "UPDATE runs SET status=?, finished_at=?, metrics=?, best_model=?, best_baseline=?, models=?"
                " WHERE id=?",
                (result.status, _now(), json.dumps(metrics), result.best_model, result.best_baseline,
                 json.dumps([m.name for m in result.models]), run_id),
            )
        return self.record(run_id)

    def fail(self, run_id: str, message: str) -> None:
        with closing(self._connect()) as db, db:
            db.execute("UPDATE runs SET status='failed', finished_at=?, message=? WHERE id=?",
                       (_now(), message, run_id))

    def _reconcile(self, db: sqlite3.Connection) -> None:
        """Mark runs whose process died while running as interrupted."""
        host = socket.gethostname()
        for row in db.execute("SELECT id, pid, host FROM runs WHERE status='running'").fetchall():
            if row["host"] == host and not _process_alive(row["pid"]):
                db.execute("UPDATE runs SET status='interrupted', message=? WHERE id=?",
                           ("The process running this comparison stopped before it finished.", row["id"]))
                shutil.rmtree(self.root / f".tmp-{row['id']}", ignore_errors=True)

    def list(self, owner: str | None = None) -> list[RunRecord]:
        """All runs, newest first; with ``owner``, only that owner's runs."""
        with closing(self._connect()) as db, db:
            self._reconcile(db)
            args: tuple[str, ...] = ()
            query = "SELECT * FROM runs"
            if owner is not None:
                query, args = query + " WHERE owner=?", (owner,)
            rows = db.execute(query + " ORDER BY created_at DESC, id DESC", args).fetchall()
        return [_record(row) for row in rows]

    def record(self, run_id: str) -> RunRecord:
        with closing(self._connect()) as db, db:
            self._reconcile(db)
            row = db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFoundError(f"There is no stored run {run_id!r}.", "List the runs to see their ids.")
        return _record(row)

    def load(self, run_id: str) -> ComparisonResult:
        """The stored :class:`~rnnkit.compare.ComparisonResult` of a finished run (no Keras models)."""
        from rnnkit.serialize import read_result

        record = self.record(run_id)
        if not self.folder(run_id).is_dir():
            raise RunNotFoundError(f"Run {run_id!r} is {record.status} and has no stored results.",
                                   "Open a finished run, or start the comparison again.")
        return read_result(self.folder(run_id))

    def model_path(self, run_id: str, model: str) -> Path:
        """Path of a run's saved ``.keras`` file, or an error naming the run and model."""
        from rnnkit.serialize import MODELS_DIR

        path = self.folder(run_id) / MODELS_DIR / f"{model}.keras"
        if not path.is_file():
            raise RunNotFoundError(f"Run {run_id!r} has no saved model {model!r}.",
                                   "Choose one of the run's models.")
        return path

    def load_model(self, run_id: str, model: str) -> keras.Model:
        """Load a saved model with Keras' ``safe_mode`` (no arbitrary code, no pickles)."""
        import keras

        return keras.saving.load_model(self.model_path(run_id, model), safe_mode=True, compile=False)

    def delete(self, run_id: str) -> None:
        """Remove a run's folder and its index row; an unknown id raises :class:`RunNotFoundError`."""
        self.record(run_id)  # raises if unknown
        shutil.rmtree(self.folder(run_id), ignore_errors=True)
        with closing(self._connect()) as db, db:
            db.execute("DELETE FROM runs WHERE id=?", (run_id,))


def _record(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        id=row["id"], created_at=row["created_at"], finished_at=row["finished_at"], status=row["status"],
        dataset=row["dataset"], target=row["target"], models=json.loads(row["models"]),
        params=json.loads(row["params"]), metrics=json.loads(row["metrics"]) if row["metrics"] else {},
        best_model=row["best_model"], best_baseline=row["best_baseline"], owner=row["owner"],
        message=row["message"],
    )
