"""Where each built-in dataset would load from right now, without reading or downloading anything.

Free of pandas and the data layer, so the landing page can show it at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rnnkit.datasets.download import cache_dir, find_local
from rnnkit.datasets.registry import JENA_2020_FILES, get_info
from rnnkit.datasets.tickers import local_price_files, normalise_ticker


@dataclass(frozen=True)
class Availability:
    """Whether a dataset can be loaded without a network, and from where.

    ``label`` is safe to show on a hosted dashboard (it never names a server path);
    ``where`` adds the files' paths, for the CLI and logs.
    """

    key: str
    offline: bool
    where: str
    label: str


def _kind(path: Path) -> str:
    """"cached" for a file in the download cache, "local copy" for one in the data folder."""
    return "cached" if path.parent == cache_dir() else "local copy"


def availability(key: str, ticker: str | None = None) -> Availability:
    """Where ``key`` would load from right now, without downloading anything."""
    info = get_info(key)
    if info.key == "stocks":
        ticker = normalise_ticker(ticker)
        paths = local_price_files(ticker)
        if paths:
            return Availability(key, True, f"{ticker}: {_kind(paths[0])} {', '.join(str(p) for p in paths)}",
                                f"{ticker}: {_kind(paths[0])}")
        sentence = f"{ticker}: download with yfinance; offline, plotly's sample"
        return Availability(key, True, sentence, sentence)
    path = find_local(info.local_files)
    if path is not None:
        return Availability(key, True, f"{_kind(path)} {path}", _kind(path))
    if info.key == "jena" and (stand_in := find_local(JENA_2020_FILES)) is not None:
        return Availability(key, True, f"2020 stand-in {stand_in}; 2009–2016 needs a download",
                            f"2020 stand-in ({_kind(stand_in)}); 2009–2016 needs a download")
    sentence = f"download needed: {info.url}"
    return Availability(key, False, sentence, sentence)
