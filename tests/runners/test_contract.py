"""The runner contract (rnnkit/runners/base.py), checked the same way for every runner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import wait
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import contract_tasks as tasks
from rnnkit.errors import RnnkitError, SeriesTooShortError, WorkerLostError
from rnnkit.progress import CancelToken
from rnnkit.runners import InlineRunner, Runner
from rnnkit.runners.allocator import (MALLOC_ENV, PARENT_PRELOAD_ENV, find_tcmalloc, restore_parent_preload,
                                      worker_environment)
from rnnkit.runners.process import ProcessPoolRunner, _how

ROOT = Path(__file__).resolve().parents[2]
#: the start of the SHA-256 of CPython 3.11's ``popen_spawn_posix.Popen._launch``, which rnnkit.runners.launch copies
LAUNCH_SOURCE_SHA256 = "3fd508aa79b8aba6"


def children() -> set[int]:
    """The process ids of this process's live children, less multiprocessing's resource tracker."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            cmdline = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields.get("PPid", "0")) == os.getpid() and b"resource_tracker" not in cmdline \
                and not fields.get("State", "").startswith("Z"):
            found.add(int(status.parent.name))
    return found


def needs_workers(runner: Runner) -> None:
    if isinstance(runner, InlineRunner):
        pytest.skip("the inline runner runs each task in submit, one at a time")


def test_results_come_back(runner: Runner) -> None:
    value = {"numbers": np.arange(5.0), "text": "é", "nested": [1, (2, 3)]}
    result = runner.submit(tasks.echo, value).result(timeout=60)
    assert result["text"] == "é" and result["nested"] == [1, (2, 3)]
    np.testing.assert_array_equal(result["numbers"], np.arange(5.0))


def test_exceptions_keep_type_and_message(runner: Runner) -> None:
    with pytest.raises(SeriesTooShortError) as caught:
        runner.submit(tasks.fail, SeriesTooShortError("Only 3 rows.", "Use a shorter window.")).result(timeout=60)
    assert (caught.value.problem, caught.value.fix) == ("Only 3 rows.", "Use a shorter window.")
    with pytest.raises(ValueError, match="plain error"):
        runner.submit(tasks.fail, ValueError("plain error")).result(timeout=60)


def test_an_answer_that_cannot_be_rebuilt_fails_only_its_task(runner: Runner) -> None:
    expected = tasks.StubbornError if isinstance(runner, InlineRunner) else RnnkitError
    with pytest.raises(expected):
        runner.submit(tasks.fail_stubbornly, None).result(timeout=60)
    assert runner.submit(tasks.echo, "fine").result(timeout=60) == "fine"


def test_progress_arrives_in_order_in_the_caller(runner: Runner) -> None:
    seen: list[tuple[Any, int]] = []
    future = runner.submit(tasks.count, 200, lambda event: seen.append((event, threading.get_ident())))
    assert future.result(timeout=60) == 200
    assert [event for event, _ in seen] == list(range(200))  # all delivered by the time the result is


def test_cancel_reaches_a_running_task_within_a_second(runner: Runner) -> None:
    token, cancelled_at = CancelToken(), []

    def cancel_soon(event: Any) -> None:
        if event == "started":  # the task runs: cancel it a moment later, from another thread
            threading.Timer(0.3, lambda: (cancelled_at.append(time.time()), token.cancel())).start()

    saw_it, seen_at = runner.submit(tasks.wait_for_cancel, 30.0, cancel_soon, token).result(timeout=60)
    assert saw_it
    assert seen_at - cancelled_at[0] < 1.0


def test_a_cancelled_task_is_not_run(runner: Runner, tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()
    future = runner.submit(tasks.touch, str(tmp_path / "ran"), None, token)
    assert future.cancelled()
    time.sleep(0.5)
    assert not (tmp_path / "ran").exists()


def test_a_queued_task_cancelled_before_it_starts_is_not_run(runner: Runner, tmp_path: Path) -> None:
    needs_workers(runner)
    gate, marker, token = tmp_path / "gate", tmp_path / "ran", CancelToken()
    blockers = [runner.submit(tasks.block_until, str(gate)) for _ in range(runner.capacity)]
    queued = runner.submit(tasks.touch, str(marker), None, token)
    token.cancel()
    wait([queued], timeout=5)
    assert queued.cancelled()
    gate.write_text("open")
    wait(blockers, timeout=60)
    time.sleep(0.3)
    assert not marker.exists()


def test_capacity_tasks_run_at_the_same_time(runner: Runner) -> None:
    needs_workers(runner)
    assert runner.capacity == 2
    runner.submit(tasks.echo, None).result(timeout=60)  # workers up
    futures = [runner.submit(tasks.nap, 1.5) for _ in range(2)]
    spans = [future.result(timeout=60) for future in futures]
    assert max(start for start, _ in spans) < min(end for _, end in spans)  # they overlapped


def test_a_killed_worker_fails_only_its_task(runner: Runner) -> None:
    needs_workers(runner)
    doomed, neighbour = runner.submit(tasks.die, None), runner.submit(tasks.nap, 1.0)
    with pytest.raises(WorkerLostError, match="stopped before it answered"):
        doomed.result(timeout=60)
    assert len(neighbour.result(timeout=60)) == 2
    assert runner.submit(tasks.echo, "still here").result(timeout=60) == "still here"


def test_shutdown_leaves_no_child_processes(request: pytest.FixtureRequest, runner: Runner) -> None:
    before = children()
    fresh: Runner
    if isinstance(runner, ProcessPoolRunner):
        fresh = ProcessPoolRunner(workers=2, preload=())
    elif isinstance(runner, InlineRunner):
        fresh = InlineRunner()
    else:
        from rnnkit.runners.ray_runner import RayRunner

        fresh = RayRunner(workers=2)  # on the session's Ray, which it leaves running
    assert fresh.submit(tasks.echo, 1).result(timeout=60) == 1
    fresh.shutdown()
    time.sleep(0.2)
    assert children() <= before
    with pytest.raises(RuntimeError):
        fresh.submit(tasks.echo, 2) if not isinstance(fresh, InlineRunner) else (_ for _ in ()).throw(RuntimeError)


def test_process_workers_are_replaced_after_max_tasks_and_after_a_failure() -> None:
    """A worker runs a few tasks (no import per task), then a fresh process gives TensorFlow's memory back."""
    from rnnkit.runners.process import ProcessPoolRunner

    with ProcessPoolRunner(workers=1, preload=(), max_tasks=2) as runner:
        pids = [runner.submit(tasks.started_at, None).result(timeout=60)[1] for _ in range(4)]
        assert pids[0] == pids[1] != pids[2] == pids[3] and os.getpid() not in pids
        with pytest.raises(ValueError):
            runner.submit(tasks.fail, ValueError("boom")).result(timeout=60)
        assert runner.submit(tasks.started_at, None).result(timeout=60)[1] not in pids  # fresh after a failure


def test_workers_freeze_their_imports_and_still_collect_what_tasks_drop() -> None:
    """Imports are frozen out of the collector (a cheap clean-up between tasks); a task's garbage is still freed."""
    from rnnkit.runners.process import ProcessPoolRunner

    with ProcessPoolRunner(workers=1, preload=("json",)) as runner:
        pid, frozen = runner.submit(tasks.leave_a_cycle, None).result(timeout=60)
        same_pid, alive = runner.submit(tasks.cycles_still_alive, None).result(timeout=60)
    assert frozen > 1000  # the interpreter's and rnnkit's modules, at least
    assert same_pid == pid and alive == 0


def tcmalloc_or_skip() -> str:
    """The system's TCMalloc; a skip where it is missing, a failure where CI said it must be there."""
    found = find_tcmalloc()
    if found is None:
        if os.environ.get("RNNKIT_REQUIRE_TCMALLOC"):
            pytest.fail("RNNKIT_REQUIRE_TCMALLOC is set but TCMalloc is not installed (libtcmalloc-minimal4).")
        pytest.skip("TCMalloc is not installed (apt-get install libtcmalloc-minimal4)")
    return found


def test_workers_start_with_tcmalloc_when_the_system_has_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers get the faster allocator without this process's environment changing, and do not pass it on."""
    tcmalloc_or_skip()
    monkeypatch.delenv(MALLOC_ENV, raising=False)
    monkeypatch.delenv("LD_PRELOAD", raising=False)
    changes: list[tuple[Any, ...]] = []  # os.environ writes through these: none may happen, not even for a moment
    monkeypatch.setattr(os, "putenv", lambda *args: changes.append(("putenv", *args)))
    monkeypatch.setattr(os, "unsetenv", lambda *args: changes.append(("unsetenv", *args)))
    names = ["LD_PRELOAD", PARENT_PRELOAD_ENV]
    with ProcessPoolRunner(workers=1, preload=()) as runner:
        in_worker = runner.submit(tasks.mapped_libraries, None).result(timeout=60)
        worker_env = runner.submit(tasks.environment, names).result(timeout=60)
    monkeypatch.undo()
    assert any("tcmalloc" in name for name in in_worker)
    assert changes == []
    assert worker_env["LD_PRELOAD"] is None and worker_env[PARENT_PRELOAD_ENV] is None  # its children: as ours
    monkeypatch.setenv(MALLOC_ENV, "System")
    with ProcessPoolRunner(workers=1, preload=()) as runner:
        assert not any("tcmalloc" in name for name in runner.submit(tasks.mapped_libraries, None).result(timeout=60))


def test_a_preload_of_the_users_own_is_left_alone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Under ``auto`` an existing LD_PRELOAD wins; a library named in the setting goes in front of it."""
    library = tmp_path / "libmine.so"
    library.write_bytes(b"")
    monkeypatch.setenv("LD_PRELOAD", "/opt/jemalloc.so")
    monkeypatch.delenv(MALLOC_ENV, raising=False)
    assert worker_environment() == {}
    monkeypatch.setenv(MALLOC_ENV, str(library))
    monkeypatch.setenv("TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD", "1000")
    added = worker_environment()
    assert added["LD_PRELOAD"] == f"{library} /opt/jemalloc.so" and added[PARENT_PRELOAD_ENV] == "/opt/jemalloc.so"
    assert "TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD" not in added  # the user's own setting is kept


def test_a_process_started_through_env_gets_its_variables_and_behaves_as_spawned(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The launcher works without TCMalloc too: variables arrive, exit codes and terminate() are as before."""
    from rnnkit.runners.launch import EnvironmentProcess, uses_env_program
    from rnnkit.runners.process import _hidden_main

    monkeypatch.delenv("RNNKIT_TEST_EXIT", raising=False)
    exits = EnvironmentProcess(target=tasks.exit_with, args=("RNNKIT_TEST_EXIT",),
                               environment={"RNNKIT_TEST_EXIT": "7"})
    sleeper = EnvironmentProcess(target=tasks.sleep_long, environment={"RNNKIT_TEST_EXIT": "0"})
    with _hidden_main():
        exits.start()
        sleeper.start()
    assert uses_env_program(exits)  # the variables came through env, not this process's environment
    exits.join(timeout=60)
    assert exits.exitcode == 7 and "RNNKIT_TEST_EXIT" not in os.environ
    assert _how(exits) == "exit code 7"
    assert sleeper.is_alive()
    sleeper.terminate()
    sleeper.join(timeout=30)
    assert sleeper.exitcode == -signal.SIGTERM


def test_env_is_not_used_where_it_cannot_start_the_interpreter() -> None:
    """An '=' in the interpreter's path would be read as one more assignment: the worker starts without them."""
    from rnnkit.runners.launch import _why_env_cannot_start

    assert _why_env_cannot_start(sys.executable) == ""
    assert "'=' in it" in _why_env_cannot_start("/home/me/venv=3.11/bin/python")


def test_an_interpreter_that_cannot_start_is_named() -> None:
    from rnnkit.runners.launch import EnvironmentProcess
    from rnnkit.runners.process import _hidden_main

    process = EnvironmentProcess(target=tasks.exit_with, args=("RNNKIT_TEST_EXIT",),
                                 environment={"RNNKIT_TEST_EXIT": "127"})  # the status env gives when it cannot
    with _hidden_main():
        process.start()
    process.join(timeout=60)
    assert _how(process) == "exit code 127: the Python interpreter could not be started"


def test_the_copied_launcher_matches_this_pythons() -> None:
    """rnnkit.runners.launch copies CPython 3.11's spawn launcher; a Python whose launcher changed must fail here."""
    import hashlib
    import inspect
    from multiprocessing import popen_spawn_posix

    source = inspect.getsource(popen_spawn_posix.Popen._launch)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == LAUNCH_SOURCE_SHA256, (
        "multiprocessing's spawn launcher changed in this Python: compare it with _EnvironmentPopen._launch in "
        "rnnkit/runners/launch.py, carry the change over, and update LAUNCH_SOURCE_SHA256.")


@pytest.mark.parametrize(("parent", "expected"),
                         [(None, "untouched"), ("", None), ("/opt/jemalloc.so", "/opt/jemalloc.so")])
def test_a_worker_hands_its_parents_preload_to_its_own_children(
        monkeypatch: pytest.MonkeyPatch, parent: str | None, expected: str | None) -> None:
    monkeypatch.setenv("LD_PRELOAD", "untouched")
    if parent is None:
        monkeypatch.delenv(PARENT_PRELOAD_ENV, raising=False)  # started without rnnkit's preload: nothing to do
    else:
        monkeypatch.setenv(PARENT_PRELOAD_ENV, parent)
    restore_parent_preload()
    assert os.environ.get("LD_PRELOAD") == expected and PARENT_PRELOAD_ENV not in os.environ


def test_a_wrong_allocator_setting_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(MALLOC_ENV, str(tmp_path / "missing.so"))
    with pytest.raises(RnnkitError, match=r"\(RNNKIT_WORKER_MALLOC\) is .*missing.so.*no such file") as caught:
        ProcessPoolRunner(workers=1, preload=())
    assert "libtcmalloc_minimal" in caught.value.fix


def test_a_worker_that_crashes_while_it_starts_says_how_and_where(caplog: pytest.LogCaptureFixture) -> None:
    """A native crash while a worker imports (a broken TensorFlow build, say) is named, with where it happened."""
    with caplog.at_level("WARNING", logger="rnnkit.runners.process"):
        with ProcessPoolRunner(workers=1, preload=("crashes_on_import",)) as runner:
            with pytest.raises(WorkerLostError) as caught:
                runner.submit(tasks.echo, 1).result(timeout=120)
            logs = Path(runner._logs)
    message = str(caught.value)
    assert "keep stopping before they are ready" in message
    assert "killed by SIGSEGV in " in message and "crashes_on_import.py, line 8" in message  # not ctypes' own line
    assert "stopped while it was starting" in caplog.text  # the whole report, in the log
    assert "crashes_on_import: loading a library that is about to crash" in caplog.text
    assert "Fatal Python error: Segmentation fault" in caplog.text
    assert not logs.exists()  # the crash logs went with the runner


def test_a_native_crash_deep_in_a_task_fails_only_that_task_and_says_where(caplog: pytest.LogCaptureFixture) -> None:
    """80 calls deep the report is long; the message still names the crash site, the log keeps the report's head."""
    with caplog.at_level("WARNING", logger="rnnkit.runners.process"):
        with ProcessPoolRunner(workers=1, preload=()) as runner:
            with pytest.raises(WorkerLostError) as caught:
                runner.submit(tasks.segfault, 80).result(timeout=60)
            assert runner.submit(tasks.echo, 3).result(timeout=60) == 3
    message = str(caught.value)
    assert "segfault stopped before it answered (killed by SIGSEGV in " in message
    assert "contract_tasks.py, line" in message and "native library" in message
    assert "Fatal Python error: Segmentation fault" in caplog.text and "while it was starting" not in caplog.text


def test_a_worker_that_crashes_while_idle_is_replaced_and_not_taken_for_a_broken_start(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="rnnkit.runners.process"):
        with ProcessPoolRunner(workers=1, preload=()) as runner:
            assert runner.submit(tasks.segfault_later, 0.3).result(timeout=60) == "answered"
            time.sleep(2.0)  # it crashes while waiting for its next task
            assert runner.submit(tasks.echo, 4).result(timeout=60) == 4  # on a fresh worker
            assert runner._failed_starts == 0
    assert "an idle rnnkit worker crashed (killed by SIGSEGV in " in caplog.text
    assert "contract_tasks.py, line" in caplog.text and "while it was starting" not in caplog.text


FAULTHANDLER_REPORT = """Fatal Python error: Segmentation fault

Thread 0x00007f5c6cf056c0 (most recent call first):
  File "/app/rnnkit/runners/worker.py", line 78 in _exit_with_parent
  File "{stdlib}/threading.py", line 982 in run

Current thread 0x00007f5c6dfc9b80 (most recent call first):
  File "{stdlib}/ctypes/__init__.py", line 519 in string_at
  File "<frozen importlib._bootstrap>", line 241 in _call_with_frames_removed
  File "/venv/lib/python3.11/site-packages/tensorflow/python/pywrap_tensorflow.py", line 73 in <module>
  File "/app/rnnkit/runners/worker.py", line 180 in worker_main

Extension modules: numpy.core._multiarray_umath (total: 1)
"""


def test_the_crash_site_is_the_crashed_threads_first_frame_outside_the_standard_library() -> None:
    import sysconfig

    from rnnkit.runners.process import _crash_site

    stdlib = sysconfig.get_paths()["stdlib"]
    report = FAULTHANDLER_REPORT.format(stdlib=stdlib)
    tensorflow = "/venv/lib/python3.11/site-packages/tensorflow/python/pywrap_tensorflow.py"
    assert _crash_site(report) == f" in {tensorflow}, line 73"
    only_stdlib = "\n".join(line for line in report.splitlines() if tensorflow not in line
                            and "line 180 in worker_main" not in line)
    assert _crash_site(only_stdlib) == f" in {stdlib}/ctypes/__init__.py, line 519"  # not the next thread's frames
    no_python_thread = report.replace("Current thread 0x00007f5c6dfc9b80", "Thread 0x00007f5c6dfc9b80")
    assert _crash_site(no_python_thread) == ""  # a crash in one of TensorFlow's own threads: no site, not a wrong one
    assert _crash_site("Traceback (most recent call last):\n  File \"/app/x.py\", line 1") == ""


def test_the_log_keeps_the_head_of_a_long_crash_report() -> None:
    from rnnkit.runners.process import REPORT_CHARS, _for_log

    report = "\n".join(["start-up line"] * 2000 + ["Fatal Python error: Aborted", "Current thread 0x1"]
                       + [f'  File "/app/deep.py", line {i} in f' for i in range(2000)])
    logged = _for_log(report)
    assert "Fatal Python error: Aborted\nCurrent thread 0x1\n  File \"/app/deep.py\", line 0 in f" in logged
    assert len(logged) < 1.5 * REPORT_CHARS and logged.endswith("…")
    assert _for_log("") == "its crash log is empty"


def test_a_worker_past_its_memory_limit_is_replaced() -> None:
    from rnnkit.runners.process import ProcessPoolRunner

    with ProcessPoolRunner(workers=1, preload=(), max_rss_mb=1.0) as runner:  # every worker is past 1 MB
        pids = {runner.submit(tasks.started_at, None).result(timeout=60)[1] for _ in range(2)}
    assert len(pids) == 2


def test_a_script_without_a_main_guard_is_not_run_again_by_its_workers(tmp_path: Path) -> None:
    """Spawned workers do not re-run the parent's ``__main__`` (under Streamlit, that is the whole app)."""
    marker = tmp_path / "runs.txt"
    script = tmp_path / "no_guard.py"
    script.write_text(
        f"with open({str(marker)!r}, 'a') as f:\n    f.write('x')\n"
        "import contract_tasks\n"
        "from rnnkit.runners.process import ProcessPoolRunner\n"
        "with ProcessPoolRunner(workers=2, preload=()) as runner:\n"
        "    assert [runner.submit(contract_tasks.echo, i).result(timeout=60) for i in range(3)] == [0, 1, 2]\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(tasks.__file__).parent), str(ROOT)])}
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert marker.read_text() == "x"  # once: in the script's own process only


def test_idle_workers_leave_after_a_while_and_come_back_for_the_next_task() -> None:
    """A dashboard that waits gets its workers' memory back; the next task still runs."""
    from rnnkit.runners.process import ProcessPoolRunner

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        stat = Path(f"/proc/{pid}/stat")
        return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"

    with ProcessPoolRunner(workers=1, preload=(), idle_exit_s=1.0) as runner:
        first = runner.submit(tasks.started_at, None).result(timeout=60)[1]
        deadline = time.monotonic() + 30
        while alive(first) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(first), "the idle worker did not leave"
        second = runner.submit(tasks.started_at, None).result(timeout=60)[1]
        assert second != first and alive(second)


def test_the_idle_time_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from rnnkit.errors import RnnkitError
    from rnnkit.runners.process import IDLE_EXIT_ENV, IDLE_EXIT_S, idle_exit_seconds

    monkeypatch.delenv(IDLE_EXIT_ENV, raising=False)
    assert idle_exit_seconds() == IDLE_EXIT_S
    monkeypatch.setenv(IDLE_EXIT_ENV, "30")
    assert idle_exit_seconds() == 30.0
    for bad in ("soon", "-1"):
        monkeypatch.setenv(IDLE_EXIT_ENV, bad)
        with pytest.raises(RnnkitError, match=IDLE_EXIT_ENV):
            idle_exit_seconds()
