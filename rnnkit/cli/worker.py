"""``python -m rnnkit worker``: train the dashboard's queued jobs without a browser.

A Streamlit server makes its job manager on the first page view, so after a
restart the queue waits until somebody opens the app. This command runs a job
manager on its own: beside the dashboard (several processes may share one runs
folder; each claims jobs atomically), on another machine sharing the folder, or
to drain the queue once (``--until-empty``). Ctrl-C or SIGTERM stops it: its
running jobs are cancelled, keeping the models that finished, and what is still
queued waits for the next server or worker.
"""

from __future__ import annotations

import argparse
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rnnkit.cli.common import EXIT_INTERRUPTED, add_runner_arguments, runner_from_args

if TYPE_CHECKING:
    from rnnkit.jobs import JobManager

POLL_S = 0.5


def add_parser(commands: argparse._SubParsersAction) -> None:
    worker = commands.add_parser("worker", help="train the dashboard's queued jobs in this process, without a browser")
    worker.add_argument("--runs-dir", help="the runs folder whose queue to serve (default: RNNKIT_RUNS_DIR or "
                                           "the user data folder)")
    worker.add_argument("--until-empty", action="store_true",
                        help="stop once no job is queued or running (default: serve until Ctrl-C or SIGTERM)")
    add_runner_arguments(worker)


def run(args: argparse.Namespace) -> int:
    from rnnkit.jobs import JobManager
    from rnnkit.store import RunStore

    store = RunStore(Path(args.runs_dir) if args.runs_dir else None)
    runner = runner_from_args(args)
    stopping: list[int] = []  # a plain list, not an Event: a signal handler must not take a lock
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    manager = JobManager(store, runner)
    print(f"Serving the queue of {store.root} with the {runner.name} runner, {manager.concurrency} job(s) at a "
          f"time; Ctrl-C stops.", flush=True)
    seen: dict[str, bool] = {}
    interrupted = False
    try:
        while not stopping:
            _report(manager, seen)
            if args.until_empty and not manager.queue.waiting():
                break
            time.sleep(POLL_S)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        signal.signal(signal.SIGTERM, previous)
        manager.close()
        _report(manager, seen)
        runner.shutdown()
    print("Stopped." if interrupted or stopping else "The queue is empty.", flush=True)
    return EXIT_INTERRUPTED if interrupted else 0


def _report(manager: JobManager, seen: dict[str, bool]) -> None:
    """One line for each job this worker started or ended since the last call (``seen``: id → reported ended)."""
    for record in manager.queue.claimed_by(manager.server_id):
        if record.id not in seen:
            seen[record.id] = False
            print(f"{_clock()} started  {record.id} {record.label}", flush=True)
        if record.status.done and not seen[record.id]:
            seen[record.id] = True
            run = f" (run {record.run_id})" if record.run_id else ""
            message = f": {record.message}" if record.message else ""
            print(f"{_clock()} {record.status} {record.id} {record.label}{run}{message}", flush=True)


def _clock() -> str:
    return time.strftime("%H:%M:%S")
