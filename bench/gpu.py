"""Training speed of the default models on a CPU and on a GPU: seconds per epoch, side by side.

    python bench/gpu.py --part cpu                                       # here: TensorFlow, merged at once
    python3 bench/gpu.py --part gpu --backend jax --out $OUT/gpu_jax.json     # on the GPU machine
    python3 bench/gpu.py --part gpu --backend torch --out $OUT/gpu_torch.json
    python bench/gpu.py --merge gpu_jax.json gpu_torch.json              # here: fold the GPU parts in

rnnkit's default models (``rnnkit.defaults.DEFAULT_MODELS``: tuned_gru and tuned_lstm,
built by ``rnnkit.models.build.build_model``) train on synthetic float32 windows of
the shapes the defaults give the three built-in datasets (window steps × inputs,
training and validation windows, batch size; see ``CASES``), plus Chollet's classic
Jena setting with 240-step windows. Each run compiles Adam (learning rate 3e-3) and
MSE as ``rnnkit.training`` does, fits one warm-up epoch (tracing and compilation:
``first_epoch_s``), then times a fixed number of epochs, validation included as in
real training: ``epoch_s`` is their mean.

Variants: ``fit`` is Keras' ``model.fit`` after a default ``compile`` (on TensorFlow
without XLA on a CPU, on JAX jit-compiled, on torch eager with cuDNN kernels);
``rnnkit`` is rnnkit's compiled loop (``rnnkit.compiled_fit``) with the settings
``rnnkit.speed`` plans for a 200-epoch run (TensorFlow only); ``fit_spe`` is
``model.fit`` with ``steps_per_execution`` (several batches per compiled call, JAX).

The CPU part needs TensorFlow; the GPU part needs only Keras 3, JAX or torch, and
``rnnkit.models`` (it imports nothing else from rnnkit): on a GPU machine without
Keras, install the wheels of keras, namex and optree (``pip install --no-deps
--target``) and put them and a copy of ``rnnkit/`` on ``PYTHONPATH``. Every part
writes its JSON after each run, so a part cut short by its time budget still
reports what it measured. Results: bench/results/gpu.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "gpu.json"
#: rnnkit.defaults.DEFAULT_MODELS (the CPU part checks that they agree; the GPU part cannot import rnnkit.defaults).
MODELS: tuple[str, ...] = ("tuned_gru", "tuned_lstm")
LEARNING_RATE = 3e-3  # rnnkit.defaults.DEFAULT_LEARNING_RATE
PLANNED_EPOCHS = 200  # rnnkit.defaults.DEFAULT_EPOCHS: what the Train button plans for
#: ``fit_spe`` runs a whole epoch's batches per compiled call, for window sets of at most this many
#: batches (JAX unrolls the steps of a call, so its compile time grows with their number).
MAX_STEPS_PER_EXECUTION = 40


@dataclass(frozen=True)
class Case:
    """A window shape: steps × features per window, windows per split, batch size, epochs timed."""

    title: str
    steps: int
    features: int
    batch: int
    train: int
    val: int
    epochs: int

    @property
    def batches(self) -> int:
        """Training batches per epoch."""
        return -(-self.train // self.batch)


#: The defaults (``rnnkit.defaults.default_setup`` with each dataset's own task) on the data in
#: ../shared/data: US electric production monthly (24 months × target + 2 calendar inputs), Google
#: daily (12 days × 5 inputs), Jena 2020 at 10 minutes (240 rows sampled every 6th = 40 steps × 18
#: inputs); then Chollet's classic Jena window (1,440 rows every 6th = 240 steps × 14 weather
#: columns, batch 128, as in bench/training.py) on as many windows.
CASES: dict[str, Case] = {
    "electric": Case("electric monthly 24×3, b16", 24, 3, 16, 202, 24, 20),
    "stocks": Case("stocks daily 12×5, b32", 12, 5, 32, 1119, 127, 5),
    "jena": Case("Jena 10-min 40×18, b256", 40, 18, 256, 25_968, 13_176, 2),
    "jena_240": Case("Jena classic 240×14, b128", 240, 14, 128, 25_968, 13_176, 1),
}


def arrays(case: Case, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Synthetic train and validation windows and targets of ``case``'s shape (float32)."""
    rng = np.random.default_rng(seed)

    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.standard_normal((n, case.steps, case.features), dtype=np.float32)
        return x, (x[:, -1, :1] + 0.1 * rng.standard_normal((n, 1), dtype=np.float32)).astype(np.float32)

    return (*split(case.train), *split(case.val))


def machine(backend: str) -> dict[str, Any]:
    """What ran the part: processor count, Python, Keras and the backend's device and version."""
    import keras

    info: dict[str, Any] = {"cpus": os.cpu_count(), "python": platform.python_version(), "keras": keras.__version__,
                            "backend": backend, "load_average_1min": round(os.getloadavg()[0], 2)}
    if backend == "tensorflow":
        import tensorflow as tf

        info |= {"tensorflow": tf.__version__, "device": "CPU"}
    elif backend == "jax":
        import jax

        device = jax.devices()[0]
        info |= {"jax": jax.__version__, "device": f"{device.platform.upper()}: {device.device_kind}"}
    elif backend == "torch":
        import torch  # type: ignore[import-not-found,unused-ignore]

        info |= {"torch": torch.__version__, "cudnn": torch.backends.cudnn.version(),
                 "device": f"GPU: {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else "CPU"}
    return info


def run(case: Case, model_name: str, variant: str, epochs: int, max_first_s: float) -> dict[str, Any]:
    """One model trained on one case with one variant: warm-up epoch, then ``epochs`` timed epochs."""
    import keras

    from rnnkit.models.build import build_model
    from rnnkit.models.presets import get_preset

    x, y, xv, yv = arrays(case)
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = build_model(get_preset(model_name), (case.steps, case.features), 1)
    optimizer = keras.optimizers.Adam(learning_rate=LEARNING_RATE)
    record: dict[str, Any] = {"case": case.title, "model": model_name, "variant": variant}
    if variant == "rnnkit":
        from rnnkit.compiled_fit import CompiledLoop
        from rnnkit.speed import plan_execution

        spec = get_preset(model_name)
        plan = plan_execution(case.train, case.steps, case.features, case.batch, spec.units, PLANNED_EPOCHS)
        model.compile(optimizer=optimizer, loss="mse", jit_compile=False)
        loop = CompiledLoop(model, case.batch, plan.steps_per_execution, plan.jit_compile)
        record["plan"] = plan.reason

        def fit(n: int) -> None:
            loop.fit(x, y, n, [], validation_data=(xv, yv), seed=0)
    else:
        spe = case.batches if variant == "fit_spe" else 1
        model.compile(optimizer=optimizer, loss="mse", steps_per_execution=spe)
        record |= {"jit_compile": bool(model.jit_compile), "steps_per_execution": spe}

        def fit(n: int) -> None:
            model.fit(x, y, batch_size=case.batch, epochs=n, validation_data=(xv, yv), verbose=0)
    start = time.perf_counter()
    fit(1)
    record["first_epoch_s"] = round(time.perf_counter() - start, 3)
    if record["first_epoch_s"] > max_first_s:  # slow here: one timed epoch is enough to place it
        epochs = 1
    start = time.perf_counter()
    fit(epochs)
    seconds = time.perf_counter() - start
    record |= {"timed_epochs": epochs, "timed_s": round(seconds, 3), "epoch_s": round(seconds / epochs, 5),
               "epochs_per_s": round(epochs / seconds, 3), "train_windows_per_s": round(case.train * epochs / seconds),
               "projected_200_epochs_s": round(record["first_epoch_s"] + (PLANNED_EPOCHS - 1) * seconds / epochs, 1)}
    return record


def measure(part: str, backend: str, variants: tuple[str, ...], cases: list[str], out: Path, budget_s: float,
            max_first_s: float, scale: float) -> dict[str, Any]:
    """Run every case × model × variant (variant-major, so a budget cut drops extras first); save as it goes."""
    began = time.perf_counter()
    result: dict[str, Any] = {"part": part, "machine": machine(backend), "runs": [], "skipped": []}
    for variant in variants:
        for key in cases:
            case = CASES[key]
            if scale != 1.0:  # quick local checks only
                case = Case(case.title, case.steps, case.features, case.batch, max(case.batch, int(case.train * scale)),
                            max(case.batch, int(case.val * scale)), 1)
            for model_name in MODELS:
                label = f"{key} {model_name} {backend} {variant}"
                if variant == "fit_spe" and case.batches > MAX_STEPS_PER_EXECUTION:
                    continue
                if time.perf_counter() - began > budget_s:
                    result["skipped"].append(f"{label}: time budget ({budget_s:.0f} s) spent")
                    continue
                try:
                    record = run(case, model_name, variant, case.epochs, max_first_s)
                except Exception as error:  # noqa: BLE001 - a failing backend path is a finding, not a crash
                    result["skipped"].append(f"{label}: {type(error).__name__}: {str(error)[:300]}")
                    print(f"{label}: failed: {error}", flush=True)
                    continue
                record |= {"key": key, "backend": backend, "device": result["machine"]["device"]}
                result["runs"].append(record)
                print(f"{label:<40} first {record['first_epoch_s']:>7.2f} s  epoch {record['epoch_s']:>8.4f} s  "
                      f"{record['train_windows_per_s']:>9,} windows/s", flush=True)
                result["seconds"] = round(time.perf_counter() - began, 1)
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(json.dumps(result, indent=2) + "\n")
    result["seconds"] = round(time.perf_counter() - began, 1)
    result["machine"]["load_average_1min_end"] = round(os.getloadavg()[0], 2)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Fold parts into bench/results/gpu.json (a part replaces the earlier one of its backend and device)."""
    merged: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    stored = {(p["machine"]["backend"], p["machine"]["device"]): p for p in merged.get("parts", [])}
    for part in parts:
        stored[(part["machine"]["backend"], part["machine"]["device"])] = part
    merged = {"what": __doc__.splitlines()[0] if __doc__ else "", "cases": {k: asdict(c) for k, c in CASES.items()},
              "models": list(MODELS), "learning_rate": LEARNING_RATE, "planned_epochs": PLANNED_EPOCHS,
              "parts": list(stored.values())}
    merged["table"] = table(merged["parts"])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n")
    return merged


def table(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per case, model and way of training, with speed-ups over Keras fit and rnnkit on this CPU."""
    runs = [r for p in parts for r in p["runs"]]
    rows = []
    for r in runs:
        base = {v["variant"]: v["epoch_s"] for v in runs if v["key"] == r["key"] and v["model"] == r["model"]
                and v["backend"] == "tensorflow"}
        row = {k: r[k] for k in ("key", "case", "model", "backend", "device", "variant", "epoch_s", "first_epoch_s",
                                 "projected_200_epochs_s")}
        row["vs_cpu_fit"] = round(base["fit"] / r["epoch_s"], 2) if "fit" in base else None
        row["vs_cpu_rnnkit"] = round(base["rnnkit"] / r["epoch_s"], 2) if "rnnkit" in base else None
        rows.append(row)
    order = list(CASES)
    return sorted(rows, key=lambda w: (order.index(w["key"]) if w["key"] in order else 99, w["model"],
                                       w["backend"] != "tensorflow", w["backend"], w["variant"]))


def summary(rows: list[dict[str, Any]]) -> None:
    """Print the merged table."""
    print(f"{'case':<28} {'model':<11} {'backend / variant':<26} {'s/epoch':>9} {'first':>7} {'vs CPU fit':>10} "
          f"{'vs rnnkit CPU':>13}")
    for w in rows:
        where = f"{w['backend']} {w['variant']} ({'GPU' if w['device'].startswith('GPU') else 'CPU'})"
        print(f"{w['case']:<28} {w['model']:<11} {where:<26} {w['epoch_s']:>9.4f} {w['first_epoch_s']:>7.2f} "
              f"{w['vs_cpu_fit'] or '':>10} {w['vs_cpu_rnnkit'] or '':>13}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--part", choices=("cpu", "gpu"), help="measure on this machine")
    parser.add_argument("--backend", choices=("jax", "torch"), default="jax", help="the GPU part's Keras backend")
    parser.add_argument("--out", type=Path, help="where the part's JSON goes (the CPU part: merged into gpu.json)")
    parser.add_argument("--merge", nargs="*", type=Path, default=[], help="part files to fold into gpu.json")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated keys of CASES")
    parser.add_argument("--budget-s", type=float, default=1800.0, help="start no run after this many seconds")
    parser.add_argument("--max-first-s", type=float, default=30.0, help="time one epoch if the first took longer")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the windows (quick checks only)")
    parser.add_argument("--variants", help="comma-separated variants instead of the part's own (fit, rnnkit, fit_spe)")
    args = parser.parse_args()
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    parts: list[dict[str, Any]] = [json.loads(path.read_text()) for path in args.merge]
    if args.part:
        backend = "tensorflow" if args.part == "cpu" else args.backend
        os.environ["KERAS_BACKEND"] = backend  # before Keras is first imported
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
        if args.part == "cpu":
            os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
            from rnnkit.defaults import DEFAULT_EPOCHS, DEFAULT_LEARNING_RATE, DEFAULT_MODELS

            assert (DEFAULT_MODELS, DEFAULT_LEARNING_RATE, DEFAULT_EPOCHS) == (MODELS, LEARNING_RATE, PLANNED_EPOCHS), \
                "bench/gpu.py's constants no longer match rnnkit.defaults"
            variants: tuple[str, ...] = ("fit", "rnnkit")
        else:
            variants = ("fit", "fit_spe") if backend == "jax" else ("fit",)
        if args.variants:
            variants = tuple(v.strip() for v in args.variants.split(",") if v.strip())
        out = args.out or RESULTS.with_name(f"gpu_{args.part}_{backend}.json")
        part = measure(args.part, backend, variants, cases, out, args.budget_s, args.max_first_s, args.scale)
        if args.out is None:  # measured here: merged at once, the part file is not kept
            out.unlink()
            parts.append(part)
    if parts:
        merged = merge(parts)
        summary(merged["table"])
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    elif not args.part:
        parser.error("give --part or --merge")


if __name__ == "__main__":
    main()
