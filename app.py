"""rnnkit dashboard: the router. Each page in ``pages/`` holds layout only; logic lives in rnnkit."""

import streamlit as st

st.set_page_config(page_title="rnnkit", page_icon="📈", layout="wide")

navigation = st.navigation(
    [st.Page("pages/home.py", title="Home", icon="🏠", default=True)],
)
navigation.run()
