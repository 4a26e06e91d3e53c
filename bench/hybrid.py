"""Hybrids (statistical forecast + a GRU on its errors) against the plain tuned GRU and their statistical bases.

    RNNKIT_DATA_DIR=../shared/data python bench/hybrid.py [--seeds 1,2,3]
        [--cases electric,elnino,gdp,nile,google] [--epochs N]

Every case is the accuracy benchmark's (bench/accuracy.py: the same series, the
dataset's task or the 70/15/15 upload split, the defaults' window, calendar
inputs and training), with the models tuned_gru, hybrid_ets_gru and
hybrid_theta_gru trained side by side in one comparison per seed, so every
forecaster is scored on identical validation and test targets. The question
(does the hybrid join the default models?) is answered on validation RMSE
only; test RMSE is reported. Also measures what rolling the statistical base
over the windows costs. Writes bench/results/hybrid.json and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
os.environ.setdefault("RNNKIT_RUNNER", "inline")  # one process: the models train one after another

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from accuracy import CASES  # noqa: E402 - bench/ is on the path when this script runs

from rnnkit.compare import compare, resolve_period  # noqa: E402
from rnnkit.defaults import DefaultSetup, default_setup  # noqa: E402
from rnnkit.hybrid import base_forecasts  # noqa: E402
from rnnkit.prepare import prepare  # noqa: E402

RESULTS = ROOT / "bench" / "results"
MODELS = ("tuned_gru", "hybrid_ets_gru", "hybrid_theta_gru")
BASES = {"hybrid_ets_gru": "auto_ets", "hybrid_theta_gru": "auto_theta"}
SHOWN = (*MODELS, "auto_ets", "auto_theta")


def base_cost(setup: DefaultSetup) -> dict[str, float]:
    """Seconds to fit and roll each hybrid base over the training, validation and test windows."""
    prepared = prepare(setup.series, setup.window, setup.split)
    period = resolve_period(None, setup.series.report.frequency, prepared.bounds.train_stop)
    seconds = {}
    for base in BASES.values():
        started = time.perf_counter()
        base_forecasts(base, prepared, period)
        seconds[base] = round(time.perf_counter() - started, 2)
    return seconds | {"train_windows": len(prepared.train), "val_windows": len(prepared.val),
                      "test_windows": len(prepared.test)}


def run_case(key: str, seeds: list[int], epochs: int | None) -> dict:
    """Every seed's validation and test RMSE of the models and the two bases, and the validation choice."""
    case = CASES[key]
    loaded = case.load()
    runs = []
    setup = None
    for seed in seeds:
        setup = default_setup(loaded.series, loaded.window, loaded.split, seed=seed, models=",".join(MODELS))
        training = setup.training if epochs is None else replace(setup.training, epochs=epochs)
        started = time.perf_counter()
        result = compare(setup.series, setup.window, list(setup.specs), setup.split, training)
        table = result.metrics
        runs.append({
            "seed": seed, "seconds": round(time.perf_counter() - started, 1), "best_model": result.best_model,
            "best_baseline": result.best_baseline,
            "scores": {name: {"val_rmse": float(table.loc[name, "val_rmse"]), "rmse": float(table.loc[name, "rmse"])}
                       for name in SHOWN if name in table.index},
            "train_seconds": {m.name: round(m.train_seconds, 1) for m in result.models},
            "epochs": {m.name: m.epochs_run for m in result.models},
        })
        print(f"  {key} seed {seed}: {runs[-1]['seconds']} s, best model {result.best_model}", flush=True)
    assert setup is not None
    summary = {}
    for name in SHOWN:
        rows = [r["scores"][name] for r in runs if name in r["scores"]]
        summary[name] = {metric: {"mean": round(float(np.mean([x[metric] for x in rows])), 4),
                                  "std": round(float(np.std([x[metric] for x in rows])), 4)}
                         for metric in ("val_rmse", "rmse")} if rows else None
    return {"title": case.title, "window": setup.window.__dict__, "runs": runs, "summary": summary,
            "base_cost_seconds": base_cost(setup)}


def verdicts(cases: dict) -> dict:
    """Per hybrid: on how many cases its mean validation RMSE beats tuned_gru and its base (the rule), and test."""
    out = {}
    for hybrid, base in BASES.items():
        rows = {}
        for key, case in cases.items():
            s = case["summary"]
            if not s.get(hybrid) or not s.get(base):
                continue
            rows[key] = {other: {part: bool(s[hybrid][part]["mean"] < s[other][part]["mean"])
                                 for part in ("val_rmse", "rmse")} for other in ("tuned_gru", base)}
        out[hybrid] = {
            "cases": rows,
            "val_wins_vs_tuned_gru": sum(r["tuned_gru"]["val_rmse"] for r in rows.values()),
            "val_wins_vs_base": sum(r[base]["val_rmse"] for r in rows.values()),
            "test_wins_vs_tuned_gru": sum(r["tuned_gru"]["rmse"] for r in rows.values()),
            "test_wins_vs_base": sum(r[base]["rmse"] for r in rows.values()),
            "of": len(rows),
        }
    return out


def summary_text(cases: dict, verdict: dict) -> str:
    """A plain table: mean (std) over seeds of validation and test RMSE per case and forecaster."""
    lines = [f"{'case':10} {'forecaster':18} {'val RMSE':>18} {'test RMSE':>18}"]
    for key, case in cases.items():
        for name in SHOWN:
            s = case["summary"].get(name)
            if s:
                lines.append(f"{key:10} {name:18} {s['val_rmse']['mean']:>10.4f} ({s['val_rmse']['std']:.4f})"
                             f" {s['rmse']['mean']:>10.4f} ({s['rmse']['std']:.4f})")
        lines.append(f"{key:10} base cost (s): {case['base_cost_seconds']}")
    for hybrid, v in verdict.items():
        lines.append(f"{hybrid}: validation better than tuned_gru on {v['val_wins_vs_tuned_gru']}/{v['of']} cases, "
                     f"than its base on {v['val_wins_vs_base']}/{v['of']}; test: {v['test_wins_vs_tuned_gru']}/"
                     f"{v['of']} and {v['test_wins_vs_base']}/{v['of']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="electric,elnino,gdp,nile,google")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--epochs", type=int, default=None, help="override the defaults' epochs (smoke tests)")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    started = time.perf_counter()
    cases = {}
    for key in args.cases.split(","):
        print(f"{key}: {CASES[key].title}", flush=True)
        cases[key] = run_case(key, seeds, args.epochs)
    verdict = verdicts(cases)
    text = summary_text(cases, verdict)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "hybrid.json" if args.epochs is None else "hybrid_quick.json"
    (RESULTS / name).write_text(json.dumps({
        "what": __doc__, "command": "python bench/hybrid.py " + " ".join(sys.argv[1:]), "seeds": seeds,
        "cases": cases, "verdict": verdict, "summary": text, "seconds": round(time.perf_counter() - started, 1),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else None},
    }, indent=1, default=str) + "\n")
    print(text)


if __name__ == "__main__":
    main()
