"""The hyperparameter search: validation only, budgeted, pruned, cancellable, resumable from SQLite."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import numpy as np
import optuna
import pytest

from helpers import TINY_TRAINING
from rnnkit.data.series import TimeSeries
from rnnkit.errors import RnnkitError
from rnnkit.prepare import plan_windows
from rnnkit.progress import CancelToken
from rnnkit.search import (
    SearchEvent,
    SearchStatus,
    TrialTask,
    default_params,
    make_candidate,
    run_trial,
    search,
    trial_window,
    trials_frame,
)
from rnnkit.splits import SplitSpec
from rnnkit.windows.spec import WindowSpec

WINDOW = WindowSpec(lookback=12)
SPLIT = SplitSpec(train=0.6, val=0.2)
ONE_EPOCH = dataclasses.replace(TINY_TRAINING, epochs=1)


def with_test_part_changed(series: TimeSeries) -> TimeSeries:
    """The same series with every value of the test part replaced by something wild."""
    bounds, _ = plan_windows(series, WINDOW, SPLIT)
    frame = series.frame.copy()
    frame.iloc[bounds.val_stop:, frame.columns.get_loc(series.target)] = 1e4
    return dataclasses.replace(series, frame=frame)


def test_search_never_looks_at_the_test_part(tiny_series: TimeSeries) -> None:
    first = search(tiny_series, WINDOW, SPLIT, budget_s=120, n_trials=2, base=ONE_EPOCH, seed=1)
    second = search(with_test_part_changed(tiny_series), WINDOW, SPLIT, budget_s=120, n_trials=2, base=ONE_EPOCH,
                    seed=1)
    assert list(first.trials["state"]) == ["complete", "complete"]
    np.testing.assert_array_equal(first.trials["val_rmse"], second.trials["val_rmse"])
    assert first.best == second.best and first.status == SearchStatus.FINISHED
    assert first.best is not None and first.best.spec.name.startswith("searched_")
    assert first.selection.startswith("Chosen on validation: trial ")


def test_the_first_trial_is_the_defaults_and_progress_comes_per_trial(tiny_series: TimeSeries) -> None:
    events: list[SearchEvent] = []
    result = search(tiny_series, WINDOW, SPLIT, budget_s=120, n_trials=1, base=ONE_EPOCH, progress=events.append)
    assert [(e.kind, e.trial) for e in events] == [("started", 0), ("finished", 0)]
    assert events[1].best_val_rmse == result.best_val_rmse and 0 < events[1].budget_left_s < 120
    assert events[0].params == default_params(WINDOW, ONE_EPOCH)
    assert result.best is not None and result.best.spec.units == (64,) and result.best.spec.residual
    assert result.defaults_won and "(the defaults: nothing tried beat them)" in result.selection


def test_the_budget_stops_the_search(tiny_series: TimeSeries) -> None:
    long = dataclasses.replace(TINY_TRAINING, epochs=10_000, early_stopping=False)
    result = search(tiny_series, WINDOW, SPLIT, budget_s=4, base=long)
    assert result.status == SearchStatus.OUT_OF_TIME
    assert result.elapsed_s < 4 + 20  # the running trial is cut after its current batch, then scored
    assert result.trials["note"].iloc[-1] == "out of time" and result.trials["epochs"].iloc[-1] < 10_000


def test_trials_report_every_epoch_and_stop_when_pruned(tiny_series: TimeSeries) -> None:
    study = optuna.create_study()
    trial = study.ask()
    task = TrialTask(tiny_series, WINDOW, SPLIT, "minmax", dataclasses.replace(TINY_TRAINING, epochs=2),
                     default_params(WINDOW, TINY_TRAINING))

    def report(epoch: int, val_loss: float) -> bool:
        trial.report(val_loss, epoch)
        return False

    outcome = run_trial(task, report=report)
    assert sorted(study.trials[0].intermediate_values) == [0, 1] and outcome.status == "finished"
    assert np.isfinite(outcome.val_rmse) and outcome.epochs_run == 2
    pruned = run_trial(dataclasses.replace(task, base=dataclasses.replace(TINY_TRAINING, epochs=5)),
                       report=lambda epoch, loss: True)
    assert pruned.status == "pruned" and pruned.epochs_run == 1


def test_cancel_stops_the_search_and_keeps_finished_trials(tiny_series: TimeSeries) -> None:
    cancel = CancelToken()

    def on_event(event: SearchEvent) -> None:
        if event.kind == "started" and event.trial == 1:
            cancel.cancel()

    result = search(tiny_series, WINDOW, SPLIT, budget_s=120, n_trials=5, base=ONE_EPOCH, progress=on_event,
                    cancel=cancel)
    assert result.status == SearchStatus.CANCELLED
    assert list(result.trials["state"]) == ["complete", "fail"] and result.best_trial == 0
    assert result.trials["note"].iloc[1] == "cancelled before it finished"


def test_sqlite_storage_continues_one_study(tiny_series: TimeSeries, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    first = search(tiny_series, WINDOW, SPLIT, budget_s=120, n_trials=1, base=ONE_EPOCH, storage=url)
    second = search(tiny_series, WINDOW, SPLIT, budget_s=120, n_trials=1, base=ONE_EPOCH, storage=url)
    assert (tmp_path / "study.db").is_file() and first.study_name == second.study_name
    assert list(second.trials["number"]) == [0, 1]
    assert second.trials.iloc[0].to_dict() == first.trials.iloc[0].to_dict()
    assert second.trials.iloc[1]["cell"] is not None  # a new draw, not the enqueued defaults again
    loaded = optuna.load_study(study_name=first.study_name, storage=url)
    assert len(loaded.trials) == 2


def test_a_stored_study_never_mixes_trials_scored_on_other_data_or_splits(tiny_series: TimeSeries,
                                                                          tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    first = search(tiny_series, WINDOW, SPLIT, budget_s=120, n_trials=1, base=ONE_EPOCH, storage=url)
    other_split = SplitSpec(train=SPLIT.train - 0.1, val=SPLIT.val)
    second = search(tiny_series, WINDOW, other_split, budget_s=120, n_trials=1, base=ONE_EPOCH, storage=url)
    assert second.study_name != first.study_name and list(second.trials["number"]) == [0]
    changed = dataclasses.replace(tiny_series, frame=tiny_series.frame * 1.01)  # same name, other values
    third = search(changed, WINDOW, SPLIT, budget_s=120, n_trials=1, base=ONE_EPOCH, storage=url)
    assert third.study_name not in (first.study_name, second.study_name)
    with pytest.raises(RnnkitError, match="searched on other data or settings"):  # a name given by hand
        search(changed, WINDOW, SPLIT, budget_s=120, n_trials=1, base=ONE_EPOCH, storage=url,
               study_name=first.study_name)
    assert len(optuna.load_study(study_name=first.study_name, storage=url).trials) == 1
    legacy = optuna.create_study(storage=url, study_name="made-by-an-older-rnnkit")
    legacy.add_trial(optuna.trial.create_trial(params={}, distributions={}, value=1.0))  # no record of its task
    with pytest.raises(RnnkitError, match="made by an older rnnkit"):
        search(tiny_series, WINDOW, SPLIT, budget_s=120, n_trials=1, base=ONE_EPOCH, storage=url,
               study_name="made-by-an-older-rnnkit")


def test_trials_are_plain_picklable_tasks(tiny_series: TimeSeries) -> None:
    task = TrialTask(tiny_series, WINDOW, SPLIT, "minmax", TINY_TRAINING, default_params(WINDOW, TINY_TRAINING))
    copy = pickle.loads(pickle.dumps(task))
    assert copy.params == task.params and copy.series.frame.equals(task.series.frame)


def test_candidates_scale_the_lookback_and_clip_the_batch() -> None:
    params = {"cell": "lstm", "units": 20, "layers": 2, "dropout": 0.1234, "residual": False,
              "learning_rate": 0.002, "batch_size": 128, "lookback_factor": 1.5}
    candidate = make_candidate(params, WindowSpec(12, step=2, delay=3, horizon=4), TINY_TRAINING, 40)
    assert candidate.spec.name == "searched_lstm" and candidate.spec.units == (20, 20)
    assert candidate.spec.dropout == 0.123 and not candidate.spec.residual
    assert candidate.training.batch_size == 40 and candidate.training.learning_rate == 0.002
    assert candidate.training.epochs == TINY_TRAINING.epochs
    assert candidate.window == WindowSpec(18, step=2, delay=3, horizon=4)
    assert trial_window({"lookback_factor": 0.01}, WindowSpec(12, step=2)).lookback == 2


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"split": SplitSpec(train=0.8, val=0.0)}, "The split leaves no validation windows"),
    ({"budget_s": 0}, "The search budget is 0 seconds."),
    ({"n_trials": 0}, "The search was asked for 0 trials."),
])
def test_impossible_searches_are_refused(tiny_series: TimeSeries, kwargs: dict, message: str) -> None:
    arguments = {"split": SPLIT, "budget_s": 10} | kwargs
    with pytest.raises(RnnkitError, match=message):
        search(tiny_series, WINDOW, **arguments)


def test_pruned_trials_show_no_validation_rmse() -> None:
    """Optuna gives a pruned trial its last reported (scaled) loss as value: never shown as an RMSE."""
    study = optuna.create_study()
    trial = study.ask()
    trial.report(0.01, 0)
    study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    frame = trials_frame(study.trials)
    assert frame["state"].tolist() == ["pruned"] and frame["val_rmse"].isna().all()
