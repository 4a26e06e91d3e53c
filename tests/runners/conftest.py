"""Runners for the contract tests: one process pool per module, one local Ray per session (skipped without Ray)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rnnkit.runners import InlineRunner, Runner
from rnnkit.runners.process import ProcessPoolRunner

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


@pytest.fixture(scope="session")
def ray_runner() -> Iterator[Runner]:
    """A private Ray started in this process (2 CPUs) whose workers can import rnnkit and the contract tasks."""
    pytest.importorskip("ray")
    from rnnkit.runners.ray_runner import LOCAL, RayRunner

    # Ray workers inherit the driver's environment: put this checkout and the task module on their path.
    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), str(HERE), previous]))
    runner = RayRunner(address=LOCAL, workers=2)
    yield runner
    runner.shutdown()
    if previous is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = previous


@pytest.fixture(scope="module")
def process_runner() -> Iterator[Runner]:
    """Two workers without the TensorFlow preload: the contract tasks do not need it, and spawning stays quick."""
    runner = ProcessPoolRunner(workers=2, preload=())
    yield runner
    runner.shutdown()


@pytest.fixture(params=["inline", "process", "ray"])
def runner(request: pytest.FixtureRequest) -> Runner:
    if request.param == "inline":
        return InlineRunner()
    return request.getfixturevalue(f"{request.param}_runner")
