"""Daily stock prices: the classic Google course files, Yahoo CSVs, yfinance, and plotly's sample."""

from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path

from rnnkit.data.reading import RawTable
from rnnkit.datasets.download import cache_dir, offline
from rnnkit.datasets.tickers import cache_name
from rnnkit.errors import DatasetUnavailableError

PLOTLY_NOTICE = (
    "No network and no local price file, so this is plotly's bundled sample: weekly closing "
    "prices of six tech stocks in 2018–2019, each divided by its first value. It is not daily "
    "OHLCV data. Set RNNKIT_DATA_DIR to a folder with price files, connect to the internet, "
    "or upload a CSV for real prices."
)


def download_prices(ticker: str) -> Path:
    """Fetch daily OHLCV for ``ticker`` with yfinance and cache it as a Yahoo-style CSV."""
    if offline():
        raise DatasetUnavailableError(
            f"Downloads are switched off (RNNKIT_OFFLINE is set), and {ticker} has no local copy.",
            "Upload a CSV of daily prices instead.",
        )
    import yfinance  # imported here: it is slow to import and only needed to download

    logging.getLogger("yfinance").setLevel(logging.CRITICAL)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            frame = yfinance.download(
                ticker, period="max", interval="1d", auto_adjust=False, progress=False,
                multi_level_index=False, threads=False,
            )
        except Exception as error:  # yfinance wraps network failures in many types
            frame, reason = None, type(error).__name__
        else:
            reason = "no rows returned"
    if frame is None or frame.empty:
        raise DatasetUnavailableError(
            f"Could not download daily prices for {ticker} from Yahoo Finance ({reason}).",
            "Check the ticker and your connection, or upload a CSV of daily prices.",
        )
    frame = frame.reset_index()
    frame.columns = [str(c) for c in frame.columns]
    path = cache_dir() / cache_name(ticker)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    frame.to_csv(tmp, index=False, date_format="%Y-%m-%d")
    tmp.replace(path)
    return path


def plotly_sample() -> RawTable:
    """plotly's bundled weekly stocks sample: always available, clearly not daily OHLCV."""
    import plotly.data

    frame = plotly.data.stocks()
    frame["date"] = frame["date"].astype(str)
    return RawTable(frame, None, {})
