"""``python -m rnnkit compare`` and ``runs``: train, score, print and store from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from rnnkit.compare import ComparisonResult, compare, divergence_note, verdict
from rnnkit.data.calendar import with_calendar_features
from rnnkit.data.cleaning import CleaningOptions
from rnnkit.data.series import TimeSeries, load_series
from rnnkit.models.presets import parse_model_list
from rnnkit.serialize import config_dict
from rnnkit.splits import SplitSpec
from rnnkit.store import RunStore
from rnnkit.training import ProgressEvent, TrainingConfig
from rnnkit.windows.spec import WindowSpec

DEFAULT_WINDOW = WindowSpec(lookback=12)
METRIC_COLUMNS = ["kind", "mae", "rmse", "mape", "smape", "mase", "skill_pct", "dm_p"]


def _load(args: argparse.Namespace) -> tuple[TimeSeries, WindowSpec, SplitSpec, str]:
    features = [f.strip() for f in args.features.split(",") if f.strip()]
    options = CleaningOptions(resample=args.resample)
    if args.dataset:
        from rnnkit.datasets.builtin import load_dataset

        loaded = load_dataset(args.dataset, ticker=args.ticker, options=options, target=args.target,
                              features=tuple(features) if features else None)
        if loaded.notice:
            print(f"note: {loaded.notice}", file=sys.stderr)
        return loaded.series, loaded.window, loaded.split, loaded.label
    from rnnkit.cli import open_user_file

    with open_user_file(args.csv) as handle:
        series = load_series(handle, name=Path(args.csv).name, target=args.target, features=features,
                             options=options)
    return series, DEFAULT_WINDOW, SplitSpec(), series.name


def _window(args: argparse.Namespace, default: WindowSpec) -> WindowSpec:
    return WindowSpec(
        lookback=args.lookback if args.lookback is not None else default.lookback,
        step=args.step if args.step is not None else default.step,
        delay=args.delay if args.delay is not None else default.delay,
        horizon=args.horizon if args.horizon is not None else default.horizon,
    )


def _split(args: argparse.Namespace, default: SplitSpec) -> SplitSpec:
    if args.test_start:
        return SplitSpec(test_start=args.test_start)
    if args.train is not None or args.val is not None:
        return SplitSpec(train=args.train if args.train is not None else 0.7,
                         val=args.val if args.val is not None else 0.15)
    return default


def _print_progress(event: ProgressEvent) -> None:
    prefix = f"[{event.model_index + 1}/{event.n_models}] {event.model}"
    if event.kind == "epoch":
        losses = "  ".join(f"{k} {v:.4g}" for k, v in event.logs.items())
        print(f"{prefix} epoch {event.epoch}/{event.epochs}  {losses}  ({event.elapsed_s:.1f} s)", file=sys.stderr)
    elif event.kind in ("finished", "cancelled"):
        print(f"{prefix} {event.kind} after {event.epoch} epochs ({event.elapsed_s:.1f} s)", file=sys.stderr)


def format_metrics(result: ComparisonResult) -> str:
    """The metrics table as fixed-width text, best model and best baseline marked."""
    table = result.metrics[METRIC_COLUMNS].copy()
    marks = {result.best_model: " ← best model", result.best_baseline: " ← best baseline"}
    table.index = [f"{name}{marks.get(name, '')}" for name in table.index]
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.4g}".format):
        text = table.to_string(na_rep="")
    units = f"Test metrics for {result.target!r} in its own units on {len(result.y_test)} windows"
    return f"{units} (MAPE and sMAPE in %, skill in % of RMSE against the best baseline, dm_p: " \
           f"Diebold–Mariano p-value against it):\n{text}"


def run_compare(args: argparse.Namespace) -> int:
    series, default_window, default_split, label = _load(args)
    if args.calendar:
        series = with_calendar_features(series)
    specs = parse_model_list(args.models)
    window, split = _window(args, default_window), _split(args, default_split)
    training = TrainingConfig(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                              patience=args.patience, early_stopping=not args.no_early_stopping, seed=args.seed)
    store = None if args.no_save else RunStore(Path(args.runs_dir) if args.runs_dir else None)
    run_id = None
    if store is not None:
        params = {"window": window.__dict__, "training": training.to_dict(), "scaler": args.scaler,
                  "features": list(series.features)}
        run_id = store.start(label, series.target, [s.name for s in specs], params)
    try:
        result = compare(series, window, specs, split, training, args.scaler, period=args.period,
                         progress=None if args.json else _print_progress)
        if store is not None and run_id is not None:
            store.finish(run_id, result)
    except BaseException as error:
        if store is not None and run_id is not None:
            store.fail(run_id, str(error) or type(error).__name__)
        raise
    if args.json:
        payload = config_dict(result) | {
            "run_id": run_id, "metrics": json.loads(result.metrics.to_json(orient="index"))}
        print(json.dumps(payload, indent=2, default=str))
    else:
        print(format_metrics(result))
        if (note := divergence_note(result)) is not None:
            print("\n" + note)
        if result.best_model and result.best_baseline:
            skill = result.metrics.loc[result.best_model, "skill_pct"]
            p = result.metrics.loc[result.best_model, "dm_p"]
            print("\n" + verdict(result.best_model, result.best_baseline, skill, p))
        if run_id and store is not None:
            print(f"Saved run {run_id} in {store.root}")
    return 0


def run_runs(args: argparse.Namespace) -> int:
    store = RunStore(Path(args.runs_dir) if args.runs_dir else None)
    if args.delete:
        store.delete(args.delete)
        print(f"Deleted run {args.delete}")
        return 0
    records = store.list()
    if args.json:
        print(json.dumps([r.__dict__ for r in records], indent=2, default=str))
        return 0
    if not records:
        print(f"No stored runs in {store.root}")
        return 0
    for r in records:
        best = r.metrics.get(r.best_model, {}).get("rmse") if r.best_model else None
        score = f"best {r.best_model} RMSE {best:.4g}" if best is not None else (r.message or "")
        print(f"{r.id}  {r.created_at}  {r.status:<11} {r.dataset} [{r.target}]  "
              f"models: {', '.join(r.models)}  {score}")
    return 0
