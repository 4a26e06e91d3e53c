"""A search whose trials train in worker processes, sharing one Optuna study through SQLite."""

from __future__ import annotations

import dataclasses

import optuna
import pytest

from helpers import TINY_TRAINING
from rnnkit.data.series import TimeSeries
from rnnkit.runners.process import ProcessPoolRunner
from rnnkit.search import search
from rnnkit.splits import SplitSpec
from rnnkit.windows.spec import WindowSpec

pytestmark = pytest.mark.slow


def test_trials_run_in_workers_and_report_to_one_shared_study(tiny_series: TimeSeries) -> None:
    base = dataclasses.replace(TINY_TRAINING, epochs=2)
    events = []
    with ProcessPoolRunner(workers=2) as runner:
        result = search(tiny_series, WindowSpec(12), SplitSpec(train=0.6, val=0.2), budget_s=300, n_trials=3,
                        base=base, progress=events.append, runner=runner)
    assert result.storage is not None and result.storage.startswith("sqlite:///")  # made for the workers
    study = optuna.load_study(study_name=result.study_name, storage=result.storage)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(study.trials) == 3 and complete
    # every epoch's validation loss reached the study from the worker (what pruning decides on)
    assert all(len(t.intermediate_values) == t.user_attrs["epochs"] for t in complete)
    assert result.best is not None and result.best_val_rmse == min(t.value for t in complete)
    assert sorted(e.trial for e in events if e.kind == "finished") == [0, 1, 2]
