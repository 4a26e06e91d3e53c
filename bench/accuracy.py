"""What a user gets with the default settings: validation-chosen RNNs against strong baselines, over seeds.

    RNNKIT_DATA_DIR=../shared/data python bench/accuracy.py [--seeds 3] [--jena-seeds N]
        [--cases electric,google,jena,nile,elnino,gdp] [--quick]

Every case runs exactly what ``python -m rnnkit compare`` runs with no model or
training flags (the same :func:`rnnkit.defaults.default_setup`), once per
training seed: the best model and the best baseline are chosen on validation,
the test part only reports how they do, on the identical targets of every
forecaster (naive, seasonal naive, drift, ridge, AutoETS, AutoTheta, AutoARIMA).

(a) electric: US electric production, the dataset's classic split (test = after the first 250 months);
(b) google: the Google stock exercise (Open), the dataset's split (validation from July 2016, test = January 2017);
(c) jena: Jena 2020 resampled hourly, temperature 24 h ahead (the dataset's task), a rolling-origin
    backtest: train 0.4, validation 0.1, the last half of the year cut into 6 folds of about 30 days;
(d) nile, (e) elnino, (f) gdp: statsmodels' bundled annual Nile flows, monthly El Niño sea temperatures
    and quarterly US real GDP, written to CSV and read through ``load_series`` (the upload path), 70/15/15.

Writes bench/results/accuracy.json and .md (``--quick``: 1 seed, 2 epochs, accuracy_quick.*, a smoke test).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

from rnnkit.backtest import BacktestResult, backtest  # noqa: E402
from rnnkit.compare import ComparisonResult, compare  # noqa: E402
from rnnkit.data.cleaning import CleaningOptions  # noqa: E402
from rnnkit.data.series import TimeSeries, load_series  # noqa: E402
from rnnkit.datasets.builtin import load_dataset  # noqa: E402
from rnnkit.defaults import DefaultSetup, default_setup  # noqa: E402
from rnnkit.splits import SplitSpec  # noqa: E402
from rnnkit.statistical import STATISTICAL_MODELS  # noqa: E402
from rnnkit.verdicts import SIGNIFICANCE, result_verdict  # noqa: E402
from rnnkit.windows.spec import WindowSpec  # noqa: E402

RESULTS = ROOT / "bench" / "results"
#: the opponents a practitioner would run instead; the best of them on test is reported, never used to choose
STRONG = (*STATISTICAL_MODELS, "seasonal_naive")
SMALL_ROWS, SMALL_LIMIT_S = 5_000, 120
JENA_FOLDS = 6


@dataclass(frozen=True)
class Loaded:
    """A case's series with the task a user gets by default (a built-in dataset's window and split, or none)."""

    series: TimeSeries
    window: WindowSpec | None
    split: SplitSpec | None
    label: str


@dataclass(frozen=True)
class Case:
    key: str
    title: str
    cli: str  # the command a user would type for the same comparison
    load: Callable[[], Loaded]
    folds: int | None = None  # a rolling-origin backtest of this many folds instead of one split


def builtin(key: str, resample: str | None = None, split: SplitSpec | None = None) -> Callable[[], Loaded]:
    def load() -> Loaded:
        loaded = load_dataset(key, options=CleaningOptions(resample=resample))
        return Loaded(loaded.series, loaded.window, split or loaded.split, loaded.label)
    return load


def uploaded(name: str, frame: Callable[[], pd.DataFrame], target: str) -> Callable[[], Loaded]:
    """A statsmodels dataset as a user's CSV upload: bytes through ``load_series``, the CLI's 70/15/15 split."""
    def load() -> Loaded:
        data = frame().to_csv(index=False).encode()
        return Loaded(load_series(io.BytesIO(data), name=name, target=target), None, SplitSpec(), name)
    return load


def nile() -> pd.DataFrame:
    from statsmodels.datasets import nile as data

    table = data.load_pandas().data
    return pd.DataFrame({"year": table["year"].astype(int).astype(str) + "-01-01", "volume": table["volume"]})


def elnino() -> pd.DataFrame:
    from statsmodels.datasets import elnino as data

    wide = data.load_pandas().data
    long = wide.melt(id_vars="YEAR", var_name="month", value_name="temperature")
    months = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                          "NOV", "DEC"], start=1)}
    long["date"] = pd.to_datetime({"year": long["YEAR"].astype(int), "month": long["month"].map(months), "day": 1})
    return long.sort_values("date")[["date", "temperature"]].assign(date=lambda f: f["date"].dt.strftime("%Y-%m-%d"))


def gdp() -> pd.DataFrame:
    from statsmodels.datasets import macrodata as data

    table = data.load_pandas().data
    dates = pd.PeriodIndex.from_fields(year=table["year"].astype(int), quarter=table["quarter"].astype(int),
                                       freq="Q").to_timestamp()
    return pd.DataFrame({"quarter": dates.strftime("%Y-%m-%d"), "realgdp": table["realgdp"]})


CASES = {case.key: case for case in (
    Case("electric", "(a) US electric production, monthly; test = after the first 250 months (the classic split)",
         "python -m rnnkit compare --dataset electric", builtin("electric")),
    Case("google", "(b) Google stock (Open), daily; validation from July 2016, test = January 2017",
         "python -m rnnkit compare --dataset stocks", builtin("stocks")),
    Case("jena", f"(c) Jena 2020 hourly, temperature 24 h ahead; backtest of {JENA_FOLDS} folds over the last half "
                 "of the year (train 0.4, validation 0.1 before each fold)",
         f"python -m rnnkit compare --dataset jena --resample 1h --train 0.4 --val 0.1 --backtest {JENA_FOLDS}",
         builtin("jena", "1h", SplitSpec(train=0.4, val=0.1)), folds=JENA_FOLDS),
    Case("nile", "(d) Nile annual flow at Aswan 1871–1970 (statsmodels), uploaded CSV, 70/15/15",
         "python -m rnnkit compare --csv nile.csv --target volume", uploaded("nile.csv", nile, "volume")),
    Case("elnino", "(e) El Niño monthly sea surface temperature 1950–2010 (statsmodels), uploaded CSV, 70/15/15",
         "python -m rnnkit compare --csv elnino.csv --target temperature",
         uploaded("elnino.csv", elnino, "temperature")),
    Case("gdp", "(f) US real GDP, quarterly 1959–2009 (statsmodels macrodata), uploaded CSV, 70/15/15",
         "python -m rnnkit compare --csv gdp.csv --target realgdp", uploaded("gdp.csv", gdp, "realgdp")),
)}


def skill(model: float, reference: float) -> float:
    return round(100 * (1 - model / reference), 2) if reference > 0 else float("nan")


def best_statistical(scores: dict[str, dict[str, float]], metric: str = "rmse") -> str | None:
    """The strongest of ETS, Theta, ARIMA and seasonal naive on TEST: reported, never used to choose."""
    present = {name: scores[name][metric] for name in STRONG if name in scores and np.isfinite(scores[name][metric])}
    return min(present, key=present.__getitem__) if present else None


def single_split(result: ComparisonResult, seconds: float) -> dict:
    """One seed of a single-split comparison: every forecaster's scores and the validation choice."""
    table = result.metrics
    scores = {name: {"kind": row["kind"], "mae": float(row["mae"]), "rmse": float(row["rmse"]),
                     "val_rmse": float(row["val_rmse"])} for name, row in table.iterrows()}
    model, base = result.best_model, result.best_baseline
    strongest = best_statistical(scores)
    verdict = result_verdict(result)
    return {
        "seconds": round(seconds, 1), "scores": scores, "best_model": model, "best_baseline": base,
        "selection": result.selection,
        "skill_pct": round(float(table.loc[model, "skill_pct"]), 2) if model else None,
        "best_statistical": strongest,
        "skill_vs_best_statistical_pct": skill(scores[model]["rmse"], scores[strongest]["rmse"])
        if model and strongest else None,
        "dm_p": float(table.loc[model, "dm_p"]) if model else None,
        "dm_p_holm": float(table.loc[model, "dm_p_holm"]) if model else None,
        "verdict": verdict,
        "epochs": {m.name: m.epochs_run for m in result.models},
        "skipped": dict(result.skipped), "notes": list(result.notes), "test_windows": len(result.y_test),
    }


def backtested(result: BacktestResult, seconds: float) -> dict:
    """One seed of a backtest: scores averaged over folds, the choice on mean validation RMSE, pooled tests."""
    summary = result.summary()
    scores = {name: {"kind": row["kind"], "mae": float(row["mae_mean"]), "rmse": float(row["rmse_mean"]),
                     "val_rmse": float(row["val_rmse"])} for name, row in summary.iterrows()}
    model, base = result.best_model, result.best_baseline
    strongest = best_statistical(scores)
    pooled = {}
    for name in (model, base, strongest):
        errors = result.errors(name) if name else None
        if name and errors is not None:
            pooled[name] = float(np.sqrt(np.mean(errors ** 2)))
    folds = result.fold_table()
    folds = folds.assign(test_start=folds["test_start"].astype(str), test_end=folds["test_end"].astype(str))
    return {
        "seconds": round(seconds, 1), "scores": scores, "best_model": model, "best_baseline": base,
        "selection": "validation (mean over folds)",
        "skill_pct": skill(pooled[model], pooled[base]) if model in pooled and base in pooled else None,
        "best_statistical": strongest,
        "skill_vs_best_statistical_pct": skill(pooled[model], pooled[strongest])
        if model in pooled and strongest in pooled else None,
        "mae_skill_vs_naive_pct": skill(scores[model]["mae"], scores["naive"]["mae"]) if model else None,
        "dm_p": float(result.pooled_dm_p), "dm_p_holm": float(result.pooled_dm_p_holm),
        "verdict": result.verdict(),
        "epochs": {f"fold {plan.fold} {m.name}": m.epochs_run for plan, f in zip(result.plans, result.folds,
                                                                                  strict=True) for m in f.models},
        "skipped": {f"fold {plan.fold} {k}": v for plan, f in zip(result.plans, result.folds, strict=True)
                    for k, v in f.skipped.items()},
        "fold_seconds": round(seconds / max(len(result.folds), 1), 1),
        "folds": json.loads(folds.drop(columns=["coverage_pct", "winkler"]).round(4).to_json(orient="records")),
    }


def all_cpu_s() -> float:
    """CPU seconds so far of this process, its living workers (the process pool) and its finished children."""
    import resource

    from throughput import process_tree_cpu_s  # bench/ is the script's folder, so its first import path

    finished = resource.getrusage(resource.RUSAGE_CHILDREN)
    return process_tree_cpu_s() + finished.ru_utime + finished.ru_stime


def run_seed(case: Case, loaded: Loaded, seed: int, quick: bool) -> tuple[DefaultSetup, dict]:
    """One default comparison (or backtest) with training seed ``seed``; wall and CPU seconds included."""
    started, cpu = time.perf_counter(), all_cpu_s()
    setup = default_setup(loaded.series, loaded.window, loaded.split, seed=seed)
    training = replace(setup.training, epochs=2) if quick else setup.training
    if case.folds:
        folds = backtest(setup.series, setup.window, list(setup.specs), case.folds, setup.split, training)
        run = backtested(folds, time.perf_counter() - started)
    else:
        result = compare(setup.series, setup.window, list(setup.specs), setup.split, training)
        run = single_split(result, time.perf_counter() - started)
    return setup, run | {"cpu_seconds": round(all_cpu_s() - cpu, 1)}


def summarise(case: Case, loaded: Loaded, setup: DefaultSetup, runs: list[dict], seeds: list[int]) -> dict:
    """Mean and std over seeds per forecaster; the choices per seed and the most frequent one."""
    names = list(dict.fromkeys(n for r in runs for n in r["scores"]))
    forecasters = {}
    for name in names:
        rows = [r["scores"][name] for r in runs if name in r["scores"]]
        forecasters[name] = {"kind": rows[0]["kind"], "seeds": len(rows)} | {
            metric: {"mean": round(float(np.mean([x[metric] for x in rows])), 4),
                     "std": round(float(np.std([x[metric] for x in rows])), 4)} for metric in ("mae", "rmse",
                                                                                              "val_rmse")}
    mode = Counter(r["best_model"] for r in runs).most_common(1)[0][0]
    base = Counter(r["best_baseline"] for r in runs).most_common(1)[0][0]
    strongest = best_statistical({n: {"rmse": v["rmse"]["mean"]} for n, v in forecasters.items()})

    def mean(key: str) -> float | None:
        values = [r[key] for r in runs if r.get(key) is not None and np.isfinite(r[key])]
        return round(float(np.mean(values)), 4) if values else None

    out = {
        "title": case.title, "data": loaded.label, "cli": case.cli, "rows": len(loaded.series),
        "frequency": loaded.series.report.frequency, "seeds": seeds,
        "window": setup.window.__dict__, "split": {k: v for k, v in setup.split.__dict__.items() if v is not None},
        "inputs": [loaded.series.target, *setup.series.features], "models": [s.name for s in setup.specs],
        "training": setup.training.to_dict() | {"seed": "per run"}, "defaults_reasons": list(setup.defaults.reasons),
        "forecasters": forecasters,
        "best_model_per_seed": [r["best_model"] for r in runs],
        "best_baseline_per_seed": [r["best_baseline"] for r in runs],
        "best_model": mode, "best_baseline": base,
        "skill_pct": {"mean": mean("skill_pct"), "per_seed": [r["skill_pct"] for r in runs]},
        "best_statistical_on_test": strongest,
        "skill_vs_best_statistical_pct": {"mean": mean("skill_vs_best_statistical_pct"),
                                          "per_seed": [r["skill_vs_best_statistical_pct"] for r in runs],
                                          "against_per_seed": [r["best_statistical"] for r in runs]},
        "dm_p_holm": {"mean": mean("dm_p_holm"), "per_seed": [r["dm_p_holm"] for r in runs]},
        "dm_p": {"per_seed": [r["dm_p"] for r in runs]},
        "verdicts": [r["verdict"] for r in runs],
        "seconds": {"per_seed": [r["seconds"] for r in runs], "max": max(r["seconds"] for r in runs),
                    "cpu_per_seed": [r["cpu_seconds"] for r in runs]},
        "epochs_per_seed": [r["epochs"] for r in runs],
        "skipped": runs[0]["skipped"], "notes": runs[0].get("notes", []),
    }
    if case.folds:
        out["folds"] = case.folds
        out["mae_skill_vs_naive_pct"] = {"mean": mean("mae_skill_vs_naive_pct"),
                                         "per_seed": [r["mae_skill_vs_naive_pct"] for r in runs]}
        out["fold_seconds_mean"] = mean("fold_seconds")
        out["fold_table_per_seed"] = {str(seed): r["folds"] for seed, r in zip(seeds, runs, strict=True)}
    else:
        out["test_windows"] = runs[0]["test_windows"]
    return out


def targets(cases: dict) -> dict:
    """The issue's targets for default settings, each met or missed with the figures."""
    out: dict[str, dict] = {}
    if "electric" in cases:
        c = cases["electric"]
        per_seed_rmse = c["chosen_rmse_per_seed"]  # whichever model validation chose in each seed
        stat = {n: c["forecasters"][n]["rmse"]["mean"] for n in STATISTICAL_MODELS if n in c["forecasters"]}
        best_stat = min(stat, key=stat.__getitem__)
        seasonal = c["forecasters"]["seasonal_naive"]["rmse"]["mean"]
        mean_rmse = float(np.mean(per_seed_rmse))
        out["electric_matches_best_statistical"] = {
            "met": mean_rmse <= stat[best_stat],
            "figures": f"validation-chosen RNN test RMSE {mean_rmse:.3f} (per seed "
                       f"{', '.join(f'{x:.3f}' for x in per_seed_rmse)}) vs {best_stat} {stat[best_stat]:.3f}"}
        out["electric_beats_seasonal_naive_by_15pct"] = {
            "met": skill(mean_rmse, seasonal) >= 15,
            "figures": f"{skill(mean_rmse, seasonal):+.1f}% RMSE vs seasonal naive {seasonal:.3f}"}
    if "jena" in cases:
        c = cases["jena"]
        s = c["mae_skill_vs_naive_pct"]
        out["jena_backtest_mae_10pct_better_than_persistence"] = {
            "met": s["mean"] is not None and s["mean"] >= 10,
            "figures": f"chosen model's mean MAE over {c['folds']} folds vs 24-h persistence (naive): "
                       f"{s['mean']:+.1f}% (per seed {', '.join(f'{x:+.1f}%' for x in s['per_seed'])})"}
    if "google" in cases:
        c = cases["google"]
        claims = []
        for sentence, p in zip(c["verdicts"], c["dm_p_holm"]["per_seed"], strict=True):
            claims_better = sentence is not None and " beats " in sentence and "a real difference" in sentence
            claims.append((claims_better, p))
        honest = all((not claimed) or (p is not None and p < SIGNIFICANCE) for claimed, p in claims)
        out["google_verdict_claims_only_with_corrected_test"] = {
            "met": honest, "figures": "; ".join(
                f"seed {seed}: {'claims better' if claimed else 'no claim'}, Holm p {p:.3g}"
                for seed, (claimed, p) in zip(c["seeds"], claims, strict=True))}
    small = {k: c["seconds"]["max"] for k, c in cases.items() if c["rows"] < SMALL_ROWS}
    if small:
        out["under_2_min_below_5000_rows"] = {
            "met": max(small.values()) <= SMALL_LIMIT_S,
            "figures": ", ".join(f"{k} {v:.0f} s" for k, v in small.items()) + " wall, slowest seed each, on a "
                       "CPU shared with other work (CPU time of the process and its pool workers: " + ", ".join(
                           f"{k} {max(c['seconds']['cpu_per_seed']):.0f} s" for k, c in cases.items()
                           if c["rows"] < SMALL_ROWS) + ")" + "".join(
                               f"; rerun alone through the CLI ({c['cli_check']['command']}): "
                               f"{c['cli_check']['wall_s']:.0f} s wall, {c['cli_check']['cpu_s']:.0f} s CPU, "
                               f"{c['cli_check']['same_result']}" for c in cases.values() if c.get("cli_check"))}
    return out


def fmt(value: float | None, spec: str = "+.1f", suffix: str = "%") -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:{spec}}{suffix}"


def markdown(results: dict) -> str:
    """The README section: a summary table, then one table of forecasters per case, then the targets."""
    cases = results["cases"]
    lines = ["| case | chosen model (per seed) | its test RMSE | chosen baseline | skill vs chosen baseline | "
             "skill vs best statistical on test | Holm-corrected p | default comparison wall (CPU) time |",
             "|---|---|---:|---|---:|---:|---:|---:|"]
    for key, c in cases.items():
        models = ", ".join(c["best_model_per_seed"])
        against = Counter(c["skill_vs_best_statistical_pct"]["against_per_seed"]).most_common(1)[0][0]
        lines.append(f"| {key} | {models} | {np.mean(c['chosen_rmse_per_seed']):.4g} | {c['best_baseline']} | "
                     f"{fmt(c['skill_pct']['mean'])} | "
                     f"{fmt(c['skill_vs_best_statistical_pct']['mean'])} vs {against} | "
                     f"{fmt(c['dm_p_holm']['mean'], '.3g', '')} | {np.mean(c['seconds']['per_seed']):.0f} s "
                     f"({np.mean(c['seconds']['cpu_per_seed']):.0f} s) |")
    lines.append("")
    for c in cases.values():
        lines += [f"**{c['title']}** — {c['rows']:,} rows; seeds {c['seeds']}; `{c['cli']}`", ""]
        lines += ["| forecaster | kind | validation RMSE | test MAE | test RMSE |", "|---|---|---:|---:|---:|"]
        for name, v in sorted(c["forecasters"].items(), key=lambda kv: kv[1]["rmse"]["mean"]):
            mark = " **chosen**" if name in (c["best_model"], c["best_baseline"]) else ""
            lines.append(f"| {name}{mark} | {v['kind']} | {v['val_rmse']['mean']:.4g} | "
                         f"{v['mae']['mean']:.4g} ± {v['mae']['std']:.2g} | "
                         f"{v['rmse']['mean']:.4g} ± {v['rmse']['std']:.2g} |")
        lines.append("")
        if c.get("folds"):
            lines += [_fold_lines(c), ""]
            lines.append(f"Chosen model's mean MAE over folds vs 24-h persistence: "
                         f"{fmt(c['mae_skill_vs_naive_pct']['mean'])}. Scores are means over the folds.")
        if c["skipped"]:
            lines.append("Skipped: " + "; ".join(f"{k}: {v}" for k, v in c["skipped"].items()) + ".")
        lines += [f"Verdict (seed {c['seeds'][0]}): {c['verdicts'][0]}", ""]
    lines += ["Skill, skill vs best statistical and Holm p: means over seeds. Wall time: mean per seed of one "
              "default comparison (a whole backtest for Jena), measured while the 2-core CPU was shared with other "
              "work; CPU time: the process's CPU seconds over all its threads.", "",
              "**Targets (default settings)**", ""]
    for name, t in results["targets"].items():
        lines.append(f"- {'met' if t['met'] else '**missed**'}: {name.replace('_', ' ')} — {t['figures']}")
    return "\n".join(lines)


def _fold_lines(c: dict) -> str:
    """Per-fold test MAE of the chosen model, persistence and the best statistical model (first seed)."""
    folds = pd.DataFrame(c["fold_table_per_seed"][str(c["seeds"][0])])
    names = list(dict.fromkeys([c["best_model"], "naive", c["best_statistical_on_test"], c["best_baseline"]]))
    names = [n for n in names if n in set(folds["name"])]
    wide = folds[folds["name"].isin(names)].pivot(index="fold", columns="name", values="mae")[names]
    dates = folds.groupby("fold")[["test_start", "test_end"]].first()
    head = "| fold | test period | " + " | ".join(f"{n} MAE" for n in names) + " |"
    rows = [head, "|---|---|" + "---:|" * len(names)]
    for fold, row in wide.iterrows():
        period = f"{dates.loc[fold, 'test_start'][:10]} → {dates.loc[fold, 'test_end'][:10]}"
        rows.append(f"| {fold} | {period} | " + " | ".join(f"{row[n]:.3f}" for n in names) + " |")
    return "\n".join(rows)


WHAT = ("default settings only (rnnkit.defaults.default_setup, as `python -m rnnkit compare` without model or "
        "training flags); best model and baseline chosen on validation, scored on test")
MACHINE = {"cpus": os.cpu_count(), "python": platform.python_version(), "device": "CPU",
           "note": "2 cores shared with other work while measuring: wall times are noisy"}


def write_part(part: str, cases: dict, started: float) -> None:
    results = {"what": WHAT, "quick": False, "cases": cases, "targets": targets(cases),
               "seconds": round(time.perf_counter() - started, 1), "machine": MACHINE}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"accuracy_part_{part}.json").write_text(json.dumps(results, indent=2, default=str) + "\n")


def combine(parts: list[str]) -> None:
    """Join parts run side by side (each its own process) into accuracy.json and .md, in the cases' order."""
    loaded = [json.loads((RESULTS / f"accuracy_part_{p}.json").read_text()) for p in parts]
    cases = {k: c for r in loaded for k, c in r["cases"].items()}
    cases = {k: cases[k] for k in CASES if k in cases}
    results = loaded[0] | {"cases": cases, "targets": targets(cases),
                           "seconds": max(r["seconds"] for r in loaded),
                           "parts": {p: {"cases": list(r["cases"]), "seconds": r["seconds"]}
                                     for p, r in zip(parts, loaded, strict=True)}}
    (RESULTS / "accuracy.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (RESULTS / "accuracy.md").write_text(markdown(results) + "\n")
    print(markdown(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="training seeds per case (1, 2, ...)")
    parser.add_argument("--jena-seeds", type=int, help="fewer seeds for the Jena backtest, to bound the run")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated subset of {', '.join(CASES)}")
    parser.add_argument("--quick", action="store_true", help="1 seed, 2 epochs: a smoke test, not a result")
    parser.add_argument("--part", help="write accuracy_part_PART.json only (to run subsets in parallel)")
    parser.add_argument("--combine", help="comma-separated parts to join into accuracy.json and .md")
    parser.add_argument("--render", action="store_true",
                        help="only rewrite the targets and the .md from the existing JSON (no training)")
    args = parser.parse_args()
    if args.combine:
        combine([p.strip() for p in args.combine.split(",")])
        return
    if args.render:
        name = "accuracy_quick" if args.quick else "accuracy"
        results = json.loads((RESULTS / f"{name}.json").read_text())
        results["targets"] = targets(results["cases"])
        (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
        (RESULTS / f"{name}.md").write_text(markdown(results) + "\n")
        print(markdown(results))
        return
    keys = [k.strip() for k in args.cases.split(",") if k.strip()]
    unknown = [k for k in keys if k not in CASES]
    if unknown:
        parser.error(f"unknown cases {unknown}; choose from {', '.join(CASES)}")
    started = time.perf_counter()
    cases: dict[str, dict] = {}
    for key in keys:
        case = CASES[key]
        n_seeds = 1 if args.quick else (args.jena_seeds if key == "jena" and args.jena_seeds else args.seeds)
        seeds = list(range(1, n_seeds + 1))
        print(case.title, flush=True)
        loaded = case.load()
        runs = []
        for seed in seeds:
            setup, run = run_seed(case, loaded, seed, args.quick)
            runs.append(run)
            print(f"  seed {seed}: {run['seconds']:.0f} s (CPU {run['cpu_seconds']:.0f} s), "
                  f"chosen {run['best_model']} vs {run['best_baseline']}, "
                  f"skill {fmt(run['skill_pct'])}, vs {run['best_statistical']} "
                  f"{fmt(run['skill_vs_best_statistical_pct'])}", flush=True)
            cases[key] = summarise(case, loaded, setup, runs, seeds[: len(runs)])
            cases[key]["chosen_rmse_per_seed"] = [r["scores"][r["best_model"]]["rmse"] for r in runs]
            cases[key]["chosen_mae_per_seed"] = [r["scores"][r["best_model"]]["mae"] for r in runs]
            if key == "jena" and len(runs) < args.seeds and not args.quick:
                cases[key]["seeds_note"] = (f"{len(runs)} seed(s) instead of {args.seeds}: the backtest trains "
                                            f"{JENA_FOLDS} folds × 2 models per seed, which did not fit the time "
                                            "budget on this shared 2-core CPU")
            if args.part:  # written after every seed, so a part stopped early keeps what finished
                write_part(args.part, cases, started)
    results = {
        "what": WHAT, "quick": args.quick, "cases": cases, "targets": targets(cases),
        "seconds": round(time.perf_counter() - started, 1), "machine": MACHINE,
    }
    if args.part:
        print(f"total {results['seconds']:.0f} s; wrote bench/results/accuracy_part_{args.part}.json")
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "accuracy_quick" if args.quick else "accuracy"
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown(results) + "\n")
    print(markdown(results))
    print(f"total {results['seconds']:.0f} s; wrote bench/results/{name}.json and .md")


if __name__ == "__main__":
    main()
