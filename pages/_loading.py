"""Loading the active data, shared by the Data page and a new session's restore: cached, and so bounded.

Layout helpers only; the loading itself is rnnkit's. Imports pandas: pages import it when they load data.
"""

from __future__ import annotations

import streamlit as st

from rnnkit.data.cleaning import CleaningOptions
from rnnkit.data.limits import MEGABYTE
from rnnkit.data.series import TimeSeries, load_series
from rnnkit.datasets.builtin import LoadedDataset, load_dataset

LARGE_UPLOAD = 20 * MEGABYTE


@st.cache_resource(show_spinner=False, max_entries=16)
def cached_dataset(key: str, ticker: str | None, options: CleaningOptions) -> LoadedDataset:
    return load_dataset(key, ticker=ticker, options=options)


@st.cache_resource(show_spinner=False, max_entries=6, ttl=1800)
def _cached_small_upload(data: bytes, name: str, options: CleaningOptions, time_column: str | None) -> TimeSeries:
    return load_series(data, name=name, options=options, time_column=time_column)


@st.cache_resource(show_spinner=False, max_entries=1, ttl=600)
def _cached_large_upload(data: bytes, name: str, options: CleaningOptions, time_column: str | None) -> TimeSeries:
    return load_series(data, name=name, options=options, time_column=time_column)


def cached_upload(data: bytes, name: str, options: CleaningOptions, time_column: str | None) -> TimeSeries:
    """Parsed uploads, shared by every session and so bounded: six files up to 20 MB and one larger, not for long."""
    loader = _cached_large_upload if len(data) > LARGE_UPLOAD else _cached_small_upload
    return loader(data, name, options, time_column)
