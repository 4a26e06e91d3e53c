"""Every dashboard page, driven through the real scripts with streamlit's AppTest."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from helpers import csv_bytes, synthetic_frame

ROOT = Path(__file__).resolve().parents[1]
TESTER = "tester-token-0123456789abcdef"  # owner tokens from a URL must be at least 22 URL-safe characters


@pytest.fixture(autouse=True)
def fresh_app_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own run store and an empty resource cache."""
    monkeypatch.setenv("RNNKIT_RUNS_DIR", str(tmp_path / "runs"))
    st.cache_resource.clear()


def app(page: str | None = None) -> AppTest:
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    if page is not None:
        test.switch_page(page).run()
    assert not test.exception, test.exception
    return test


def shown(markdown: str) -> str:
    """What a reader sees of escaped Markdown: the backslash escapes removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def text_of(test: AppTest) -> str:
    parts = [m.value for m in test.markdown] + [c.value for c in test.caption]
    parts += [e.value for kind in (test.error, test.info, test.warning, test.success) for e in kind]
    return shown("\n".join(str(p) for p in parts))


def wait_for_job(test: AppTest, timeout: float = 120):
    from pages._shared import job_manager

    owner = test.query_params["u"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = job_manager().latest(owner)
        if job is not None and job.done:
            return job
        time.sleep(0.5)
    raise AssertionError("the training job did not finish in time")


def test_landing_page_renders_the_three_datasets() -> None:
    test = app()
    assert test.title[0].value == "rnnkit"
    for title in ("US electric production", "Jena climate 2009–2016", "Stock prices"):
        assert title in text_of(test)
    assert "None yet: choose one on the Data page." in text_of(test)


def test_landing_page_loads_no_pandas_and_data_page_no_tensorflow() -> None:
    """Start-up budget: the landing page needs neither pandas nor TensorFlow, the Data page no TensorFlow."""
    code = (
        "import sys; from streamlit.testing.v1 import AppTest;"
        f"t = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=60).run();"
        "print('pandas' in sys.modules, 'tensorflow' in sys.modules);"
        "t.switch_page('pages/data.py').run();"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split()[-4:] == ["False", "False", "False", "False"]


def test_a_landing_card_opens_its_dataset_on_the_data_page(shared_data: Path) -> None:
    test = app()
    test.button(key="use_stocks").click().run()
    assert not test.exception
    assert test.radio(key="data_source").value == "Built-in dataset"
    assert test.selectbox(key="dataset_key").value == "stocks" and "Ready: target" in text_of(test)


def test_cards_say_local_copy_and_never_show_server_paths(shared_data: Path) -> None:
    for page in (None, "pages/data.py"):
        shown = text_of(app(page))
        assert "local copy" in shown
        assert str(shared_data) not in shown and str(shared_data.resolve()) not in shown


def test_cards_say_cached_and_never_show_the_cache_folder(no_data_dir, isolated_cache: Path) -> None:
    (isolated_cache / "Electric_Production.csv").write_bytes(b"DATE,IPG2211A2N\n1/1/1985,72.5\n2/1/1985,70.6\n")
    for page in (None, "pages/data.py"):
        shown = text_of(app(page))
        assert "Available offline: cached" in shown or "Offline: cached" in shown
        assert str(isolated_cache) not in shown


def test_data_page_builtin_dataset(shared_data: Path) -> None:
    test = app("pages/data.py")
    assert "Ready: target `IPG2211A2N`" in text_of(test)
    assert test.metric[0].value == "397"
    assert len(test.get("plotly_chart")) == 1


def test_data_page_offline_without_copy_explains_the_fix(no_data_dir, monkeypatch) -> None:
    monkeypatch.setenv("RNNKIT_OFFLINE", "1")
    test = app("pages/data.py")
    assert any("no local copy" in shown(e.value) for e in test.error)
    assert any("RNNKIT_DATA_DIR" in shown(i.value) for i in test.info)


def test_data_page_upload_and_bad_upload() -> None:
    test = app("pages/data.py")
    test.radio(key="data_source").set_value("Upload a file").run()
    test.get("file_uploader")[0].upload("mine.csv", csv_bytes(synthetic_frame(200)), "text/csv")
    test.run()
    assert not test.exception
    assert "Ready: target `value`" in text_of(test)
    assert any("mine.csv" in shown(m.value) for m in test.sidebar.markdown)  # the sidebar shows the active data
    test.selectbox(key="time_column_mine.csv").set_value("value").run()
    assert any("Column 'value' does not hold dates or times" in shown(e.value) for e in test.error)
    test.button[0].click().run()
    assert "Ready: target `value`" in text_of(test)
    test.get("file_uploader")[0].clear()
    test.get("file_uploader")[0].upload("bad.csv", b"date,city\n2020-01-01,Paris\n", "text/csv")
    test.run()
    assert any("no numeric column" in shown(e.value) for e in test.error)
    assert any("Add at least one column of numbers" in shown(i.value) for i in test.info)


def test_the_data_page_keeps_the_upload_and_its_columns_after_other_pages() -> None:
    test = upload(app(), "mine.csv", synthetic_frame(200))
    test.multiselect(key="features_mine.csv").set_value(["other"]).run()
    chosen = test.session_state["series"]
    assert chosen.features == ("other",)
    for page in ("pages/train.py", "pages/home.py", "pages/data.py"):
        test.switch_page(page).run()
        assert not test.exception, test.exception
    assert test.radio(key="data_source").value == "Upload a file"
    assert "Using mine.csv, uploaded earlier (kept for this link)." in text_of(test)
    assert test.multiselect(key="features_mine.csv").value == ["other"]
    kept = test.session_state["series"]
    assert (kept.name, kept.target, kept.features, len(kept)) == ("mine.csv", "value", ("other",), 200)
    assert "Ready: target `value` with 1 extra feature(s)." in text_of(test)
    test.button(key="forget_upload").click().run()  # the user removes the file: nothing is used in its place
    assert "uploaded earlier" not in text_of(test) and "Ready: target" not in text_of(test)


def test_the_data_page_keeps_a_built_in_choice_after_other_pages(shared_data: Path) -> None:
    test = app("pages/data.py")
    test.selectbox(key="dataset_key").set_value("stocks").run()
    picker = next(s for s in test.selectbox if s.key.startswith("target_"))  # each dataset its own target
    target = [t for t in picker.options if t != picker.value][0]
    picker.set_value(target).run()
    assert test.session_state["series"].target == target
    test.switch_page("pages/runs.py").run().switch_page("pages/data.py").run()
    assert not test.exception
    assert test.selectbox(key="dataset_key").value == "stocks" and test.session_state["series"].target == target


def test_the_data_page_reads_ambiguous_dates_in_the_order_chosen() -> None:
    data = ("date,value\n" + "\n".join(f"{d:02d}/01/2020,{d}" for d in range(1, 13))).encode()
    test = app("pages/data.py")
    test.radio(key="data_source").set_value("Upload a file").run()
    test.get("file_uploader")[0].upload("dates.csv", data, "text/csv")
    test.run()
    assert "(M/D/YYYY)" in text_of(test) and "set the date order to day first" in text_of(test)
    test.selectbox(key="date_order").set_value("day-first").run()
    assert not test.exception and "(D/M/YYYY)" in text_of(test) and "could be day-first" not in text_of(test)
    assert test.session_state["series"].frame.index[1] == pd.Timestamp("2020-01-02")


HOSTILE_FILE = "![t](http://host/x.png).csv"
HOSTILE_COLUMN = "![c](http://host/c.png) **loud**"


def rendered_html(test: AppTest) -> str:
    """Every Markdown body on the page and in the sidebar, rendered as CommonMark would."""
    from markdown_it import MarkdownIt

    bodies = [m.value for m in test.markdown] + [c.value for c in test.caption]
    bodies += [e.value for kind in (test.error, test.info, test.warning, test.success) for e in kind]
    bodies += [w.help or "" for w in [*test.selectbox, *test.multiselect]]
    bodies += [b.proto.label for b in test.get("download_button")]
    return "\n".join(MarkdownIt("commonmark").render(str(b)) for b in bodies)


def test_file_and_column_names_are_shown_as_text_never_as_markdown(tiny_result) -> None:
    from dataclasses import replace

    test = app("pages/data.py")
    test.radio(key="data_source").set_value("Upload a file").run()
    frame = synthetic_frame(200).rename(columns={"value": HOSTILE_COLUMN})
    test.get("file_uploader")[0].upload(HOSTILE_FILE, csv_bytes(frame), "text/csv")
    test.run()
    assert not test.exception
    assert f"Ready: target `{HOSTILE_COLUMN}`" in text_of(test)
    assert any(HOSTILE_FILE in shown(m.value) for m in test.sidebar.markdown)
    page = rendered_html(test)
    assert "x.png" in page and "c.png" in page  # the names are there, as text
    assert "<img" not in page and "<a " not in page and "<strong>loud" not in page

    test.session_state["result"] = replace(tiny_result, series_name=HOSTILE_FILE, target=HOSTILE_COLUMN)
    test.switch_page("pages/predictions.py").run()
    assert not test.exception
    assert any(HOSTILE_FILE in shown(c.value) for c in test.caption)
    page = rendered_html(test)
    assert "<img" not in page and "<a " not in page


def trace_points(chart) -> list[int]:
    """How many points each line of a rendered plotly chart sends to the browser."""
    def length(values) -> int:
        if isinstance(values, dict):  # plotly's typed arrays: {"dtype": "f8", "bdata": base64}
            import base64

            return len(base64.b64decode(values["bdata"])) // np.dtype(values["dtype"]).itemsize
        return len(values)

    return [length(trace["y"]) for trace in json.loads(chart.proto.spec)["data"]]


def test_data_page_draws_a_long_series_downsampled_and_zooms_on_the_server() -> None:
    from rnnkit.downsample import DISPLAY_POINTS

    rows = 420_551
    frame = pd.DataFrame({"time": pd.date_range("2009-01-01", periods=rows, freq="10min").strftime("%Y-%m-%d %H:%M"),
                          "value": np.sin(np.arange(rows) / 500).round(4)})
    test = app("pages/data.py")
    test.radio(key="data_source").set_value("Upload a file").run()
    test.get("file_uploader")[0].upload("jena_like.csv", csv_bytes(frame), "text/csv")
    test.run(timeout=120)
    assert not test.exception
    assert len(test.session_state["series"]) == rows  # training gets every row
    assert all(0 < n <= DISPLAY_POINTS for n in trace_points(test.get("plotly_chart")[0]))
    picker = test.select_slider[0]
    assert picker.label == "Visible range"
    start, end = picker.value
    middle = picker.options[len(picker.options) // 2]
    picker.set_value((start, middle)).run(timeout=120)
    assert not test.exception
    chart = json.loads(test.get("plotly_chart")[0].proto.spec)
    shown_x = chart["data"][0]["x"]
    assert pd.Timestamp(shown_x[-1]) <= pd.Timestamp(middle) < pd.Timestamp(end)
    assert all(0 < n <= DISPLAY_POINTS for n in trace_points(test.get("plotly_chart")[0]))


def test_train_page_needs_data_first() -> None:
    test = app("pages/train.py")
    assert "Choose a dataset or upload a file first." in text_of(test)


def test_train_page_bounds_what_a_shared_server_can_afford() -> None:
    from rnnkit.ui_limits import EPOCHS, HORIZON, LAYERS, LOOKBACK, UNITS

    test = app("pages/data.py")
    test.radio(key="data_source").set_value("Upload a file").run()
    test.get("file_uploader")[0].upload("mine.csv", csv_bytes(synthetic_frame(240)), "text/csv")
    test.run().switch_page("pages/train.py").run()
    limits = {"epochs": EPOCHS, "lookback": LOOKBACK, "horizon": HORIZON, "custom_layers": LAYERS,
              "custom_units": UNITS}
    assert [limit.maximum for limit in limits.values()] == [1_000, 5_000, 1_000, 4, 512]
    for key, limit in limits.items():
        assert f"At most {limit.maximum:,} on this shared server: " in test.number_input(key=key).help
    # a larger value is not silently ignored (a number input's own maximum would keep the old value): it is named
    test.number_input(key="lookback").set_value(10_000).run()
    assert any("Lookback is 10,000, over this shared server's limit of 5,000." in shown(e.value) for e in test.error)
    assert not [b for b in test.button if b.key == "train"]  # the window is refused before anything else is drawn
    test.number_input(key="lookback").set_value(14).run()
    test.checkbox(key="add_custom").check()
    test.number_input(key="custom_units").set_value(2048)
    test.number_input(key="epochs").set_value(5000).run()
    problems = [shown(e.value) for e in test.error]
    assert problems == ["Epochs is 5,000, over this shared server's limit of 1,000.",
                        "Units per layer (custom model) is 2,048, over this shared server's limit of 512."]
    assert any(shown(i.value).startswith("Use at most 1,000: each epoch") for i in test.info)
    assert test.button(key="train").disabled
    test.number_input(key="epochs").set_value(5)
    test.number_input(key="custom_units").set_value(8).run()
    assert not test.error and not test.button(key="train").disabled
    # settings without a server limit are checked as they are set too, never silently kept at an old value
    test.number_input(key="learning_rate").set_value(20.0)
    test.number_input(key="custom_dropout").set_value(1.5).run()
    assert [shown(e.value) for e in test.error] == ["dropout of model 'custom_simple_rnn' is 1.5.",
                                                    "learning rate is 20.0."]
    assert test.button(key="train").disabled
    test.number_input(key="custom_dropout").set_value(0.2).run()
    test.number_input(key="learning_rate").set_value(0.01).run()
    test.number_input(key="batch_size").set_value(10_000).run()
    assert [shown(e.value) for e in test.error] == ["Batch size is 10,000, over this shared server's limit of 8,192."]


def upload(test: AppTest, name: str, frame: pd.DataFrame) -> AppTest:
    test.switch_page("pages/data.py").run()
    test.radio(key="data_source").set_value("Upload a file").run()
    test.get("file_uploader")[0].upload(name, csv_bytes(frame), "text/csv")
    return test.run()


def test_a_reload_brings_back_the_owners_last_upload_and_dataset_choice() -> None:
    first = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    first.query_params["u"] = TESTER
    upload(first.run(), "kept.csv", synthetic_frame(240))
    assert first.session_state["series"].name == "kept.csv"
    first.selectbox(key="missing_policy").set_value("interpolate").run()
    first.number_input(key="max_filled_pct").set_value(35).run()
    first.selectbox(key="target_kept.csv").set_value("other").run()
    first.multiselect(key="features_kept.csv").set_value(["value"]).run()
    assert (first.session_state["series"].target, first.session_state["series"].features) == ("other", ("value",))
    elsewhere = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)  # a reload on another page
    elsewhere.query_params["u"] = TESTER
    elsewhere.run().switch_page("pages/train.py").run()
    assert not elsewhere.exception
    series = elsewhere.session_state["series"]  # the chosen target and features, not the file's defaults
    assert (series.name, series.target, series.features) == ("kept.csv", "other", ("value",))
    assert elsewhere.number_input(key="lookback").value
    reloaded = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)  # a new session, the same URL
    reloaded.query_params["u"] = TESTER
    reloaded.run().switch_page("pages/data.py").run()
    assert not reloaded.exception
    assert reloaded.radio(key="data_source").value == "Upload a file"
    assert "Using kept.csv, uploaded earlier" in text_of(reloaded)
    assert reloaded.session_state["series"].name == "kept.csv"
    assert reloaded.selectbox(key="target_kept.csv").value == "other"
    assert reloaded.multiselect(key="features_kept.csv").value == ["value"]
    assert reloaded.selectbox(key="missing_policy").value == "interpolate"
    assert reloaded.number_input(key="max_filled_pct").value == 35
    assert (reloaded.session_state["series"].target, reloaded.session_state["series"].features) == ("other",
                                                                                                    ("value",))
    reloaded.selectbox(key="missing_policy").set_value("ffill").run()
    reloaded.number_input(key="max_filled_pct").set_value(20).run()
    reloaded.radio(key="data_source").set_value("Built-in dataset").run()
    reloaded.selectbox(key="dataset_key").set_value("stocks").run()
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    again.query_params["u"] = TESTER
    again.run().switch_page("pages/data.py").run()
    assert again.radio(key="data_source").value == "Built-in dataset"
    assert again.selectbox(key="dataset_key").value == "stocks"
    assert again.session_state["defaults"] is not None  # the dataset's own task came back with it
    stranger = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    stranger.query_params["u"] = "stranger-token-0123456789abcdef"
    stranger.run()
    assert "series" not in stranger.session_state  # nothing restored for a link that chose nothing
    stranger.switch_page("pages/data.py").run()
    assert stranger.radio(key="data_source").value == "Built-in dataset"  # never another owner's file
    assert stranger.selectbox(key="dataset_key").value == "electric"


def test_train_settings_survive_other_pages_for_each_dataset_and_reset_to_the_defaults() -> None:
    test = upload(app(), "first.csv", synthetic_frame(240))
    test.switch_page("pages/train.py").run()
    defaults = {key: test.number_input(key=key).value for key in ("lookback", "epochs", "seed")}
    shape = next(m for m in test.metric if m.label == "Input shape")
    assert test.checkbox(key="calendar").value and shape.value.endswith("× 5")  # the target and 4 calendar inputs
    assert "weekday_sin, weekday_cos, yearday_sin, yearday_cos" in shape.proto.help
    test.checkbox(key="calendar").uncheck().run()
    assert next(m for m in test.metric if m.label == "Input shape").value.endswith("× 1")
    test.checkbox(key="calendar").check().run()
    test.number_input(key="lookback").set_value(21).run()  # outside the form: kept at once
    test.number_input(key="epochs").set_value(7)
    test.number_input(key="seed").set_value(5)
    test.multiselect(key="presets").set_value(["jena_gru"])
    test.checkbox(key="early_stopping").uncheck()
    test.radio(key="evaluation").set_value("Backtest").run()
    for page in ("pages/data.py", "pages/predictions.py", "pages/train.py"):
        test.switch_page(page).run()
        assert not test.exception, test.exception
    kept = {"lookback": 21, "epochs": 7, "seed": 5}
    assert {key: test.number_input(key=key).value for key in kept} == kept
    assert test.multiselect(key="presets").value == ["jena_gru"]
    assert not test.checkbox(key="early_stopping").value and test.radio(key="evaluation").value == "Backtest"

    other = upload(test, "second.csv", synthetic_frame(300, seed=3)).switch_page("pages/train.py").run()
    assert {key: other.number_input(key=key).value for key in defaults} == defaults  # its own defaults
    upload(other, "first.csv", synthetic_frame(240)).switch_page("pages/train.py").run()
    assert {key: other.number_input(key=key).value for key in kept} == kept  # the first file's settings again

    other.button(key="reset_settings").click().run()
    assert {key: other.number_input(key=key).value for key in defaults} == defaults
    assert other.multiselect(key="presets").value == ["tuned_gru", "tuned_lstm", "hybrid_theta_gru"]
    other.switch_page("pages/data.py").run().switch_page("pages/train.py").run()
    assert {key: other.number_input(key=key).value for key in defaults} == defaults  # the reset stays


def test_train_page_trains_in_the_background_and_compares() -> None:
    test = app("pages/data.py")
    test.radio(key="data_source").set_value("Upload a file").run()
    test.get("file_uploader")[0].upload("mine.csv", csv_bytes(synthetic_frame(240)), "text/csv")
    test.run().switch_page("pages/train.py").run()
    assert not test.exception
    assert [m.label for m in test.metric][:3] == ["Train windows", "Validation windows", "Test windows"]
    # the defaults a user gets without touching anything, each explained
    assert test.multiselect(key="presets").value == ["tuned_gru", "tuned_lstm", "hybrid_theta_gru"]
    assert test.number_input(key="lookback").value == 14  # two weekly cycles of a daily series
    assert test.number_input(key="epochs").value == 200 and test.checkbox(key="calendar").value
    assert any("two seasonal cycles" in m.value for m in test.markdown)
    test.number_input(key="lookback").set_value(500).run()
    assert any("one window needs lookback 500" in shown(e.value) for e in test.error)
    test.number_input(key="lookback").set_value(12).run()
    test.slider(key="train_pct").set_value(80)
    test.slider(key="val_pct").set_value(20).run()
    assert any("leaves no test windows" in shown(e.value) for e in test.error)
    test.slider(key="val_pct").set_value(0).run()
    assert any(w.value.startswith("No validation windows: early stopping cannot run") for w in test.warning)
    test.slider(key="train_pct").set_value(80)
    test.slider(key="val_pct").set_value(17).run()  # 240 rows: 3% of them are 7 test windows
    assert any(w.value.startswith("Only 7 test windows: too few") for w in test.warning)
    test.slider(key="train_pct").set_value(80)
    test.slider(key="val_pct").set_value(15).run()
    assert not test.error and not test.warning
    test.multiselect(key="presets").set_value(["jena_gru"])
    test.checkbox(key="add_custom").check()
    test.number_input(key="custom_units").set_value(3)
    test.number_input(key="epochs").set_value(2)
    test.number_input(key="forecast_steps").set_value(5)
    test.button(key="train").click().run()
    job = wait_for_job(test)
    assert job.status == "finished", job.error
    assert [m.epoch for m in job.models.values()] == [2, 2]
    assert [len(m.forecast) for m in job.result.models] == [5, 5]  # as far past the end as asked
    test.run()
    assert not test.exception
    verdicts = [shown(s.value) for s in [*test.success, *test.warning, *test.info]
                if "Diebold–Mariano" in shown(s.value)]
    assert len(verdicts) == 1 and ("beat" in verdicts[0] or "call it a win" in verdicts[0])
    assert "validation RMSE" in verdicts[0]
    table = test.dataframe[0].value
    assert {"jena_gru", "custom_simple_rnn", "naive", "linear", "auto_ets", "auto_theta"} <= set(table.index)
    assert {"val_rmse", "dm_p_holm", "coverage_pct", "winkler"} <= set(table.columns)
    assert not any("not of the active data" in i.value for i in test.info)
    upload(test, "next.csv", synthetic_frame(300, seed=2)).switch_page("pages/train.py").run()
    assert any(shown(i.value).startswith("This comparison is of mine.csv (target `value`), not of the active data, "
                                         "next.csv") for i in test.info)


def test_train_page_runs_a_backtest_and_charts_its_folds() -> None:
    test = app("pages/data.py")
    test.radio(key="data_source").set_value("Upload a file").run()
    test.get("file_uploader")[0].upload("mine.csv", csv_bytes(synthetic_frame(240)), "text/csv")
    test.run().switch_page("pages/train.py").run()
    test.multiselect(key="presets").set_value(["jena_gru"])
    test.number_input(key="epochs").set_value(1)
    test.radio(key="evaluation").set_value("Backtest").run()  # the folds input appears
    test.number_input(key="folds").set_value(2)
    test.button(key="train").click().run()
    job = wait_for_job(test)
    assert job.status == "finished", job.error
    test.run()
    assert not test.exception
    assert any(i.value.startswith("Over all 2 folds' test targets") for i in test.info)
    summary = test.dataframe[0].value
    assert {"rmse_mean", "rmse_std", "pooled_dm_p_holm"} <= set(summary.columns)
    assert "per backtest fold" in test.get("plotly_chart")[-4].proto.spec or any(
        "per backtest fold" in c.proto.spec for c in test.get("plotly_chart"))


def test_predictions_and_runs_pages_after_a_run() -> None:
    test = app("pages/predictions.py")
    assert "Train models on the Train & compare page" in text_of(test)
    test = app("pages/runs.py")
    assert "No stored runs yet" in text_of(test)


def _store_two_runs(tiny_result, params: tuple[dict, dict] = ({}, {})) -> list[str]:
    from pages._shared import run_store

    ids = []
    for asked in params:
        run_id = run_store().start("tiny", "value", ["tiny_gru", "tiny_rnn"], asked, owner=TESTER)
        run_store().finish(run_id, tiny_result)
        ids.append(run_id)
    return ids


def test_runs_page_opens_compares_and_deletes(tiny_result) -> None:
    asked = {"series": {"sha256": "a" * 64, "name": "tiny", "rows": 160}, "window": {"lookback": 12, "delay": 0},
             "training": {"epochs": 2}}
    ids = _store_two_runs(tiny_result, ({"request": asked}, {"request": asked | {"training": {"epochs": 5}}}))
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.query_params["u"] = TESTER
    test.run().switch_page("pages/runs.py").run()
    assert not test.exception
    assert set(test.dataframe[0].value["run"]) == set(ids)
    assert len(test.dataframe) == 3  # the list, what was asked differently, and each forecaster's change
    differences = test.dataframe[1].value
    assert differences.to_dict("records") in (
        [{"setting": "training.epochs", "first": a, "second": b}] for a, b in (("2", "5"), ("5", "2")))
    changes = test.dataframe[2].value
    assert list(changes.columns) == ["first", "second", "change"]
    assert set(tiny_result.metrics.index) == set(changes.index)
    assert (changes["change"] == 0).all()  # the same result stored twice
    assert test.selectbox(key="compare_metric").options == ["RMSE", "MAE", "MASE", "sMAPE (%)",
                                                              "skill vs chosen baseline (%)"]
    test.selectbox(key="compare_metric").set_value("skill_pct").run()
    assert "points" in test.caption[-1].value or any("points" in c.value for c in test.caption)
    test.button(key="open_button").click().run()
    assert not test.exception
    assert test.session_state["result_run_id"] in ids
    test.switch_page("pages/runs.py").run()
    first = test.selectbox(key="open_run").value
    test.checkbox(key=f"confirm_delete_{first}").check().run()
    test.button(key="delete_button").click().run()
    assert len(test.dataframe[0].value) == 1
    assert any(s.value.startswith("Deleted run ") and first[-6:] in s.value for s in test.success)
    second = test.selectbox(key="open_run").value
    assert second != first and not test.checkbox(key=f"confirm_delete_{second}").value
    assert test.button(key="delete_button").disabled  # the next run needs its own confirmation
    test.run()
    assert not test.success  # the note is said once


def test_predictions_page_plots_and_offers_downloads(tiny_result) -> None:
    run_id = _store_two_runs(tiny_result)[0]
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.query_params["u"] = TESTER
    test.session_state["result"] = tiny_result
    test.session_state["result_run_id"] = run_id
    test.run().switch_page("pages/predictions.py").run()
    assert not test.exception
    assert len(test.get("plotly_chart")) >= 5  # overlay, one per model, residuals, test intervals, forecast
    assert any("test intervals cover" in c.proto.spec for c in test.get("plotly_chart"))
    assert test.selectbox(key="forecast_model").options[-1] in {"auto_ets", "auto_theta", "auto_arima"}
    labels = [shown(b.proto.label) for b in test.get("download_button")]
    assert labels == ["Predictions (CSV)", "Forecast (CSV)", "Run configuration (JSON)",
                      f"{tiny_result.best_model}.keras"]  # the chosen network's file first


def test_a_new_tab_shows_the_owners_latest_run_on_the_predictions_page(tiny_result) -> None:
    from pages._shared import run_store

    ids = _store_two_runs(tiny_result)
    newest = run_store().latest_viewable(TESTER)  # newest first (of the same second, the later started)
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.query_params["u"] = TESTER  # a reload or a new tab: no result in the session
    test.run().switch_page("pages/predictions.py").run()
    assert not test.exception
    assert newest in ids and test.session_state["result_run_id"] == newest and newest in text_of(test)
    assert len(test.get("plotly_chart")) >= 5
    other = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    other.query_params["u"] = "someone-else-0123456789abcdef"  # never another owner's run
    other.run().switch_page("pages/predictions.py").run()
    assert "Train models on the Train & compare page" in text_of(other)


def test_forecast_tab_says_why_there_is_no_interval(tiny_series) -> None:
    from helpers import TINY_SPECS, TINY_TRAINING
    from rnnkit.compare import compare
    from rnnkit.splits import SplitSpec
    from rnnkit.windows.spec import WindowSpec

    result = compare(tiny_series, WindowSpec(lookback=12), TINY_SPECS[:1], SplitSpec(train=0.8, val=0.0),
                     TINY_TRAINING)
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.session_state["result"] = result
    test.run().switch_page("pages/predictions.py").run()
    assert not test.exception
    assert "No 90% intervals: the split has no validation part" in text_of(test)
    forecast = test.get("plotly_chart")[-1].proto.spec
    assert "% interval" not in forecast and "(no interval)" in forecast


@pytest.mark.parametrize(("key", "window"), [
    ("electric", None),
    ("stocks", None),
    ("jena", {"lookback": 36, "step": 6, "delay": 6}),
])
def test_whole_loop_on_each_built_in_dataset(shared_data: Path, key: str, window: dict | None) -> None:
    test = app("pages/data.py")
    test.selectbox(key="dataset_key").set_value(key).run()
    assert not test.exception and "Ready: target" in text_of(test)
    test.switch_page("pages/train.py").run()
    for name, value in (window or {}).items():
        test.number_input(key=name).set_value(value).run()
    test.multiselect(key="presets").set_value(["jena_gru"])
    test.number_input(key="epochs").set_value(1)
    test.button(key="train").click().run()
    job = wait_for_job(test, timeout=300)
    assert job.status == "finished", job.error
    test.run()
    assert {"jena_gru", "naive", "linear"} <= set(test.dataframe[0].value.index)
    test.switch_page("pages/predictions.py").run()
    assert not test.exception and len(test.get("download_button")) == 4


def test_an_unusable_run_store_is_explained_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("RNNKIT_RUNS_DIR", str(blocker / "runs"))
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not test.exception
    assert any("cannot be opened" in shown(e.value) for e in test.error)
    assert any("RNNKIT_RUNS_DIR" in shown(i.value) for i in test.info)


def test_a_url_token_never_reaches_another_owners_runs(tiny_result) -> None:
    from pages._shared import run_store

    theirs = _store_two_runs(tiny_result)[0]
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.query_params["u"] = "mallory-token-0123456789abc"
    test.session_state["result"] = tiny_result
    test.session_state["result_run_id"] = theirs  # even a run id smuggled into the session
    test.run().switch_page("pages/predictions.py").run()
    assert not test.exception
    assert not [b for b in test.get("download_button") if b.proto.label.endswith(".keras")]
    assert any("no stored run" in shown(e.value) for e in test.error)
    test.switch_page("pages/runs.py").run()
    assert "No stored runs yet" in text_of(test)
    short = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    short.query_params["u"] = "tester"  # too short to be a token: replaced by a fresh random one
    short.run()
    assert short.query_params["u"] != "tester" and len(short.query_params["u"]) >= 22
    assert run_store().record(theirs).status == "finished"


def test_a_signed_in_user_owns_runs_by_identity_not_by_url(tiny_result) -> None:
    from pages._shared import run_store
    from rnnkit.owners import identity_owner

    claims = {"is_logged_in": True, "iss": "https://accounts.example.org", "sub": "42", "email": "ana@example.org"}
    mine = run_store().start("tiny", "value", ["tiny_gru"], {}, owner=identity_owner(claims))
    run_store().finish(mine, tiny_result)
    _store_two_runs(tiny_result)  # runs of the URL token below
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.user = claims
    test.query_params["u"] = TESTER
    test.run().switch_page("pages/runs.py").run()
    assert not test.exception
    assert list(test.dataframe[0].value["run"]) == [mine]
    assert "u" not in test.query_params  # no bearer key in the signed-in user's links
    signed_out = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    signed_out.user = {"is_logged_in": False}  # login configured, nobody signed in
    signed_out.run()
    assert any(b.label == "Sign in" for b in signed_out.button)


def test_runs_page_refuses_to_delete_a_training_run_and_names_a_damaged_one(tiny_result) -> None:
    from pages._shared import run_store

    running = run_store().start("tiny", "value", ["tiny_gru"], {}, owner=TESTER)
    damaged = _store_two_runs(tiny_result)[0]
    (run_store().folder(damaged) / "metrics.csv").unlink()
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.query_params["u"] = TESTER
    test.run().switch_page("pages/runs.py").run()
    test.selectbox(key="open_run").set_value(running).run()
    assert test.button(key="delete_button").disabled and test.checkbox(key=f"confirm_delete_{running}").disabled
    assert "still training" in text_of(test)
    test.selectbox(key="open_run").set_value(damaged).run()
    test.button(key="open_button").click().run()
    assert not test.exception
    assert any(f"Run {damaged} is damaged: its metrics.csv is missing" in shown(e.value) for e in test.error), \
        text_of(test)
    assert run_store().record(running).status == "running"


def test_served_app_settings_keep_the_first_page_fast_and_live_progress_reliable() -> None:
    """No source watching (about 0.4 s off the first page); no full garbage collection after every run (most of
    what a polling live panel costs the server); a Streamlit with fixed st.fragment(run_every=...) timers."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"
    assert config["runner"]["postScriptGC"] is False
    requirement = next(line for line in (ROOT / "requirements.txt").read_text().splitlines()
                       if line.startswith("streamlit"))
    minimum = re.search(r">=\s*([\d.]+)", requirement).group(1)
    assert tuple(int(part) for part in minimum.split(".")) >= (1, 61)


def _asked(tiny_series) -> dict:
    from helpers import TINY_SPECS, TINY_TRAINING
    from pages._shared import run_store
    from rnnkit.request import make_request
    from rnnkit.splits import SplitSpec
    from rnnkit.windows.spec import WindowSpec

    return make_request(tiny_series, WindowSpec(12), TINY_SPECS[1:], SplitSpec(train=0.6, val=0.2), TINY_TRAINING,
                        statistical=False, snapshot_folder=run_store().series_folder, label="tiny").to_dict()


def test_runs_page_runs_a_stored_run_again(tiny_result, tiny_series) -> None:
    from pages._shared import run_store

    run_id = run_store().start("tiny", "value", ["tiny_rnn"], {"request": _asked(tiny_series)}, owner=TESTER)
    run_store().finish(run_id, tiny_result)
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.query_params["u"] = TESTER
    test.run().switch_page("pages/runs.py").run()
    test.button(key="run_again_button").click().run()
    assert not test.exception and not test.error
    assert "Your comparison is waiting or training below." in text_of(test)  # not "choose a dataset first"
    job = wait_for_job(test)
    assert job.status == "finished", job.error
    assert run_store().record(job.run_id).params["request"] == run_store().record(run_id).params["request"]


def test_train_page_shows_an_interrupted_job_and_runs_it_again(tiny_series) -> None:
    import sqlite3

    from pages._shared import job_manager, run_store
    from rnnkit.jobqueue import INTERRUPTED_MESSAGE, JobQueue
    from rnnkit.store import INDEX_FILE

    queue = JobQueue(run_store())
    lost = queue.submit(TESTER, "tiny", _asked(tiny_series))
    queue.claim("a-server-that-was-killed")
    with sqlite3.connect(run_store().root / INDEX_FILE) as db:
        db.execute("UPDATE jobs SET heartbeat_at = heartbeat_at - 3600 WHERE id=?", (lost.id,))
    job_manager().expire()  # its dispatcher also expires stale jobs when it starts: either may mark it
    assert queue.get(lost.id, TESTER).status == "interrupted"
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.query_params["u"] = TESTER
    test.run().switch_page("pages/train.py").run()
    assert not test.exception
    assert INTERRUPTED_MESSAGE in text_of(test)
    test.button(key=f"again_{lost.id}").click().run()
    assert not test.exception
    job = wait_for_job(test)
    assert job.id != lost.id and job.status == "finished", job.error


def test_a_job_cancelled_while_queued_can_be_run_again(tiny_series) -> None:
    from pages._shared import job_manager, run_store
    from rnnkit.jobqueue import JobQueue

    queue = JobQueue(run_store())
    dropped = queue.submit(TESTER, "tiny", _asked(tiny_series))
    queue.cancel(dropped.id, TESTER)
    assert queue.get(dropped.id, TESTER).status == "cancelled"
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.query_params["u"] = TESTER
    test.run().switch_page("pages/train.py").run()
    assert not test.exception
    test.button(key=f"again_{dropped.id}").click().run()
    assert not test.exception
    job = wait_for_job(test)
    assert job.id != dropped.id and job.status == "finished", job.error
    assert job_manager().latest(TESTER).id == job.id


def test_train_page_lists_every_job_of_its_user_and_shows_the_one_picked(tiny_series) -> None:
    import sqlite3

    from pages._shared import job_manager, run_store
    from rnnkit.jobqueue import INTERRUPTED_MESSAGE, JobQueue
    from rnnkit.request import ComparisonRequest
    from rnnkit.store import INDEX_FILE

    queue = JobQueue(run_store())
    lost = queue.submit(TESTER, "first try", _asked(tiny_series))
    queue.claim("a-server-that-was-killed")
    with sqlite3.connect(run_store().root / INDEX_FILE) as db:
        db.execute("UPDATE jobs SET heartbeat_at = heartbeat_at - 3600, created_at = created_at - 60 WHERE id=?",
                   (lost.id,))
    job_manager().expire()
    done = job_manager().start(TESTER, ComparisonRequest.from_dict(_asked(tiny_series)))
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.query_params["u"] = TESTER
    assert wait_for_job(test).id == done.id and done.status == "finished", done.error
    theirs = job_manager().start("somebody-else-0123456789abcdef", ComparisonRequest.from_dict(_asked(tiny_series)))
    test.run().switch_page("pages/train.py").run()
    assert not test.exception
    picker = test.selectbox(key="job_id")
    assert picker.options[0].startswith("tiny · finished, best network ") and picker.options[1].startswith(
        "first try · interrupted · ")  # newest first, and only this user's jobs
    assert picker.value == done.id and test.dataframe  # the newest is shown, with its comparison
    assert INTERRUPTED_MESSAGE not in text_of(test)
    elsewhere = job_manager().start(TESTER, ComparisonRequest.from_dict(_asked(tiny_series)))  # another tab, the CLI
    test.run()
    assert test.selectbox(key="job_id").value == elsewhere.id  # shown at once: the user had picked nothing
    assert wait_for_job(test).id == elsewhere.id
    test.run().selectbox(key="job_id").set_value(lost.id).run()
    assert not test.exception
    assert INTERRUPTED_MESSAGE in text_of(test) and not test.dataframe
    test.switch_page("pages/runs.py").run()
    test.switch_page("pages/train.py").run()  # the pick outlives a visit to another page
    assert test.selectbox(key="job_id").value == lost.id and INTERRUPTED_MESSAGE in text_of(test)
    test.button(key=f"again_{lost.id}").click().run()  # the new job becomes the one shown
    assert not test.exception
    again = job_manager().latest(TESTER)
    assert again.id not in (done.id, lost.id) and test.selectbox(key="job_id").value == again.id
    assert len(test.selectbox(key="job_id").options) == 4  # one training and the last 3 that ended
    assert wait_for_job(test).status == "finished"  # nothing is left training when the test ends
    while not job_manager().get(theirs.id, "somebody-else-0123456789abcdef").done:
        time.sleep(0.2)


def a_new_tab_after_a_comparison(tiny_series) -> AppTest:
    """A stored comparison of ``tiny_series`` ("my upload.csv") and a new tab of its owner on the Train page."""
    from pages._shared import run_store
    from rnnkit.models.presets import PRESETS
    from rnnkit.request import make_request
    from rnnkit.splits import SplitSpec
    from rnnkit.windows.spec import WindowSpec

    request = make_request(tiny_series, WindowSpec(lookback=9), [PRESETS["tuned_gru"]], SplitSpec(train=0.6, val=0.2),
                           snapshot_folder=run_store().series_folder, label="my upload.csv")
    run_store().start("my upload.csv", "value", ["tuned_gru"], {"request": request.to_dict()}, owner=TESTER)
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.query_params["u"] = TESTER
    test.run().switch_page("pages/train.py").run()
    return test


def test_the_data_page_does_not_replace_the_data_of_a_last_comparison_taken_up(tiny_series, shared_data) -> None:
    """A new tab takes up its last comparison's data on the Train page, then opens the Data page: the built-in
    dataset the Data page shows by default must not silently become the active data."""
    test = a_new_tab_after_a_comparison(tiny_series)
    test.button(key="reuse_last_data").click().run()
    for _ in range(2):  # the first visit and a rerun
        test.switch_page("pages/data.py").run()
        assert not test.exception
        assert test.session_state["dataset_label"] == "my upload.csv" and "defaults" not in test.session_state
        assert any("The active data is still my upload" in i.value for i in test.info)
        assert "Ready: target" not in text_of(test)
    test.selectbox(key="dataset_key").set_value("stocks").run()  # the user picks data here: it replaces it
    assert test.session_state["dataset_label"] != "my upload.csv" and "defaults" in test.session_state
    assert "Ready: target" in text_of(test)


def test_a_new_session_can_take_up_the_data_of_its_last_comparison(tiny_series) -> None:
    """After a restart (or in a new tab) the page offers the last comparison's series and settings again."""
    test = a_new_tab_after_a_comparison(tiny_series)
    assert not test.exception
    reuse = test.button(key="reuse_last_data")
    assert "my upload.csv" in shown(reuse.label) and f"{len(tiny_series):,} rows" in reuse.label
    reuse.click().run()
    assert not test.exception
    assert test.session_state["series"].target == "value" and len(test.session_state["series"]) == len(tiny_series)
    assert test.session_state["dataset_label"] == "my upload.csv"
    assert test.number_input(key="lookback").value > 0  # the Train page's form, now that there is data
    upload(test, "next.csv", synthetic_frame(150))  # picking other data on the Data page replaces it
    assert test.session_state["dataset_label"] == "next.csv" and len(test.session_state["series"]) == 150

    stranger = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    stranger.query_params["u"] = "mallory-token-0123456789abc"
    stranger.run().switch_page("pages/train.py").run()
    assert not stranger.exception
    assert not [b for b in stranger.button if b.key == "reuse_last_data"]  # never another owner's data
