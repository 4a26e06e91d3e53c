"""A budgeted hyperparameter search for one recurrent model, scored on the validation part only.

Optuna's TPE sampler (seeded) proposes a cell, units, layers, dropout, a
residual head, the learning rate, the batch size and the lookback; each trial
trains on the training windows and is scored by its validation RMSE in the
series' own units. Poor trials are pruned epoch by epoch (median rule), the
search stops when the time budget is spent, after ``n_trials`` or when
cancelled, and the test part is never looked at: the winner goes into a
comparison (``compare``) to be judged on test like any other model.

A trial is a pure function of plain, picklable arguments (:class:`TrialTask`
→ :func:`run_trial` → :class:`TrialOutcome`), so trials can run in worker
processes that share one study through an SQLite ``storage`` URL.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rnnkit.errors import RnnkitError
from rnnkit.models.spec import ModelSpec
from rnnkit.progress import CancelToken
from rnnkit.runners.base import Runner
from rnnkit.scaling import ScalerKind
from rnnkit.splits import SplitSpec
from rnnkit.training import TrainingConfig
from rnnkit.windows.spec import WindowSpec

if TYPE_CHECKING:
    import optuna
    import pandas as pd

    from rnnkit.data.series import TimeSeries

#: The search space: every trial draws one value of each.
CELL_CHOICES: tuple[str, ...] = ("gru", "lstm")
UNITS_RANGE = (16, 128)  # log scale
LAYERS_RANGE = (1, 2)
DROPOUT_RANGE = (0.0, 0.3)
LEARNING_RATE_RANGE = (3e-4, 1e-2)  # log scale
BATCH_CHOICES: tuple[int, ...] = (16, 32, 64, 128)  # clipped to the number of training windows
LOOKBACK_FACTOR_RANGE = (0.5, 2.0)  # times the default lookback
#: Trials before pruning starts, and epochs a trial always gets before it can be pruned.
PRUNER_STARTUP_TRIALS, PRUNER_WARMUP_EPOCHS = 3, 10
#: TPE draws at random for this many trials, then models the good and bad ones (a budget gives few trials).
SAMPLER_STARTUP_TRIALS = 5
PARAM_COLUMNS: tuple[str, ...] = ("cell", "units", "layers", "dropout", "residual", "learning_rate", "batch_size",
                                  "lookback")


class SearchStatus(StrEnum):
    """Why a search ended."""

    FINISHED = "finished"  # the asked number of trials ran
    OUT_OF_TIME = "out of time"  # the budget was spent
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Candidate:
    """One searched configuration: the model, its training settings and its window."""

    spec: ModelSpec
    training: TrainingConfig
    window: WindowSpec


@dataclass(frozen=True)
class TrialTask:
    """Everything one trial needs, as plain picklable data (a worker process rebuilds the rest)."""

    series: TimeSeries
    window: WindowSpec  # the default window: the trial scales its lookback and keeps step, delay and horizon
    split: SplitSpec
    scaling: ScalerKind
    base: TrainingConfig
    params: dict[str, Any]
    deadline: float | None = None  # time.time() after which training stops


@dataclass(frozen=True)
class TrialOutcome:
    """What a trial measured: validation RMSE in the series' units (NaN when it diverged) and its cost."""

    val_rmse: float
    epochs_run: int
    seconds: float
    status: str  # "finished", "stopped early", "pruned", "out of time", "cancelled" or "diverged"
    candidate: Candidate
    val_losses: tuple[float, ...] = ()


@dataclass(frozen=True)
class SearchEvent:
    """Live progress, once when a trial starts and once when it ends."""

    kind: str  # "started" or "finished"
    trial: int
    state: str  # "running", "complete", "pruned" or "fail"
    val_rmse: float | None
    best_val_rmse: float | None
    elapsed_s: float
    budget_left_s: float
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""


SearchCallback = Callable[[SearchEvent], None]


@dataclass
class SearchResult:
    """The best configuration found on validation, and every trial of the study."""

    best: Candidate | None
    best_val_rmse: float | None
    best_trial: int | None
    trials: pd.DataFrame  # number, state, val_rmse, seconds, epochs, note, then the parameters
    status: SearchStatus
    elapsed_s: float
    budget_s: float
    study_name: str
    storage: str | None = None
    #: the best trial is the defaults (the first trial): the search found nothing better on validation
    defaults_won: bool = False

    @property
    def n_complete(self) -> int:
        return int((self.trials["state"] == "complete").sum()) if len(self.trials) else 0

    @property
    def selection(self) -> str:
        """The sentence saying how the best configuration was chosen."""
        if self.best is None:
            return "No trial finished, so there is no searched configuration."
        defaults = " (the defaults: nothing tried beat them)" if self.defaults_won else ""
        return (f"Chosen on validation: trial {self.best_trial}{defaults} has the lowest validation RMSE "
                f"({self.best_val_rmse:.4g}, in the series' own units) of {self.n_complete} finished trials; the "
                "test part was not looked at. Compare it with the other models to see how it does on test.")


def search(
    series: TimeSeries,
    window: WindowSpec,
    split: SplitSpec = SplitSpec(),
    budget_s: float = 120.0,
    n_trials: int | None = None,
    base: TrainingConfig = TrainingConfig(),
    scaling: ScalerKind = "minmax",
    seed: int = 42,
    progress: SearchCallback | None = None,
    cancel: CancelToken | None = None,
    storage: str | None = None,
    study_name: str | None = None,
    runner: Runner | None = None,
) -> SearchResult:
    """Search model, optimiser and window settings for ``budget_s`` seconds, scoring trials on validation only.

    Args:
        series: the series (with calendar features already added when wanted).
        window: the default window; trials scale its lookback by 0.5–2× and keep step, delay and horizon.
        split: the chronological split; it must leave validation windows.
        budget_s: seconds for the whole search; a trial running at the end is stopped after its current batch.
        n_trials: stop after this many trials in this call (None: only the budget limits them).
        base: training settings every trial starts from (epochs, early stopping, patience, loss, seed);
            the learning rate and batch size are searched.
        progress: called when a trial starts and when it ends.
        cancel: stops the search after the current batch; the finished trials are kept.
        storage: an Optuna storage URL such as ``"sqlite:///study.db"``: calls (and processes) that share
            it continue one study.
        study_name: the study in ``storage``; by default it is named after the series, target and task.
        runner: where trials train (:mod:`rnnkit.runners`). With ``None`` or the inline runner they run
            one after another in this process; with a process pool or Ray, ``runner.capacity`` trials
            run at once, each in a worker that reports to and prunes through the shared study (an
            SQLite file in a temporary folder when ``storage`` is not given).
    """
    import optuna

    if not budget_s > 0:
        raise RnnkitError(f"The search budget is {budget_s} seconds.", "Give the search a positive budget, "
                          "for example 120 seconds.")
    if n_trials is not None and n_trials < 1:
        raise RnnkitError(f"The search was asked for {n_trials} trials.", "Ask for 1 trial or more, or leave the "
                          "number of trials open and let the budget decide.")
    _require_validation(series, window, split)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    remote = runner is not None and runner.name != "inline"
    if remote and storage is None:
        storage = shared_storage()  # workers report to the study through it
    fingerprint = search_fingerprint(series, window, split, base, scaling)
    name = study_name or default_study_name(series, window, fingerprint)
    study = optuna.create_study(storage=storage, study_name=name, direction="minimize", load_if_exists=True,
                                pruner=optuna.pruners.MedianPruner(PRUNER_STARTUP_TRIALS, PRUNER_WARMUP_EPOCHS))
    _require_same_task(study, fingerprint)
    # Seeded, but offset by the trials already in the study, so a continued study does not redraw them.
    study.sampler = optuna.samplers.TPESampler(seed=(seed + len(study.trials)) % 2**32,
                                               n_startup_trials=SAMPLER_STARTUP_TRIALS)
    if not study.trials:
        study.enqueue_trial(default_params(window, base), user_attrs={"defaults": True})  # the trial to beat
    start = time.time()
    deadline = start + budget_s
    cancel = cancel or CancelToken()
    cancelled = False

    def best_so_far() -> float | None:
        values = [t.value for t in study.get_trials(deepcopy=False)
                  if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None]
        return min(values) if values else None

    def emit(kind: str, trial: int, state: str, value: float | None, params: dict[str, Any], note: str = "") -> None:
        if progress is not None:
            now = time.time()
            progress(SearchEvent(kind, trial, state, value, best_so_far(), now - start, max(deadline - now, 0.0),
                                 params, note))

    def objective(trial: optuna.Trial) -> float:
        nonlocal cancelled
        params = suggest_params(trial)
        emit("started", trial.number, "running", None, params)

        def report(epoch: int, val_loss: float) -> bool:
            trial.report(val_loss, epoch)
            return trial.should_prune()

        task = TrialTask(series, window, split, scaling, base, params, deadline)
        if remote:
            assert runner is not None and storage is not None
            shared = SharedTrialTask(task, storage, name, trial._trial_id)
            outcome = runner.submit(run_shared_trial, shared, None, cancel).result()
        else:
            outcome = run_trial(task, report=report, cancel=cancel)
        trial.set_user_attr("seconds", outcome.seconds)
        trial.set_user_attr("epochs", outcome.epochs_run)
        trial.set_user_attr("lookback", outcome.candidate.window.lookback)
        trial.set_user_attr("batch_size", outcome.candidate.training.batch_size)
        trial.set_user_attr("note", outcome.status)
        if outcome.status == "cancelled":
            cancelled = True
            study.stop()
            raise TrialFailed("cancelled before it finished")
        if outcome.status == "pruned":
            raise optuna.TrialPruned(f"pruned after {outcome.epochs_run} epochs")
        if not math.isfinite(outcome.val_rmse):
            raise TrialFailed("diverged: the loss became NaN or infinite")
        return outcome.val_rmse

    def after_trial(study: optuna.Study, frozen: optuna.trial.FrozenTrial) -> None:
        state = frozen.state.name.lower()
        note = str(frozen.user_attrs.get("note", ""))
        if frozen.state == optuna.trial.TrialState.FAIL and "error" in frozen.user_attrs:
            note = str(frozen.user_attrs["error"])
        value = frozen.value if frozen.state == optuna.trial.TrialState.COMPLETE else None  # pruned: a loss, not RMSE
        emit("finished", frozen.number, state, value, dict(frozen.params), note)
        if cancel.cancelled or time.time() >= deadline:
            study.stop()

    def guarded(trial: optuna.Trial) -> float:
        try:
            return objective(trial)
        except (RnnkitError, TrialFailed) as error:
            trial.set_user_attr("error", str(error))
            raise

    if remote:
        _serialise_asks(study)
    study.optimize(guarded, n_trials=n_trials, timeout=budget_s, catch=(RnnkitError, TrialFailed),
                   callbacks=[after_trial], n_jobs=runner.capacity if remote and runner is not None else 1)
    elapsed = time.time() - start
    status = (SearchStatus.CANCELLED if cancelled or cancel.cancelled else
              SearchStatus.OUT_OF_TIME if time.time() >= deadline or n_trials is None else SearchStatus.FINISHED)
    return _result(study, window, base, status, elapsed, budget_s, name, storage)


def _serialise_asks(study: optuna.Study) -> None:
    """One ``ask`` at a time: Optuna's threads (``n_jobs`` > 1) pop an enqueued trial without a lock, and two
    threads were seen running the defaults trial twice (two trials recorded instead of three)."""
    ask, lock = study.ask, threading.Lock()

    def locked(*args: Any, **kwargs: Any) -> optuna.Trial:
        with lock:
            return ask(*args, **kwargs)

    study.ask = locked  # type: ignore[method-assign]


def shared_storage() -> str:
    """A fresh SQLite study file that trials in other processes can share."""
    import tempfile

    folder = tempfile.mkdtemp(prefix="rnnkit-search-")
    return f"sqlite:///{folder}/study.db"


@dataclass(frozen=True)
class SharedTrialTask:
    """A trial to run in a worker process: it reports and prunes through the study in ``storage``."""

    task: TrialTask
    storage: str
    study_name: str
    trial_id: int


def run_shared_trial(shared: SharedTrialTask, progress: Callable[[Any], None] | None,
                     cancel: CancelToken | None) -> TrialOutcome:
    """:func:`run_trial` in a worker: epoch losses go to the shared study, which decides on pruning."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=shared.study_name, storage=shared.storage,
                              pruner=optuna.pruners.MedianPruner(PRUNER_STARTUP_TRIALS, PRUNER_WARMUP_EPOCHS))
    trial = optuna.trial.Trial(study, shared.trial_id)

    def report(epoch: int, val_loss: float) -> bool:
        trial.report(val_loss, epoch)
        return trial.should_prune()

    return run_trial(shared.task, report=report, cancel=cancel)


class TrialFailed(Exception):
    """A trial that gave no usable score (diverged or cancelled); Optuna records it as failed."""


def run_trial(task: TrialTask, report: Callable[[int, float], bool] | None = None,
              cancel: CancelToken | None = None) -> TrialOutcome:
    """Train the configuration ``task.params`` describes and score it on the validation windows.

    A pure function of its plain arguments: the windows are rebuilt for the
    trial's lookback (the scaler is fitted on the training rows, as always),
    the model trains on the training windows with early stopping on
    validation, and the score is the validation RMSE in the series' units.
    ``report(epoch, val_loss) -> prune?`` is the pruning hook.
    """
    from rnnkit.metrics import rmse
    from rnnkit.models.callbacks import TrialMonitor
    from rnnkit.prepare import prepare
    from rnnkit.training import predict, train_model

    window = trial_window(task.params, task.window)
    prepared = prepare(task.series, window, task.split, task.scaling)
    candidate = make_candidate(task.params, task.window, task.base, len(prepared.train))
    monitor = TrialMonitor(report, task.deadline)
    trained = train_model(candidate.spec, prepared, candidate.training, cancel=cancel, extra_callbacks=[monitor])
    y_val = prepared.actual(prepared.val)
    pred = prepared.scaler.inverse_target(predict(trained, prepared.val))
    score = rmse(y_val, pred) if trained.status != "diverged" else math.nan
    status = ("cancelled" if trained.status == "cancelled" else "pruned" if monitor.pruned else
              "out of time" if monitor.out_of_time else trained.status)
    return TrialOutcome(score if math.isfinite(score) else math.nan, trained.epochs_run, trained.train_seconds, status,
                        candidate, tuple(trained.history.get("val_loss", ())))


def suggest_params(trial: optuna.Trial) -> dict[str, Any]:
    """One draw from the search space (Optuna's define-by-run API)."""
    return {
        "cell": trial.suggest_categorical("cell", CELL_CHOICES),
        "units": trial.suggest_int("units", *UNITS_RANGE, log=True),
        "layers": trial.suggest_int("layers", *LAYERS_RANGE),
        "dropout": trial.suggest_float("dropout", *DROPOUT_RANGE),
        "residual": trial.suggest_categorical("residual", (True, False)),
        "learning_rate": trial.suggest_float("learning_rate", *LEARNING_RATE_RANGE, log=True),
        "batch_size": trial.suggest_categorical("batch_size", BATCH_CHOICES),
        "lookback_factor": trial.suggest_float("lookback_factor", *LOOKBACK_FACTOR_RANGE),
    }


def default_params(window: WindowSpec, base: TrainingConfig) -> dict[str, Any]:
    """The defaults (rnnkit's tuned GRU with the base settings) as a point of the space: the first trial."""
    low, high = LEARNING_RATE_RANGE
    return {"cell": "gru", "units": 64, "layers": 1, "dropout": 0.0, "residual": True,
            "learning_rate": min(max(base.learning_rate, low), high),
            "batch_size": min(BATCH_CHOICES, key=lambda b: abs(b - base.batch_size)), "lookback_factor": 1.0}


def trial_window(params: dict[str, Any], window: WindowSpec) -> WindowSpec:
    """The default window with its lookback scaled by the trial's factor (at least one step)."""
    lookback = max(int(round(window.lookback * float(params["lookback_factor"]))), window.step, 1)
    return WindowSpec(lookback, window.step, window.delay, window.horizon)


def make_candidate(params: dict[str, Any], window: WindowSpec, base: TrainingConfig,
                   n_train_windows: int | None = None) -> Candidate:
    """The model, training settings and window a trial's parameters describe.

    The batch size is clipped to the number of training windows, so a small
    series still gets more than one update per epoch's worth of windows.
    """
    cell = str(params["cell"])
    batch = int(params["batch_size"])
    if n_train_windows is not None:
        batch = max(min(batch, n_train_windows), 1)
    units = (int(params["units"]),) * int(params["layers"])
    spec = ModelSpec(f"searched_{cell}", cell=cell, units=units, dropout=round(float(params["dropout"]), 3),
                     residual=bool(params["residual"]),
                     description="Found by rnnkit's hyperparameter search, chosen on validation RMSE.")
    training = dataclasses.replace(base, learning_rate=float(params["learning_rate"]), batch_size=batch)
    return Candidate(spec, training, trial_window(params, window))


#: base training settings that do not change how a trial is scored: searched per trial, or how it executes
_NOT_SCORING = {"learning_rate", "batch_size", "execution", "steps_per_execution", "jit_compile"}


def search_fingerprint(series: TimeSeries, window: WindowSpec, split: SplitSpec, base: TrainingConfig,
                       scaling: str) -> str:
    """What a trial's validation RMSE depends on besides its own parameters, hashed (SHA-256, hex).

    The data itself (every value of the target and inputs, and their times), the
    split's row bounds, the window's step, delay and horizon, the scaler and the
    base training settings: trials that differ in any of these were scored on other
    validation targets or by other rules, so they never meet in one study.
    """
    import hashlib
    import json

    import pandas as pd

    frame = series.frame[[series.target, *[c for c in series.inputs if c != series.target]]]
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    bounds = split.bounds(series.frame.index)
    task = {"target": series.target, "inputs": list(series.inputs), "step": window.step, "delay": window.delay,
            "horizon": window.horizon, "split": [bounds.train_stop, bounds.val_stop, bounds.n_rows],
            "scaling": scaling, "base": {k: v for k, v in dataclasses.asdict(base).items() if k not in _NOT_SCORING}}
    digest.update(json.dumps(task, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def default_study_name(series: TimeSeries, window: WindowSpec, fingerprint: str) -> str:
    """A study per series, target, task and everything else trials are scored by, so one storage can hold several."""
    return (f"rnnkit:{series.name}:{series.target}:step{window.step}:delay{window.delay}:h{window.horizon}:"
            f"{fingerprint[:12]}")


def _require_same_task(study: optuna.Study, fingerprint: str) -> None:
    """Continue a stored study only on the data and settings it was searched on; mark a new one with them."""
    known = study.user_attrs.get("rnnkit_fingerprint")
    if known is None and study.trials:
        raise RnnkitError(f"The study {study.study_name!r} in this storage was made by an older rnnkit, which did "
                          "not record the data and settings its trials were scored on.",
                          "Give this search a new study name (its trials stay in the storage).")
    if known is None:
        study.set_user_attr("rnnkit_fingerprint", fingerprint)
        return
    if known != fingerprint:
        raise RnnkitError(f"The study {study.study_name!r} in this storage was searched on other data or settings "
                          "(values, split, window step, delay or horizon, scaler, or base training settings), so "
                          "its trials' validation scores are not comparable with this search's.",
                          "Give this search another study name, or search the same data with the same settings.")


def _require_validation(series: TimeSeries, window: WindowSpec, split: SplitSpec) -> None:
    from rnnkit.prepare import plan_windows

    _, counts = plan_windows(series, window, split)
    if counts["val"] < 1:
        raise RnnkitError("The split leaves no validation windows, and the search scores its trials on them "
                          "(never on test).", "Give the validation part a share, for example 15% of the rows.")


def _result(study: optuna.Study, window: WindowSpec, base: TrainingConfig, status: SearchStatus, elapsed: float,
            budget_s: float, name: str, storage: str | None) -> SearchResult:
    import optuna

    trials = trials_frame(study.trials)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None]
    if not complete:
        return SearchResult(None, None, None, trials, status, elapsed, budget_s, name, storage)
    best = min(complete, key=lambda t: float(t.value))  # type: ignore[arg-type]
    candidate = make_candidate(best.params, window, base, best.user_attrs.get("batch_size"))
    return SearchResult(candidate, float(best.value), best.number, trials, status,  # type: ignore[arg-type]
                        elapsed, budget_s, name, storage, bool(best.user_attrs.get("defaults", False)))


def trials_frame(trials: list[optuna.trial.FrozenTrial]) -> pd.DataFrame:
    """One row per trial: number, state, validation RMSE, seconds, epochs, note, then the parameters used."""
    import pandas as pd

    rows = []
    for t in trials:
        params = t.params
        complete = t.state.name == "COMPLETE"  # Optuna gives a pruned trial its last scaled loss as value
        rows.append({
            "number": t.number, "state": t.state.name.lower(), "val_rmse": t.value if complete else None,
            "seconds": t.user_attrs.get("seconds"), "epochs": t.user_attrs.get("epochs"),
            "note": str(t.user_attrs.get("error", t.user_attrs.get("note", ""))),
            "cell": params.get("cell"), "units": params.get("units"), "layers": params.get("layers"),
            "dropout": params.get("dropout"), "residual": params.get("residual"),
            "learning_rate": params.get("learning_rate"),
            "batch_size": t.user_attrs.get("batch_size", params.get("batch_size")),
            "lookback": t.user_attrs.get("lookback"),
        })
    columns = ["number", "state", "val_rmse", "seconds", "epochs", "note", *PARAM_COLUMNS]
    return pd.DataFrame(rows, columns=columns)
