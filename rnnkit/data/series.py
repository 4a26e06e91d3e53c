"""The validated time series every later stage consumes, and the report of how it was made.

``load_series`` is the one entry point from a user's file object; the built-in
datasets go through ``series_from_table`` with their own defaults, so uploads
and datasets are cleaned by exactly the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import BinaryIO

import numpy as np
import pandas as pd

from rnnkit.data.cleaning import (
    CleaningLog,
    CleaningOptions,
    clean_frame,
    drop_unfilled_edges,
)
from rnnkit.data.frequency import frequency_label
from rnnkit.data.limits import DEFAULT_LIMITS, MAX_ABS_VALUE, ReadLimits
from rnnkit.data.ohlc import adjust_unsplit_close
from rnnkit.data.reading import RawTable, TextFormat, read_table
from rnnkit.data.timeparse import detect_time_column
from rnnkit.errors import (
    EmptyTargetError,
    NonNumericTargetError,
    NoNumericColumnError,
    SeriesTooShortError,
    UnknownColumnError,
    ValuesTooLargeError,
)

DEFAULT_CLEANING = CleaningOptions()


@dataclass(frozen=True)
class DataReport:
    """Everything a user should know about how a file became a series."""

    source: str
    rows_read: int
    time_column: str
    time_layout: str
    unparsable_times: int
    text_format: TextFormat | None
    unparsable_cells: dict[str, int]
    ignored_columns: tuple[str, ...]
    cleaning: CleaningLog
    notes: tuple[str, ...] = ()

    @property
    def frequency(self) -> str | None:
        return self.cleaning.frequency

    @property
    def frequency_label(self) -> str:
        return frequency_label(self.cleaning.frequency)

    def summary_lines(self) -> list[str]:
        """Short sentences about everything that was found or changed, for the CLI and the UI."""
        log = self.cleaning
        lines: list[str] = []
        fmt = self.text_format
        if fmt is not None and (fmt.delimiter != "," or fmt.decimal != "."):  # say what was guessed
            separator = {";": "semicolon", "\t": "tab", "|": "vertical bar", " ": "space", ",": "comma"}.get(
                fmt.delimiter, repr(fmt.delimiter))
            point = "a decimal comma" if fmt.decimal == "," else "a decimal point"
            lines.append(f"Read as {separator}-separated, with {point}.")
        if self.unparsable_times:
            lines.append(f"{_plural(self.unparsable_times, 'row')} with an unreadable time dropped.")
        if not log.was_sorted:
            lines.append("Rows were not in time order; they were sorted.")
        if log.exact_duplicates:
            lines.append(f"{_plural(log.exact_duplicates, 'exact duplicate row')} dropped.")
        if log.duplicate_timestamps:
            lines.append(
                f"{_plural(log.duplicate_timestamps, 'row')} repeated an earlier timestamp with other "
                "values; merged."
            )
        for column, count in log.sentinels.items():
            lines.append(f"{_plural(count, 'value')} of -9999 (no reading) in {column!r} treated as missing.")
        for column, count in log.infinite.items():
            lines.append(f"{_plural(count, 'infinite value')} in {column!r} treated as missing.")
        for column, count in self.unparsable_cells.items():
            lines.append(f"{_plural(count, 'cell')} of {column!r} not numbers, treated as missing.")
        if log.gaps:
            action = "rows inserted and filled" if log.gaps_filled else "left as they are"
            if log.frequency == "B" and not log.gaps_filled:
                action += " (market holidays are expected in daily prices)"
            lines.append(
                f"{_plural(len(log.gaps), 'gap')} with {_plural(log.missing_steps, 'missing step')} "
                f"(frequency: {frequency_label(log.resampled_from or log.frequency)}); {action}."
            )
        if log.resampled_from is not None:
            lines.append(f"Resampled from {frequency_label(log.resampled_from)} to {self.frequency_label}.")
        if log.values_filled:
            lines.append(f"{_plural(log.values_filled, 'missing value')} filled ({log.missing_policy}).")
        if log.rows_dropped_missing:
            lines.append(f"{_plural(log.rows_dropped_missing, 'row')} with missing values dropped.")
        if log.leading_rows_dropped:
            lines.append(leading_rows_note(log.leading_rows_dropped, log.leading_columns))
        if log.trailing_rows_dropped:
            lines.append(trailing_rows_note(log.trailing_rows_dropped, log.trailing_columns))
        if self.ignored_columns:
            names = ", ".join(repr(c) for c in self.ignored_columns)
            lines.append(f"Columns that are not numeric and cannot be model inputs: {names}.")
        lines.extend(self.notes)
        return lines


@dataclass(frozen=True)
class TimeSeries:
    """A clean, regular series: a ``DatetimeIndex`` and float columns, with a chosen target.

    ``features`` are extra input columns; the target is always an input too.
    """

    frame: pd.DataFrame
    target: str
    features: tuple[str, ...]
    report: DataReport
    name: str = "series"
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def inputs(self) -> list[str]:
        """Model input columns: the target first, then the features."""
        return [self.target, *[f for f in self.features if f != self.target]]

    @property
    def numeric_columns(self) -> list[str]:
        return list(self.frame.columns)

    def __len__(self) -> int:
        return len(self.frame)

    def with_columns(self, target: str, features: tuple[str, ...] | list[str] = ()) -> TimeSeries:
        """The same series with another target and features, validated.

        Rows that are still missing in the new columns (a column that starts
        late, or gaps the ``"drop"`` policy left in columns it was not asked
        about) are dropped, and the report says how many.
        """
        validate_columns(self.frame, target, features, self.report.ignored_columns)
        columns = [target, *[f for f in features if f != target]]
        frame, edges = drop_unfilled_edges(self.frame, columns)
        notes: tuple[str, ...] = (leading_rows_note(edges.leading, edges.late_columns),) if edges.leading else ()
        notes += (trailing_rows_note(edges.trailing, edges.early_columns),) if edges.trailing else ()
        complete = frame[columns].notna().all(axis=1)
        if not complete.all():
            notes += (f"{_plural(int((~complete).sum()), 'row')} with missing values in the chosen columns dropped.",)
            frame = frame[complete]
        if len(self.frame) < 2:
            raise too_short(len(self.frame))
        if len(frame) < 2:
            raise EmptyTargetError(
                f"The columns {', '.join(repr(c) for c in columns)} never have values on the same rows.",
                "Choose fewer features, or features recorded over the same period as the target.",
            )
        report = replace(self.report, notes=self.report.notes + notes) if notes else self.report
        return replace(self, frame=frame, target=target, features=tuple(columns[1:]), report=report)


def load_series(
    source: BinaryIO | bytes,
    *,
    name: str = "upload",
    target: str | None = None,
    features: tuple[str, ...] | list[str] = (),
    time_column: str | None = None,
    options: CleaningOptions = DEFAULT_CLEANING,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> TimeSeries:
    """Read a user's file object (CSV, TSV, .xlsx or a zip of one CSV) into a :class:`TimeSeries`.

    Raises a subclass of :class:`rnnkit.errors.DataError` naming the problem and
    its fix for every file that cannot become a series.
    """
    table = read_table(source, name=name, limits=limits)
    return series_from_table(
        table, name=name, target=target, features=features, time_column=time_column, options=options
    )


def series_from_table(
    table: RawTable,
    *,
    name: str,
    target: str | None = None,
    features: tuple[str, ...] | list[str] = (),
    time_column: str | None = None,
    options: CleaningOptions = DEFAULT_CLEANING,
    notes: tuple[str, ...] = (),
) -> TimeSeries:
    """Detect time, pick numeric columns, validate the target and clean: the shared pipeline."""
    raw = table.frame
    parsed = detect_time_column(raw, time_column, options.date_order)
    others = [c for c in raw.columns if c != parsed.column]
    numeric = [c for c in others if pd.api.types.is_numeric_dtype(raw[c])]
    ignored = tuple(str(c) for c in others if c not in numeric)
    if not numeric:
        if table.text_cells:
            detail = "; ".join(f"{c!r} is mostly numbers, but {where}" for c, where in table.text_cells.items())
            raise NoNumericColumnError(
                f"The file has no numeric column besides the time column: {detail}.",
                "Correct or delete the cells that are not numbers (an empty cell counts as missing) and "
                "upload the file again. Numbers may use a decimal point or comma and thousands "
                "separators, but no units or text.",
            )
        raise NoNumericColumnError(
            "The file has no numeric column besides the time column"
            + (f" (text columns: {', '.join(repr(c) for c in ignored)})." if ignored else "."),
            "Add at least one column of numbers to forecast. Numbers may use a decimal point "
            "or comma and thousands separators, but no units or text.",
        )
    keep = parsed.values.notna().to_numpy()
    frame = raw.loc[keep, numeric].astype("float64")
    frame.index = pd.DatetimeIndex(parsed.values[keep], name="time")
    frame, note = adjust_unsplit_close(frame)
    target = target if target is not None else numeric[0]
    validate_columns(frame, target, features, ignored, table.text_cells)
    frame, log = clean_frame(frame, options, [target, *features])
    report = DataReport(
        source=name,
        rows_read=len(raw),
        time_column=str(parsed.column),
        time_layout=parsed.layout,
        unparsable_times=parsed.unparsable,
        text_format=table.text_format,
        unparsable_cells=dict(table.unparsable_cells),
        ignored_columns=ignored,
        cleaning=log,
        notes=tuple(notes) + tuple(n for n in (parsed.note, note) if n),
    )
    if len(frame) < 2:
        raise too_short(len(frame))
    if frame[target].isna().all():
        raise EmptyTargetError(
            f"The target column {target!r} has no values left after cleaning.",
            "Choose another target column, or a missing-value policy other than 'drop'.",
        )
    return TimeSeries(frame=frame, target=target, features=tuple(f for f in features if f != target),
                      report=report, name=name)


def too_short(rows: int) -> SeriesTooShortError:
    """The error for a series with fewer than two rows: too short to learn or even to have a frequency."""
    return SeriesTooShortError(
        f"The series is too short: it has {_plural(rows, 'row')} after cleaning, and forecasting needs a "
        "history of many rows (at least the window's lookback plus the horizon, for each of training, "
        "validation and test).",
        "Upload a file with one row per time step over a longer period.",
    )


def leading_rows_note(count: int, columns: tuple[str, ...]) -> str:
    """Report line for rows dropped at the start because a column had no value yet."""
    names = ", ".join(repr(c) for c in columns)
    return (f"The first {_plural(count, 'row')} dropped: {names} had no value yet, and missing values are "
            "only filled from earlier rows, never from later ones.")


def trailing_rows_note(count: int, columns: tuple[str, ...]) -> str:
    """Report line for rows dropped at the end because a column had no more values."""
    names = ", ".join(repr(c) for c in columns)
    return (f"The last {_plural(count, 'row')} dropped: {names} had no value after them, and missing values "
            "are only filled between known values, never by repeating the last one to the end.")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def validate_columns(
    frame: pd.DataFrame, target: str, features: tuple[str, ...] | list[str], ignored: tuple[str, ...],
    text_cells: dict[str, str] | None = None,
) -> None:
    """Check that the target and features exist, are numeric and hold values.

    ``text_cells`` says where a mostly numeric text column has its first non-number.
    """
    for role, column in [("target", target), *[("feature", f) for f in features]]:
        if column in ignored:
            where = (text_cells or {}).get(column)
            raise NonNumericTargetError(
                f"The {role} column {column!r} holds text, not numbers" + (f": {where}." if where else "."),
                ("Correct or delete those cells (an empty cell counts as missing) and upload the file again, "
                 "or choose a numeric column: " if where else "Choose a numeric column: ")
                + f"{', '.join(repr(c) for c in frame.columns)}.",
            )
        if column not in frame.columns:
            raise UnknownColumnError(
                f"There is no column named {column!r}.",
                f"Choose one of the numeric columns: {', '.join(repr(c) for c in frame.columns)}.",
            )
        if frame[column].isna().all():
            raise EmptyTargetError(
                f"The {role} column {column!r} has no values: every cell is empty or missing.",
                "Choose a column that holds numbers.",
            )
        values = frame[column].to_numpy(dtype="float64")
        finite = np.abs(values[np.isfinite(values)])
        if finite.size and finite.max() > MAX_ABS_VALUE:
            raise ValuesTooLargeError(
                f"The {role} column {column!r} holds values as large as {finite.max():.3g}; values must stay "
                f"within ±{MAX_ABS_VALUE:g}, since forecast errors are squared and summed to score them, "
                "which would overflow.",
                "Rescale the column (for example divide it by a power of ten, or take a logarithm) and upload "
                "the file again.",
            )
