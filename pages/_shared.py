"""What every page shares: the owner token, the active series, the job manager and the sidebar.

Layout helpers only; all logic is in rnnkit.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from rnnkit.active_data import ActiveData
from rnnkit.display import code_span, escape_markdown
from rnnkit.errors import RnnkitError
from rnnkit.job_choice import job_state, models_done
from rnnkit.jobs import JobManager
from rnnkit.kept_data import KEPT_DATA_DIR, KeptData
from rnnkit.owners import auth_configured, identity_owner, new_token, valid_token
from rnnkit.store import RunStore

if TYPE_CHECKING:  # the landing page loads without pandas; pages that hold a series import it themselves
    import pandas as pd

    from rnnkit.data.cleaning import CleaningOptions
    from rnnkit.data.series import TimeSeries
    from rnnkit.defaults import Defaults


def leave_pages_folder_mode() -> None:
    """Make sure app.py's router runs, even when a fresh server's first visit is a deep link.

    Streamlit starts every server believing that a ``pages/`` folder beside the main
    script means its old folder-based navigation, and drops that belief only when
    ``st.navigation`` is called. A first visit to ``/runs`` therefore runs
    ``pages/runs.py`` on its own: raw file names in the sidebar, no router. Every page
    imports this module, so the first such run lands here: switch the old mode off
    (it is one flag for the whole server) and, unless app.py is the script running,
    run again, this time through app.py.
    """
    if not PagesManager.uses_pages_directory:
        return
    PagesManager.uses_pages_directory = False
    ctx = get_script_run_ctx()
    if ctx is None:  # not under a Streamlit server
        return
    try:
        running = ctx.pages_manager.get_pages()[ctx.page_script_hash]["script_path"]
        in_router = Path(running).resolve() == Path(ctx.main_script_path).resolve()
    except (AttributeError, KeyError, TypeError):  # Streamlit's internals changed: a rerun is always safe
        in_router = False
    if not in_router:
        st.rerun()


leave_pages_folder_mode()


#: the Data page's sources, in its radio's order
DATA_SOURCES = ["Built-in dataset", "Upload a file"]
#: the ticker the stocks dataset starts with
DEFAULT_TICKER = "GOOG"
#: the Data page's cleaning choices: resampling and date order as shown, and what they mean
RESAMPLE_CHOICES = {"no resampling": None, "hourly": "1h", "daily": "D", "weekly": "W", "monthly": "MS"}
DATE_ORDER_CHOICES = {"auto": "automatic", "day-first": "day first (31/01)", "month-first": "month first (01/31)"}
#: where a new session keeps its owner's last target and features until their data is loaded
_KEPT_COLUMNS = "_kept_columns"
#: the cleaning widgets' keys and the values they start with
CLEANING_DEFAULTS: dict[str, str | int] = {"missing_policy": "ffill", "resample": "no resampling",
                                           "max_filled_pct": 20, "date_order": "auto"}


@st.cache_resource
def run_store() -> RunStore:
    return RunStore()


@st.cache_resource
def job_manager() -> JobManager:
    return JobManager(run_store())


@st.cache_resource
def kept_data() -> KeptData:
    """Each owner's last data choice and upload, beside the runs (old ones pruned once per server start)."""
    kept = KeptData(run_store().root / KEPT_DATA_DIR)
    with contextlib.suppress(OSError):
        kept.prune()
    return kept


def owner() -> str:
    """Who owns this tab's jobs and runs: the signed-in user, or a random token kept in the URL.

    With Streamlit's login configured (``[auth]`` in ``.streamlit/secrets.toml``), the
    owner comes from the signed-in identity, the URL carries no token, and a visitor
    who is not signed in is asked to sign in. Without it, a long random token lives in
    the session and in the URL (``?u=``): page switches clear query parameters, so it
    is written back on every run; a reload keeps the URL. A token from the URL that is
    too short or malformed is replaced by a fresh one.
    """
    user = st.user
    identity = identity_owner(user)
    if identity is not None:
        st.session_state["owner"] = identity
        if "u" in st.query_params:
            del st.query_params["u"]
        return identity
    if auth_configured(user):
        st.info("Sign in to train models and see your runs.", icon=":material/login:")
        st.button("Sign in", on_click=st.login, type="primary", key="sign_in")
        st.stop()
    token = st.session_state.get("owner")
    if not valid_token(token):
        from_url = st.query_params.get("u")
        token = from_url if valid_token(from_url) else new_token()
    st.session_state["owner"] = token
    if st.query_params.get("u") != token:
        st.query_params["u"] = token
    return token


def active_series() -> TimeSeries | None:
    return st.session_state.get("series")


def cleaning_options(values: Mapping[str, Any]) -> CleaningOptions:
    """The cleaning the Data page's widgets ask for (``values``: their session state, or a kept choice)."""
    from rnnkit.data.cleaning import CleaningOptions

    chosen = {**CLEANING_DEFAULTS, **{k: v for k, v in values.items() if k in CLEANING_DEFAULTS}}
    return CleaningOptions(missing=chosen["missing_policy"], resample=RESAMPLE_CHOICES[str(chosen["resample"])],
                           max_filled_share=int(chosen["max_filled_pct"]) / 100, date_order=chosen["date_order"])


def column_keys(label: str) -> tuple[str, str, str]:
    """The session keys of one dataset's or file's own widgets: its target, extra features and time column."""
    return f"target_{label}", f"features_{label}", f"time_column_{label}"


def restore_active_data() -> None:
    """A new session (a reload, a new tab) takes up its owner's last data at once, whatever page it opens on.

    Tried once per session. The Data page's widgets get the owner's last choice (source,
    dataset, ticker, cleaning, and that data's time column, target and features), each
    only when it is still offered. The series itself is loaded only when that needs no
    download (a kept upload, a built-in dataset available offline): the Data page is where
    a download and its progress bar belong. Anything that fails leaves the session without
    data, as before, and the Data page says why.
    """
    if "series" in st.session_state or st.session_state.get("_restore_tried"):
        return
    st.session_state["_restore_tried"] = True
    me = owner()
    try:
        kept = kept_data().last_choice(me)
    except (RnnkitError, OSError):  # no usable run store: the page says so itself
        return
    if not kept:  # a first visit: nothing to load, and the landing page stays free of pandas
        return
    from rnnkit.data.cleaning import MISSING_POLICIES
    from rnnkit.datasets.registry import DATASETS
    from rnnkit.kept_data import allowed_entries

    choice = allowed_entries(kept, {"data_source": DATA_SOURCES, "dataset_key": DATASETS, "ticker": _Tickers(),
                                    "missing_policy": MISSING_POLICIES, "resample": RESAMPLE_CHOICES,
                                    "max_filled_pct": range(101), "date_order": DATE_ORDER_CHOICES})
    for key, value in choice.items():
        st.session_state.setdefault(key, value)
    # a dataset's or file's own columns are checked against its series once it is loaded, here or on the Data page
    st.session_state[_KEPT_COLUMNS] = {k: v for k, v in kept.items() if k.startswith(("target_", "features_"))}
    try:
        loaded = _load_kept_choice(me, choice, kept)
    except Exception:  # noqa: BLE001 - a restore must never stop a page; the Data page shows what is wrong
        return
    if loaded is not None:
        series, label, defaults = loaded
        st.session_state.update(series=series, dataset_label=label)
        if defaults is not None:
            st.session_state["defaults"] = defaults


class _Tickers:
    """Any plausible ticker (the stocks dataset says itself when it cannot find one)."""

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and 0 < len(value) <= 20 and value.isprintable()


def _load_kept_choice(me: str, choice: dict[str, Any], kept: dict[str, Any]
                      ) -> tuple[TimeSeries, str, dict[str, Any] | None] | None:
    """The series ``choice`` names, when it loads without a download, with the kept columns that still fit it."""
    from pages._loading import cached_dataset, cached_upload
    from rnnkit.datasets.availability import availability

    cleaning = cleaning_options(choice)
    defaults = None
    if choice.get("data_source") == DATA_SOURCES[1] and (last := kept_data().last_upload(me)) is not None:
        label, data = last
        ActiveData(st.session_state).keep_upload(label, data)  # the Data page shows it as uploaded earlier
        time_key = column_keys(label)[2]
        time_column = kept.get(time_key)
        try:
            series = cached_upload(data, label, cleaning, time_column if isinstance(time_column, str) and
                                   time_column != "automatic" else None)
            if isinstance(time_column, str):
                st.session_state.setdefault(time_key, time_column)
        except RnnkitError:
            if time_column in (None, "automatic"):
                raise
            series = cached_upload(data, label, cleaning, None)  # that column no longer reads: detect it again
    elif choice.get("data_source") == DATA_SOURCES[0] and "dataset_key" in choice:
        key = choice["dataset_key"]
        ticker = choice.get("ticker", DEFAULT_TICKER) if key == "stocks" else None
        if not availability(key, ticker).offline:
            return None
        dataset = cached_dataset(key, ticker, cleaning)
        series, label, defaults = dataset.series, dataset.label, {"window": dataset.window, "split": dataset.split}
    else:
        return None
    return restore_kept_columns(series, label), label, defaults


def unless_kept(key: str, **defaults: Any) -> dict[str, Any]:
    """A widget's default arguments, or none when the session already holds a value for ``key``.

    A value restored from a reload (or kept from an earlier run) then decides the
    widget alone: given both, Streamlit logs that the default was ignored. With a
    ``key``, a widget's identity does not depend on these arguments, so leaving
    them out on later runs keeps its state. A held value that is not among the
    widget's options falls back to its first option, not to the default: callers
    check restored values first (``rnnkit.kept_data``).
    """
    return {} if key in st.session_state else defaults


def restore_kept_columns(series: TimeSeries, label: str) -> TimeSeries:
    """``series`` with the target and features its owner last chose for ``label`` when it still has them, their
    widgets starting from them (once per session); otherwise ``series`` as it is, with its own defaults."""
    from rnnkit.kept_data import allowed_columns

    target_key, features_key, _ = column_keys(label)
    kept = st.session_state.get(_KEPT_COLUMNS) or {}
    if target_key not in kept:
        return series
    target, features = kept.pop(target_key), kept.pop(features_key, None)
    numeric = series.numeric_columns
    features = allowed_columns(features, [c for c in numeric if c != target])
    if target not in numeric or features is None:
        return series
    try:
        chosen = series.with_columns(target, tuple(features))
    except RnnkitError:
        return series
    st.session_state.setdefault(target_key, target)
    st.session_state.setdefault(features_key, features)
    return chosen


def series_defaults(series: TimeSeries) -> Defaults:
    """The defaults for the active series: a built-in dataset keeps its own task (window step, delay, split)."""
    from rnnkit.defaults import suggest_defaults  # pandas-heavy: only pages that train or search load it

    task = st.session_state.get("defaults") or {}
    return suggest_defaults(series, task.get("window"), task.get("split"))


def ask_for_data(jobs_below: bool = False) -> None:
    """What a page that needs a series shows without one: where to get it, or the data of the last run again."""
    latest = job_manager().latest(owner()) if jobs_below else None
    if latest is not None and not latest.done:  # a reload or "Run again": the job goes on, shown below
        st.info("Your comparison is waiting or training below. To set up another one, choose its data first.")
    else:
        st.info("Choose a dataset or upload a file first.")
    st.page_link("pages/data.py", label="Go to the Data page", icon=":material/table_chart:")
    request = job_manager().latest_request(owner())
    if request is None:
        return
    label = request.label or request.series.name
    if st.button(f"Use the data of your last comparison again: {escape_markdown(label)} "
                 f"({request.series.rows:,} rows)", key="reuse_last_data", icon=":material/history:",
                 help="The series, target and features of your latest comparison (a new tab or a restarted "
                      "server starts without data); the window and split are suggested afresh."):
        from rnnkit.request import load_series

        try:
            series = load_series(request.series)
        except RnnkitError as error:
            show_error(error)
            return
        ActiveData(st.session_state).reuse(series, label)  # the Data page keeps it until the user picks other data
        st.rerun()


def visible_range(index: pd.Index, key: str) -> tuple | None:
    """A range picker under charts of long series: None (all of it) until the user narrows it.

    Long lines are drawn with a few thousand points (rnnkit.downsample); a narrower range
    is downsampled again on the server, so it shows in full detail.
    """
    from rnnkit.downsample import DISPLAY_POINTS, needs_downsampling, range_choices

    if not needs_downsampling(len(index)):
        return None
    choices = range_choices(index)
    start, end = st.select_slider(
        "Visible range", choices, value=(choices[0], choices[-1]), key=f"{key}_{len(index)}_{index[0]}_{index[-1]}",
        help=f"{len(index):,} rows: each line is drawn with at most {DISPLAY_POINTS:,} points that keep every peak "
             "and trough (MinMaxLTTB). Narrow the range to see it in full detail; training always uses every row.")
    return None if (start, end) == (choices[0], choices[-1]) else (start, end)


def show_error(error: RnnkitError) -> None:
    """An rnnkit error inline: the problem, then how to fix it (both quote user-provided names, so escaped)."""
    st.error(escape_markdown(error.problem), icon=":material/error:")
    st.info(escape_markdown(error.fix), icon=":material/build:")


def _draw_active_data(slot) -> None:
    with slot.container():
        series = active_series()
        if series is None:
            st.caption("None yet: choose one on the Data page.")
        else:
            st.markdown(f"**{escape_markdown(st.session_state.get('dataset_label', series.name))}**")
            st.caption(f"{len(series):,} rows · {series.report.frequency_label} · target {code_span(series.target)}")


def refresh_active_data() -> None:
    """Redraw the sidebar's active data in place, after a page changed it during this run."""
    slot = st.session_state.get("_active_data_slot")
    if slot is not None:
        _draw_active_data(slot)


def sidebar() -> None:
    """The active dataset and the state of this user's latest run, on every page."""
    with st.sidebar:
        st.markdown("### Active data")
        slot = st.empty()
        st.session_state["_active_data_slot"] = slot  # this run's placeholder, replaced every run
        _draw_active_data(slot)
        st.markdown("### Latest run")
        job = job_manager().latest(owner())
        # What the sidebar says, for the Train page: it redraws the whole app when the job's status has moved on.
        st.session_state["sidebar_job"] = None if job is None else job_state(job, counts=False)
        if job is None:
            st.caption("No run in this session yet.")
        else:
            done = models_done(job)
            counted = f" · {done}/{len(job.models)} models" if job.models else ""  # none known yet: queued elsewhere
            st.markdown(f"**{job.status}**{counted}")
            if job.result is not None and job.result.best_model:
                st.caption(f"best network: {escape_markdown(job.result.best_model)}")
            if job.error:
                st.caption(escape_markdown(job.error))
            others = sum(not other.done for other in job_manager().jobs_for(owner()) if other.id != job.id)
            if others:
                st.caption(f"and {others} more waiting or training: see Train & compare")
