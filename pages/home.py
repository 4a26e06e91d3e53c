"""Landing page: what rnnkit does, the built-in datasets, and how to start."""

import streamlit as st

import pages._shared  # noqa: F401  (a first visit to this page on a fresh server goes through the router)
from rnnkit.datasets.availability import availability
from rnnkit.datasets.registry import DATASETS

st.title("rnnkit")
st.markdown(
    "Forecast a time series with recurrent neural networks (SimpleRNN, LSTM, GRU) and find out, "
    "honestly, whether they beat the forecasts a practitioner would otherwise use (naive, seasonal naive, drift, "
    "a linear model, AutoETS, AutoTheta, AutoARIMA), and by how much."
)

st.subheader("Built-in datasets")
for column, (key, info) in zip(st.columns(len(DATASETS)), DATASETS.items(), strict=True):
    state = availability(key)
    with column.container(border=True):
        st.markdown(f"**{info.title}**")
        st.caption(f"{info.frequency} · {info.size}")
        st.write(info.description)
        st.caption(f"Source: {info.source}")
        if state.offline:
            st.success(f"Available offline: {state.label}", icon=":material/check_circle:")
        else:
            st.info(f"Needs a download: {info.url}", icon=":material/download:")
        if st.button(f"Use {info.title}", key=f"use_{key}", icon=":material/arrow_forward:"):
            from rnnkit.active_data import ActiveData

            st.session_state.update(data_source="Built-in dataset", dataset_key=key)  # the Data page's widgets
            ActiveData(st.session_state).release()  # a choice, not a view: it replaces reused data
            st.switch_page("pages/data.py")

st.subheader("Quick start")
st.markdown(
    "1. Pick a built-in dataset or upload a CSV with a time column and numeric columns.\n"
    "2. Choose the target, the window (lookback, step, delay, horizon) and the models.\n"
    "3. Train them side by side and compare them with those baselines on the same test targets, in the "
    "series' own units, with a significance test.\n\n"
    "The same steps work without the app: `python -m rnnkit inspect FILE` describes a file exactly "
    "as the app will read it, and `python -m rnnkit datasets` lists the built-in datasets."
)
