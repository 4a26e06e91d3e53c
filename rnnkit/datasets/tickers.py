"""Stock tickers and where their price files are: light enough for the landing page (no pandas)."""

from __future__ import annotations

from pathlib import Path

from rnnkit.datasets.download import cache_dir, data_dir

CLASSIC_TICKER = "GOOG"
CLASSIC_FILES = ("Google_Stock_Price_Train.csv", "Google_Stock_Price_Test.csv")
#: Local Yahoo-style files by ticker, looked up in RNNKIT_DATA_DIR.
LOCAL_TICKER_FILES = {"^GSPC": ("GSPC.csv", "^GSPC.csv")}


def normalise_ticker(ticker: str | None) -> str:
    """Upper-case ticker, GOOG by default; S&P 500 spellings become ``^GSPC``."""
    ticker = (ticker or CLASSIC_TICKER).strip().upper()
    return "^GSPC" if ticker in {"GSPC", "SP500", "S&P500"} else ticker


def local_price_files(ticker: str) -> list[Path] | None:
    """Local files for ``ticker``: the classic pair for GOOG, a Yahoo CSV otherwise, or the cache."""
    folder = data_dir()
    if folder is not None:
        if ticker == CLASSIC_TICKER and all((folder / f).is_file() for f in CLASSIC_FILES):
            return [folder / f for f in CLASSIC_FILES]
        for name in LOCAL_TICKER_FILES.get(ticker, (f"{ticker}.csv",)):
            if (folder / name).is_file():
                return [folder / name]
    cached = cache_dir() / cache_name(ticker)
    return [cached] if cached.is_file() else None


def cache_name(ticker: str) -> str:
    """File name of a downloaded ticker in the cache."""
    safe = "".join(ch if ch.isalnum() else "_" for ch in ticker)
    return f"prices_{safe}.csv"
