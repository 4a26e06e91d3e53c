"""Where each built-in dataset would load from right now, without reading or downloading anything.

Free of pandas and the data layer, so the landing page can show it at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from rnnkit.datasets.download import find_local
from rnnkit.datasets.registry import JENA_2020_FILES, get_info
from rnnkit.datasets.tickers import local_price_files, normalise_ticker


@dataclass(frozen=True)
class Availability:
    """Whether a dataset can be loaded without a network, and from where."""

    key: str
    offline: bool
    where: str


def availability(key: str, ticker: str | None = None) -> Availability:
    """Where ``key`` would load from right now, without downloading anything."""
    info = get_info(key)
    if info.key == "stocks":
        ticker = normalise_ticker(ticker)
        paths = local_price_files(ticker)
        if paths:
            return Availability(key, True, f"{ticker}: local copy {', '.join(str(p) for p in paths)}")
        return Availability(key, True, f"{ticker}: download with yfinance; offline, plotly's sample")
    path = find_local(info.local_files)
    if path is not None:
        return Availability(key, True, f"local copy {path}")
    if info.key == "jena" and (stand_in := find_local(JENA_2020_FILES)) is not None:
        return Availability(key, True, f"2020 stand-in {stand_in}; 2009–2016 needs a download")
    return Availability(key, False, f"download needed: {info.url}")
