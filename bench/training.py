"""Training speed: rnnkit's training path against a plain Keras fit, per window shape, side by side.

    python bench/training.py [--no-verdict]

For each shape class the dashboard meets (electric 15 × 1 in batches of 16; a
2,000-row weekly series 52 × 1, batch 32; Jena hourly 120 × 14, batch 128; the
classic Jena setting 240 × 14, batch 128) and GRU(32), LSTM(32), SimpleRNN(32)
→ Dense(1), on synthetic float32 windows of the real counts (capped for the long
shapes), interleaved over three rounds (the best of each is kept):

  plain    model.fit(x, y, batch_size, shuffle=True) after model.compile with Keras' defaults
  rnnkit   rnnkit.training's path: the plan rnnkit.speed chooses for the real data of that
           shape at the defaults' epochs (200) (compiled loop, batches per call, XLA
           where it pays), run on the same arrays
  xla      the compiled loop with XLA forced, where the plan does not choose it

Throughput is training windows per second after a warm-up epoch that absorbs
tracing and compilation (``first_epoch_s`` reports that cost). Then the time from
"Train" to the verdict: ``python -m rnnkit compare --dataset D --no-save`` for each
built-in dataset, bounded at 300 s. Writes bench/results/training.json.
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

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import keras  # noqa: E402 - after the TensorFlow log settings above
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from rnnkit.compiled_fit import CompiledLoop  # noqa: E402
from rnnkit.defaults import DEFAULT_EPOCHS  # noqa: E402
from rnnkit.speed import ExecutionPlan, plan_execution  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

RESULTS = ROOT / "bench" / "results" / "training.json"
CELLS = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM, "simple_rnn": keras.layers.SimpleRNN}
#: name: (steps, features, batch, windows measured, timed epochs, training windows of the real data)
SHAPES: dict[str, tuple[int, int, int, int, int, int]] = {
    "electric 15×1 b16": (15, 1, 16, 211, 20, 211),
    "weekly 52×1 b32": (52, 1, 32, 1400, 4, 1400),
    "jena hourly 120×14 b128": (120, 14, 128, 1280, 2, 49_000),
    "classic 240×14 b128": (240, 14, 128, 1280, 2, 200_000),
}
PLANNED_EPOCHS = DEFAULT_EPOCHS  # what the Train button and `rnnkit compare` plan for (up to 200, early-stopped)
VERDICT_TIMEOUT_S = 300


def arrays(steps: int, features: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (rng.standard_normal((n, steps, features)).astype(np.float32),
            rng.standard_normal((n, 1)).astype(np.float32))


def run(shape: str, cell: str, variant: str) -> dict[str, float]:
    """Windows per second after a warm-up epoch, the warm-up epoch's seconds, and seconds per epoch."""
    steps, features, batch, n, epochs, _ = SHAPES[shape]
    x, y = arrays(steps, features, n)
    plan = shape_plan(shape, xla=variant == "xla")
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((steps, features)), CELLS[cell](32), keras.layers.Dense(1)])
    start = time.perf_counter()
    if variant == "plain" or plan.engine == "keras":
        model.compile(optimizer="adam", loss="mse", **({} if variant == "plain" else {"jit_compile": plan.jit_compile}))
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        first = time.perf_counter() - start
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0)
    else:
        model.compile(optimizer="adam", loss="mse", jit_compile=False)
        loop = CompiledLoop(model, batch, plan.steps_per_execution, plan.jit_compile)
        loop.fit(x, y, 1, [])
        first = time.perf_counter() - start
        start = time.perf_counter()
        loop.fit(x, y, epochs, [])
    seconds = time.perf_counter() - start
    return {"samples_per_s": n * epochs / seconds, "first_epoch_s": first, "epoch_s": seconds / epochs}


def shape_plan(shape: str, xla: bool = False) -> ExecutionPlan:
    """What train_model would choose for the real data of ``shape`` at the default epochs."""
    steps, features, batch, _, _, real = SHAPES[shape]
    return plan_execution(real, steps, features, batch, (32,), PLANNED_EPOCHS, jit_compile=True if xla else None)


def time_to_verdict(dataset: str) -> dict[str, object]:
    """Wall time of the default command-line comparison on ``dataset``, bounded."""
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "rnnkit", "compare", "--dataset", dataset, "--no-save"],
                              cwd=ROOT, capture_output=True, text=True, timeout=VERDICT_TIMEOUT_S, check=False)
        seconds = time.perf_counter() - start
        verdict = done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else \
            f"failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"
        return {"seconds": round(seconds, 1), "verdict": verdict, "timed_out": False}
    except subprocess.TimeoutExpired:
        return {"seconds": None, "verdict": f"not reached within {VERDICT_TIMEOUT_S} s", "timed_out": True}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-verdict", action="store_true", help="skip the end-to-end comparisons")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tf.get_logger().setLevel("ERROR")
    began = time.perf_counter()
    runs: dict[str, dict[str, dict[str, list[dict[str, float]]]]] = {}
    for _ in range(args.rounds):  # interleaved, so that load on the shared machine hits every variant alike
        for shape in SHAPES:
            variants = ("plain", "rnnkit") if shape_plan(shape).jit_compile else ("plain", "rnnkit", "xla")
            for cell in CELLS:
                for variant in variants:
                    runs.setdefault(shape, {}).setdefault(cell, {}).setdefault(variant, []).append(
                        run(shape, cell, variant))
    best = {s: {c: {v: max(r, key=lambda m: m["samples_per_s"]) for v, r in cells.items()}
                for c, cells in shapes.items()} for s, shapes in runs.items()}
    plans = {}
    for shape in SHAPES:
        plan = shape_plan(shape)
        plans[shape] = {"engine": plan.engine, "steps_per_execution": plan.steps_per_execution,
                        "jit_compile": plan.jit_compile, "reason": plan.reason}
    result = {
        "samples_per_s": {s: {c: {v: round(m["samples_per_s"]) for v, m in cells.items()}
                              for c, cells in shapes.items()} for s, shapes in best.items()},
        "speedup": {s: {c: round(cells["rnnkit"]["samples_per_s"] / cells["plain"]["samples_per_s"], 2)
                        for c, cells in shapes.items()} for s, shapes in best.items()},
        "epoch_s": {s: {c: {v: round(m["epoch_s"], 4) for v, m in cells.items()} for c, cells in shapes.items()}
                    for s, shapes in best.items()},
        "first_epoch_s": {s: {c: {v: round(min(r["first_epoch_s"] for r in runs[s][c][v]), 2) for v in cells}
                              for c, cells in shapes.items()} for s, shapes in best.items()},
        "plans": plans,
        "settings": {"shapes": {s: dict(zip(("steps", "features", "batch", "windows", "timed_epochs",
                                             "planned_for_windows"), v, strict=True))
                                for s, v in SHAPES.items()},
                     "units": 32, "optimizer": "adam", "loss": "mse", "planned_epochs": PLANNED_EPOCHS,
                     "rounds": args.rounds},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "tensorflow": tf.__version__,
                    "keras": keras.__version__, "device": "CPU"},
    }
    for shape, shapes in result["samples_per_s"].items():
        for cell, rates in shapes.items():
            extra = f"  xla {rates['xla']:>7,}/s" if "xla" in rates else ""
            print(f"{shape:<24} {cell:<11} plain {rates['plain']:>7,}/s  rnnkit {rates['rnnkit']:>7,}/s  "
                  f"{result['speedup'][shape][cell]:>5}×{extra}", flush=True)
    if not args.no_verdict:
        result["time_to_verdict_s"] = {}
        result["verdicts"] = {}
        for dataset in ("electric", "stocks", "jena"):
            outcome = time_to_verdict(dataset)
            result["time_to_verdict_s"][dataset] = outcome["seconds"]
            result["verdicts"][dataset] = outcome["verdict"]
            print(f"{dataset}: {outcome['seconds']} s to the verdict: {outcome['verdict']}", flush=True)
    result["bench_seconds"] = round(time.perf_counter() - began)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)} in {result['bench_seconds']} s")


if __name__ == "__main__":
    main()
