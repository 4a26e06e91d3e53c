"""Runners: where a comparison's tasks run (this process, worker processes, a Ray cluster).

:func:`default_runner` gives the one configured for this process:
``RNNKIT_RUNNER`` (``inline``, ``process`` or ``ray``; ``process`` unless set),
``RNNKIT_WORKERS`` (process-pool size, default the number of cores) and
``RNNKIT_RAY_ADDRESS`` (``auto`` or ``ray://host:port``; setting it selects Ray).
"""

from __future__ import annotations

import atexit
import os
import threading

from rnnkit.errors import RnnkitError
from rnnkit.runners.base import Runner
from rnnkit.runners.inline import InlineRunner

RUNNER_ENV = "RNNKIT_RUNNER"
WORKERS_ENV = "RNNKIT_WORKERS"
RAY_ADDRESS_ENV = "RNNKIT_RAY_ADDRESS"
RUNNER_NAMES: tuple[str, ...] = ("inline", "process", "ray")

_default: Runner | None = None
_default_lock = threading.Lock()


def make_runner(name: str | None = None, workers: int | None = None, address: str | None = None) -> Runner:
    """A new runner by name (``None``: from the environment)."""
    address = address or os.environ.get(RAY_ADDRESS_ENV) or None
    name = name or os.environ.get(RUNNER_ENV) or ("ray" if address else "process")
    if name not in RUNNER_NAMES:
        raise RnnkitError(f"Unknown runner {name!r}.", f"Use one of: {', '.join(RUNNER_NAMES)}.")
    if workers is None and os.environ.get(WORKERS_ENV):
        try:
            workers = int(os.environ[WORKERS_ENV])
        except ValueError as error:
            raise RnnkitError(f"{WORKERS_ENV} is {os.environ[WORKERS_ENV]!r}, not a whole number.",
                              f"Set {WORKERS_ENV} to the number of worker processes, for example 2.") from error
    if workers is not None and workers < 1:
        raise RnnkitError(f"{workers} workers cannot run anything.", "Use at least 1 worker.")
    if name == "inline":
        return InlineRunner()
    if name == "ray":
        from rnnkit.runners.ray_runner import RayRunner

        return RayRunner(address=address or "auto", workers=workers)
    from rnnkit.runners.process import ProcessPoolRunner

    return ProcessPoolRunner(workers=workers)


def default_runner() -> Runner:
    """The process's shared runner, made on first use from the environment and stopped at exit."""
    global _default
    with _default_lock:
        if _default is None:
            _default = make_runner()
            atexit.register(_default.shutdown, False)
        return _default


__all__ = ["InlineRunner", "Runner", "RUNNER_NAMES", "default_runner", "make_runner"]
