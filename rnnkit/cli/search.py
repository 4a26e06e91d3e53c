"""``python -m rnnkit search``: a budgeted hyperparameter search on the validation part, then optionally a comparison.

Loading, the split and the printing of a comparison are ``compare``'s own
functions; the engine is imported when the command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from rnnkit.cli.common import EXIT_INTERRUPTED, add_runner_arguments, add_source_arguments, runner_from_args
from rnnkit.progress import CancelToken

if TYPE_CHECKING:
    from rnnkit.results import ComparisonResult
    from rnnkit.runners.base import Runner
    from rnnkit.data.series import TimeSeries
    from rnnkit.search import SearchEvent, SearchResult
    from rnnkit.splits import SplitSpec


def add_parser(commands: argparse._SubParsersAction) -> None:
    search = commands.add_parser("search", help="search model and training settings on the validation part, "
                                               "within a time budget")
    add_source_arguments(search)
    add_runner_arguments(search)
    search.add_argument("--train", type=float, help="training fraction (default: the dataset's split or 0.7)")
    search.add_argument("--val", type=float, help="validation fraction (default 0.15)")
    search.add_argument("--test-start", help="first date of the test part (YYYY-MM-DD), instead of fractions")
    search.add_argument("--scaler", choices=("minmax", "standard", "none"), default="minmax")
    search.add_argument("--budget", type=float, required=True, metavar="SECONDS",
                        help="time for the whole search; the trial running at the end is stopped")
    search.add_argument("--trials", type=int, help="stop after this many trials (default: only the budget)")
    search.add_argument("--epochs", type=int, help="most epochs per trial (default 200, with early stopping)")
    search.add_argument("--patience", type=int, help="epochs without improvement before a trial stops (default 20)")
    search.add_argument("--seed", type=int, default=42)
    search.add_argument("--storage", help="an Optuna storage URL, e.g. sqlite:///study.db: runs that share it "
                                          "continue one study")
    search.add_argument("--study", help="the study's name in --storage (default: from the series and task)")
    search.add_argument("--then-compare", action="store_true",
                        help="then compare the searched model with the default models and the baselines")
    search.add_argument("--json", action="store_true", help="print the result as JSON")


def _print_event(event: SearchEvent) -> None:
    if event.kind == "started":
        return
    value = f"val RMSE {event.val_rmse:.4g}" if event.val_rmse is not None else event.state
    best = f"best {event.best_val_rmse:.4g}" if event.best_val_rmse is not None else "no best yet"
    note = f" ({event.note})" if event.note and event.note not in ("finished", "stopped early") else ""
    print(f"trial {event.trial}: {value}{note} · {best} · {event.elapsed_s:.0f} s elapsed, "
          f"{event.budget_left_s:.0f} s left", file=sys.stderr)


def compare_flags(args: argparse.Namespace, result: SearchResult) -> str:
    """The ``compare`` command that trains with the searched window and training settings."""
    assert result.best is not None
    source = f"--dataset {args.dataset}" if args.dataset else f"--csv {args.csv}"
    if args.target:
        source += f" --target {args.target}"
    if args.scaler != "minmax":
        source += f" --scaler {args.scaler}"
    training, window = result.best.training, result.best.window
    return (f"python -m rnnkit compare {source} --lookback {window.lookback} --learning-rate "
            f"{training.learning_rate:.3g} --batch-size {training.batch_size} --epochs {training.epochs} "
            f"--patience {training.patience} --seed {training.seed}")


def run(args: argparse.Namespace) -> int:
    from rnnkit.cli.compare import _load, _split, ctrl_c_cancels
    from rnnkit.data.calendar import with_calendar_features
    from rnnkit.defaults import suggest_defaults
    from rnnkit.search import search
    from rnnkit.splits import SplitSpec

    series, dataset_window, dataset_split, _label = _load(args)
    split = _split(args, dataset_split or SplitSpec())
    defaults = suggest_defaults(series, dataset_window, split)
    if defaults.calendar:
        series = with_calendar_features(series)
    overrides = {"epochs": args.epochs, "patience": args.patience, "seed": args.seed}
    base = replace(defaults.training, **{k: v for k, v in overrides.items() if v is not None})
    cancel = CancelToken()
    with ctrl_c_cancels(cancel), runner_from_args(args) as runner:
        result = search(series, defaults.window, split, args.budget, args.trials, base, args.scaler, args.seed,
                        progress=None if args.json else _print_event, cancel=cancel, storage=args.storage,
                        study_name=args.study, runner=runner)
        comparison = None
        if args.then_compare and result.best is not None and not cancel.cancelled:
            comparison = _compare(args, series, split, result, cancel, defaults.models, runner)
    if args.json:
        payload: dict[str, object] = {
            "status": str(result.status), "study": result.study_name, "elapsed_s": result.elapsed_s,
            "best_trial": result.best_trial, "best_val_rmse": result.best_val_rmse, "selection": result.selection,
            "trials": json.loads(result.trials.to_json(orient="records")),
        }
        if result.best is not None:
            payload["best"] = {"model": result.best.spec.to_dict(), "training": result.best.training.to_dict(),
                               "window": result.best.window.__dict__, "compare": compare_flags(args, result)}
        if comparison is not None:
            from rnnkit.verdicts import result_verdict

            payload["comparison"] = {"metrics": json.loads(comparison.metrics.to_json(orient="index")),
                                     "best_model": comparison.best_model, "verdict": result_verdict(comparison)}
        print(json.dumps(payload, indent=2, default=str))
    else:
        _print_result(args, result)
        if comparison is not None:
            _print_comparison(comparison)
    if cancel.cancelled:
        print("Stopped by Ctrl-C: the trials that finished are reported.", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _print_result(args: argparse.Namespace, result: SearchResult) -> None:
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.4g}".format):
        table = result.trials.to_string(index=False, na_rep="")
    print(f"{len(result.trials)} trials in study {result.study_name!r} ({result.status}, "
          f"{result.elapsed_s:.0f} s of {result.budget_s:.0f} s); val_rmse is the validation RMSE in the series' "
          f"own units:\n{table}\n")
    print(result.selection)
    if result.best is None:
        return
    best = result.best
    print(f"Best configuration: {best.spec.layer_summary}; lookback {best.window.lookback}, learning rate "
          f"{best.training.learning_rate:.3g}, batch size {best.training.batch_size}.")
    print("The model is not a preset, so no flag names it; this trains the other models with the searched window "
          f"and training settings:\n  {compare_flags(args, result)}\nand --then-compare runs the searched model "
          "itself against the default models and the baselines.")


def _compare(args: argparse.Namespace, series: TimeSeries, split: SplitSpec, result: SearchResult,
             cancel: CancelToken, default_models: tuple[str, ...], runner: Runner) -> ComparisonResult:
    """The searched model with the default models, all on the searched window and training settings."""
    from rnnkit.cli.compare import _print_progress, ctrl_c_cancels
    from rnnkit.compare import compare
    from rnnkit.models.presets import parse_model_list

    assert result.best is not None
    specs = parse_model_list(",".join(default_models))
    if result.defaults_won:  # the searched model is the default GRU: a copy would only dilute the Holm correction
        print("The defaults won the search, so the comparison has the default models only.", file=sys.stderr)
    else:
        specs.append(result.best.spec)
    if not args.json:
        print(f"\nComparing {', '.join(s.name for s in specs)} with the baselines, every model with the searched "
              f"window (lookback {result.best.window.lookback}) and training settings.", file=sys.stderr)
    with ctrl_c_cancels(cancel):
        return compare(series, result.best.window, specs, split, result.best.training, args.scaler,
                       progress=None if args.json else _print_progress, cancel=cancel, runner=runner)


def _print_comparison(comparison: ComparisonResult) -> None:
    from rnnkit.cli.compare import format_metrics
    from rnnkit.verdicts import coverage_note, divergence_note, result_verdict, skipped_note

    print("\n" + format_metrics(comparison))
    for note in (divergence_note(comparison), skipped_note(comparison), coverage_note(comparison),
                 result_verdict(comparison)):
        if note is not None:
            print("\n" + note)
