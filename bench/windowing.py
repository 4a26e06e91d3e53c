"""Window pipeline throughput and memory on a Jena-sized series, three pipelines side by side.

    python bench/windowing.py [--seconds 5] [--rows 420551]

Pipelines, all with lookback 1440, step 6, delay 144, batch 128, shuffled:
  rnnkit   rnnkit.windows.batches.WindowBatches (vectorised gather per batch)
  classic  the Python generator of Deep Learning with Python (per-sample loop)
  keras    keras.utils.timeseries_dataset_from_array (tf.data)

Each runs in its own process so that its peak memory (VmHWM) is its own;
"working" memory is the peak during the timed run above the resident size
before it (the series and its windows index are already loaded). The
parent checks that the three yield the same windows, then writes
bench/results/windowing.json. The real Jena 2009–2016 file is used when
RNNKIT_DATA_DIR holds it; otherwise a synthetic 420,551 × 14 float32 array.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

from rnnkit.windows.batches import WindowBatches  # noqa: E402
from rnnkit.windows.classic import generator  # noqa: E402
from rnnkit.windows.indexing import anchors_for_targets  # noqa: E402
from rnnkit.windows.spec import WindowSpec  # noqa: E402

JENA_ROWS, JENA_FEATURES = 420_551, 14
SPEC = WindowSpec(lookback=1440, step=6, delay=144)
BATCH = 128
TARGET_COLUMN = 1
RESULTS = ROOT / "bench" / "results" / "windowing.json"


def load_data(rows: int) -> tuple[np.ndarray, str]:
    """Real Jena 2009–2016 values when available locally, else a synthetic array of the same shape."""
    folder = os.environ.get("RNNKIT_DATA_DIR")
    if folder and rows == JENA_ROWS:
        for name in ("jena_climate_2009_2016.csv", "jena_climate_2009_2016.csv.zip"):
            if (Path(folder) / name).is_file():
                from rnnkit.data.reading import read_table

                table = read_table((Path(folder) / name).read_bytes())
                values = table.frame.select_dtypes("number").to_numpy(dtype=np.float32)
                return values, f"real {name}"
    rng = np.random.default_rng(0)
    t = np.arange(rows, dtype=np.float32)[:, None]
    data = np.sin(t / (144.0 * np.arange(1, JENA_FEATURES + 1))) + 0.1 * rng.standard_normal((rows, JENA_FEATURES))
    return data.astype(np.float32), f"synthetic {rows:,} × {JENA_FEATURES}"


def rnnkit_batches(data: np.ndarray, shuffle: bool):
    anchors = anchors_for_targets(SPEC, 0, len(data))
    batches = WindowBatches(data, data[:, TARGET_COLUMN], anchors, SPEC, BATCH, shuffle=shuffle, seed=0)
    while True:  # epochs, as model.fit consumes them
        yield from batches
        batches.on_epoch_end()


def classic_batches(data: np.ndarray, shuffle: bool):
    return generator(data, SPEC.lookback, SPEC.delay, 0, None, shuffle=shuffle, batch_size=BATCH, step=SPEC.step)


def keras_batches(data: np.ndarray, shuffle: bool):
    import keras

    offset = SPEC.lookback + SPEC.delay
    dataset = keras.utils.timeseries_dataset_from_array(
        data, data[offset:, TARGET_COLUMN], sequence_length=SPEC.n_steps, sampling_rate=SPEC.step,
        batch_size=BATCH, shuffle=shuffle, seed=0,
    )
    return iter(dataset.repeat())


PIPELINES = {"rnnkit": rnnkit_batches, "classic": classic_batches, "keras": keras_batches}


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    """Restart the kernel's peak-RSS counter so VmHWM covers only the timed run."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # VmHWM then also covers setup, which only overstates working memory


def worker(name: str, rows: int, seconds: float) -> dict[str, float]:
    """Run one pipeline for about ``seconds`` and report throughput and memory."""
    data, _ = load_data(rows)
    batches = PIPELINES[name](data, shuffle=True)
    next(batches)  # warm-up: builds graphs, touches pages
    _reset_peak()
    baseline = _status_mb("VmRSS")
    samples, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or samples < 20 * BATCH:
        x, _ = next(batches)
        samples += len(x)
    elapsed = time.perf_counter() - start
    return {
        "samples_per_s": samples / elapsed,
        "samples": samples,
        "peak_rss_mb": _status_mb("VmHWM"),
        "working_mb": _status_mb("VmHWM") - baseline,
    }


def run_worker(name: str, rows: int, seconds: float) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", name, "--rows", str(rows), "--seconds", str(seconds)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def check_same_windows(data: np.ndarray, n_batches: int = 3) -> bool:
    """The first sequential batches of all three pipelines are the same windows and targets."""
    streams = {name: make(data, shuffle=False) for name, make in PIPELINES.items()}
    for _ in range(n_batches):
        (xr, yr), (xc, yc), (xk, yk) = (next(streams[n]) for n in ("rnnkit", "classic", "keras"))
        xk, yk = np.asarray(xk), np.asarray(yk)
        if not (np.array_equal(xr, xc) and np.array_equal(xr, xk)):
            return False
        if not (np.array_equal(yr[:, 0], yc) and np.array_equal(yr[:, 0], yk)):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="timed run per pipeline")
    parser.add_argument("--rows", type=int, default=JENA_ROWS)
    parser.add_argument("--worker", choices=list(PIPELINES))
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.rows, args.seconds)))
        return

    data, source = load_data(args.rows)
    windows = SPEC.count(len(data))
    print(f"data: {source}; {windows:,} windows of {SPEC.n_steps} × {data.shape[1]} "
          f"(all materialised: {windows * SPEC.n_steps * data.shape[1] * 4 / 1e9:.1f} GB)")
    same = check_same_windows(data)
    print(f"same windows and targets in all three pipelines: {same}")
    runs = {name: run_worker(name, args.rows, args.seconds) for name in PIPELINES}
    quarter = run_worker("rnnkit", args.rows // 4, args.seconds)
    rate = {name: round(r["samples_per_s"]) for name, r in runs.items()}
    result = {
        "samples_per_s": rate,
        "speedup_vs_classic": round(rate["rnnkit"] / rate["classic"], 2),
        "speedup_vs_keras": round(rate["rnnkit"] / rate["keras"], 2),
        "peak_rss_mb": {name: round(r["peak_rss_mb"], 1) for name, r in runs.items()},
        "working_mb": {name: round(r["working_mb"], 1) for name, r in runs.items()},
        "rnnkit_memory_vs_windows": {
            "windows": {"quarter": SPEC.count(args.rows // 4), "full": windows},
            "materialised_gb": {
                "quarter": round(SPEC.count(args.rows // 4) * SPEC.n_steps * data.shape[1] * 4 / 1e9, 2),
                "full": round(windows * SPEC.n_steps * data.shape[1] * 4 / 1e9, 2),
            },
            "working_mb": {"quarter": round(quarter["working_mb"], 1), "full": round(runs["rnnkit"]["working_mb"], 1)},
        },
        "same_windows": same,
        "settings": {"rows": len(data), "features": int(data.shape[1]), "lookback": SPEC.lookback,
                     "step": SPEC.step, "delay": SPEC.delay, "batch_size": BATCH, "shuffle": True,
                     "seconds_per_pipeline": args.seconds, "data": source},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'pipeline':<9} {'samples/s':>11} {'peak RSS MB':>12} {'working MB':>11}")
    for name in PIPELINES:
        print(f"{name:<9} {rate[name]:>11,} {result['peak_rss_mb'][name]:>12,.0f} {result['working_mb'][name]:>11,.1f}")
    print(f"speedup vs classic: {result['speedup_vs_classic']}×   speedup vs keras: {result['speedup_vs_keras']}×")
    mem = result["rnnkit_memory_vs_windows"]
    for size in ("quarter", "full"):
        print(f"rnnkit working memory at {mem['windows'][size]:,} windows: {mem['working_mb'][size]} MB "
              f"(materialising them: {mem['materialised_gb'][size]} GB)")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
