"""Load a built-in dataset from the best place available, and say honestly which one it was.

Order: a local copy in ``RNNKIT_DATA_DIR``, the download cache, a fresh download,
then a stand-in (Jena 2020 for Jena 2009–2016, plotly's sample for stocks), and
otherwise a :class:`DatasetUnavailableError` that says what to download and where.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rnnkit.data.cleaning import CleaningOptions
from rnnkit.data.reading import RawTable, read_tables
from rnnkit.data.series import TimeSeries, series_from_table
from rnnkit.datasets import stocks
from rnnkit.datasets.download import (
    ProgressCallback,
    cache_dir,
    data_dir,
    download,
    find_local,
)
from rnnkit.datasets.registry import JENA_2020_FILES, DatasetInfo, get_info
from rnnkit.datasets.tickers import (
    CLASSIC_FILES,
    CLASSIC_TICKER,
    local_price_files,
    normalise_ticker,
)
from rnnkit.errors import DatasetUnavailableError
from rnnkit.splits import SplitSpec
from rnnkit.windows.spec import WindowSpec


@dataclass(frozen=True)
class LoadedDataset:
    """A built-in dataset as loaded: the series plus an honest account of its origin."""

    info: DatasetInfo
    series: TimeSeries
    label: str
    origin: str
    paths: tuple[Path, ...]
    window: WindowSpec
    split: SplitSpec
    notice: str | None = None


def load_dataset(
    key: str,
    *,
    ticker: str | None = None,
    allow_download: bool = True,
    progress: ProgressCallback | None = None,
    options: CleaningOptions = CleaningOptions(),
    target: str | None = None,
    features: tuple[str, ...] | None = None,
) -> LoadedDataset:
    """Load the dataset ``key`` ("electric", "jena" or "stocks"; ``ticker`` picks the stock)."""
    info = get_info(key)
    loader = {"electric": _load_electric, "jena": _load_jena, "stocks": _load_stocks}[info.key]
    loaded = _follow_resampling(loader(info, ticker, allow_download, progress, options))
    if target is not None or features is not None:
        series = loaded.series.with_columns(target or loaded.series.target, tuple(features or ()))
        loaded = dataclasses.replace(loaded, series=series)
    return loaded


def row_duration(frequency: str) -> pd.Timedelta:
    """The average time one row covers at ``frequency`` (months and quarters averaged over a year)."""
    offset = pd.tseries.frequencies.to_offset(frequency)
    start = pd.Timestamp("2001-01-01")
    return (start + 12 * offset - start) / 12


def rescale_task(window: WindowSpec, split: SplitSpec, ratio: float) -> tuple[WindowSpec, SplitSpec]:
    """A dataset's window and row-counted split for rows ``ratio`` times as long as before (1/6: 10 min → 1 h).

    Durations are kept: the lookback, the sampling step and the time from the
    last input row to the target (``delay + 1`` rows); the horizon stays the
    number of rows predicted. Split fractions and dates need no change.
    """
    step = max(1, round(window.step * ratio))
    lookback = max(step, round(window.lookback * ratio))
    delay = max(0, round((window.delay + 1) * ratio) - 1)
    rows = {name: max(1, round(getattr(split, name) * ratio)) if getattr(split, name) else getattr(split, name)
            for name in ("train_rows", "val_rows")}
    return WindowSpec(lookback, step, delay, window.horizon), dataclasses.replace(split, **rows)


def _follow_resampling(loaded: LoadedDataset) -> LoadedDataset:
    """A resampled dataset keeps its task in time: Jena's 24 hours ahead is 144 rows at 10 minutes, 23 hourly."""
    log = loaded.series.report.cleaning
    if log.resampled_from is None or log.frequency is None or log.resampled_from == log.frequency:
        return loaded
    ratio = row_duration(log.resampled_from) / row_duration(log.frequency)
    window, split = rescale_task(loaded.window, loaded.split, ratio)
    return dataclasses.replace(loaded, window=window, split=split)


def _origin(path: Path) -> str:
    folder = data_dir()
    if folder is not None and path.parent == folder:
        return "local copy"
    return "download cache" if path.parent == cache_dir() else "local file"


def _fetch(info: DatasetInfo, allow_download: bool, progress: ProgressCallback | None) -> tuple[Path, str]:
    path = find_local(info.local_files)
    if path is not None:
        return path, _origin(path)
    if not allow_download or info.url is None or info.filename is None:
        raise DatasetUnavailableError(
            f"{info.title} has no local copy and downloading is not allowed here.",
            f"Download {info.url}, put it in a folder and set RNNKIT_DATA_DIR to that folder, "
            "or upload the file on the Data page instead.",
        )
    return download(info.url, info.filename, info.sha256, progress, info.title), "downloaded"


def _read(path: Path) -> RawTable:
    return read_tables([path])


def _series(info: DatasetInfo, table: RawTable, name: str, options: CleaningOptions,
            features: tuple[str, ...], notes: tuple[str, ...] = ()) -> TimeSeries:
    return series_from_table(
        table, name=name, target=info.default_target if info.default_target in table.frame.columns else None,
        features=tuple(f for f in features if f in table.frame.columns), options=options, notes=notes,
    )


def _load_electric(info, ticker, allow_download, progress, options) -> LoadedDataset:
    path, origin = _fetch(info, allow_download, progress)
    table = _read(path)
    # Both the classic file (DATE,IPG2211A2N) and FRED's current one (observation_date,...)
    # have the values in the second column; older copies call it "Value" or "EP".
    value_column = table.frame.columns[-1]
    table = dataclasses.replace(table, frame=table.frame.rename(columns={value_column: info.default_target}))
    series = _series(info, table, info.title, options, info.default_features)
    return LoadedDataset(info, series, info.title, origin, (path,), info.window, info.split)


def _load_jena(info, ticker, allow_download, progress, options) -> LoadedDataset:
    try:
        path, origin = _fetch(info, allow_download, progress)
    except DatasetUnavailableError as unavailable:
        stand_in = find_local(JENA_2020_FILES)
        if stand_in is None:
            raise
        label = "Jena climate 2020 (stand-in for 2009–2016)"
        notice = (
            "The 2009–2016 Jena file is not available here, so this is the same station's 2020 "
            f"record ({stand_in.name}: 52,696 rows at 10 minutes, 21 columns). "
            f"Why the 2009–2016 file is missing: {unavailable.problem}"
        )
        series = _series(info, _read(stand_in), label, options, info.default_features, (notice,))
        return LoadedDataset(info, series, label, _origin(stand_in), (stand_in,), info.window,
                             info.split, notice)
    series = _series(info, _read(path), info.title, options, info.default_features)
    return LoadedDataset(info, series, info.title, origin, (path,), info.window, info.split)


def _load_stocks(info, ticker, allow_download, progress, options) -> LoadedDataset:
    ticker = normalise_ticker(ticker)
    paths = local_price_files(ticker)
    origin = _origin(paths[0]) if paths else "downloaded"
    notice = None
    if paths is None and allow_download:
        try:
            paths = [stocks.download_prices(ticker)]
        except DatasetUnavailableError as unavailable:
            notice = f"{stocks.PLOTLY_NOTICE} ({unavailable.problem})"
    if paths is None:
        table = stocks.plotly_sample()
        label = "Tech stocks 2018–2019 (plotly sample, weekly, normalised)"
        notice = notice or stocks.PLOTLY_NOTICE
        series = series_from_table(table, name=label, target="GOOG", options=options, notes=(notice,))
        return LoadedDataset(info, series, label, "bundled sample", (), WindowSpec(lookback=12),
                             SplitSpec(train=0.7, val=0.15), notice)
    classic = ticker == CLASSIC_TICKER and paths[0].name == CLASSIC_FILES[0]
    label = "Google (GOOG) daily prices 2012–2017" if classic else f"{ticker} daily prices"
    series = _series(info, read_tables(paths), label, options, info.default_features)
    split = info.split if classic else SplitSpec(train=0.7, val=0.15)
    return LoadedDataset(info, series, label, origin, tuple(paths), info.window, split, notice)
