"""rnnkit dashboard: the router. Each page in ``pages/`` holds layout only; logic lives in rnnkit."""

import streamlit as st

from pages._shared import owner, restore_active_data, show_error, sidebar
from rnnkit.errors import RnnkitError

st.set_page_config(page_title="rnnkit", page_icon=":material/timeline:", layout="wide")
owner()
restore_active_data()

navigation = st.navigation([
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/table_chart:"),
    st.Page("pages/train.py", title="Train & compare", icon=":material/model_training:"),
    st.Page("pages/search.py", title="Search", icon=":material/manage_search:"),
    st.Page("pages/predictions.py", title="Predictions", icon=":material/show_chart:"),
    st.Page("pages/runs.py", title="Runs", icon=":material/history:"),
])
try:
    sidebar()
    navigation.run()
except RnnkitError as error:  # a safety net: pages show their own errors, anything missed still reads well
    show_error(error)
