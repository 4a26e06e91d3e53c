"""``python -m rnnkit inspect FILE``: parse a file exactly as the app does and describe it."""

from __future__ import annotations

import argparse

from rnnkit.cli.common import open_user_file
from rnnkit.data.cleaning import MISSING_POLICIES, CleaningOptions
from rnnkit.data.dayfirst import DATE_ORDERS
from rnnkit.data.series import TimeSeries, load_series


def add_parser(commands: argparse._SubParsersAction) -> None:
    inspect = commands.add_parser("inspect", help="parse a file exactly as the app does and describe it")
    inspect.add_argument("file", help="CSV, TSV, .xlsx, or a zip holding one CSV")
    inspect.add_argument("--target", help="target column (default: the first numeric column)")
    inspect.add_argument("--features", default="", help="extra input columns, comma-separated")
    inspect.add_argument("--time-column", help="time column (default: detected)")
    inspect.add_argument("--missing", choices=MISSING_POLICIES, default="ffill",
                         help="how to fill missing values (default: ffill, from earlier rows only)")
    inspect.add_argument("--max-filled", type=float, default=0.2, metavar="SHARE",
                         help="largest share of rows that filling gaps may invent (default 0.2)")
    inspect.add_argument("--resample", help="aggregate to this frequency first, e.g. 1h or D")
    inspect.add_argument("--date-order", choices=DATE_ORDERS, default="auto",
                         help="how to read dates such as 01/02/2020 (default auto: from the values, said when guessed)")


def run(args: argparse.Namespace) -> int:
    features = [f.strip() for f in args.features.split(",") if f.strip()]
    options = CleaningOptions(missing=args.missing, resample=args.resample, max_filled_share=args.max_filled,
                              date_order=args.date_order)
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
        (f"Time:       column {report.time_column!r} ({report.time_layout}), "
         f"{frame.index[0]} → {frame.index[-1]}"),
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
            f"  {column!s:<{width}} {'number':<8} {log.missing_values.get(column, 0):>8} "
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
