"""The dashboard's search registry: live trials per owner, best so far, cancel."""

from __future__ import annotations

from helpers import TINY_TRAINING
from rnnkit.data.series import TimeSeries
from rnnkit.search import SearchEvent
from rnnkit.search_jobs import SearchJob, SearchRegistry
from rnnkit.splits import SplitSpec
from rnnkit.windows.spec import WindowSpec


def test_events_fill_the_trials_and_the_best_so_far() -> None:
    job = SearchJob("j", "owner", budget_s=60)
    job.on_event(SearchEvent("started", 0, "running", None, None, 0.1, 59.9, {"cell": "gru"}))
    job.on_event(SearchEvent("finished", 0, "complete", 2.0, 2.0, 5.0, 55.0, {"cell": "gru"}))
    job.on_event(SearchEvent("started", 1, "running", None, 2.0, 5.1, 54.9, {"cell": "lstm"}))
    job.on_event(SearchEvent("finished", 1, "pruned", None, 2.0, 7.0, 53.0, {"cell": "lstm"}))
    assert [(r.number, r.state) for r in job.rows()] == [(0, "complete"), (1, "pruned")]
    assert job.best_so_far == [(0, 2.0), (1, 2.0)]
    assert job.clock() == (7.0, 53.0)


def test_each_owner_sees_only_their_search_and_can_cancel_it(tiny_series: TimeSeries) -> None:
    registry = SearchRegistry()
    assert registry.latest("a") is None and not registry.cancel("a")
    job = registry.start("a", tiny_series, WindowSpec(12), SplitSpec(train=0.6, val=0.2), budget_s=60,
                         n_trials=3, base=TINY_TRAINING)
    assert registry.latest("b") is None and registry.latest("a") is job
    assert registry.cancel("a")
    assert job.thread is not None
    job.thread.join(timeout=120)
    assert job.status == "cancelled" and not registry.cancel("a")
