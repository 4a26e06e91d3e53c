"""The durable job queue: comparisons waiting, running and done, as rows of the run store's SQLite index.

Every change is one short ``BEGIN IMMEDIATE`` transaction, so several server
processes sharing one runs folder (WAL mode, a busy timeout) never claim the
same job twice: :meth:`JobQueue.claim` moves one row from ``queued`` to
``running`` under its server id, fairly across owners. A running job is kept
alive by its server's heartbeat; :meth:`JobQueue.expire` marks the jobs (and
runs) of a server that stopped beating ``interrupted``. Owners are stored
hashed, as in the runs table. Kept free of the engine: pages load it cheaply.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rnnkit.errors import RnnkitError
from rnnkit.store import RunStore, owner_key

#: What an interrupted job tells its owner: what happened, what was lost, and what to do.
INTERRUPTED_MESSAGE = ("The server training this comparison stopped before it finished (it was restarted or "
                       "shut down), so none of its models were kept. Run it again to queue it anew with the "
                       "same settings.")
SERVER_STOPPED_MESSAGE = ("The server training this comparison was stopped before it finished; the models that "
                          "finished are kept in its run. Run it again to train it anew with the same settings.")
DEFAULT_OWNER_LIMIT = 5
JOB_HISTORY_S = 30 * 86_400.0  # ended jobs are forgotten after 30 days (their runs stay)


class JobStatus(StrEnum):
    """Where a job stands; equal to the plain strings in the ``jobs`` table."""

    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def done(self) -> bool:
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING)


ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


class JobLimitError(RnnkitError):
    """An owner already has as many comparisons waiting or running as allowed."""


class JobNotFoundError(RnnkitError):
    """A job id that is not in the queue (or not the caller's)."""


@dataclass(frozen=True)
class JobRecord:
    """One row of the ``jobs`` table; times are Unix seconds."""

    id: str
    owner: str  # hashed
    label: str
    request: dict[str, Any]
    status: JobStatus
    created_at: float
    started_at: float | None
    finished_at: float | None
    heartbeat_at: float | None
    claimed_by: str | None
    run_id: str | None
    message: str | None
    progress: dict[str, Any]
    cancel_requested: bool


def _json(value: str | None, empty: Any) -> Any:
    try:
        data = json.loads(value) if value else empty
    except ValueError:
        return empty
    return data if isinstance(data, type(empty)) else empty


def _job(row: sqlite3.Row) -> JobRecord:
    return JobRecord(
        id=row["id"], owner=row["owner"], label=row["label"], request=_json(row["request"], {}),
        status=JobStatus(row["status"]), created_at=row["created_at"], started_at=row["started_at"],
        finished_at=row["finished_at"], heartbeat_at=row["heartbeat_at"], claimed_by=row["claimed_by"],
        run_id=row["run_id"], message=row["message"], progress=_json(row["progress"], {}),
        cancel_requested=bool(row["cancel_requested"]))


def fair_order(queued: Sequence[tuple[str, str, float]], busy: dict[str, int], served: dict[str, float]) -> list[str]:
    """Queued job ids in the order they will be claimed: round-robin across owners.

    ``queued`` holds ``(job id, owner, created_at)``; ``busy`` each owner's running jobs;
    ``served`` when each owner last had a job started. The owner with the fewest
    running jobs goes first, then the one served longest ago (never served: first),
    then the oldest job, so one owner's backlog never starves another owner.
    """
    waiting = sorted(queued, key=lambda j: j[2])
    busy, served = dict(busy), dict(served)
    order: list[str] = []
    clock = max(served.values(), default=0.0)
    while waiting:
        pick = min(waiting, key=lambda j: (busy.get(j[1], 0), served.get(j[1], float("-inf")), j[2]))
        waiting.remove(pick)
        order.append(pick[0])
        clock += 1.0
        busy[pick[1]] = busy.get(pick[1], 0) + 1
        served[pick[1]] = clock
    return order


class JobQueue:
    """The ``jobs`` table of one run store: submit, claim, beat, finish, cancel and expire jobs."""

    def __init__(self, store: RunStore) -> None:
        self.store = store

    # reading

    def _rows(self, where: str, args: tuple[Any, ...] = ()) -> list[JobRecord]:
        with self.store.query() as db:
            if db is None:
                return []
            try:
                return [_job(row) for row in db.execute(f"SELECT * FROM jobs {where}", args)]
            except sqlite3.OperationalError:  # an index from before the queue, opened read-only
                return []

    def get(self, job_id: str, owner: str | None = None) -> JobRecord | None:
        """One job; with ``owner`` (a token), another owner's job is None."""
        found = self._rows("WHERE id=?", (job_id,))
        if not found or (owner is not None and found[0].owner != owner_key(owner)):
            return None
        return found[0]

    def for_owner(self, owner: str) -> list[JobRecord]:
        """An owner's jobs, oldest first."""
        return self._rows("WHERE owner=? ORDER BY created_at, rowid", (owner_key(owner),))

    def claimed_by(self, server: str) -> list[JobRecord]:
        """Every job ``server`` claimed, in the order it claimed them, whatever their status now."""
        return self._rows("WHERE claimed_by=? ORDER BY started_at, rowid", (server,))

    def waiting(self) -> int:
        """How many jobs are queued or running, on any server."""
        return len(self._rows("WHERE status IN (?, ?)", ACTIVE))

    def _fair_state(self, db: sqlite3.Connection) -> tuple[list[tuple[str, str, float]], dict[str, int],
                                                           dict[str, float]]:
        queued = [(r["id"], r["owner"], r["created_at"]) for r in db.execute(
            "SELECT id, owner, created_at FROM jobs WHERE status=? ORDER BY created_at, rowid",
            (JobStatus.QUEUED.value,))]
        busy = {r[0]: r[1] for r in db.execute(
            "SELECT owner, COUNT(*) FROM jobs WHERE status=? GROUP BY owner", (JobStatus.RUNNING.value,))}
        served = {r[0]: r[1] for r in db.execute(
            "SELECT owner, MAX(started_at) FROM jobs WHERE started_at IS NOT NULL GROUP BY owner")}
        return queued, busy, served

    def position(self, job_id: str) -> int | None:
        """1 for the job claimed next, 2 for the one after, …; None when it is not waiting."""
        with self.store.query() as db:
            if db is None:
                return None
            order = fair_order(*self._fair_state(db))
        return order.index(job_id) + 1 if job_id in order else None

    # writing

    def submit(self, owner: str, label: str, request: dict[str, Any], limit: int = DEFAULT_OWNER_LIMIT) -> JobRecord:
        """Queue a job for ``owner`` (a token); refused when the owner already has ``limit`` waiting or running."""
        key, job_id, now = owner_key(owner), uuid.uuid4().hex[:12], time.time()
        with self.store.transaction() as db:
            (active,) = db.execute("SELECT COUNT(*) FROM jobs WHERE owner=? AND status IN (?, ?)",
                                   (key, *ACTIVE)).fetchone()
            if active >= limit:
                raise JobLimitError(
                    f"You have {active} comparisons waiting or running, the most one person may have at once.",
                    "Cancel one or wait until one finishes, then start this one again.")
            db.execute("INSERT INTO jobs (id, owner, label, request, status, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (job_id, key, label, json.dumps(request), JobStatus.QUEUED.value, now))
        found = self.get(job_id)
        assert found is not None
        return found

    def claim(self, server: str) -> JobRecord | None:
        """Move the fairest queued job to ``running`` under ``server``, atomically; None when none waits."""
        now = time.time()
        with self.store.transaction() as db:
            order = fair_order(*self._fair_state(db))
            if not order:
                return None
            moved = db.execute("UPDATE jobs SET status=?, claimed_by=?, started_at=?, heartbeat_at=? "
                               "WHERE id=? AND status=?",
                               (JobStatus.RUNNING.value, server, now, now, order[0], JobStatus.QUEUED.value))
            if moved.rowcount != 1:  # cannot happen inside BEGIN IMMEDIATE; never run a job twice anyway
                return None
        return self.get(order[0])

    def attach_run(self, job_id: str, run_id: str) -> None:
        """Record the run a job writes, so an interrupted job marks its run too."""
        with self.store.transaction() as db:
            db.execute("UPDATE jobs SET run_id=? WHERE id=?", (run_id, job_id))

    def beat(self, server: str, progress: dict[str, dict[str, Any]] | None = None) -> set[str]:
        """Refresh ``server``'s running jobs and their runs, save progress snapshots; return jobs asked to cancel."""
        now = time.time()
        with self.store.transaction() as db:
            db.execute("UPDATE jobs SET heartbeat_at=? WHERE claimed_by=? AND status=?",
                       (now, server, JobStatus.RUNNING.value))
            db.execute("UPDATE runs SET heartbeat_at=? WHERE status='running' AND id IN "
                       "(SELECT run_id FROM jobs WHERE claimed_by=? AND status=? AND run_id IS NOT NULL)",
                       (now, server, JobStatus.RUNNING.value))
            for job_id, snapshot in (progress or {}).items():
                db.execute("UPDATE jobs SET progress=? WHERE id=?", (json.dumps(snapshot), job_id))
            rows = db.execute("SELECT id FROM jobs WHERE claimed_by=? AND status=? AND cancel_requested=1",
                              (server, JobStatus.RUNNING.value)).fetchall()
        return {row[0] for row in rows}

    def finish(self, job_id: str, status: JobStatus, message: str | None = None,
               progress: dict[str, Any] | None = None) -> None:
        """Record how a running job ended (only while it is still running: an expired job stays interrupted)."""
        with self.store.transaction() as db:
            db.execute("UPDATE jobs SET status=?, message=?, finished_at=?, progress=COALESCE(?, progress) "
                       "WHERE id=? AND status=?",
                       (status.value, message, time.time(), None if progress is None else json.dumps(progress),
                        job_id, JobStatus.RUNNING.value))

    def cancel(self, job_id: str, owner: str) -> JobStatus | None:
        """Cancel a queued job at once, or ask a running one's server to stop it; the status it had, or None."""
        key = owner_key(owner)
        with self.store.transaction() as db:
            row = db.execute("SELECT status FROM jobs WHERE id=? AND owner=?", (job_id, key)).fetchone()
            if row is None or row[0] not in ACTIVE:
                return None
            if row[0] == JobStatus.QUEUED.value:
                db.execute("UPDATE jobs SET status=?, finished_at=? WHERE id=?",
                           (JobStatus.CANCELLED.value, time.time(), job_id))
            else:
                db.execute("UPDATE jobs SET cancel_requested=1 WHERE id=?", (job_id,))
            return JobStatus(row[0])

    def expire(self, stale_after_s: float, message: str = INTERRUPTED_MESSAGE) -> list[str]:
        """Mark running jobs whose server stopped beating ``interrupted``, and their runs; their ids."""
        cutoff = time.time() - stale_after_s
        with self.store.transaction() as db:
            rows = db.execute("SELECT id, run_id FROM jobs WHERE status=? AND COALESCE(heartbeat_at, 0) < ?",
                              (JobStatus.RUNNING.value, cutoff)).fetchall()
            for job_id, _ in rows:
                db.execute("UPDATE jobs SET status=?, message=?, finished_at=? WHERE id=? AND status=?",
                           (JobStatus.INTERRUPTED.value, message, time.time(), job_id, JobStatus.RUNNING.value))
            self.store.interrupt(db, [run_id for _, run_id in rows if run_id], message)
        return [job_id for job_id, _ in rows]

    def forget(self, older_than_s: float = JOB_HISTORY_S) -> int:
        """Delete jobs that ended more than ``older_than_s`` ago (their runs stay); how many went."""
        with self.store.transaction() as db:
            placeholders = ", ".join("?" * len(ACTIVE))
            return db.execute(f"DELETE FROM jobs WHERE status NOT IN ({placeholders}) AND finished_at < ?",
                              (*ACTIVE, time.time() - older_than_s)).rowcount
