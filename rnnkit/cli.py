"""Command line: ``python -m rnnkit inspect FILE`` and ``python -m rnnkit datasets``.

Errors a user can fix are printed as one line on stderr with exit status 2;
the command never shows a traceback for them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import BinaryIO

from rnnkit.data.cleaning import MISSING_POLICIES, CleaningOptions
from rnnkit.data.series import TimeSeries, load_series
from rnnkit.errors import RnnkitError

EXIT_USER_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rnnkit",
        description="Forecast time series with recurrent networks, honestly compared with naive baselines.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    inspect = commands.add_parser("inspect", help="parse a file exactly as the app does and describe it")
    inspect.add_argument("file", help="CSV, TSV, .xlsx, or a zip holding one CSV")
    inspect.add_argument("--target", help="target column (default: the first numeric column)")
    inspect.add_argument("--features", default="", help="extra input columns, comma-separated")
    inspect.add_argument("--time-column", help="time column (default: detected)")
    inspect.add_argument("--missing", choices=MISSING_POLICIES, default="interpolate",
                         help="how to fill missing values (default: interpolate)")
    inspect.add_argument("--resample", help="aggregate to this frequency first, e.g. 1h or D")
    commands.add_parser("datasets", help="list the built-in datasets and whether each works offline")
    _add_compare_parser(commands)
    runs = commands.add_parser("runs", help="list stored runs (or delete one)")
    runs.add_argument("--delete", metavar="RUN_ID", help="delete this run and its files")
    runs.add_argument("--json", action="store_true", help="print the runs as JSON")
    runs.add_argument("--runs-dir", help="where runs are stored (default: RNNKIT_RUNS_DIR or the user data folder)")
    return parser


def _add_compare_parser(commands: argparse._SubParsersAction) -> None:
    compare = commands.add_parser("compare", help="train models side by side and compare them with baselines")
    source = compare.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", help="a built-in dataset: electric, jena or stocks")
    source.add_argument("--csv", help="a CSV (or .xlsx) file of your own")
    compare.add_argument("--ticker", help="stock ticker for --dataset stocks (default GOOG)")
    compare.add_argument("--target", help="target column")
    compare.add_argument("--features", default="", help="extra input columns, comma-separated")
    compare.add_argument("--resample", help="aggregate to this frequency first, e.g. 1h")
    compare.add_argument("--calendar", action="store_true",
                         help="add calendar features (month, weekday or hour, as sine and cosine) as inputs")
    compare.add_argument("--models", default="jena_gru,tuned_lstm",
                         help="comma-separated presets (see --list-models)")
    compare.add_argument("--lookback", type=int, help="rows of history per window (default: the dataset's)")
    compare.add_argument("--step", type=int, help="sampling step inside the window")
    compare.add_argument("--delay", type=int, help="rows between the window's end and the first target")
    compare.add_argument("--horizon", type=int, help="steps predicted at once")
    compare.add_argument("--train", type=float, help="training fraction (default: the dataset's split or 0.7)")
    compare.add_argument("--val", type=float, help="validation fraction (default 0.15)")
    compare.add_argument("--test-start", help="first date of the test part (YYYY-MM-DD), instead of fractions")
    compare.add_argument("--scaler", choices=("minmax", "standard", "none"), default="minmax")
    compare.add_argument("--epochs", type=int, default=20)
    compare.add_argument("--batch-size", type=int, default=32)
    compare.add_argument("--learning-rate", type=float, default=1e-3)
    compare.add_argument("--patience", type=int, default=5)
    compare.add_argument("--no-early-stopping", action="store_true")
    compare.add_argument("--seed", type=int, default=42)
    compare.add_argument("--period", type=int, help="seasonal period in rows (default: from the frequency)")
    compare.add_argument("--json", action="store_true", help="print the result as JSON")
    compare.add_argument("--no-save", action="store_true", help="do not store the run")
    compare.add_argument("--runs-dir", help="where runs are stored")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "inspect":
            return _inspect(args)
        if args.command == "compare":
            from rnnkit.cli_compare import run_compare

            return run_compare(args)
        if args.command == "runs":
            from rnnkit.cli_compare import run_runs

            return run_runs(args)
        return _datasets()
    except RnnkitError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR


def open_user_file(path: str) -> BinaryIO:
    """Open a file named on the command line, or raise an error naming it and the fix."""
    try:
        return open(path, "rb")
    except OSError as error:
        raise RnnkitError(f"Cannot open {path}: {error.strerror}.", "Check the path and try again.") from error


def _inspect(args: argparse.Namespace) -> int:
    features = [f.strip() for f in args.features.split(",") if f.strip()]
    options = CleaningOptions(missing=args.missing, resample=args.resample)
    with open_user_file(args.file) as handle:
        series = load_series(handle, name=args.file, target=args.target, features=features,
                             time_column=args.time_column, options=options)
    print(describe(series))
    return 0


def describe(series: TimeSeries) -> str:
    """A plain-text description of a loaded series and everything cleaning found."""
    report, frame, log = series.report, series.frame, series.report.cleaning
    lines = [f"File:       {report.source}"]
    if report.text_format is not None:
        fmt = report.text_format
        lines.append(f"Format:     {fmt.encoding}, delimiter {fmt.delimiter!r}, decimal {fmt.decimal!r}")
    lines += [
        f"Rows:       {len(frame):,} after cleaning ({report.rows_read:,} read)",
        f"Time:       column {report.time_column!r} ({report.time_layout}), "
        f"{frame.index[0]} → {frame.index[-1]}",
        f"Frequency:  {report.frequency_label}" + (f" [{report.frequency}]" if report.frequency else ""),
        f"Target:     {series.target!r}",
        f"Features:   {', '.join(repr(f) for f in series.features) or 'none (univariate)'}",
        "Columns:",
    ]
    width = max(len(str(c)) for c in [*frame.columns, *report.ignored_columns]) + 2
    lines.append(f"  {'name':<{width}} {'type':<8} {'missing':>8} {'min':>12} {'max':>12}")
    for column in frame.columns:
        values = frame[column]
        lines.append(
            f"  {str(column):<{width}} {'number':<8} {log.missing_values.get(column, 0):>8} "
            f"{values.min():>12.6g} {values.max():>12.6g}"
        )
    for column in report.ignored_columns:
        lines.append(f"  {column:<{width}} {'text':<8} (not a model input)")
    lines.append("Missing values and gaps:")
    findings = report.summary_lines()
    lines += [f"  - {line}" for line in findings] if findings else ["  none"]
    if log.gaps:
        lines.append("  Largest gaps:")
        for gap in sorted(log.gaps, key=lambda g: -g.missing_steps)[:5]:
            lines.append(f"    {gap.after} → {gap.before}: {gap.missing_steps} missing")
    return "\n".join(lines)


def _datasets() -> int:
    from rnnkit.datasets.availability import availability
    from rnnkit.datasets.registry import DATASETS

    for key, info in DATASETS.items():
        state = availability(key)
        print(f"{key:<9} {info.title} ({info.frequency}, {info.size})")
        print(f"{'':<9} offline: {'yes' if state.offline else 'no'}; {state.where}")
        print(f"{'':<9} source: {info.source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
