"""Turn a table with a parsed time column into a regular, gap-filled numeric frame.

Every step is counted in a :class:`CleaningLog` so that the user sees what was
changed: nothing is silently dropped or invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from rnnkit.data.dayfirst import DATE_ORDERS, DateOrder
from rnnkit.data.frequency import Gap, find_gaps, infer_frequency, missing_timestamps
from rnnkit.data.limits import DEFAULT_LIMITS
from rnnkit.errors import DataError, HeavyFillingError

MissingPolicy = Literal["interpolate", "ffill", "drop", "zero"]
DuplicatePolicy = Literal["mean", "first", "last"]
Aggregation = Literal["mean", "last", "first", "sum", "min", "max"]

#: rows filling may always invent, whatever their share (a short file with one gap)
FILL_WITHOUT_ASKING = 10

MISSING_POLICIES: tuple[str, ...] = ("ffill", "interpolate", "drop", "zero")
DUPLICATE_POLICIES: tuple[str, ...] = ("mean", "first", "last")
AGGREGATIONS: tuple[str, ...] = ("mean", "last", "first", "sum", "min", "max")


@dataclass(frozen=True)
class CleaningOptions:
    """How to repair a series.

    Args:
        missing: how missing values are filled: ``"ffill"`` (default: carry the last
            value, so a filled row holds nothing from later rows), time-weighted
            ``"interpolate"`` (smoother, but a filled row leans on the next known value,
            which a one-step forecast from it then partly sees), ``"drop"`` the rows, or ``"zero"``.
        duplicate_timestamps: how rows that share a timestamp are merged.
        fill_gaps: insert rows for missing grid steps (then fill them). ``None``
            means yes, except on business-day data, where gaps are market holidays.
        resample: a pandas frequency (``"1h"``, ``"D"``, ``"MS"``) to aggregate to, or ``None``.
        resample_how: the aggregation used when resampling.
        sentinels: values that mean "no reading" (Jena uses -9999); they become missing.
        max_filled_share: the largest share of the cleaned rows that filling may invent
            (rows with no value of their own in the model columns: gaps, empty resampling
            bins). Above it, cleaning refuses and says how many rows would be invented;
            set 1.0 to accept any amount.
        date_order: how dates such as 01/02/2020 are read: ``"auto"`` (a value above 12
            decides, else the order that makes the series regular, and the report says it
            guessed), ``"day-first"`` or ``"month-first"``.
    """

    missing: MissingPolicy = "ffill"
    duplicate_timestamps: DuplicatePolicy = "mean"
    fill_gaps: bool | None = None
    resample: str | None = None
    resample_how: Aggregation = "mean"
    sentinels: tuple[float, ...] = (-9999.0,)
    max_filled_share: float = 0.2
    date_order: DateOrder = "auto"

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_filled_share <= 1.0:
            raise DataError(
                f"max_filled_share must be a share between 0 and 1, not {self.max_filled_share!r}.",
                "Use for example 0.2 (at most a fifth of the rows invented by filling) or 1.0 to accept any.",
            )
        if self.date_order not in DATE_ORDERS:
            raise DataError(f"Unknown date order {self.date_order!r}.", f"Use one of: {', '.join(DATE_ORDERS)}.")
        if self.missing not in MISSING_POLICIES:
            raise DataError(
                f"Unknown missing-value policy {self.missing!r}.",
                f"Use one of: {', '.join(MISSING_POLICIES)}.",
            )
        if self.duplicate_timestamps not in DUPLICATE_POLICIES:
            raise DataError(
                f"Unknown duplicate-timestamp policy {self.duplicate_timestamps!r}.",
                f"Use one of: {', '.join(DUPLICATE_POLICIES)}.",
            )
        if self.resample_how not in AGGREGATIONS:
            raise DataError(
                f"Unknown resampling aggregation {self.resample_how!r}.",
                f"Use one of: {', '.join(AGGREGATIONS)}.",
            )
        if self.resample is not None:
            try:
                pd.tseries.frequencies.to_offset(self.resample)
            except ValueError as error:
                raise DataError(
                    f"{self.resample!r} is not a frequency rnnkit understands.",
                    "Use a pandas frequency such as '1h', '30min', 'D', 'W' or 'MS'.",
                ) from error


@dataclass
class CleaningLog:
    """What cleaning found and did, in counts the user can check."""

    was_sorted: bool = True
    exact_duplicates: int = 0
    duplicate_timestamps: int = 0
    sentinels: dict[str, int] = field(default_factory=dict)
    infinite: dict[str, int] = field(default_factory=dict)
    frequency: str | None = None
    gaps: list[Gap] = field(default_factory=list)
    missing_steps: int = 0
    gaps_filled: bool = False
    missing_values: dict[str, int] = field(default_factory=dict)
    values_filled: int = 0
    missing_policy: str = "ffill"
    rows_dropped_missing: int = 0
    #: leading rows dropped because a model column had no value yet (nothing earlier to fill from)
    leading_rows_dropped: int = 0
    leading_columns: tuple[str, ...] = ()
    #: trailing rows dropped because a model column has no value after them (nothing later to fill between)
    trailing_rows_dropped: int = 0
    trailing_columns: tuple[str, ...] = ()
    resampled_from: str | None = None


def clean_frame(
    frame: pd.DataFrame, options: CleaningOptions, required: list[str]
) -> tuple[pd.DataFrame, CleaningLog]:
    """Sort, deduplicate, regularise, optionally resample and fill a numeric frame.

    ``frame`` has a ``DatetimeIndex`` and float columns. ``required`` names the
    columns the model will use: the ``"drop"`` policy only looks at those.
    """
    log = CleaningLog(missing_policy=options.missing)
    frame = _replace_sentinels(frame, options.sentinels, log)
    frame = _replace_infinite(frame, log)
    log.was_sorted = bool(frame.index.is_monotonic_increasing)
    if not log.was_sorted:
        frame = frame.sort_index(kind="stable")
    frame = _merge_duplicates(frame, options.duplicate_timestamps, log)
    log.frequency = infer_frequency(frame.index)
    log.gaps = find_gaps(frame.index, log.frequency)
    log.missing_steps = sum(gap.missing_steps for gap in log.gaps)
    fill_gaps = options.fill_gaps if options.fill_gaps is not None else log.frequency != "B"
    if fill_gaps and log.missing_steps:
        if options.missing != "drop":  # refuse before the grid is built: it may be huge
            refuse_heavy_filling(log.missing_steps, len(frame) + log.missing_steps, log.gaps, options)
        frame = frame.reindex(frame.index.union(missing_timestamps(frame.index, log.frequency)))
        log.gaps_filled = True
    if options.resample is not None:
        _refuse_upsampling(frame.index, options.resample)
        log.resampled_from = log.frequency
        frame = frame.resample(options.resample).agg(options.resample_how)
        log.frequency = infer_frequency(frame.index) or options.resample
    log.missing_values = {c: int(n) for c, n in frame.isna().sum().items() if n}
    missing_before = frame.isna()
    frame = _fill_missing(frame, options.missing, required, log)
    frame, edges = drop_unfilled_edges(frame, required)
    log.leading_rows_dropped, log.leading_columns = edges.leading, edges.late_columns
    log.trailing_rows_dropped, log.trailing_columns = edges.trailing, edges.early_columns
    if options.missing != "drop":  # count only fills in the rows that stayed
        before = missing_before.loc[frame.index]
        log.values_filled = int((before & frame.notna()).to_numpy().sum())
        columns = [c for c in required if c in frame.columns]
        invented = int((before[columns].all(axis=1) & frame[columns].notna().all(axis=1)).sum()) if columns else 0
        refuse_heavy_filling(invented, len(frame), log.gaps, options)
    return frame, log


def refuse_heavy_filling(invented: int, rows: int, gaps: list[Gap], options: CleaningOptions) -> None:
    """Refuse to invent more than ``options.max_filled_share`` of the rows, saying how many and why."""
    if rows > DEFAULT_LIMITS.max_rows:
        raise HeavyFillingError(
            f"Filling the gaps would make {rows:,} rows from {rows - invented:,}, over the "
            f"{DEFAULT_LIMITS.max_rows:,}-row limit.",
            "Check the time column (one row with a wrong date makes a huge gap), resample to a coarser "
            "frequency, or keep the gaps with CleaningOptions(fill_gaps=False).",
        )
    if invented <= max(options.max_filled_share * rows, FILL_WITHOUT_ASKING):
        return
    share = invented / rows
    accept = min(1.0, float(np.ceil(share * 20) / 20))
    largest = max(gaps, key=lambda gap: gap.missing_steps, default=None)
    where = (f"; the largest gap has {largest.missing_steps:,} missing steps between {largest.after} and "
             f"{largest.before}" if largest else "")
    raise HeavyFillingError(
        f"Filling would invent {invented:,} of the {rows:,} rows ({share:.0%}) that have no value of their "
        f"own{where}. rnnkit invents at most {options.max_filled_share:.0%} of the rows "
        f"(or {FILL_WITHOUT_ASKING}) unless told to.",
        "Check the time column first (mixed time zones or a wrong date layout scatter rows off the grid), "
        "or resample to a coarser frequency. To accept the invented rows, raise the limit to "
        f"{accept:.0%}: 'Largest share of rows filled' under Cleaning on the Data page, "
        f"--max-filled {accept:g} on the command line, or CleaningOptions(max_filled_share={accept:g}) "
        "(CleaningOptions(fill_gaps=False) keeps the gaps instead).",
    )


def _refuse_upsampling(index: pd.DatetimeIndex, rule: str) -> None:
    """Resampling aggregates; a finer grid than the data's own would be mostly invented values."""
    if len(index) < 2:
        return
    typical = pd.Series(index[1:] - index[:-1]).median()
    start = index[0].floor("D")
    step = (start + pd.tseries.frequencies.to_offset(rule)) - start  # month and year rules: their length from here
    if step < typical / 1.5:
        raise DataError(
            f"Resampling to {rule!r} would make the series finer than its own spacing (about "
            f"{_duration(typical)}): most rows would be invented by filling.",
            "Resample to the data's own frequency or a coarser one (for example 'D', 'W' or 'MS' for daily, "
            "weekly or monthly), or leave resampling off.",
        )


def _duration(delta: pd.Timedelta) -> str:
    """A time span in its largest whole unit: ``31 days``, ``10 minutes``."""
    seconds = delta.total_seconds()
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            value = round(seconds / size, 1)
            return f"{value:g} {unit}" + ("" if value == 1 else "s")
    return f"{seconds:g} seconds"


@dataclass(frozen=True)
class UnfilledEdges:
    """Rows dropped at the ends because a model column had no value there to fill from."""

    leading: int = 0
    late_columns: tuple[str, ...] = ()  # columns whose first value comes after the first row
    trailing: int = 0
    early_columns: tuple[str, ...] = ()  # columns whose last value comes before the last row


def drop_unfilled_edges(frame: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, UnfilledEdges]:
    """Keep only the rows from the latest first value to the earliest last value of ``columns``.

    Filling only fills between known values: reaching backwards would copy a
    later value into the past (test values into training rows), and repeating
    the last value to the end would invent a flat stretch scored as the test part.
    """
    present = [c for c in columns if c in frame.columns and frame[c].notna().any()]
    if not present:
        return frame, UnfilledEdges()
    starts = {c: frame[c].first_valid_index() for c in present}
    ends = {c: frame[c].last_valid_index() for c in present}
    first, last = max(starts.values()), min(ends.values())
    edges = UnfilledEdges(
        leading=int((frame.index < first).sum()),
        late_columns=tuple(c for c, t in starts.items() if t > frame.index[0]),
        trailing=int((frame.index > last).sum()),
        early_columns=tuple(c for c, t in ends.items() if t < frame.index[-1]),
    )
    return (frame.loc[first:last] if edges.leading or edges.trailing else frame), edges


def _replace_sentinels(frame: pd.DataFrame, sentinels: tuple[float, ...], log: CleaningLog) -> pd.DataFrame:
    if not sentinels:
        return frame
    mask = frame.isin(list(sentinels))
    counts = mask.sum()
    log.sentinels = {c: int(n) for c, n in counts.items() if n}
    return frame.mask(mask) if log.sentinels else frame


def _replace_infinite(frame: pd.DataFrame, log: CleaningLog) -> pd.DataFrame:
    """±inf (from a spreadsheet's division by zero, or "inf" text) is no reading: make it missing."""
    mask = pd.DataFrame(np.isinf(frame.to_numpy(dtype=np.float64)), index=frame.index, columns=frame.columns)
    log.infinite = {c: int(n) for c, n in mask.sum().items() if n}
    return frame.mask(mask) if log.infinite else frame


def _merge_duplicates(frame: pd.DataFrame, policy: DuplicatePolicy, log: CleaningLog) -> pd.DataFrame:
    exact = frame.reset_index().duplicated().to_numpy()
    log.exact_duplicates = int(exact.sum())
    if log.exact_duplicates:
        frame = frame[~exact]
    repeated = frame.index.duplicated(keep="first")
    log.duplicate_timestamps = int(repeated.sum())
    if log.duplicate_timestamps:
        frame = frame.groupby(level=0, sort=True).agg(policy)
    return frame


def _fill_missing(
    frame: pd.DataFrame, policy: MissingPolicy, required: list[str], log: CleaningLog
) -> pd.DataFrame:
    before = int(frame.isna().to_numpy().sum())
    if before == 0:
        return frame
    if policy == "drop":
        keep = frame[required].notna().all(axis=1)
        log.rows_dropped_missing = int((~keep).sum())
        frame = frame[keep]
    elif policy == "interpolate":
        frame = frame.interpolate(method="time", limit_area="inside")
    elif policy == "ffill":
        frame = frame.ffill(limit_area="inside")
    else:
        frame = frame.fillna(0.0)
    log.values_filled = before - int(frame.isna().to_numpy().sum()) if policy != "drop" else 0
    return frame

