"""Training throughput: rnnkit's training path against a plain Keras fit on the classic generator.

    python bench/training.py [--steps 20]

GRU(32), LSTM(32) and SimpleRNN(32) → Dense(1) on batches of 128 windows ×
240 steps × 14 features (Jena-shaped, synthetic). Each variant trains for
``--steps`` batches after a warm-up epoch that absorbs tracing and compilation;
throughput is training windows per second. Variants:

  plain        model.fit on the classic Python generator (float64 batches), Keras defaults
  float32      rnnkit's PyDataset batches (float32 end to end), jit_compile=False
  xla          the same with jit_compile=True (XLA)
  workers2     float32 batches prepared by 2 PyDataset worker threads
  batch256     float32 batches of 256 instead of 128 (changes training, so reported apart)

The fastest rnnkit variant is what rnnkit.training uses; results go to
bench/results/training.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from rnnkit.windows.batches import WindowBatches  # noqa: E402
from rnnkit.windows.classic import generator  # noqa: E402
from rnnkit.windows.indexing import anchors_for_targets  # noqa: E402
from rnnkit.windows.keras_adapter import KerasWindowBatches  # noqa: E402
from rnnkit.windows.spec import WindowSpec  # noqa: E402

SPEC = WindowSpec(lookback=1440, step=6, delay=144)
BATCH, FEATURES, ROWS = 128, 14, 60_000
RESULTS = ROOT / "bench" / "results" / "training.json"
CELLS = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM, "simple_rnn": keras.layers.SimpleRNN}


class StepTimer(keras.callbacks.Callback):
    """Times the second epoch only: the first one traces and compiles."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            self.seconds = time.perf_counter() - self.start


def make_model(cell: str, jit: bool | str) -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((SPEC.n_steps, FEATURES)), CELLS[cell](32), keras.layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss="mae", jit_compile=jit)
    return model


def data() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.standard_normal((ROWS, FEATURES)).astype(np.float32)


def run(cell: str, variant: str, values: np.ndarray, steps: int) -> float:
    keras.backend.clear_session()
    timer = StepTimer()
    batch = 256 if variant == "batch256" else BATCH
    steps = steps // 2 if variant == "batch256" else steps
    if variant == "plain":
        model = make_model(cell, "auto")
        feed = generator(values, SPEC.lookback, SPEC.delay, 0, None, shuffle=True, batch_size=BATCH, step=SPEC.step)
        model.fit(feed, steps_per_epoch=steps, epochs=2, verbose=0, callbacks=[timer])
    else:
        model = make_model(cell, variant == "xla")
        batches = WindowBatches(values, values[:, 1], anchors_for_targets(SPEC, 0, len(values)), SPEC, batch,
                                shuffle=True, seed=0)
        kwargs = {"workers": 2, "use_multiprocessing": False} if variant == "workers2" else {}
        model.fit(KerasWindowBatches(batches, **kwargs), steps_per_epoch=steps, epochs=2, verbose=0,
                  callbacks=[timer])
    return steps * batch / timer.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed batches per variant")
    args = parser.parse_args()
    tf.get_logger().setLevel("ERROR")
    values = data()
    variants = ("plain", "float32", "xla", "workers2", "batch256")
    rates: dict[str, dict[str, float]] = {}
    for cell in CELLS:
        rates[cell] = {v: round(run(cell, v, values, args.steps), 1) for v in variants}
        print(f"{cell:<11}" + "  ".join(f"{v} {r:>7,.0f}/s" for v, r in rates[cell].items()), flush=True)
    rnnkit_variants = [v for v in variants if v not in ("plain", "batch256")]
    totals = {v: sum(rates[c][v] / rates[c]["plain"] for c in CELLS) for v in rnnkit_variants}
    best = max(totals, key=totals.get)
    result = {
        "samples_per_s": {c: {"rnnkit": rates[c][best], "plain": rates[c]["plain"]} for c in CELLS},
        "speedup": {c: round(rates[c][best] / rates[c]["plain"], 2) for c in CELLS},
        "rnnkit_variant": best,
        "batch256_speedup": {c: round(rates[c]["batch256"] / rates[c][best], 2) for c in CELLS},
        "variants": rates,
        "settings": {"batch_size": BATCH, "steps": SPEC.n_steps, "features": FEATURES, "units": 32,
                     "timed_batches": args.steps, "optimizer": "rmsprop", "loss": "mae"},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "tensorflow": tf.__version__,
                    "keras": keras.__version__, "device": "CPU"},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"fastest rnnkit variant: {best}")
    for cell in CELLS:
        print(f"{cell:<11} rnnkit {rates[cell][best]:>7,.0f}/s  plain {rates[cell]['plain']:>7,.0f}/s  "
              f"speedup {result['speedup'][cell]}×")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
