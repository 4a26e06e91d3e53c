"""ActiveData: when showing the Data page may, and may not, change a session's active data."""

from __future__ import annotations

from rnnkit.active_data import ActiveData


def test_a_large_upload_after_a_small_one_never_falls_back_to_the_small_one() -> None:
    state: dict = {}
    active = ActiveData(state)
    assert active.keep_upload("small.csv", b"x" * 10, limit=100)
    assert active.kept_upload() == ("small.csv", b"x" * 10)
    assert not active.keep_upload("big.csv", b"x" * 1000, limit=100)
    assert active.kept_upload() is None


def test_removing_the_active_upload_leaves_no_active_data_but_keeps_other_data() -> None:
    state: dict = {"series": "S", "dataset_label": "mine.csv"}
    active = ActiveData(state)
    active.keep_upload("mine.csv", b"abc")
    active.remove_upload("mine.csv")
    assert active.kept_upload() is None and "series" not in state and active.label is None
    built_in = {"series": "E", "dataset_label": "mine.csv", "defaults": {}}  # built-in data of the same name
    ActiveData(built_in).remove_upload("mine.csv")
    assert built_in["series"] == "E"


def test_reused_data_is_held_over_the_first_view_and_ends_at_the_first_choice() -> None:
    state: dict = {"defaults": {"window": 1}}
    active = ActiveData(state)
    active.reuse("S", "last.csv")
    assert state["series"] == "S" and "defaults" not in state and active.reused
    assert active.holds_reused(("built-in", "electric"))  # what the page shows first: a view
    assert active.holds_reused(("built-in", "electric"))  # and again on a rerun
    assert not active.holds_reused(("built-in", "stocks"))  # the user picked something: it replaces it
    assert not active.reused and not active.holds_reused(("built-in", "electric"))


def test_a_first_view_that_showed_nothing_does_not_swallow_the_next_choice() -> None:
    active = ActiveData({})
    active.reuse("S", "last.csv")
    active.shown_nothing()  # the default dataset could not load
    assert not active.holds_reused(("upload", "mine.csv"))
    active.reuse("S", "last.csv")
    active.release()  # "Use the data chosen here instead"
    assert not active.holds_reused(("built-in", "electric"))


def test_without_reused_data_nothing_is_held() -> None:
    active = ActiveData({})
    active.shown_nothing()
    assert not active.reused and not active.holds_reused(("built-in", "electric"))
