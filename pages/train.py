"""Train & compare: window, split, models and training settings; a background job; the comparison."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages._shared import ask_for_data, series_defaults, active_series, job_manager, owner, show_error
from rnnkit.backtest import MAX_FOLDS
from rnnkit.data.calendar import added_calendar_columns
from rnnkit.display import code_span, escape_markdown
from rnnkit.errors import RnnkitError
from rnnkit.job_choice import job_line, job_state, shown_job, status_signature
from rnnkit.jobqueue import JobStatus
from rnnkit.jobs import Job
from rnnkit.figures import backtest_folds_figure, loss_overlay, loss_panels, metrics_bar, window_sketch
from rnnkit.live_chart import live_loss_svg
from rnnkit.models.presets import PRESETS
from rnnkit.models.spec import CELLS, ModelSpec
from rnnkit.page_memory import PageMemory, series_scope
from rnnkit.prepare import plan_windows
from rnnkit.request import make_request
from rnnkit.scaling import SCALER_KINDS
from rnnkit.splits import SplitSpec
from rnnkit.training import TrainingConfig
from rnnkit.verdicts import (MIN_TEST_WINDOWS, cancel_note, coverage_note, divergence_note, result_verdict,
                             result_wins, skipped_note)
from rnnkit.ui_limits import BATCH, EPOCHS, FORECAST, HORIZON, LAYERS, LIVE_REFRESH_S, LOOKBACK, UNITS
from rnnkit.windows.spec import WindowSpec

st.title("Train & compare")
jobs = job_manager()


def remember_pick() -> None:
    """Keep the picker's choice under a key of its own: Streamlit forgets a widget's key on pages without it."""
    st.session_state["picked_job"] = st.session_state["job_id"]


def pick_job(mine: list[Job]) -> Job | None:
    """This user's jobs, newest first, in a picker when there are several; the one to show (the newest unless
    another was picked)."""
    picked = shown_job(mine, st.session_state.get("picked_job"))  # only a user's pick is kept, never the newest:
    if picked is None:  # a job queued since (another tab, the CLI) then shows at once
        return None
    st.session_state["job_signature"] = status_signature(mine)  # what this run draws the list from
    if len(mine) > 1:
        st.session_state["job_id"] = picked.id  # the picker's own key, set before it is drawn in this run
        lines = {job.id: job_line(job) for job in reversed(mine)}
        st.selectbox("Your comparisons", list(lines), key="job_id", format_func=lines.get, on_change=remember_pick,
                     help=f"Those waiting or training, and the last {jobs.keep_per_owner} that ended. Every run "
                          "that finished stays on the Runs page.")
    return picked


def job_panel(sidebar_drew: tuple | None) -> None:
    """The picked job's progress, or how it ended; ``sidebar_drew``: what the sidebar said of the latest job."""
    mine = jobs.jobs_for(owner())
    job = shown_job(mine, st.session_state.get("picked_job"))
    if job is not None:
        draw_job(job)  # first, so a click on Cancel or Run again in this run is acted on
    latest = jobs.latest(owner()) if sidebar_drew is not None else None  # as the sidebar finds it
    if status_signature(mine) != st.session_state.get("job_signature") or (
            latest is not None and sidebar_drew != job_state(latest, counts=False)):
        st.rerun(scope="app")  # a job moved on: redraw the list, the sidebar and the result, then settle


def draw_job(job: Job) -> None:
    """One job's status, progress bars, live chart and buttons (Cancel, Run again)."""
    st.subheader(f"Run: {job.status}")
    if job.status == JobStatus.QUEUED:
        ahead = f"number {job.position} in the queue" if job.position else "in the queue"
        st.info(f"Waiting for a free trainer: {ahead}. It starts on its own; you can leave this page. Users take "
                "turns, so your place can move back when another user submits.",
                icon=":material/hourglass_top:")
    for progress in job.models.values():
        fraction, text = progress.describe(stopped=job.done)
        st.progress(fraction, text=text)
    if job.status == JobStatus.RUNNING:
        # A static SVG, not plotly: the browser draws it in milliseconds and loads no plotly.js while training
        # runs on the same machine (rnnkit.live_chart). Unchanged between epochs, so the browser keeps it as is.
        st.image(live_loss_svg({n: (p.loss, p.val_loss) for n, p in job.models.items()}),
                 width="stretch")
    if not job.done:
        if st.button("Cancel", key=f"cancel_{job.id}"):
            jobs.cancel(job.id, owner())
            st.rerun(scope="app")  # show it cancelled (or stopping) at once
        return
    if job.error:
        st.error(escape_markdown(job.error), icon=":material/error:")
    if job.status in (JobStatus.INTERRUPTED, JobStatus.FAILED, JobStatus.CANCELLED) and st.button(
            "Run again", key=f"again_{job.id}", type="primary" if job.error else "secondary",
            icon=":material/replay:", help="Queue this comparison again, exactly as it was asked."):
        try:
            again = jobs.run_again(job.id, owner())
        except RnnkitError as error:
            show_error(error)
        else:
            st.session_state["picked_job"] = again.id
            st.rerun(scope="app")


def show_jobs() -> None:
    """Progress of the picked job (polled while any of this user's jobs waits or runs), then its comparison."""
    mine = jobs.jobs_for(owner())
    picked = pick_job(mine)
    if picked is None:
        return
    waiting = any(not job.done for job in mine)
    # Poll every LIVE_REFRESH_S seconds while a job is not done; once all are, the panel is drawn once, without polling.
    sidebar_drew = st.session_state.pop("sidebar_job", None)  # drawn in this run (absent when a test runs a page alone)

    def panel() -> None:
        job_panel(sidebar_drew)

    st.fragment(run_every=LIVE_REFRESH_S if waiting else None)(panel)()
    job = jobs.get(picked.id, owner())
    if job is None or not job.done or job.result is None or not job.result.models:
        return
    result = job.result
    st.session_state["result"] = result
    st.session_state["result_run_id"] = job.run_id
    active = active_series()
    if active is not None and (result.series_name, result.target) != (active.name, active.target):
        st.info(f"This comparison is of {escape_markdown(result.series_name)} (target {code_span(result.target)}), "
                f"not of the active data, {escape_markdown(active.name)}: the settings above are for the active "
                "data.", icon=":material/swap_horiz:")
    if (note := cancel_note(result)) is not None:
        st.warning(note, icon=":material/cancel:")
    if (note := divergence_note(result)) is not None:
        st.warning(note, icon=":material/warning:")
    metrics = result.metrics
    best = result.best_model
    if result.backtest_verdict:
        st.subheader(f"Rolling-origin backtest: {result.backtest_folds['fold'].nunique()} folds")
        st.info(result.backtest_verdict, icon=":material/timeline:")
        st.plotly_chart(backtest_folds_figure(result.backtest_folds, result.backtest_summary), width="stretch")
        st.dataframe(result.backtest_summary.style.format(precision=4, na_rep=""),
                     width="stretch", column_config={"folds": "folds scored",
                         "val_rmse": "validation RMSE before fold 1 (the choice)", "rmse_mean": "test RMSE (mean)",
                         "rmse_std": "test RMSE (spread)", "mae_mean": "test MAE (mean)",
                         "mae_std": "test MAE (spread)",
                         "coverage_pct": "interval coverage (%)", "pooled_dm_p": "pooled DM p",
                         "pooled_dm_p_holm": "pooled DM p (Holm)"})
        st.subheader(f"The last fold in detail (test from {result.test_times[0]:%Y-%m-%d})")
    if (message := result_verdict(result)) is not None:
        message = f"Last fold: {message}" if result.backtest_verdict else message
        skill = float(metrics.loc[best, "skill_pct"]) if best else float("nan")
        if result_wins(result) and result.selection == "validation":
            st.success(message, icon=":material/emoji_events:")
        elif skill > 0:  # lower, within noise: no win claimed, no alarm either
            st.info(message, icon=":material/info:")
        else:
            st.warning(message, icon=":material/info:")
    for note in (skipped_note(result), coverage_note(result)):
        if note is not None:
            st.caption(note)
    st.subheader("Test metrics, in the series' own units")
    columns = ["kind", "val_rmse", "mae", "rmse", "mase", "skill_pct", "skill_vs_naive_pct", "dm_p", "dm_p_holm",
               "coverage_pct", "winkler"]
    shown = metrics[[c for c in columns if c in metrics]]
    if len(result.y_test) < MIN_TEST_WINDOWS:  # too few for the test: no p-value shown that the verdict refuses
        shown = shown.drop(columns=[c for c in ("dm_p", "dm_p_holm") if c in shown])
    chosen = {best, result.best_baseline}
    if result.backtest_summary is not None:  # the backtest's pair, chosen before fold 1: the one its verdict judges
        chosen = set(result.backtest_summary.index[result.backtest_summary["chosen"] != ""])
    formats = {c: "{:.2g}" if c in ("dm_p", "dm_p_holm") else "{:.4f}" for c in shown if c != "kind"}  # p: 6.2e-16
    numbers = shown.apply(lambda col: col if col.name == "kind" else pd.to_numeric(col, errors="coerce"))
    st.dataframe(
        numbers.style.format(formats, na_rep="").apply(
            lambda row: ["background-color: #dcfce7; font-weight: 600" if row.name in chosen else "" for _ in row],
            axis=1),
        width="stretch",
        column_config={"mae": "MAE", "rmse": "RMSE", "mase": "MASE", "val_rmse": "validation RMSE (the choice)",
                       "skill_pct": "skill vs chosen baseline (%)",
                       "skill_vs_naive_pct": "skill vs naive (%)", "dm_p": "Diebold–Mariano p",
                       "dm_p_holm": "DM p, Holm-corrected",
                       "coverage_pct": f"{result.interval:.0%} interval coverage (%)",
                       "winkler": "Winkler score"},
    )
    chosen_on = {"validation": "validation RMSE", "legacy": "test RMSE (a run saved before rnnkit chose on "
                 "validation)"}.get(result.selection, "test RMSE (there is no validation part)")
    if result.backtest_summary is not None:
        chosen_on = "the backtest (validation RMSE before fold 1; this fold's own choice may differ)"
    st.caption(f"Highlighted: the model and the baseline chosen by {chosen_on}. Skill: % lower test RMSE than "
               "the chosen baseline. Diebold–Mariano p < 0.05 (Holm-corrected when several models compete): the "
               "difference is unlikely to be noise. Coverage: share of test targets inside the interval; Winkler: "
               "interval width plus a penalty for every miss (lower is better).")
    st.plotly_chart(metrics_bar(result), width="stretch")
    st.subheader("Loss curves")
    st.plotly_chart(loss_panels(result), width="stretch")
    st.plotly_chart(loss_overlay(result), width="stretch")
    st.page_link("pages/predictions.py", label="See the predictions and the forecast", icon=":material/show_chart:")


series = active_series()
if series is None:
    ask_for_data(jobs_below=True)
    show_jobs()
    st.stop()

suggested = series_defaults(series)
default_window: WindowSpec = suggested.window
default_training: TrainingConfig = suggested.training
#: every setting's default for this series: drawn by the widgets, and put back by "Back to these defaults"
DEFAULTS = {
    "lookback": min(default_window.lookback, LOOKBACK.maximum), "step": default_window.step,
    "delay": default_window.delay, "horizon": default_window.horizon,
    "use_default_split": bool(st.session_state.get("defaults")), "train_pct": 70, "val_pct": 15,
    "presets": list(suggested.models), "add_custom": False, "custom_cell": next(iter(CELLS)), "custom_layers": 1,
    "custom_units": 32, "custom_dropout": 0.0, "custom_bidirectional": False,
    "epochs": min(default_training.epochs, EPOCHS.maximum), "batch_size": default_training.batch_size,
    "learning_rate": default_training.learning_rate, "seed": 42, "scaler": SCALER_KINDS[0], "early_stopping": True,
    "patience": default_training.patience, "calendar": suggested.calendar, "reduce_lr": default_training.reduce_lr,
    "evaluation": "Single split", "folds": 5, "forecast_steps": None,
}
KEEP = "session"  # Streamlit keeps a setting across pages (rnnkit.page_memory swaps them per dataset)
settings, scope = PageMemory(st.session_state, "train", DEFAULTS), series_scope(series)  # every setting is kept
settings.sync(scope)
with st.expander("Why these defaults", icon=":material/tune:"):
    st.markdown("\n".join(f"- {reason}" for reason in suggested.reasons))
    st.caption("Every default below can be changed; they are general rules, not tuned to this series. Your "
               "settings are kept for this dataset (its target and features) while you visit other pages.")
    if st.button("Back to these defaults", key="reset_settings", icon=":material/restart_alt:"):
        settings.reset(scope, DEFAULTS)  # before the widgets below are drawn in this run

st.subheader("Window")
c = st.columns(4)
lookback = c[0].number_input("Lookback (rows)", 1, None, DEFAULTS["lookback"], key="lookback", persist_state=KEEP,
                             help=LOOKBACK.help("How many past rows each input window covers."))
step = c[1].number_input("Step", 1, None, DEFAULTS["step"], key="step", persist_state=KEEP,
                         help="Keep every step-th row.")
delay = c[2].number_input("Delay", 0, None, DEFAULTS["delay"], key="delay", persist_state=KEEP,
                          help="Rows between the window's end and the first target (0 = the next row).")
horizon = c[3].number_input("Horizon", 1, None, DEFAULTS["horizon"], key="horizon", persist_state=KEEP,
                            help=HORIZON.help("Rows predicted at once (direct multi-step)."))
use_default_split = st.toggle("Dataset's own split" if st.session_state.get("defaults") else "Fractions",
                              value=DEFAULTS["use_default_split"], key="use_default_split", persist_state=KEEP,
                              disabled=not st.session_state.get("defaults"))
if use_default_split:
    split = suggested.split
else:
    s1, s2 = st.columns(2)
    train_pct = s1.slider("Training share (%)", 10, 90, DEFAULTS["train_pct"], key="train_pct", persist_state=KEEP)
    val_pct = s2.slider("Validation share (%)", 0, 50, DEFAULTS["val_pct"], key="val_pct", persist_state=KEEP)

try:
    if not use_default_split:
        split = SplitSpec(train=train_pct / 100, val=val_pct / 100)
    LOOKBACK.check(lookback, "Lookback")
    HORIZON.check(horizon, "Horizon")
    window = WindowSpec(int(lookback), int(step), int(delay), int(horizon))
    _, counts = plan_windows(series, window, split)
except RnnkitError as error:
    show_error(error)
    show_jobs()  # the user's comparisons (progress, Cancel) stay in reach while the window is fixed
    st.stop()

m = st.columns(4)
m[0].metric("Train windows", f"{counts['train']:,}")
m[1].metric("Validation windows", f"{counts['val']:,}")
m[2].metric("Test windows", f"{counts['test']:,}")
calendar_columns = added_calendar_columns(series) if st.session_state.get("calendar", DEFAULTS["calendar"]) else []
m[3].metric("Input shape", f"{window.n_steps} × {len(series.inputs) + len(calendar_columns)}",
            help=f"Steps × inputs: {len(series.inputs)} column(s) of the data"
                 + (f" and {len(calendar_columns)} calendar features ({', '.join(calendar_columns)})"
                    if calendar_columns else "") + ".")
if counts["val"] == 0:
    st.warning("No validation windows: early stopping cannot run (every model trains all its epochs), the networks "
               "get no intervals, and the best model and baseline are chosen on the test part itself, which "
               "flatters the winner. Give the validation part a share for an honest choice.", icon=":material/warning:")
if counts["test"] < MIN_TEST_WINDOWS:
    st.warning(f"Only {counts['test']} test window{'s' if counts['test'] != 1 else ''}: too few to tell a real "
               f"difference from noise (the verdict needs at least {MIN_TEST_WINDOWS}). Give the test part a larger "
               "share of the series.", icon=":material/warning:")
st.plotly_chart(window_sketch(series.frame, series.target, window), width="stretch")

st.subheader("Models")
chosen = st.multiselect("Presets", list(PRESETS), default=DEFAULTS["presets"], key="presets", persist_state=KEEP,
                        format_func=lambda n: f"{n}: {PRESETS[n].layer_summary}")
with st.expander("Custom model"):
    add_custom = st.checkbox("Add a custom model", DEFAULTS["add_custom"], key="add_custom", persist_state=KEEP)
    k = st.columns(5)
    cell = k[0].selectbox("Type", list(CELLS), format_func=CELLS.get, key="custom_cell", persist_state=KEEP)
    layers = k[1].number_input("Layers", 1, None, DEFAULTS["custom_layers"], key="custom_layers", persist_state=KEEP,
                               help=LAYERS.help("Recurrent layers stacked on each other."))
    units = k[2].number_input("Units per layer", 1, None, DEFAULTS["custom_units"], key="custom_units",
                              persist_state=KEEP,
                              help=UNITS.help("Size of each layer's hidden state."))
    dropout = k[3].number_input("Dropout", 0.0, None, DEFAULTS["custom_dropout"], step=0.05, key="custom_dropout",
                                persist_state=KEEP)
    bidirectional = k[4].checkbox("Bidirectional", DEFAULTS["custom_bidirectional"], key="custom_bidirectional",
                                  persist_state=KEEP)
searched = st.session_state.get("searched")  # set by the Search page's "Use in Train & compare"
if searched is not None and searched.get("scope") != scope:  # tuned on other data: not offered here
    st.caption(f"The model of your search on {escape_markdown(searched.get('dataset') or 'another dataset')} is "
               "not offered for this data: it was tuned on other data. Search this data to get one for it.")
    searched = None
include_searched = searched is not None and st.checkbox(
    f"Include the searched model ({searched['spec'].layer_summary}; found with lookback "
    f"{searched['window'].lookback}, learning rate {searched['training'].learning_rate:.3g} and batch size "
    f"{searched['training'].batch_size}: set those to train it as searched)", value=True, key="include_searched")
st.subheader("Training")
t = st.columns(4)
epochs = t[0].number_input("Epochs", 1, None, DEFAULTS["epochs"], key="epochs", persist_state=KEEP,
                           help=EPOCHS.help("Passes over the training windows."))
batch_size = t[1].number_input("Batch size", 1, None, DEFAULTS["batch_size"], key="batch_size", persist_state=KEEP,
                               help=BATCH.help("Windows per training step."))
learning_rate = t[2].number_input("Learning rate", 1e-5, None, DEFAULTS["learning_rate"], format="%.4f",
                                  key="learning_rate", persist_state=KEEP)
seed = t[3].number_input("Seed", 0, None, DEFAULTS["seed"], key="seed", persist_state=KEEP)
u = st.columns(4)
scaler = u[0].selectbox("Scaler", SCALER_KINDS, key="scaler", persist_state=KEEP,
                        help="Fitted on the training rows only.")
early_stopping = u[1].checkbox("Early stopping", value=DEFAULTS["early_stopping"], key="early_stopping",
                               persist_state=KEEP,
                               help="Stop when validation loss stops improving; keep the best weights.")
patience = u[2].number_input("Patience", 1, None, DEFAULTS["patience"], key="patience", persist_state=KEEP)
calendar = u[3].checkbox("Calendar features", value=DEFAULTS["calendar"], key="calendar", persist_state=KEEP,
                         help="Add month / weekday / hour as sine and cosine inputs.")
v = st.columns([1, 1, 2])
reduce_lr = v[0].checkbox("Halve the learning rate when validation stalls", value=DEFAULTS["reduce_lr"],
                          key="reduce_lr", persist_state=KEEP)
mode = v[1].radio("Evaluation", ["Single split", "Backtest"], key="evaluation", horizontal=True, persist_state=KEEP,
                  help="A backtest trains every model again on an expanding window and scores several "
                       "consecutive test folds: one test period is one draw.")
folds = v[2].number_input("Backtest folds", 2, MAX_FOLDS, DEFAULTS["folds"], key="folds", persist_state=KEEP,
                          help="The test part is cut into this many consecutive folds.") if mode == "Backtest" else 5
ahead = st.columns(4)[0].number_input(
    "Forecast past the end (rows)", 1, None, DEFAULTS["forecast_steps"], key="forecast_steps", persist_state=KEEP,
    placeholder="one season", help=FORECAST.help(
        "How far the forecast past the end of the data goes. Empty: one season (12 rows when the series has none). "
        "A network with extra input features (besides calendar ones) forecasts only the rows its window predicts: "
        "those features have no known future."))


def chosen_specs() -> list[ModelSpec]:
    """The models asked for: presets, the custom model and the searched one (a bad custom model raises)."""
    picked = [PRESETS[n] for n in chosen]
    if add_custom:
        picked.append(ModelSpec(f"custom_{cell}", cell=cell, units=(int(units),) * int(layers),
                                dropout=float(dropout), bidirectional=bidirectional))
    if include_searched:
        picked.append(searched["spec"])
    return picked


def training_config() -> TrainingConfig:
    """The training settings (an impossible one raises, naming it)."""
    return TrainingConfig(epochs=int(epochs), batch_size=int(batch_size), learning_rate=float(learning_rate),
                          early_stopping=early_stopping, patience=int(patience), seed=int(seed), reduce_lr=reduce_lr)


bounds = [(FORECAST, ahead or 0, "Forecast past the end"), (EPOCHS, epochs, "Epochs"),
          (BATCH, batch_size, "Batch size")]
if add_custom:
    bounds += [(LAYERS, layers, "Layers (custom model)"), (UNITS, units, "Units per layer (custom model)")]
problems: list[RnnkitError] = []  # every setting checked now, named with its fix, rather than after a click
for limit, value, name in bounds:
    try:
        limit.check(value, name)
    except RnnkitError as error:
        problems.append(error)
for build in (chosen_specs, training_config) if not problems else ():  # the limits first, said once
    try:
        build()
    except RnnkitError as error:
        problems.append(error)
for problem in problems:
    show_error(problem)
submitted = st.button("Train and compare", type="primary", key="train", disabled=bool(problems))

if submitted:
    try:
        request = make_request(series, window, chosen_specs(), split, training_config(), scaler, calendar=calendar,
                               snapshot_folder=jobs.snapshot_folder, folds=int(folds) if mode == "Backtest" else None,
                               forecast_steps=int(ahead) if ahead else None,
                               label=st.session_state.get("dataset_label", series.name))
        job = jobs.start(owner(), request, series)
        st.session_state["picked_job"] = job.id
        st.rerun()  # from the top, so the sidebar's latest run is this one
    except RnnkitError as error:
        show_error(error)

show_jobs()
