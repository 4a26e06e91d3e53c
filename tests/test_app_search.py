"""The Search page, driven through the real script with streamlit's AppTest."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from helpers import csv_bytes, synthetic_frame
from rnnkit.search_jobs import SEARCHES, SearchJob

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def fresh_app_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNKIT_RUNS_DIR", str(tmp_path / "runs"))
    st.cache_resource.clear()


def wait_for_search(owner: str, timeout: float = 180) -> SearchJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = SEARCHES.latest(owner)
        if job is not None and job.done:
            return job
        time.sleep(0.5)
    raise AssertionError("the search did not finish in time")


def test_search_page_needs_data_first() -> None:
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    test.switch_page("pages/search.py").run()
    assert not test.exception
    assert any("Choose a dataset or upload a file first." in i.value for i in test.info)


def test_search_page_runs_a_search_and_hands_the_model_to_train() -> None:
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    test.switch_page("pages/data.py").run()
    test.radio(key="data_source").set_value("Upload a file").run()
    test.get("file_uploader")[0].upload("mine.csv", csv_bytes(synthetic_frame(240)), "text/csv")
    test.run().switch_page("pages/search.py").run()
    assert not test.exception
    test.slider(key="search_budget").set_value(60)
    test.number_input(key="search_trials").set_value(2)
    test.number_input(key="search_epochs").set_value(1)
    test.button(key="start_search").click().run()
    job = wait_for_search(test.query_params["u"])
    assert job.status == "finished", job.error
    assert [r.state for r in job.rows()] == ["complete", "complete"]
    test.run()
    assert not test.exception
    assert any(s.value.startswith("Chosen on validation: trial ") for s in test.success)
    assert test.metric[0].label == "Validation RMSE"
    assert len(test.dataframe[0].value) == 2
    test.button(key="use_searched").click().run()
    assert not test.exception
    searched = test.session_state["searched"]
    assert searched["spec"].name.startswith("searched_") and searched["dataset"] == "mine.csv"
    assert test.checkbox(key="include_searched").value
    # another file: the model tuned on mine.csv is not offered for it
    test.switch_page("pages/data.py").run()
    test.get("file_uploader")[0].upload("other.csv", csv_bytes(synthetic_frame(300, seed=4)), "text/csv")
    test.run().switch_page("pages/train.py").run()
    assert not test.exception and not [c for c in test.checkbox if c.key == "include_searched"]
    assert any("The model of your search on mine" in c.value and "is not offered for this data" in c.value
               for c in test.caption)
    test.switch_page("pages/search.py").run()  # the search's result is still shown, its button off for other data
    assert test.button(key="use_searched").disabled
    assert any("This search was on mine" in c.value and "not on the active data" in c.value for c in test.caption)
