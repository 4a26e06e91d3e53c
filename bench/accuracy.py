"""Accuracy of the recurrent presets against naive baselines on three classic cases, over seeds.

    RNNKIT_DATA_DIR=../shared/data python bench/accuracy.py [--seeds 3] [--quick]

(a) electric production: the classic split (first 250 months for training, the
    last 24 of them validating), 15 time steps; every classic preset, the tuned
    GRU and LSTM (with calendar features), and the 14-step direct preset in its
    own horizon-14 comparison;
(b) the Google stock exercise: train 2012–2016, test January 2017, 60-step window on Open;
(c) Jena (the 2020 file, resampled hourly): temperature 24 hours ahead from 5 days
    of 14 variables, 70/15/15 split: persistence against Chollet's GRU and LSTM, and
    the tuned residual GRU and LSTM on temperature and the hour of day (MAE loss).

Metrics are test MAE and RMSE in the series' units, mean ± std over seeds
(baselines are deterministic). Writes bench/results/accuracy.json and
bench/results/accuracy.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import dataclass, replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from rnnkit.compare import compare  # noqa: E402
from rnnkit.data.calendar import with_calendar_features  # noqa: E402
from rnnkit.data.cleaning import CleaningOptions  # noqa: E402
from rnnkit.data.series import TimeSeries  # noqa: E402
from rnnkit.datasets.builtin import load_dataset  # noqa: E402
from rnnkit.models.presets import PRESETS  # noqa: E402
from rnnkit.splits import SplitSpec  # noqa: E402
from rnnkit.training import TrainingConfig  # noqa: E402
from rnnkit.windows.spec import WindowSpec  # noqa: E402

RESULTS = ROOT / "bench" / "results"


@dataclass
class Group:
    """Models trained together with one training config on one series variant and window."""

    label: str
    models: list[str]
    training: TrainingConfig
    series: TimeSeries
    window: WindowSpec
    linear_suffix: str = ""  # the ridge baseline sees the same inputs as the models: name it apart


def run_group(group: Group, split: SplitSpec, seeds: list[int], scores: dict, baselines: dict) -> None:
    for seed in seeds:
        started = time.perf_counter()
        result = compare(group.series, group.window, [PRESETS[m] for m in group.models], split,
                         replace(group.training, seed=seed))
        for name in result.metrics.index:
            row = result.metrics.loc[name]
            key = f"{name}{group.linear_suffix}" if name == "linear" else name
            key = key if group.window.horizon == 1 else f"{key} (h={group.window.horizon})"
            target = scores if row["kind"] == "model" else baselines
            target.setdefault(key, {"mae": [], "rmse": [], "epochs": []})
            target[key]["mae"].append(float(row["mae"]))
            target[key]["rmse"].append(float(row["rmse"]))
            if row["kind"] == "model":
                target[key]["epochs"].append(result.model(name).epochs_run)
        print(f"  {group.label} seed {seed}: {time.perf_counter() - started:.0f} s", flush=True)


def summarise(scores: dict, baselines: dict, reference: str | None = None, metric: str = "rmse") -> dict:
    """Mean and std per forecaster; the best model and baseline by ``metric``, and the skill between them."""
    def stats(values: dict) -> dict:
        out = {m: {"mean": float(np.mean(v)), "std": float(np.std(v))} for m, v in values.items()
               if m in ("mae", "rmse")}
        if values.get("epochs"):
            out["epochs_mean"] = float(np.mean(values["epochs"]))
        return out

    models = {k: stats(v) for k, v in scores.items()}
    bases = {k: stats(v) for k, v in baselines.items() if "(h=" not in k}
    one_step = {k: v for k, v in models.items() if "(h=" not in k}
    best_model = min(one_step, key=lambda k: one_step[k][metric]["mean"])
    best_baseline = min(bases, key=lambda k: bases[k][metric]["mean"])
    skill = 100 * (1 - one_step[best_model][metric]["mean"] / bases[best_baseline][metric]["mean"])
    summary = {"models": models, "baselines": {k: stats(v) for k, v in baselines.items()},
               "best_model": best_model, "best_baseline": best_baseline, "metric": metric,
               "skill_pct": round(skill, 2)}
    if reference is not None:
        ref, best = bases[reference], one_step[best_model]
        summary[f"skill_vs_{reference}_rmse_pct"] = round(100 * (1 - best["rmse"]["mean"] / ref["rmse"]["mean"]), 2)
        summary[f"skill_vs_{reference}_mae_pct"] = round(100 * (1 - best["mae"]["mean"] / ref["mae"]["mean"]), 2)
    return summary


def markdown(results: dict) -> str:
    """The README table: one block per case, sorted by the case's metric, best model and baseline marked."""
    titles = {"electric": "(a) US electric production, 15 steps, test = after the first 250 months",
              "google": "(b) Google stock (Open), 60 steps, test = January 2017",
              "jena": f"(c) {results['data']['jena']}, hourly: temperature 24 h ahead from 5 days of inputs"}
    lines = []
    for case, summary in results["cases"].items():
        metric = summary.get("metric", "rmse")
        lines += [f"**{titles[case]}**", "", "| forecaster | kind | MAE | RMSE |", "|---|---|---:|---:|"]
        rows = [(k, "model", v) for k, v in summary["models"].items()] + \
               [(k, "baseline", v) for k, v in summary["baselines"].items()]
        for name, kind, v in sorted(rows, key=lambda r: ("(h=" in r[0], r[2][metric]["mean"])):
            mark = " **best**" if name in (summary["best_model"], summary["best_baseline"]) else ""
            lines.append(f"| {name}{mark} | {kind} | {v['mae']['mean']:.3f} ± {v['mae']['std']:.3f} | "
                         f"{v['rmse']['mean']:.3f} ± {v['rmse']['std']:.3f} |")
        lines += ["", f"Best model {summary['best_model']} vs best baseline {summary['best_baseline']}: "
                      f"{summary['skill_pct']:+.1f}% {metric.upper()} skill." + "".join(
                          f" Against {k.split('_vs_')[1].rsplit('_', 2)[0]} ({k.rsplit('_', 2)[1].upper()}): "
                          f"{v:+.1f}%." for k, v in summary.items() if k.startswith("skill_vs_")), ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1 seed, 2 epochs: a smoke test, not a result")
    args = parser.parse_args()
    seeds = [1] if args.quick else list(range(1, args.seeds + 1))
    cap = (lambda n: 2) if args.quick else (lambda n: n)
    started = time.perf_counter()
    cases: dict[str, dict] = {}

    print("(a) electric production", flush=True)
    electric = load_dataset("electric")
    split = SplitSpec(train_rows=226, val_rows=24)
    classic = TrainingConfig(epochs=cap(100), batch_size=32, learning_rate=1e-3, patience=10)
    tuned = TrainingConfig(epochs=cap(300), batch_size=16, learning_rate=3e-3, patience=30)
    scores, baselines = {}, {}
    for group in (
        Group("classic presets", ["simple_rnn", "lstm", "lstm_td", "gru", "jena_lstm", "jena_gru"], classic,
              electric.series, WindowSpec(15)),
        Group("tuned + calendar", ["tuned_gru", "tuned_lstm"], tuned, with_calendar_features(electric.series),
              WindowSpec(15), linear_suffix=" + calendar"),
        Group("14-step direct", ["lstm_14"], classic, electric.series, WindowSpec(15, horizon=14)),
    ):
        run_group(group, split, seeds, scores, baselines)
    cases["electric"] = summarise(scores, baselines, reference="seasonal_naive")

    print("(b) Google stock", flush=True)
    stocks = load_dataset("stocks")
    scores, baselines = {}, {}
    group = Group("stock presets", ["lstm", "gru", "tuned_gru"],
                  TrainingConfig(epochs=cap(50), batch_size=32, learning_rate=1e-3, patience=8),
                  stocks.series, WindowSpec(60))
    run_group(group, stocks.split, seeds, scores, baselines)
    cases["google"] = summarise(scores, baselines, reference="naive")

    print("(c) Jena hourly", flush=True)
    jena = load_dataset("jena", options=CleaningOptions(resample="1h"))
    scores, baselines = {}, {}
    temperature_and_hour = with_calendar_features(jena.series.with_columns("T (degC)", ()), ("hour",))
    for group in (
        Group("Jena GRU and LSTM", ["jena_gru", "jena_lstm"],
              TrainingConfig(epochs=cap(12), batch_size=128, learning_rate=1e-3, patience=3),
              jena.series, WindowSpec(lookback=120, delay=23)),
        Group("tuned, temperature + hour", ["tuned_gru", "tuned_lstm"],
              TrainingConfig(epochs=cap(25), batch_size=128, learning_rate=2e-3, patience=5, loss="mae"),
              temperature_and_hour, WindowSpec(lookback=120, delay=23), linear_suffix=" (temperature + hour)"),
    ):
        run_group(group, SplitSpec(train=0.7, val=0.15), seeds, scores, baselines)
    cases["jena"] = summarise(scores, baselines, reference="naive", metric="mae")  # the target is set on MAE

    results = {
        "cases": cases,
        "seeds": seeds,
        "quick": args.quick,
        "data": {"electric": electric.label, "google": stocks.label, "jena": jena.label},
        "seconds": round(time.perf_counter() - started, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "device": "CPU"},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "accuracy_quick" if args.quick else "accuracy"
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown(results) + "\n")
    print(markdown(results))
    print(f"total {results['seconds']:.0f} s; wrote bench/results/{name}.json and .md")


if __name__ == "__main__":
    main()
