"""``python -m rnnkit compare``: train, score, print and store from the command line.

The engine is imported when the command runs, so building the parser (and the
other commands) stays light.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from rnnkit.cli.common import EXIT_INTERRUPTED, add_runner_arguments, add_source_arguments, runner_from_args
from rnnkit.models.presets import DEFAULT_HYBRID, DEFAULT_MODELS
from rnnkit.progress import CancelToken
from rnnkit.windows.spec import WindowSpec

if TYPE_CHECKING:
    from rnnkit.backtest import BacktestResult
    from rnnkit.store import RunStore
    from rnnkit.results import ComparisonResult
    from rnnkit.models.spec import ModelSpec
    from rnnkit.training import TrainingConfig
    from rnnkit.data.series import TimeSeries
    from rnnkit.splits import SplitSpec
    from rnnkit.training import ProgressEvent


def add_parser(commands: argparse._SubParsersAction) -> None:
    compare = commands.add_parser("compare", help="train models side by side and compare them with baselines")
    source = add_source_arguments(compare)
    source.add_argument("--from-run", metavar="RUN_ID",
                        help="run a stored run's comparison again, exactly as it was asked, as a new run")
    calendar = compare.add_mutually_exclusive_group()
    calendar.add_argument("--calendar", action="store_true", default=None,
                          help="add calendar features (month, weekday or hour, as sine and cosine) as inputs "
                               "(default: on when the frequency has a season)")
    calendar.add_argument("--no-calendar", dest="calendar", action="store_false")
    compare.add_argument("--models", default=None,
                         help=f"comma-separated presets (default: {','.join(DEFAULT_MODELS)}, plus {DEFAULT_HYBRID} "
                              "where its AutoTheta base can run on the split; see `rnnkit datasets`)")
    compare.add_argument("--lookback", type=int, help="rows of history per window (default: the dataset's)")
    compare.add_argument("--step", type=int, help="sampling step inside the window")
    compare.add_argument("--delay", type=int, help="rows between the window's end and the first target")
    compare.add_argument("--horizon", type=int, help="steps predicted at once")
    compare.add_argument("--train", type=float, help="training fraction (default: the dataset's split or 0.7)")
    compare.add_argument("--val", type=float, help="validation fraction (default 0.15)")
    compare.add_argument("--test-start", help="first date of the test part (YYYY-MM-DD), instead of fractions")
    compare.add_argument("--scaler", choices=("minmax", "standard", "none"), default="minmax")
    compare.add_argument("--epochs", type=int, help="most epochs per model (default 200, with early stopping)")
    compare.add_argument("--batch-size", type=int, help="default: about 30 updates per epoch, 16 to 256")
    compare.add_argument("--learning-rate", type=float, help="default 0.003, halved when validation stalls")
    compare.add_argument("--patience", type=int, help="epochs without improvement before stopping (default 20)")
    compare.add_argument("--no-early-stopping", action="store_true")
    compare.add_argument("--no-reduce-lr", action="store_true", help="keep the learning rate constant")
    compare.add_argument("--no-statistical", action="store_true",
                         help="leave out AutoETS, AutoTheta and AutoARIMA (faster, weaker opponents)")
    compare.add_argument("--backtest", type=int, metavar="K",
                         help="rolling-origin backtest: refit on an expanding window and score K test folds")
    compare.add_argument("--seed", type=int, default=42)
    compare.add_argument("--period", type=int, help="seasonal period in rows (default: from the frequency)")
    add_runner_arguments(compare)
    compare.add_argument("--json", action="store_true", help="print the result as JSON")
    compare.add_argument("--no-save", action="store_true", help="do not store the run")
    compare.add_argument("--runs-dir", help="where runs are stored")


METRIC_COLUMNS = ["kind", "val_rmse", "mae", "rmse", "mase", "skill_pct", "dm_p", "dm_p_holm", "coverage_pct",
                  "winkler"]


def _load(args: argparse.Namespace) -> tuple[TimeSeries, WindowSpec | None, SplitSpec | None, str]:
    from rnnkit.cli.common import open_user_file
    from rnnkit.data.cleaning import CleaningOptions
    from rnnkit.data.series import load_series

    features = [f.strip() for f in args.features.split(",") if f.strip()]
    options = CleaningOptions(resample=args.resample, max_filled_share=args.max_filled, date_order=args.date_order)
    if args.dataset:
        from rnnkit.datasets.builtin import load_dataset

        loaded = load_dataset(args.dataset, ticker=args.ticker, options=options, target=args.target,
                              features=tuple(features) if features else None)
        if loaded.notice:
            print(f"note: {loaded.notice}", file=sys.stderr)
        return loaded.series, loaded.window, loaded.split, loaded.label
    with open_user_file(args.csv) as handle:
        series = load_series(handle, name=Path(args.csv).name, target=args.target, features=features,
                             options=options)
    return series, None, None, series.name


def _window(args: argparse.Namespace, default: WindowSpec) -> WindowSpec:
    """The defaults' window with every flag the user gave applied over it."""
    return WindowSpec(
        lookback=args.lookback if args.lookback is not None else default.lookback,
        step=args.step if args.step is not None else default.step,
        delay=args.delay if args.delay is not None else default.delay,
        horizon=args.horizon if args.horizon is not None else default.horizon,
    )


def _split(args: argparse.Namespace, default: SplitSpec) -> SplitSpec:
    from rnnkit.splits import SplitSpec

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
    """The metrics table as fixed-width text, the validation-chosen model and baseline marked."""
    import pandas as pd

    table = result.metrics[METRIC_COLUMNS].copy()
    chosen = "chosen on validation" if result.selection == "validation" else "chosen on test"
    marks = {result.best_model: f" ← best model ({chosen})", result.best_baseline: f" ← best baseline ({chosen})"}
    table.index = [f"{name}{marks.get(name, '')}" for name in table.index]
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.4g}".format):
        text = table.to_string(na_rep="")
    units = f"Test metrics for {result.target!r} in its own units on {len(result.y_test)} windows"
    return (f"{units} (val_rmse: validation RMSE, the basis of the choice; skill in % of RMSE against the "
            f"chosen baseline; dm_p: Diebold–Mariano p-value against it, dm_p_holm: Holm-corrected over the "
            f"models; coverage_pct and winkler: the {result.interval:.0%} test intervals):\n{text}")


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from rnnkit.compare import compare
    from rnnkit.defaults import default_setup
    from rnnkit.prepare import plan_windows
    from rnnkit.splits import SplitSpec
    from rnnkit.verdicts import cancel_note, coverage_note, divergence_note, result_verdict, skipped_note
    from rnnkit.serialize import config_dict
    from rnnkit.store import RunStore

    if args.from_run:
        return _run_again(args)
    loaded, dataset_window, dataset_split, label = _load(args)
    setup = default_setup(loaded, dataset_window, _split(args, dataset_split or SplitSpec()),
                          calendar=args.calendar, models=args.models)
    defaults, series, split, specs = setup.defaults, setup.series, setup.split, list(setup.specs)
    window = _window(args, setup.window)
    overrides = {"epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.learning_rate,
                 "patience": args.patience, "seed": args.seed}
    training = replace(setup.training, **{k: v for k, v in overrides.items() if v is not None},
                       early_stopping=not args.no_early_stopping, reduce_lr=not args.no_reduce_lr)
    plan_windows(series, window, split)  # refuse impossible settings before saying anything else
    if not args.json:
        print("Defaults (any flag overrides them): " + "; ".join(defaults.reasons) + ".", file=sys.stderr)
    if args.backtest is not None:
        return _run_backtest(args, series, window, specs, split, training, label)
    store = None if args.no_save else RunStore(Path(args.runs_dir) if args.runs_dir else None)
    run_id = None
    if store is not None:
        params = {"window": window.__dict__, "training": training.to_dict(), "scaler": args.scaler,
                  "features": list(series.features),
                  "request": _request_dict(args, store, series, window, specs, split, training, label)}
        run_id = store.start(label, series.target, [s.name for s in specs], params)
    cancel = CancelToken()
    try:
        with ctrl_c_cancels(cancel), _alive(store, run_id), runner_from_args(args) as runner:
            result = compare(series, window, specs, split, training, args.scaler, period=args.period,
                             progress=None if args.json else _print_progress, cancel=cancel,
                             statistical=not args.no_statistical, runner=runner)
        if store is not None and run_id is not None:
            store.finish(run_id, result)
    except BaseException as error:
        _record_failure(store, run_id, error)
        raise
    if args.json:
        payload = config_dict(result) | {
            "run_id": run_id, "metrics": json.loads(result.metrics.to_json(orient="index"))}
        print(json.dumps(payload, indent=2, default=str))
    else:
        print(format_metrics(result))
        for note in (cancel_note(result), divergence_note(result), skipped_note(result), coverage_note(result),
                     result_verdict(result)):
            if note is not None:
                print("\n" + note)
        if store is not None and run_id:
            print(f"Saved run {run_id} in {store.root}")
    if cancel.cancelled:
        print("Stopped by Ctrl-C: the models that finished were scored and kept"
              + (f" in run {run_id} (cancelled)." if run_id else "."), file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _request_dict(args: argparse.Namespace, store: RunStore, series: TimeSeries, window: WindowSpec,
                  specs: list[ModelSpec], split: SplitSpec, training: TrainingConfig, label: str,
                  folds: int | None = None) -> dict:
    """The run's request (its series snapshotted beside the runs), stored so ``--from-run`` can run it again."""
    from rnnkit.request import make_request

    request = make_request(series, window, specs, split, training, args.scaler, snapshot_folder=store.series_folder,
                           period=args.period, statistical=not args.no_statistical, folds=folds, label=label)
    return request.to_dict()


def _alive(store: RunStore | None, run_id: str | None) -> contextlib.AbstractContextManager[None]:
    """The run's heartbeat while it trains, so a killed command's run is marked interrupted."""
    return store.alive(run_id) if store is not None and run_id is not None else contextlib.nullcontext()


def _run_again(args: argparse.Namespace) -> int:
    """``compare --from-run RUN_ID``: the stored run's request, run again as a new run."""
    from rnnkit.errors import RnnkitError
    from rnnkit.execute import run_request
    from rnnkit.request import ComparisonRequest
    from rnnkit.serialize import config_dict
    from rnnkit.store import RunStore
    from rnnkit.verdicts import cancel_note, coverage_note, divergence_note, result_verdict, skipped_note

    store = RunStore(Path(args.runs_dir) if args.runs_dir else None)
    record = store.record(args.from_run)
    values = record.params.get("request")
    if not isinstance(values, dict):
        raise RnnkitError(f"Run {args.from_run} was stored without the request it was asked with (it was made by "
                          "an older rnnkit).", "Run the comparison again with --csv or --dataset and its settings.")
    request = ComparisonRequest.from_dict(values)
    run_id = None
    if not args.no_save:
        params = dict(record.params, request=values, run_again_of=args.from_run)
        params.pop("job_id", None)
        run_id = store.start(record.dataset, record.target, [m.name for m in request.models], params)
    cancel = CancelToken()
    try:
        with ctrl_c_cancels(cancel), _alive(None if args.no_save else store, run_id), \
                runner_from_args(args) as runner:
            result = run_request(request, runner, None if args.json else _print_progress, cancel,
                                 model_dir=None if run_id is None else str(store.work_dir(run_id)))
        if run_id is not None:
            store.finish(run_id, result)
    except BaseException as error:
        _record_failure(None if args.no_save else store, run_id, error)
        raise
    if args.json:
        payload = config_dict(result) | {"run_id": run_id, "run_again_of": args.from_run,
                                         "metrics": json.loads(result.metrics.to_json(orient="index"))}
        print(json.dumps(payload, indent=2, default=str))
    else:
        print(format_metrics(result))
        last = result_verdict(result)
        if last is not None and result.backtest_verdict:  # the pooled verdict above; this one is one fold's
            last = f"Last fold: {last}"
        for note in (result.backtest_verdict, cancel_note(result), divergence_note(result), skipped_note(result),
                     coverage_note(result), last):
            if note is not None:
                print("\n" + note)
        if run_id:
            print(f"Saved run {run_id} (run {args.from_run} again) in {store.root}")
    if cancel.cancelled:
        print("Stopped by Ctrl-C: the models that finished were scored and kept.", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _record_failure(store: RunStore | None, run_id: str | None, error: BaseException) -> None:
    """Mark a stored run failed with what stopped it (Ctrl-C or the error), before the error goes on."""
    if store is not None and run_id is not None:
        message = "Stopped by Ctrl-C." if isinstance(error, KeyboardInterrupt) else str(error) or type(error).__name__
        store.fail(run_id, message)


def _run_backtest(args: argparse.Namespace, series: TimeSeries, window: WindowSpec, specs: list[ModelSpec],
                  split: SplitSpec, training: TrainingConfig, label: str) -> int:
    """``compare --backtest K``: K folds, refitted on an expanding window; fold table, summary and verdict."""
    from rnnkit.backtest import backtest
    from rnnkit.store import RunStore

    store = None if args.no_save else RunStore(Path(args.runs_dir) if args.runs_dir else None)
    run_id = None
    if store is not None:
        params = {"window": window.__dict__, "training": training.to_dict(), "scaler": args.scaler,
                  "features": list(series.features), "backtest_folds": args.backtest,
                  "request": _request_dict(args, store, series, window, specs, split, training, f"{label} (backtest)",
                                           folds=args.backtest)}
        run_id = store.start(f"{label} (backtest)", series.target, [s.name for s in specs], params)
    cancel = CancelToken()
    try:
        with ctrl_c_cancels(cancel), _alive(store, run_id), runner_from_args(args) as runner:
            result = backtest(series, window, specs, args.backtest, split, training, args.scaler,
                              period=args.period, progress=None if args.json else _print_progress, cancel=cancel,
                              statistical=not args.no_statistical, runner=runner)
        if store is not None and run_id is not None:
            if result.folds:
                store.finish(run_id, result.as_result())
            else:
                store.fail(run_id, "Stopped before the first fold finished.")
    except BaseException as error:
        _record_failure(store, run_id, error)
        raise
    if args.json:
        payload = {"run_id": run_id, "folds": json.loads(result.fold_table().to_json(orient="records")),
                   "summary": json.loads(result.summary().to_json(orient="index")),
                   "best_model": result.best_model, "best_baseline": result.best_baseline,
                   "pooled_dm_p": result.pooled_dm_p, "pooled_dm_p_holm": result.pooled_dm_p_holm,
                   "verdict": result.verdict()}
        print(json.dumps(payload, indent=2, default=str))
    else:
        print(format_backtest(result))
        if store is not None and run_id and result.folds:
            print(f"Saved run {run_id} in {store.root}")
    if cancel.cancelled:
        print("Stopped by Ctrl-C: the folds that finished are reported.", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def format_backtest(result: BacktestResult) -> str:
    """Per-fold RMSE, then the mean and spread across folds, then the pooled verdict."""
    import pandas as pd

    if not result.folds:
        return "The backtest stopped before its first fold finished: nothing to report."
    wide = result.fold_table().pivot(index="name", columns="fold", values="rmse")
    wide.columns = [f"fold {c} RMSE" for c in wide.columns]
    summary = result.summary()[["kind", "val_rmse", "rmse_mean", "rmse_std", "mae_mean", "coverage_pct"]]
    with pd.option_context("display.width", 220, "display.max_columns", 30, "display.float_format", "{:.4g}".format):
        text = summary.join(wide).sort_values(["kind", "rmse_mean"], ascending=[False, True]).to_string(na_rep="")
    return (f"Rolling-origin backtest of {result.target!r}: {len(result.folds)} folds, each refitted on all rows "
            f"before it (val_rmse: validation RMSE before the first fold, the basis of the choice):\n{text}\n\n"
            f"{result.verdict()}")


@contextmanager
def ctrl_c_cancels(cancel: CancelToken) -> Iterator[None]:
    """The first Ctrl-C cancels after the current batch (keeping what finished); a second one stops at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if cancel.cancelled:
            raise KeyboardInterrupt
        cancel.cancel()
        print("Stopping after the current batch; finished models are kept (press Ctrl-C again to quit now).",
              file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
