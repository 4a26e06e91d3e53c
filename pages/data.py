"""Data page: pick a built-in dataset or upload a file, look at it, and assign column roles."""

from __future__ import annotations

import contextlib

import pandas as pd
import streamlit as st

from pages._loading import cached_dataset, cached_upload
from pages._shared import (
    CLEANING_DEFAULTS,
    DATA_SOURCES,
    DATE_ORDER_CHOICES,
    DEFAULT_TICKER,
    RESAMPLE_CHOICES,
    cleaning_options,
    column_keys,
    kept_data,
    owner,
    refresh_active_data,
    restore_kept_columns,
    show_error,
    unless_kept,
    visible_range,
)
from rnnkit.active_data import ActiveData
from rnnkit.data.cleaning import MISSING_POLICIES
from rnnkit.data.limits import DEFAULT_LIMITS
from rnnkit.data.series import TimeSeries
from rnnkit.datasets.availability import availability
from rnnkit.datasets.builtin import load_dataset
from rnnkit.datasets.registry import DATASETS
from rnnkit.display import code_span, dates_without_midnight, escape_markdown, time_span
from rnnkit.errors import RnnkitError
from rnnkit.figures import series_overview

def keeps_reused_data(selection: tuple) -> bool:
    """Whether the data of a past comparison stays active over ``selection``; says so, with a way out."""
    if not active.holds_reused(selection):
        return False
    series = st.session_state.get("series")
    st.info(f"The active data is still {escape_markdown(active.label or '')}, the data of your last comparison "
            f"({len(series) if series is not None else 0:,} rows). Choose a dataset, a file or columns here to "
            "replace it.", icon=":material/history:")
    if st.button("Use the data chosen here instead", key="use_shown_data"):
        active.release()
        st.rerun()
    return True


active = ActiveData(st.session_state)
me, remembered = owner(), kept_data()


def forget_kept_upload() -> None:
    """The uploader was cleared or given another file: only what it holds now counts, here and after a reload."""
    active.drop_kept_upload()
    with contextlib.suppress(OSError):
        remembered.forget_upload(me)


# A new session (a reload, a new tab) found this owner's last choice in app.py (restore_active_data).
st.title("Data")
source = st.radio("Source", DATA_SOURCES, horizontal=True, key="data_source", persist_state="session")

with st.expander("Cleaning", expanded=False):
    c1, c2, c3, c4 = st.columns(4)
    missing = c1.selectbox("Fill missing values", MISSING_POLICIES, key="missing_policy", persist_state="session",
                           help="ffill: carry the last value (earlier rows only); interpolate: along time, leaning "
                                "on the next known value too, so a forecast from a filled row partly sees its "
                                "target; drop: drop rows; zero")
    resample_label = c2.selectbox("Resample", list(RESAMPLE_CHOICES), key="resample", persist_state="session",
                                  help="Aggregate (mean) to a coarser frequency, e.g. 10-minute Jena to hourly")
    filled_pct = c3.number_input("Largest share of rows filled (%)", min_value=0, max_value=100, step=5,
                                 key="max_filled_pct", persist_state="session",
                                 **unless_kept("max_filled_pct", value=CLEANING_DEFAULTS["max_filled_pct"]),
                                 help="Filling gaps invents rows. Above this share rnnkit refuses and says why "
                                      "(often mixed time zones or a misread date layout).")
    date_order = c4.selectbox("Date order", list(DATE_ORDER_CHOICES), format_func=DATE_ORDER_CHOICES.get,
                              key="date_order", persist_state="session",
                              help="How dates such as 01/02/2020 are read. Automatic: a value above 12 decides; "
                                   "when none does, rnnkit says what it chose.")
cleaning = {"missing_policy": missing, "resample": resample_label, "max_filled_pct": filled_pct,
            "date_order": date_order}
options = cleaning_options(cleaning)

series: TimeSeries | None = None
label = ""
task_defaults: dict | None = None  # a built-in dataset's own task (window, split), for the Train page
ticker: str | None = None
if source == "Built-in dataset":
    cards = st.columns(len(DATASETS))
    for column, (key, info) in zip(cards, DATASETS.items(), strict=True):
        with column.container(border=True):
            st.markdown(f"**{info.title}**")
            st.caption(f"{info.frequency} · {info.size}")
            st.caption(f"Source: {info.source}")
            state = availability(key)
            st.caption(("Offline: " if state.offline else "Download: ") + state.label)
    key = st.selectbox("Dataset", list(DATASETS), format_func=lambda k: DATASETS[k].title, key="dataset_key",
                       persist_state="session")
    ticker = st.text_input("Ticker", key="ticker", persist_state="session",
                           **unless_kept("ticker", value=DEFAULT_TICKER)) \
        if key == "stocks" else None
    try:
        if availability(key, ticker).offline:
            loaded = cached_dataset(key, ticker, options)
        else:
            bar = st.progress(0.0, text=f"Downloading {DATASETS[key].title}…")
            loaded = load_dataset(key, ticker=ticker, options=options,
                                  progress=lambda done, total: bar.progress(min(done / total, 1.0) if total else 0.0,
                                                                            text=f"Downloading… {done / 1e6:.1f} MB"))
            bar.empty()
    except RnnkitError as error:
        show_error(error)
    else:
        series, label = loaded.series, loaded.label
        if loaded.notice:
            st.warning(escape_markdown(loaded.notice), icon=":material/info:")
        task_defaults = {"window": loaded.window, "split": loaded.split}
else:
    upload = st.file_uploader("CSV, TSV, .xlsx or a zip holding one CSV",
                              type=["csv", "tsv", "txt", "xlsx", "zip"], key="upload",
                              on_change=forget_kept_upload,
                              help=f"Up to {DEFAULT_LIMITS.max_megabytes} MB, {DEFAULT_LIMITS.max_rows:,} rows "
                                   f"and {DEFAULT_LIMITS.max_columns} columns.")
    kept = active.kept_upload()
    if upload is not None:
        name, data = upload.name, upload.getvalue()
        active.keep_upload(name, data)
        with contextlib.suppress(OSError):  # a full or read-only disk: kept for this session only
            remembered.keep_upload(me, name, data)
    elif kept is not None:
        name, data = kept
        note, forget = st.columns([4, 1], vertical_alignment="center")
        note.caption(f"Using {escape_markdown(name)}, uploaded earlier (kept for this link). Upload another file "
                     "to replace it.")
        if forget.button("Remove this file", key="forget_upload", icon=":material/close:",
                         help="Forget this file; if it is the active data, there is no active data until you choose"
                              " some."):
            active.remove_upload(name)
            with contextlib.suppress(OSError):
                remembered.forget_upload(me)
            st.rerun()
    if upload is None and kept is None:
        current = st.session_state.get("series")
        if current is not None and not active.reused and "defaults" not in st.session_state:
            st.info(f"The active data is still {escape_markdown(active.label or current.name)} ({len(current):,} "
                    f"rows, target {code_span(current.target)}), a file too large to keep a copy of. Upload it again "
                    "to change its cleaning, time column or columns, or upload another file.")
        else:
            st.info("Upload a file with a time column and at least one numeric column.")
    else:
        time_key = column_keys(name)[2]  # each file its own: another file may have no such column
        time_choice = st.session_state.get(time_key, "automatic")
        try:
            series = cached_upload(data, name, options, None if time_choice == "automatic" else time_choice)
        except RnnkitError as error:
            show_error(error)
            if time_choice != "automatic":
                st.button("Detect the time column automatically",
                          on_click=lambda: st.session_state.update({time_key: "automatic"}))
        else:
            label = name
            report = series.report
            columns = ["automatic", report.time_column, *report.ignored_columns,
                       *[c for c in series.numeric_columns]]
            st.selectbox("Time column", list(dict.fromkeys(columns)), key=time_key, persist_state="session",
                         help=escape_markdown(f"Detected: {report.time_column!r} ({report.time_layout})."))

if series is not None:
    restore_kept_columns(series, label)  # a new session: the target and features last chosen for this data
    numeric = series.numeric_columns
    c1, c2 = st.columns([1, 2])
    target_key, features_key, time_key = column_keys(label)  # each dataset or file its own
    target = c1.selectbox("Target (what to forecast)", numeric, key=target_key, persist_state="session",
                          **unless_kept(target_key, index=numeric.index(series.target)))
    default_features = [f for f in series.features if f in numeric and f != target]
    features = c2.multiselect("Extra input features", [c for c in numeric if c != target], key=features_key,
                              persist_state="session", **unless_kept(features_key, default=default_features))
    try:
        series = series.with_columns(target, tuple(features))
    except RnnkitError as error:
        show_error(error)
    else:
        selection = (source, options, label, st.session_state.get(time_key), target, tuple(features))
        if keeps_reused_data(selection):
            st.stop()  # the summary below would describe data that is not the active one
        st.session_state["series"] = series
        st.session_state["dataset_label"] = label
        with contextlib.suppress(OSError):  # what a reload brings back (restore_active_data)
            where = ({"dataset_key": key} | ({"ticker": ticker} if ticker else {}) if task_defaults is not None
                     else {time_key: st.session_state.get(time_key, "automatic")})
            remembered.save_choice(me, {"data_source": source, **cleaning, **where, target_key: target,
                                        features_key: list(features)})
        if task_defaults is None:
            st.session_state.pop("defaults", None)
        else:
            st.session_state["defaults"] = task_defaults
        refresh_active_data()
        report = series.report
        m = st.columns(4)
        m[0].metric("Rows", f"{len(series):,}")
        frequency, _, detail = report.frequency_label.partition(" (")  # "monthly (month start)": short tile
        m[1].metric("Frequency", frequency, help=report.frequency_label if detail else None)
        m[2].metric("Missing values filled", f"{report.cleaning.values_filled:,}")
        m[3].metric("Gaps", f"{len(report.cleaning.gaps):,}")
        st.caption(f"{time_span(series.frame.index)} · time column "
                   f"{code_span(report.time_column)} ({escape_markdown(report.time_layout)})")
        for line in report.summary_lines():
            st.markdown(f"- {escape_markdown(line)}")
        window = visible_range(series.frame.index, key="data_range")
        st.plotly_chart(series_overview(series.frame, series.inputs[:4], title=label, window=window),
                        width="stretch")
        st.dataframe(dates_without_midnight(pd.concat([series.frame.head(5), series.frame.tail(5)])), width="stretch")
        st.success(f"Ready: target {code_span(target)} with {len(series.features)} extra feature(s). "
                   "Go to **Train & compare**.")

if series is None:
    active.shown_nothing()  # a first view after reused data that showed nothing: the next choice replaces it
