"""Throughput: where comparisons train (the server process, a process pool, Ray), side by side in one run.

    RNNKIT_DATA_DIR=../shared/data python bench/throughput.py [--cases a,b,c,d,e] [--rounds 1]

(a) one 4-model comparison (4 presets, few epochs) on a Jena-hourly-sized series
    (real Jena 2020 resampled to 1 h when ``RNNKIT_DATA_DIR`` holds it, else a
    synthetic hourly frame of the same shape): the inline runner against a warm
    process pool of 2 workers (target: the pool at least 1.7× faster), and the
    same pool with the system allocator in its workers, to show TCMalloc's share;
(b) five users submitting a small comparison at once to one :class:`JobManager`:
    the "thread era" (the inline runner inside the manager: every training in the
    server process, one at a time, as the old dashboard did) against the process
    pool: jobs finished per minute, p95 wait (submit → start), p95 completion;
(c) the same five users through a local Ray (``RayRunner``); skipped with a note
    when Ray or the Ray runner is missing;
(d) the manager process's resident memory over 20 consecutive small jobs, each
    runner in a fresh process: inline (grows) against the pool (flat);
(e) one job run by a ``streamlit run app.py`` server (process runner, 2 workers)
    with no tab open against the same job while a Playwright tab shows (and
    polls) its Train page: the ratio of the two wall times (target ≤ 1.2).

The machine is shared, so the competitors of each case run interleaved in the
same run and the ratios are what to read. Writes bench/results/throughput.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from rnnkit.data.series import TimeSeries, load_series  # noqa: E402
from rnnkit.jobs import JobManager  # noqa: E402
from rnnkit.jobqueue import JobRecord  # noqa: E402
from rnnkit.models.presets import PRESETS  # noqa: E402
from rnnkit.owners import new_token  # noqa: E402
from rnnkit.request import ComparisonRequest, make_request  # noqa: E402
from rnnkit.runners import InlineRunner, Runner, make_runner  # noqa: E402
from rnnkit.runners.allocator import worker_allocator  # noqa: E402
from rnnkit.splits import SplitSpec  # noqa: E402
from rnnkit.store import RunStore  # noqa: E402
from rnnkit.training_config import TrainingConfig  # noqa: E402
from rnnkit.windows.spec import WindowSpec  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "throughput.json"
CHROMIUM = Path("/usr/bin/chromium")
WORKERS = 2
#: (a): four presets of the dashboard, Jena's window shortened to 120 hourly rows, a few epochs
BIG_MODELS = ("jena_gru", "jena_lstm", "tuned_gru", "tuned_lstm")
BIG_WINDOW = WindowSpec(lookback=120, step=1, delay=23, horizon=1)
BIG_TRAINING = TrainingConfig(epochs=2, batch_size=128, seed=1, early_stopping=False)
#: (b)-(e): what one user of the dashboard might ask on a small series
SMALL_MODELS = ("jena_gru", "jena_lstm")
SMALL_WINDOW = WindowSpec(lookback=48, step=1, delay=0, horizon=1)
SMALL_TRAINING = TrainingConfig(epochs=3, batch_size=32, seed=1, early_stopping=False)
USERS = 5
MEMORY_JOBS = 20
MEMORY_TRAINING = TrainingConfig(epochs=2, batch_size=32, seed=1, early_stopping=False)  # one GRU(32) a job
WORKER_TASKS = 30  # tasks one pool worker runs in (d)'s measure of its own memory
#: (e)'s job: long enough (~10 s) that the open tab, drawn with its data, sees it queued or running and polls it
TAB_TRAINING = TrainingConfig(epochs=8, batch_size=32, seed=1, early_stopping=False)


# --- data ---------------------------------------------------------------------------------------------------


def synthetic_hourly(rows: int, columns: int, seed: int = 0) -> pd.DataFrame:
    """An hourly frame with a daily and a yearly cycle in the first column and noisy related columns."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    base = 10 + 8 * np.sin(2 * np.pi * t / (24 * 365)) + 4 * np.sin(2 * np.pi * t / 24)
    data = {"time": pd.date_range("2020-01-01", periods=rows, freq="h")}
    data["target"] = base + rng.normal(0, 0.5, rows)
    for i in range(1, columns):
        data[f"x{i}"] = 0.3 * base + rng.normal(0, 1, rows)
    return pd.DataFrame(data)


def jena_sized() -> tuple[TimeSeries, SplitSpec, str]:
    """Jena 2020 resampled hourly (as bench/accuracy.py loads it) when present, else a synthetic frame of its shape."""
    if os.environ.get("RNNKIT_DATA_DIR"):
        from rnnkit.data.cleaning import CleaningOptions
        from rnnkit.datasets.builtin import load_dataset
        from rnnkit.errors import RnnkitError

        try:
            loaded = load_dataset("jena", options=CleaningOptions(resample="1h"), allow_download=False)
            return loaded.series, loaded.split, "Jena 2020, resampled to 1 h"
        except RnnkitError:
            pass
    frame = synthetic_hourly(8_784, 14)
    series = load_series(frame.to_csv(index=False).encode(), name="synthetic_jena_hourly", target="target")
    return series, SplitSpec(train=0.5, val=0.25), "synthetic, Jena 2020's hourly shape"


def small_series(seed: int) -> TimeSeries:
    """One user's small upload: 1,500 hourly rows of four columns."""
    frame = synthetic_hourly(1_500, 4, seed)
    return load_series(frame.to_csv(index=False).encode(), name=f"user{seed}", target="target")


def small_request(series: TimeSeries, folder: Path) -> ComparisonRequest:
    return make_request(series, SMALL_WINDOW, [PRESETS[n] for n in SMALL_MODELS], SplitSpec(), SMALL_TRAINING,
                        snapshot_folder=folder, statistical=False, label=series.name)


# --- helpers ------------------------------------------------------------------------------------------------


def process_pool() -> Runner:
    """The pool the dashboard uses (``RNNKIT_RUNNER=process``), with two workers."""
    return make_runner("process", workers=WORKERS)


def process_pool_system_malloc() -> Runner:
    """The same pool with the system allocator in its workers (``RNNKIT_WORKER_MALLOC=system``): TCMalloc's share."""
    from rnnkit.runners.process import ProcessPoolRunner

    return ProcessPoolRunner(workers=WORKERS, allocator="system")


def warm(runner: Runner, folder: Path) -> float:
    """Run one tiny comparison, so TensorFlow is imported and the pool's workers (and spares) are up."""
    tiny = make_request(small_series(99), SMALL_WINDOW, [PRESETS["jena_gru"]], SplitSpec(),
                        TrainingConfig(epochs=1, seed=1), snapshot_folder=folder, statistical=False)
    from rnnkit.execute import run_request

    start = time.perf_counter()
    run_request(tiny, runner)
    if not isinstance(runner, InlineRunner):
        time.sleep(6)  # the spare workers that replace the ones just used import TensorFlow meanwhile
    return time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q))


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def rss_mb() -> float:
    """This process's resident memory (Linux)."""
    match = re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


def cpu_s(pid: int) -> float:
    """User plus system CPU seconds of process ``pid`` so far (Linux); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(root: int) -> list[int]:
    """Every living process below ``root``."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def process_tree_cpu_s() -> float:
    """CPU seconds so far of this process, every living process below it (the pool's workers), and the children
    that have ended and been reaped (a worker replaced after its last task, say, whose time /proc no longer has)."""
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    living = sum(cpu_s(pid) for pid in descendants(os.getpid()))
    return cpu_s(os.getpid()) + living + ended.ru_utime + ended.ru_stime


def browser_cpu_s(exclude: set[int]) -> dict[int, float]:
    """CPU seconds so far of each Chromium process below this one (the server and its workers excluded)."""
    return {pid: cpu_s(pid) for pid in descendants(os.getpid()) if pid not in exclude
            and "chrom" in Path(f"/proc/{pid}/comm").read_text(errors="replace").lower()}


def wait_done(manager: JobManager, jobs: list[tuple[str, str]], timeout: float) -> list[JobRecord]:
    """Block until every (job id, owner) is done; their queue records."""
    deadline = time.monotonic() + timeout
    while True:
        records = [manager.queue.get(job_id, owner) for job_id, owner in jobs]
        if all(r is not None and r.status.done for r in records):
            return [r for r in records if r is not None]
        if time.monotonic() > deadline:
            raise TimeoutError(f"jobs not done within {timeout:.0f} s: {[r.status if r else None for r in records]}")
        time.sleep(0.1)


# --- (a) one big comparison -----------------------------------------------------------------------------------


def work_alone(request: ComparisonRequest, pool: Runner) -> dict[str, float]:
    """Each task of ``request`` run alone on one pool worker, one after another: the work two workers share.

    The best split of these indivisible tasks over two workers (:func:`best_split_s`)
    bounds the pool's wall time from below, so ``inline / best split`` is the most
    the pool could gain on this machine.
    """
    from rnnkit.plan import plan_comparison
    from rnnkit.tasks import run_baseline_task, run_model_task

    plan = plan_comparison(request)
    folder = tempfile.mkdtemp(prefix="rnnkit-bench-work-")
    tasks = [("simple baselines", run_baseline_task, task) for task in plan.baseline_tasks()]
    tasks += [(task.label, run_model_task, task) for task in plan.model_tasks(folder, keep_model=False)]
    seconds = {}
    for label, fn, task in tasks:
        start = time.perf_counter()
        pool.submit(fn, task).result()
        seconds[label] = round(time.perf_counter() - start, 2)
    return seconds


def big_request(folder: Path) -> tuple[ComparisonRequest, TimeSeries, SplitSpec, str]:
    series, split, source = jena_sized()
    request = make_request(series, BIG_WINDOW, [PRESETS[n] for n in BIG_MODELS], split, BIG_TRAINING,
                           snapshot_folder=folder, statistical=False)
    return request, series, split, source


def one_thread_child(rounds: int) -> None:
    """In a fresh process capped at one thread (TensorFlow and BLAS): the (a) comparison inline, best of ``rounds``."""
    from rnnkit.execute import run_request

    folder = Path(tempfile.mkdtemp(prefix="rnnkit-bench-a1-"))
    request = big_request(folder)[0]
    runner = InlineRunner()
    warm(runner, folder)
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        run_request(request, runner)
        seconds.append(round(time.perf_counter() - start, 1))
    print(json.dumps(seconds))


def pool_worker_rss_mb(runner: Runner) -> list[float]:
    """The resident memory of each of a process pool's workers now, in MB (reads the pool's private list)."""
    sizes = []
    for worker in getattr(runner, "_pool", []):
        match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{worker.process.pid}/status").read_text())
        if match:
            sizes.append(round(int(match.group(1)) / 1024))
    return sorted(sizes)


def best_split_s(seconds: list[float], workers: int) -> float:
    """The shortest wall time of ``seconds``-long indivisible tasks spread over ``workers`` (every assignment tried)."""
    import itertools

    best = float("inf")
    for assignment in itertools.product(range(workers), repeat=len(seconds)):
        loads = [0.0] * workers
        for worker, duration in zip(assignment, seconds, strict=True):
            loads[worker] += duration
        best = min(best, max(loads))
    return best


def inline_on_one_thread(rounds: int) -> list[float]:
    """The inline run with one thread, in a child process (threads are fixed when TensorFlow starts)."""
    one = {name: "1" for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS",
                                  "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    done = subprocess.run([sys.executable, __file__, "--one-thread-child", str(rounds)], cwd=ROOT,
                          capture_output=True, text=True, timeout=3600, check=False, env={**os.environ, **one})
    if done.returncode != 0:
        raise RuntimeError(f"one-thread child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def case_a(rounds: int) -> dict[str, Any]:
    """A 4-model comparison on the Jena-sized series: inline against the warm process pool, interleaved."""
    from rnnkit.execute import run_request
    from rnnkit.prepare import plan_windows

    folder = Path(tempfile.mkdtemp(prefix="rnnkit-bench-a-"))
    request, series, split, source = big_request(folder)
    runners: dict[str, Runner] = {"inline": InlineRunner(), "process": process_pool(),
                                  "process_system_malloc": process_pool_system_malloc()}
    pool = runners["process"]
    warm_s = {name: warm(runner, folder) for name, runner in runners.items()}
    seconds: dict[str, list[float]] = {name: [] for name in runners}
    training: dict[str, list[dict[str, float]]] = {name: [] for name in runners}  # each model's own fit time
    cores: dict[str, list[float]] = {name: [] for name in runners}  # CPU seconds (this process + workers) / wall
    loads = [load_average()]
    works: list[dict[str, float]] = []
    works_system: list[dict[str, float]] = []  # the same, in the pool whose workers use the system allocator
    names = list(runners)
    for i in range(rounds):
        order = names[i % len(names):] + names[:i % len(names)]  # each runner first in turn
        for name in order:
            cpu_before = process_tree_cpu_s()
            start = time.perf_counter()
            result = run_request(request, runners[name])
            seconds[name].append(time.perf_counter() - start)
            cores[name].append(round((process_tree_cpu_s() - cpu_before) / seconds[name][-1], 2))
            assert set(BIG_MODELS) <= set(result.metrics.index), result.metrics.index
            training[name].append({m.name: round(m.train_seconds, 1) for m in result.models})
            print(f"  (a) {name:8} {seconds[name][-1]:6.1f} s", flush=True)
            if name != "inline":
                time.sleep(6)  # let the spares finish importing TensorFlow, as they would between users
        pools = [(works, pool), (works_system, runners["process_system_malloc"])]
        for done, runner in pools if i % 2 == 0 else pools[::-1]:
            done.append(work_alone(request, runner))
        print(f"  (a) tasks alone {sum(works[-1].values()):6.1f} s, on the system allocator "
              f"{sum(works_system[-1].values()):6.1f} s", flush=True)
        loads.append(load_average())
    worker_rss = {name: pool_worker_rss_mb(runners[name]) for name in ("process", "process_system_malloc")}
    runners["process"].shutdown()
    runners["process_system_malloc"].shutdown()
    work = {task: min(w[task] for w in works) for task in works[0]}  # each task's best, as for the runs
    one_thread = inline_on_one_thread(rounds)
    print(f"  (a) inline, one thread: {min(one_thread)} s", flush=True)
    best = {k: min(v) for k, v in seconds.items()}
    split_s = best_split_s(list(work.values()), WORKERS)
    _, counts = plan_windows(series, BIG_WINDOW, split)
    return {"data": source, "rows": len(series), "columns": len(series.inputs), "models": list(BIG_MODELS),
            "window": {"lookback": BIG_WINDOW.lookback, "delay": BIG_WINDOW.delay}, "epochs": BIG_TRAINING.epochs,
            "windows": counts, "workers": WORKERS, "seconds": {k: [round(s, 1) for s in v] for k, v in seconds.items()},
            "best_s": {k: round(v, 1) for k, v in best.items()}, "train_seconds": training,
            "warm_up_s": {k: round(v, 1) for k, v in warm_s.items()}, "cores_busy": cores,
            "speedup": round(best["inline"] / best["process"], 2), "target_speedup": 1.7, "load_average": loads,
            "worker_allocator": worker_allocator() or "system",
            "speedup_system_malloc": round(best["inline"] / best["process_system_malloc"], 2),
            "speedup_median_system_malloc": round(float(np.median(seconds["inline"])
                                                        / np.median(seconds["process_system_malloc"])), 2),
            "work_alone_sums": {"process": [round(sum(w.values()), 1) for w in works],
                                "process_system_malloc": [round(sum(w.values()), 1) for w in works_system]},
            "worker_rss_mb": worker_rss,
            "median_s": {k: round(float(np.median(v)), 1) for k, v in seconds.items()},
            "speedup_median": round(float(np.median(seconds["inline"]) / np.median(seconds["process"])), 2),
            "speedup_per_round": [round(i / p, 2) for i, p in zip(seconds["inline"], seconds["process"], strict=True)],
            "work_alone_s": work, "work_alone_rounds": works, "best_split_s": round(split_s, 1),
            "ceiling_speedup": round(best["inline"] / split_s, 2), "packing": round(split_s / best["process"], 2),
            "inline_one_thread_s": one_thread,
            "one_thread_slowdown": round(min(one_thread) / best["inline"], 2),
            "pool_overhead": round(sum(work.values()) / min(one_thread), 2),
            "speedup_vs_one_thread": round(min(one_thread) / best["process"], 2)}


# --- (b), (c) five users at once -----------------------------------------------------------------------------


def five_users(runner: Runner, label: str) -> dict[str, Any]:
    """Five owners submit a small comparison each at once to one manager on ``runner``; waits and completions."""
    with tempfile.TemporaryDirectory(prefix="rnnkit-bench-users-") as folder:
        store = RunStore(Path(folder) / "runs")
        manager = JobManager(store, runner)
        warm(runner, store.series_folder)
        requests = [small_request(small_series(i), store.series_folder) for i in range(USERS)]
        owners = [new_token() for _ in range(USERS)]
        load_before = load_average()
        start = time.time()
        jobs = [(manager.start(owner, request).id, owner) for owner, request in zip(owners, requests, strict=True)]
        records = wait_done(manager, jobs, timeout=1800)
        manager.close()
        assert all(r.status == "finished" for r in records), [(r.status, r.message) for r in records]
        waits = [(r.started_at or start) - r.created_at for r in records]
        completions = [(r.finished_at or start) - r.created_at for r in records]
        span = max(r.finished_at or start for r in records) - start
    row = {"runner": label, "concurrency": manager.concurrency, "jobs": USERS,
           "jobs_per_minute": round(USERS / span * 60, 2), "span_s": round(span, 1),
           "wait_s": [round(w, 1) for w in waits], "completion_s": [round(c, 1) for c in completions],
           "p95_wait_s": round(percentile(waits, 95), 1), "p95_completion_s": round(percentile(completions, 95), 1),
           "load_average": [load_before, load_average()]}
    print(f"  ({label}) {row['jobs_per_minute']} jobs/min, p95 wait {row['p95_wait_s']} s, "
          f"p95 completion {row['p95_completion_s']} s", flush=True)
    return row


def ray_runner() -> tuple[Runner | None, str]:
    """A Ray runner on a local Ray started for this run, or None and why not."""
    try:
        import ray  # noqa: F401 - only to know whether it is installed
    except ImportError:
        return None, "ray is not installed (pip install -r requirements-ray.txt)"
    try:
        from rnnkit.runners.ray_runner import RayRunner
    except ImportError as error:
        return None, f"rnnkit.runners.ray_runner is not available yet ({error})"
    try:
        return RayRunner(address="local", workers=WORKERS), ""
    except Exception as error:  # noqa: BLE001 - reported in the results, the other cases go on
        return None, f"a local Ray could not be started: {type(error).__name__}: {error}"


# --- (d) memory of the manager's process -----------------------------------------------------------------------


def memory_child(runner_name: str, jobs: int) -> None:
    """In a fresh process: RSS before, after the first and after each of ``jobs`` consecutive small jobs (JSON)."""
    with tempfile.TemporaryDirectory(prefix="rnnkit-bench-memory-") as folder:
        store = RunStore(Path(folder) / "runs")
        runner = InlineRunner() if runner_name == "inline" else process_pool()
        manager = JobManager(store, runner)
        owner = new_token()
        request = make_request(small_series(7), SMALL_WINDOW, [PRESETS["jena_gru"]], SplitSpec(), MEMORY_TRAINING,
                               snapshot_folder=store.series_folder, statistical=False)
        before = rss_mb()
        after: list[float] = []
        for _ in range(jobs):
            job = manager.start(owner, request)
            record = wait_done(manager, [(job.id, owner)], timeout=600)[0]
            assert record.status == "finished", record.message
            after.append(round(rss_mb(), 1))
        manager.close()
        runner.shutdown()
    print(json.dumps({"before_mb": round(before, 1), "after_mb": after}))


def worker_memory(execution: str, tasks: int) -> list[float]:
    """One pool worker's resident memory (MB) after each of ``tasks`` one-model tasks, each on a new series.

    ``execution="plain"`` runs rnnkit's compiled loop, ``"fast"`` the same with
    XLA: TensorFlow keeps every XLA compilation for the process's life
    (tensorflow/tensorflow#64170), which only a fresh worker gives back.
    """
    from rnnkit.plan import plan_comparison
    from rnnkit.runners.process import ProcessPoolRunner
    from rnnkit.tasks import run_model_task

    folder = Path(tempfile.mkdtemp(prefix="rnnkit-bench-worker-"))
    training = dataclasses.replace(MEMORY_TRAINING, epochs=1, execution=execution)
    pool = ProcessPoolRunner(workers=1, max_tasks=tasks + 1)
    sizes = []
    try:
        for n in range(tasks):
            request = make_request(small_series(n), SMALL_WINDOW, [PRESETS["jena_gru"]], SplitSpec(), training,
                                   snapshot_folder=folder, statistical=False)
            for task in plan_comparison(request).model_tasks(str(folder), keep_model=False):
                pool.submit(run_model_task, task).result()
            sizes.append(pool_worker_rss_mb(pool)[0])
    finally:
        pool.shutdown()
    return sizes


def case_d() -> dict[str, Any]:
    """Each runner's manager in its own process (inline first, then the pool), 20 jobs each; then a pool worker's
    own memory over ``WORKER_TASKS`` tasks, without and with XLA."""
    rows = {}
    for name in ("inline", "process"):
        done = subprocess.run([sys.executable, __file__, "--memory-child", name], cwd=ROOT, capture_output=True,
                              text=True, timeout=3600, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"memory child ({name}) failed:\n{done.stderr[-3000:]}")
        values = json.loads(done.stdout.strip().splitlines()[-1])
        after = values["after_mb"]
        rows[name] = {"before_mb": values["before_mb"], "after_first_mb": after[0], "after_last_mb": after[-1],
                      "growth_after_first_mb": round(after[-1] - after[0], 1),
                      "per_job_mb": round((after[-1] - after[0]) / max(len(after) - 1, 1), 2), "after_each_mb": after}
        print(f"  (d) {name:8} {values['before_mb']:.0f} MB before, {after[0]:.0f} after job 1, "
              f"{after[-1]:.0f} after job {len(after)} ({rows[name]['per_job_mb']:+.2f} MB a job)", flush=True)
    workers = {}
    for execution in ("plain", "fast"):
        sizes = worker_memory(execution, WORKER_TASKS)
        per_task = round((sizes[-1] - sizes[4]) / (len(sizes) - 5), 2)
        workers[execution] = {"after_each_mb": sizes, "per_task_mb": per_task}
        print(f"  (d) a worker, execution={execution}: {sizes[0]} MB after task 1, {sizes[4]} after task 5, "
              f"{sizes[-1]} after task {len(sizes)} ({per_task:+.2f} MB a task)", flush=True)
    return {"jobs": MEMORY_JOBS, **rows, "worker_tasks": WORKER_TASKS, "worker": workers}


# --- (e) a job with its tab open and closed ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def streamlit_server(runs: Path, runner: str) -> Iterator[tuple[str, int]]:
    """``streamlit run app.py`` on a free port, sharing ``runs`` with this process; its URL and process id."""
    port = free_port()
    env = {**os.environ, "RNNKIT_RUNS_DIR": str(runs), "RNNKIT_RUNNER": runner, "RNNKIT_WORKERS": str(WORKERS)}
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                "--server.address", "127.0.0.1", "--server.headless", "true"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.3)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync"])


def case_e(rounds: int, runner_name: str = "process") -> dict[str, Any]:
    """The same job run by the dashboard's server with no tab open, and with its Train page open and polling.

    The open tab has data loaded, so the whole Train page (window sketch, every setting) is drawn, as a user has it.
    """
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="rnnkit-bench-e-"))
    runs = folder / "runs"
    upload = folder / "tab_data.csv"  # what the open tab has loaded (the job itself is queued directly)
    upload.write_text(synthetic_hourly(1_500, 4, 5).to_csv(index=False))
    submitter = JobManager(RunStore(runs), InlineRunner(), dispatch=False)  # only queues: the server runs the jobs
    owner = new_token()
    request = dataclasses.replace(small_request(small_series(3), submitter.snapshot_folder), training=TAB_TRAINING)
    warm_request = make_request(small_series(99), SMALL_WINDOW, [PRESETS["jena_gru"]], SplitSpec(),
                                TrainingConfig(epochs=1, seed=1), snapshot_folder=submitter.snapshot_folder,
                                statistical=False)
    seconds: dict[str, list[float]] = {"closed": [], "open": []}
    server_cpu: dict[str, list[float]] = {"closed": [], "open": []}  # the server process alone, not its workers
    browser_cpu: dict[str, list[float]] = {"closed": [], "open": []}  # Chromium, on the same two cores here
    polled: list[bool] = []
    with streamlit_server(runs, runner_name) as (url, server_pid), sync_playwright() as playwright:
        browser = launch(playwright)
        first = browser.new_page()  # the server makes its job manager (and runner) on the first visit
        first.goto(f"{url}/?u={owner}")
        first.get_by_text("Latest run", exact=True).wait_for(timeout=120_000)
        first.close()
        job = submitter.start(owner, warm_request)
        wait_done(submitter, [(job.id, owner)], timeout=600)
        time.sleep(6)
        for i in range(rounds):
            for name in (("closed", "open") if i % 2 == 0 else ("open", "closed")):
                page = None
                if name == "open":  # a tab as a user has it: data loaded, the whole Train page drawn
                    page = browser.new_page(viewport={"width": 1300, "height": 1000})
                    page.goto(f"{url}/data?u={owner}")
                    page.get_by_text("Upload a file").click()
                    page.locator('input[type="file"]').set_input_files(str(upload))
                    page.get_by_text("Ready: target").wait_for(timeout=60_000)
                    page.get_by_role("link", name="Train & compare").first.click()
                    page.get_by_text("Train windows").wait_for(timeout=60_000)
                    time.sleep(2)
                server_before = cpu_s(server_pid)
                browser_before = browser_cpu_s({server_pid, *descendants(server_pid)})
                job = submitter.start(owner, request)
                if page is not None:  # any interaction reruns the page, which then finds the job and polls it
                    seed = page.get_by_role("spinbutton", name="Seed")
                    seed.fill("7")
                    seed.press("Tab")
                    page.get_by_text(re.compile(r"Run: (queued|running)")).wait_for(timeout=60_000)  # the new job
                    polled.append(True)
                record = wait_done(submitter, [(job.id, owner)], timeout=1800)[0]
                assert record.status == "finished", record.message
                server_cpu[name].append(round(cpu_s(server_pid) - server_before, 1))
                browser_after = browser_cpu_s({server_pid, *descendants(server_pid)})
                browser_cpu[name].append(round(sum(v - browser_before.get(pid, 0.0)
                                                   for pid, v in browser_after.items()), 1))
                if page is not None:
                    page.get_by_text("Test metrics, in the series' own units").wait_for(timeout=120_000)
                    page.close()
                assert record.started_at is not None and record.finished_at is not None
                seconds[name].append(record.finished_at - record.started_at)
                print(f"  (e) tab {name:6} {seconds[name][-1]:6.1f} s (CPU: server {server_cpu[name][-1]} s, "
                      f"Chromium {browser_cpu[name][-1]} s)", flush=True)
                time.sleep(6)
        browser.close()
    median = {k: float(np.median(v)) for k, v in seconds.items()}
    return {"runner": runner_name, "workers": WORKERS, "models": list(SMALL_MODELS), "epochs": TAB_TRAINING.epochs,
            "tab": "data loaded, whole Train page drawn",
            "seconds": {k: [round(s, 1) for s in v] for k, v in seconds.items()},
            "median_s": {k: round(v, 1) for k, v in median.items()},
            "ratio_open_vs_closed": round(median["open"] / median["closed"], 2), "target_ratio": 1.2,
            "server_cpu_s": server_cpu, "browser_cpu_s": browser_cpu,
            "tab_polled": all(polled) and bool(polled), "tab_polled_rounds": polled}


# --- main -----------------------------------------------------------------------------------------------------


def versus_split(a: dict[str, Any]) -> str:
    """How the pool's best run compares with the best split of the tasks run alone: "N% slower than" or faster."""
    late = a["best_s"]["process"] / a["best_split_s"] - 1
    return f"{abs(late):.0%} {'slower' if late >= 0 else 'faster'} than"


def summary(result: dict[str, Any]) -> None:
    if "a" in result:
        a = result["a"]
        print(f"(a) {a['data']}: inline {a['best_s']['inline']} s, process pool {a['best_s']['process']} s: "
              f"{a['speedup']}× (target ≥ {a['target_speedup']})")
        if "speedup_system_malloc" in a:
            print(f"    workers' allocator {a['worker_allocator']}; with the system allocator the pool took "
                  f"{a['best_s']['process_system_malloc']} s: {a['speedup_system_malloc']}×")
        if "work_alone_sums" in a:
            sums = a["work_alone_sums"]
            print(f"    tasks alone, summed, per round: {sums['process']} s, on the system allocator "
                  f"{sums['process_system_malloc']} s; workers' memory at the end {a['worker_rss_mb']} MB")
        if "ceiling_speedup" in a:
            print(f"    its tasks alone on one worker: {sum(a['work_alone_s'].values()):.1f} s in all; their best "
                  f"split over {a['workers']} workers takes {a['best_split_s']} s, a bound of "
                  f"{a['ceiling_speedup']}× when tasks side by side are no faster than alone; the pool's best run "
                  f"was {versus_split(a)} that split")
        if "inline_one_thread_s" in a:
            print(f"    inline on one thread: {min(a['inline_one_thread_s'])} s ({a['one_thread_slowdown']}× the "
                  f"two-thread run); the tasks alone add {a['pool_overhead']}× to it; against one core the pool "
                  f"is {a['speedup_vs_one_thread']}× faster")
    for key in ("b", "c"):
        for row in result.get(key, {}).get("runners", []):
            print(f"({key}) {row['runner']:<22} {row['jobs_per_minute']:>5} jobs/min  p95 wait {row['p95_wait_s']:>6} s"
                  f"  p95 completion {row['p95_completion_s']:>6} s")
        if result.get(key, {}).get("skipped"):
            print(f"({key}) skipped: {result[key]['skipped']}")
    if "d" in result:
        for name in ("inline", "process"):
            d = result["d"][name]
            print(f"(d) {name:8} RSS {d['before_mb']} → {d['after_first_mb']} (job 1) → {d['after_last_mb']} MB "
                  f"(job {result['d']['jobs']}): {d['per_job_mb']:+} MB a job")
        for execution, w in result["d"].get("worker", {}).items():
            print(f"(d) a pool worker, execution={execution}: {w['after_each_mb'][0]} → {w['after_each_mb'][-1]} MB "
                  f"over {len(w['after_each_mb'])} tasks: {w['per_task_mb']:+} MB a task after the 5th")
    if "e" in result:
        e = result["e"]
        print(f"(e) tab closed {e['median_s']['closed']} s, tab open {e['median_s']['open']} s: "
              f"{e['ratio_open_vs_closed']}× (target ≤ {e['target_ratio']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="a,b,c,d,e", help="which cases to run (comma-separated)")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds of (a) and (e)")
    parser.add_argument("--memory-child", choices=("inline", "process"), help=argparse.SUPPRESS)
    parser.add_argument("--one-thread-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_thread_child:
        one_thread_child(args.one_thread_child)
        return
    if args.memory_child:
        memory_child(args.memory_child, MEMORY_JOBS)
        return
    cases = set(args.cases.split(","))
    began = time.perf_counter()
    result: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    result["load_average_start"] = load_average()
    steps: dict[str, Callable[[], dict[str, Any]]] = {
        "a": lambda: case_a(args.rounds),
        "b": case_b,
        "c": case_c,
        "d": case_d,
        "e": lambda: case_e(max(args.rounds, 2)),
    }
    for key, step in steps.items():
        if key in cases:
            print(f"({key}) …", flush=True)
            result[key] = step()
    if "a" in cases:
        result["a_history"] = [*result.get("a_history", []), run_record(result["a"])]
    result["settings"] = {"small_models": list(SMALL_MODELS), "small_window": SMALL_WINDOW.lookback,
                          "small_epochs": SMALL_TRAINING.epochs, "small_rows": 1_500, "users": USERS,
                          "memory_job": f"jena_gru, {MEMORY_TRAINING.epochs} epochs",
                          "workers": WORKERS}
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                         "load_average_end": load_average()}
    result["measured"] = time.strftime("%Y-%m-%d")
    result["bench_seconds"] = round(time.perf_counter() - began)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    summary(result)
    print(f"wrote {RESULTS.relative_to(ROOT)} in {result['bench_seconds']} s")


def run_record(a: dict[str, Any]) -> dict[str, Any]:
    """One line of (a)'s history: when, on which commit, and what the run gave (every run is kept, good or bad)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    if commit and git("status", "--porcelain", "--untracked-files=no", "--", "rnnkit", "bench/*.py"):
        commit += "+changes"  # the code measured was that commit plus uncommitted edits
    return {"measured": time.strftime("%Y-%m-%d %H:%M"), "commit": commit or None,
            "rounds": len(a["seconds"]["inline"]), "speedup": a["speedup"], "speedup_median": a["speedup_median"],
            "ceiling_speedup": a.get("ceiling_speedup"), "worker_allocator": a.get("worker_allocator"),
            "speedup_system_malloc": a.get("speedup_system_malloc")}


def case_b() -> dict[str, Any]:
    """(b): the thread era (inline runner in the manager) against the process pool."""
    rows = [five_users(InlineRunner(), "thread era (inline)")]
    pool = process_pool()
    try:
        rows.append(five_users(pool, f"process pool ({WORKERS})"))
    finally:
        pool.shutdown()
    return {"runners": rows}


def case_c() -> dict[str, Any]:
    """(c): the five users through a local Ray, or the reason it was skipped."""
    runner, why = ray_runner()
    if runner is None:
        return {"skipped": why, "runners": []}
    try:
        return {"runners": [five_users(runner, f"ray, local ({WORKERS})")]}
    finally:
        runner.shutdown()


if __name__ == "__main__":
    main()
