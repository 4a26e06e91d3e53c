"""Start a spawned worker process with variables added to its environment, leaving this process's alone.

``multiprocessing``'s ``spawn`` gives a child the parent's environment and takes
no other, and an allocator (``LD_PRELOAD``) must be in place before the
child's first ``malloc``. Changing ``os.environ`` around ``start()`` would do it,
but ``setenv`` is not safe while other threads read the environment (a
Streamlit server has many), and subprocesses started meanwhile by other threads
would inherit the change. So the child is started through ``env``
(``/usr/bin/env NAME=value … python …``), which sets the variables and then
runs the same command line in the same process id, with the same inherited
pipes: to the parent it is an ordinary spawned process. Where ``env`` cannot
do it (no ``/usr/bin/env``, an ``=`` in the interpreter's path), the child
starts without the variables and a warning says so.
"""

from __future__ import annotations

import io
import logging
import os
from multiprocessing import popen_spawn_posix, reduction, spawn, util
from multiprocessing.context import SpawnProcess, set_spawning_popen
from multiprocessing.process import BaseProcess
from typing import Any

ENV_PROGRAM = "/usr/bin/env"
log = logging.getLogger(__name__)


class EnvironmentProcess(SpawnProcess):
    """A spawned process whose interpreter starts with ``environment`` added to the parent's environment."""

    def __init__(self, *args: Any, environment: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._environment = dict(environment or {})

    @staticmethod
    def _Popen(process_obj: BaseProcess) -> popen_spawn_posix.Popen:  # noqa: N802 - multiprocessing's name
        environment = getattr(process_obj, "_environment", None)
        if not environment:
            return popen_spawn_posix.Popen(process_obj)
        why_not = _why_env_cannot_start(os.fsdecode(spawn.get_executable()))
        if why_not:
            log.warning("a worker starts without %s: %s", ", ".join(environment), why_not)
            return popen_spawn_posix.Popen(process_obj)
        return _EnvironmentPopen(process_obj, environment)


def uses_env_program(process: BaseProcess) -> bool:
    """Whether ``process`` (started) was started through ``env``, with its added variables."""
    return isinstance(getattr(process, "_popen", None), _EnvironmentPopen)


def _why_env_cannot_start(python: str) -> str:
    """Why ``env`` cannot start ``python`` here ("" when it can)."""
    if not os.access(ENV_PROGRAM, os.X_OK):
        return f"{ENV_PROGRAM} is not there to set them"
    if "=" in python:  # env would read the interpreter's path as one more NAME=value
        return f"the Python interpreter's path has an '=' in it ({python})"
    return ""


class _EnvironmentPopen(popen_spawn_posix.Popen):
    """``spawn``'s POSIX launcher, the command line run through ``env`` with ``environment``."""

    _fds: list[int]  # set by the base class: descriptors the child inherits

    def __init__(self, process_obj: Any, environment: dict[str, str]) -> None:
        self._assignments = [f"{name}={value}" for name, value in environment.items()]
        super().__init__(process_obj)

    def _launch(self, process_obj: Any) -> None:
        # CPython 3.11's popen_spawn_posix.Popen._launch with one change: the command line is prefixed with
        # ``env NAME=value …``. tests/runners/test_contract.py checks a worker's allocator and environment, so a
        # Python whose launcher changed fails there, not silently.
        from multiprocessing import resource_tracker

        tracker_fd = resource_tracker.getfd()
        self._fds.append(tracker_fd)  # type: ignore[arg-type]  # an int once the tracker runs
        prep_data = spawn.get_preparation_data(process_obj._name)
        fp = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, fp)
            reduction.dump(process_obj, fp)
        finally:
            set_spawning_popen(None)

        parent_r = child_w = child_r = parent_w = None
        try:
            parent_r, child_w = os.pipe()
            child_r, parent_w = os.pipe()
            cmd = spawn.get_command_line(tracker_fd=tracker_fd, pipe_handle=child_r)
            self._fds.extend([child_r, child_w])
            command = [ENV_PROGRAM, *self._assignments, *cmd]
            self.pid = util.spawnv_passfds(os.fsencode(ENV_PROGRAM), command, self._fds)
            self.sentinel = parent_r
            with open(parent_w, "wb", closefd=False) as f:
                f.write(fp.getbuffer())
        finally:
            fds_to_close = [fd for fd in (parent_r, parent_w) if fd is not None]
            self.finalizer = util.Finalize(self, util.close_fds, fds_to_close)  # type: ignore[attr-defined]
            for fd in (child_r, child_w):
                if fd is not None:
                    os.close(fd)
