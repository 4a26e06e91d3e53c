"""Predictions: test predictions against the real data, residuals, the forecast, and downloads."""

from __future__ import annotations

import streamlit as st

from pages._shared import active_series, job_manager, owner, run_store, show_error, visible_range
from rnnkit.compare import interval_note
from rnnkit.display import code_span, dates_without_midnight, escape_markdown
from rnnkit.errors import RnnkitError
from rnnkit.export import config_json, download_name, forecast_csv, model_file_note, predictions_csv
from rnnkit.figures import (backtest_folds_figure, forecast_figure, predictions_figure, residuals_figure,
                            test_interval_figure)
from rnnkit.verdicts import forecast_note, result_verdict

st.title("Predictions")
result = st.session_state.get("result")
if result is None and (latest := run_store().latest_viewable(owner())) is not None:
    try:  # a new tab or a reload: show this owner's latest run rather than nothing
        result = run_store().load(latest, owner=owner())
    except RnnkitError:
        result = None  # damaged or deleted meanwhile: the Runs page names the problem
    else:
        st.session_state["result"], st.session_state["result_run_id"] = result, latest
if result is None:
    st.info("Train models on the Train & compare page, or open a stored run on the Runs page.")
    st.stop()
run_id = st.session_state.get("result_run_id")
newer = job_manager().latest(owner())
if newer is not None and not newer.done and newer.run_id != run_id:
    st.info("A newer comparison is waiting or training: these are the results of an earlier run. Follow it on "
            "Train & compare.", icon=":material/hourglass_top:")
st.caption(f"{escape_markdown(result.series_name)} · target {code_span(result.target)}"
           + (f" · run {code_span(run_id)}" if run_id else ""))

for sentence in (result.backtest_verdict, result_verdict(result)):
    if sentence:
        last = result.backtest_verdict and sentence != result.backtest_verdict
        st.info(f"Last fold: {sentence}" if last else sentence, icon=":material/balance:")
if result.backtest_folds is not None:
    with st.expander("Backtest folds"):
        st.plotly_chart(backtest_folds_figure(result.backtest_folds, result.backtest_summary),
                        width="stretch")

series = active_series()
history = None
if series is not None and series.target == result.target and series.name == result.series_name:
    history = series.frame[result.target]

names = [m.name for m in result.models]
steps = result.y_test.shape[1]
baseline_names = list(result.baselines)
c1, c2, c3 = st.columns([3, 2, 1])
chosen = c1.multiselect("Models", names, default=names, key="prediction_models")
others = c2.multiselect("More baselines", baseline_names, key="prediction_baselines",
                        help="The baseline chosen on validation is always drawn; add others to compare.")
step = c3.number_input("Steps ahead", 1, steps, 1, key="prediction_step") if steps > 1 else 1

overlay, per_model, residuals, intervals, forecast = st.tabs(
    ["Overlay", "Per model", "Residuals", "Test intervals", "Forecast"])
with overlay:
    window = visible_range(history.index, key="prediction_range") if history is not None else None
    st.plotly_chart(predictions_figure(result, history, chosen, step, others=others, window=window),
                    width="stretch")
with per_model:
    for name in chosen:
        st.plotly_chart(predictions_figure(result, history, [name], step, baselines=True, window=window),
                        width="stretch", key=f"per_{name}")
with residuals:
    st.plotly_chart(residuals_figure(result, chosen, step), width="stretch")
with intervals:
    with_band = [n for n in [*names, *baseline_names] if n in result.intervals]
    if not with_band:
        st.info("No test intervals: they are calibrated on the validation part, and this run has none.")
    else:
        start = with_band.index(result.best_model) if result.best_model in with_band else 0
        picked = st.selectbox("Forecaster", with_band, index=start, key="interval_forecaster")
        st.plotly_chart(test_interval_figure(result, picked, step), width="stretch")
        st.caption("A good interval covers about its promised share of the test targets and stays narrow; the "
                   "metrics table on Train & compare shows every forecaster's coverage and Winkler score.")
with forecast:
    forecasters = names + [n for n in result.baseline_forecasts if n not in names]
    model = st.selectbox("Forecaster", forecasters,
                         index=forecasters.index(result.best_model) if result.best_model in forecasters else 0,
                         key="forecast_model",
                         help="Models, and the statistical baselines with their own intervals.")
    recent = history if history is not None else \
        result.predictions_frame().query("step == 1").set_index("time")["actual"]
    st.plotly_chart(forecast_figure(result, recent, model), width="stretch")
    frame = result.baseline_forecasts[model] if model in result.baseline_forecasts else result.model(model).forecast
    st.dataframe(dates_without_midnight(frame), width="stretch", hide_index=True)
    st.caption(interval_note(result))
    if (note := forecast_note(result)) is not None:
        st.caption(note)

st.subheader("Downloads")
d = st.columns(4)
d[0].download_button("Predictions (CSV)", predictions_csv(result), download_name(result, run_id, "predictions", "csv"),
                     "text/csv", key="download_predictions")
d[1].download_button("Forecast (CSV)", forecast_csv(result), download_name(result, run_id, "forecast", "csv"),
                     "text/csv", key="download_forecast")
d[2].download_button("Run configuration (JSON)", config_json(result), download_name(result, run_id, "run", "json"),
                     "application/json", key="download_config")
if run_id:
    try:
        model_name = d[3].selectbox("Model file", names, key="download_model_name", label_visibility="collapsed",
                                    index=names.index(result.best_model) if result.best_model in names else 0)
        path = run_store().model_path(run_id, model_name, owner=owner())  # never another owner's file
        d[3].download_button(escape_markdown(f"{model_name}.keras"), path.read_bytes(),
                             download_name(result, run_id, model_name, "keras"), "application/octet-stream",
                             key="download_model")
    except RnnkitError as error:
        show_error(error)
    st.caption(model_file_note(result, model_name))
