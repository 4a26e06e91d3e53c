"""PageMemory: a page's settings kept per dataset while its widgets are not drawn."""

from __future__ import annotations

from helpers import csv_bytes, synthetic_frame
from rnnkit.data.series import load_series
from rnnkit.page_memory import MAX_SCOPES, PageMemory, series_scope

KEYS = ("epochs", "presets")


def test_values_come_back_after_the_widgets_were_forgotten() -> None:
    state: dict = {"epochs": 7, "presets": ["jena_gru"], "other": 1}
    memory = PageMemory(state, "train", KEYS)
    assert memory.sync("a") == []
    for key in KEYS:  # what Streamlit does on a page without these widgets
        del state[key]
    assert memory.sync("a") == ["epochs", "presets"]
    assert state["epochs"] == 7 and state["presets"] == ["jena_gru"] and state["other"] == 1


def test_the_latest_value_is_saved_not_the_first() -> None:
    state: dict = {"epochs": 7}
    memory = PageMemory(state, "train", KEYS)
    memory.sync("a")
    state["epochs"] = 9  # the user changed it on the next run
    memory.sync("a")
    del state["epochs"]
    memory.sync("a")
    assert state["epochs"] == 9


def test_each_dataset_keeps_its_own_settings() -> None:
    state: dict = {"epochs": 7}
    memory = PageMemory(state, "train", KEYS)
    memory.sync("a")
    assert memory.sync("b") == [] and "epochs" not in state  # a's value is not carried over to b
    state["epochs"] = 3
    memory.sync("b")
    memory.sync("a")
    assert state["epochs"] == 7
    memory.sync("b")
    assert state["epochs"] == 3


def test_reset_assigns_the_defaults_and_old_datasets_are_dropped() -> None:
    state: dict = {"epochs": 7, "presets": ["jena_gru"]}
    memory = PageMemory(state, "train", KEYS)
    memory.sync("a")
    memory.reset("a", {"epochs": 200})  # assigned, so a browser showing the page gets it too
    assert state["epochs"] == 200 and "presets" not in state
    assert memory.sync("a") == [] and state["epochs"] == 200
    for i in range(MAX_SCOPES + 2):
        memory.sync(f"s{i}")  # the user picks dataset s{i} ...
        state["epochs"] = i
        memory.sync(f"s{i}")  # ... and sets its epochs
    memory.sync("s0")
    assert "epochs" not in state  # the oldest was dropped
    memory.sync(f"s{MAX_SCOPES + 1}")
    assert state["epochs"] == MAX_SCOPES + 1


class Recording(dict):
    """A session state that records every assignment."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.assigned: list[str] = []

    def __setitem__(self, key, value) -> None:
        self.assigned.append(key)
        super().__setitem__(key, value)


def test_on_the_same_dataset_no_widget_value_is_assigned() -> None:
    """An assignment would reach the browser and overwrite what the user is typing when the page redraws."""
    state = Recording({"epochs": 7, "presets": ["jena_gru"]})
    memory = PageMemory(state, "train", KEYS)
    memory.sync("a")
    state.assigned.clear()
    for _ in range(3):
        memory.sync("a")
    assert not [key for key in state.assigned if key in KEYS]


def test_two_pages_do_not_share_their_memory() -> None:
    state: dict = {"epochs": 7}
    PageMemory(state, "train", KEYS).sync("a")
    del state["epochs"]
    assert PageMemory(state, "search", KEYS).sync("a") == []


def test_a_series_scope_changes_with_its_target_features_and_rows() -> None:
    series = load_series(csv_bytes(synthetic_frame(120)), name="mine.csv")
    same = load_series(csv_bytes(synthetic_frame(120)), name="mine.csv")
    assert series_scope(series) == series_scope(same)
    assert series_scope(series) != series_scope(load_series(csv_bytes(synthetic_frame(130)), name="mine.csv"))
    assert series_scope(series) != series_scope(series.with_columns(series.target, series.numeric_columns))
