"""Which of a user's jobs the Train page shows, and how each one is named in its picker.

A user may queue a second comparison while the first trains; both must stay in
reach. The page lists the owner's jobs (newest first), shows the one picked,
and redraws itself whenever what a line says changes (a status, a place in
the queue, a model done), so the list does not go stale while it polls.
"""

from __future__ import annotations

import time

from rnnkit.jobs import Job, TaskStatus
from rnnkit.jobqueue import JobStatus


def models_done(job: Job) -> int:
    """How many of the job's models have finished (or stopped)."""
    return sum(m.status in (TaskStatus.DONE, TaskStatus.CANCELLED) for m in job.models.values())


def job_line(job: Job) -> str:
    """One line for a picker: ``electric · running, 1 of 4 models done · 1 Dec 14:02 UTC · a1b2c3``.

    The job id's start ends the line, so two jobs alike in everything else are still two choices.
    """
    state = str(job.status)
    if job.status == JobStatus.QUEUED and job.position:
        state = f"queued, number {job.position}"
    elif job.status == JobStatus.RUNNING and job.models:
        state = f"running, {models_done(job)} of {len(job.models)} models done"
    elif job.status == JobStatus.FINISHED and job.result is not None and job.result.best_model:
        state = f"finished, best network {job.result.best_model}"
    when = time.strftime("%d %b %H:%M %Z", time.localtime(job.created_at)).lstrip("0")
    return f"{job.label} · {state} · {when} · {job.id[:6]}"


def shown_job(mine: list[Job], wanted: str | None) -> Job | None:
    """The job to show: the one picked while it is still listed, else the newest."""
    if not mine:
        return None
    return next((job for job in mine if job.id == wanted), mine[-1])


def job_state(job: Job, counts: bool = True) -> tuple[str, str, int | None, int, int]:
    """What a picker line or the sidebar says of a job: id, status, place in the queue, models done and known
    (the last two 0 without ``counts``)."""
    return job.id, str(job.status), job.position, models_done(job) if counts else 0, len(job.models) if counts else 0


def status_signature(mine: list[Job]) -> tuple[tuple[str, str, int | None, int, int], ...]:
    """What the picker's lines say of each job: when it changes, the page is out of date.

    Models done count only when there is a picker (several jobs): a lone job's progress is
    redrawn by its own panel, and redrawing the whole page at each model cost the browser
    (measured: an open tab slowed a job 1.22×, over its 1.2× budget).
    """
    counts = len(mine) > 1
    return tuple(job_state(job, counts) for job in mine)
