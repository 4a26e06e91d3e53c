"""Search: a budgeted hyperparameter search on the validation part, run in the background, live per trial."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from pages._shared import ask_for_data, series_defaults, active_series, job_manager, owner, show_error
from rnnkit.data.calendar import with_calendar_features
from rnnkit.display import escape_markdown
from rnnkit.errors import RnnkitError
from rnnkit.figures import search_progress
from rnnkit.page_memory import PageMemory, series_scope
from rnnkit.search import BATCH_CHOICES, LEARNING_RATE_RANGE, LOOKBACK_FACTOR_RANGE, UNITS_RANGE
from rnnkit.search_jobs import SEARCHES, TrialRow
from rnnkit.ui_limits import LIVE_REFRESH_S

st.title("Search")
st.caption(f"Optuna's TPE sampler tries GRU and LSTM networks ({UNITS_RANGE[0]}–{UNITS_RANGE[1]} units, 1–2 "
           f"layers, dropout 0–0.3, with or without the last-value head), learning rates "
           f"{LEARNING_RATE_RANGE[0]:g}–{LEARNING_RATE_RANGE[1]:g}, batch sizes {', '.join(map(str, BATCH_CHOICES))} "
           f"and lookbacks {LOOKBACK_FACTOR_RANGE[0]:g}–{LOOKBACK_FACTOR_RANGE[1]:g}× the default. Each trial is "
           "scored by its validation RMSE; poor trials stop early; the test part is never used. The first trial is "
           "the defaults, the one to beat.")


def trials_table(rows: list[TrialRow]) -> pd.DataFrame:
    return pd.DataFrame([{"trial": r.number, "state": r.state, "validation RMSE": r.val_rmse, **r.params,
                          "note": r.note} for r in rows])


def live_panel() -> None:
    job = SEARCHES.latest(owner())
    if job is None:
        return
    rows = job.rows()
    elapsed, left = job.clock()
    st.subheader(f"Search: {job.status}")
    st.progress(min(elapsed / job.budget_s, 1.0), text=f"{len(rows)} trials · {elapsed:.0f} s elapsed · {left:.0f} s "
                                                       "of the budget left")
    if rows:
        frame = trials_table(rows)
        st.plotly_chart(search_progress(frame.rename(columns={"trial": "number", "validation RMSE": "val_rmse"}),
                                        job.best_so_far), width="stretch", key=f"search_chart_{job.id}")
        st.dataframe(frame, width="stretch", hide_index=True)
    if not job.done:
        if st.button("Cancel", key=f"cancel_search_{job.id}"):
            SEARCHES.cancel(owner())
        return
    if job.error:
        st.error(job.error)
    elif st.session_state.get("shown_search") != job.id:
        st.session_state["shown_search"] = job.id
        st.rerun(scope="app")


def show_result() -> None:
    running = SEARCHES.latest(owner())
    st.fragment(run_every=LIVE_REFRESH_S if running is not None and not running.done else None)(live_panel)()
    job = SEARCHES.latest(owner())
    if job is None or not job.done or job.result is None:
        return
    result = job.result
    if result.status == "cancelled":
        st.warning("The search was cancelled; the trials that finished are kept.")
    if result.best is None:
        st.warning(result.selection)
        return
    best = result.best
    st.subheader("Best configuration")
    st.success(result.selection, icon=":material/emoji_events:")
    c = st.columns(4)
    c[0].metric("Validation RMSE", f"{result.best_val_rmse:.4g}")
    c[1].metric("Lookback", best.window.lookback)
    c[2].metric("Learning rate", f"{best.training.learning_rate:.3g}")
    c[3].metric("Batch size", best.training.batch_size)
    st.markdown(f"**{best.spec.name}**: {best.spec.layer_summary}")
    active = active_series()
    elsewhere = active is None or series_scope(active) != job.scope
    if elsewhere:
        st.caption(f"This search was on {escape_markdown(job.dataset or 'other data')}, not on the active data: "
                   "make that data active again on the Data page to train its model.")
    if st.button("Use in Train & compare", type="primary", key="use_searched", disabled=elsewhere):
        st.session_state["searched"] = {"spec": best.spec, "training": best.training, "window": best.window,
                                        "val_rmse": result.best_val_rmse, "dataset": job.dataset,
                                        "scope": job.scope}
        st.switch_page("pages/train.py")


series = active_series()
if series is None:
    ask_for_data()
    show_result()
    st.stop()

PageMemory(st.session_state, "search", ("search_budget", "search_trials", "search_epochs")).sync(series_scope(series))
suggested = series_defaults(series)
c = st.columns([3, 1, 1])
budget = c[0].slider("Time budget (seconds)", 30, 1800, 120, step=30, key="search_budget", persist_state="session",
                     help="The whole search stops when this is spent; the trial running then is cut short.")
trials = c[1].number_input("Most trials (optional)", 1, 1000, value=None, key="search_trials", persist_state="session",
                           help="Leave empty to let the budget alone decide.")
epochs = c[2].number_input("Most epochs per trial", 1, 10_000, suggested.training.epochs, key="search_epochs",
                           persist_state="session",
                           help="Fewer epochs: more, rougher trials in the same budget.")
st.caption(f"Every trial trains with the defaults' other settings: early stopping on validation "
           f"(patience {suggested.training.patience}), on the window "
           f"(step {suggested.window.step}, delay {suggested.window.delay}, horizon {suggested.window.horizon}) "
           f"and split of the Train page's defaults" + (", with calendar features." if suggested.calendar else "."))
started = st.button("Start the search", type="primary", key="start_search")

if started:
    try:
        data = with_calendar_features(series) if suggested.calendar else series
        SEARCHES.start(owner(), data, suggested.window, suggested.split, float(budget),
                       int(trials) if trials else None, replace(suggested.training, epochs=int(epochs)),
                       training_lock=job_manager().training_lock,
                       dataset=st.session_state.get("dataset_label", series.name), scope=series_scope(series))
    except RnnkitError as error:
        show_error(error)

show_result()
