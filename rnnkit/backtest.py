"""Rolling-origin backtests: one test period is one draw, so score k consecutive folds instead.

The test part of the split is cut into ``k`` consecutive folds. For fold ``i``
every model is trained again on all rows before the fold (an expanding
window), with the validation part just before the fold for early stopping;
the statistical baselines are refitted the same way. All forecasters are
scored on the fold's identical targets. The model and the baseline whose
pooled test errors are compared are chosen on the first fold's validation
part, the only one before every fold's test rows: a later fold's validation
part holds earlier folds' test rows, so choosing on it would let the test
part take part in the choice. Folds are independent
work: :func:`plan_folds` gives picklable plans, and :mod:`rnnkit.plan` turns
each fold's models into tasks that a runner spreads over processes or a cluster.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnkit.results import ComparisonResult
from rnnkit.data.series import TimeSeries
from rnnkit.errors import SplitError
from rnnkit.metrics import diebold_mariano, holm
from rnnkit.models.spec import ModelSpec
from rnnkit.progress import CancelToken, ProgressCallback
from rnnkit.runners.base import Runner
from rnnkit.scaling import ScalerKind
from rnnkit.splits import SplitSpec
from rnnkit.training import TrainingConfig
from rnnkit.verdicts import verdict
from rnnkit.windows.spec import WindowSpec

MAX_FOLDS = 20


@dataclass(frozen=True)
class FoldPlan:
    """Rows of one fold: train ``[0, train_stop)``, validation up to ``test_start``, test up to ``test_stop``."""

    fold: int
    train_stop: int
    test_start: int
    test_stop: int

    @property
    def split(self) -> SplitSpec:
        return SplitSpec(train_rows=self.train_stop, val_rows=self.test_start - self.train_stop)


def plan_folds(series: TimeSeries, window: WindowSpec, split: SplitSpec, k: int) -> list[FoldPlan]:
    """Cut the split's test part into ``k`` folds; refuse counts that leave a fold without a target."""
    if not 2 <= k <= MAX_FOLDS:
        raise SplitError(f"A backtest with {k} folds is not possible.",
                         f"Use 2 to {MAX_FOLDS} folds (5 is a good start).")
    bounds = split.bounds(series.frame.index)
    val_rows = bounds.val_stop - bounds.train_stop
    test_rows = bounds.n_rows - bounds.val_stop
    fold_rows = test_rows // k
    if fold_rows < window.delay + window.horizon:
        raise SplitError(
            f"The test part has {test_rows} rows: {k} folds of {fold_rows} rows are shorter than the delay "
            f"{window.delay} + horizon {window.horizon} one target needs.",
            "Use fewer folds, or give the test part a larger share of the series.")
    plans = []
    for i in range(k):
        start = bounds.val_stop + i * fold_rows
        stop = bounds.n_rows if i == k - 1 else start + fold_rows
        plans.append(FoldPlan(i + 1, start - val_rows, start, stop))
    return plans


@dataclass
class BacktestResult:
    """Every fold's comparison, with scores across folds and a pooled test of the chosen pair."""

    target: str
    window: WindowSpec
    plans: list[FoldPlan]
    folds: list[ComparisonResult]
    status: str

    def fold_table(self) -> pd.DataFrame:
        """One row per fold and forecaster: test and validation scores, interval coverage, the fold's dates."""
        rows = []
        for plan, result in zip(self.plans, self.folds, strict=False):
            for name, row in result.metrics.iterrows():
                rows.append({"fold": plan.fold, "name": name, "kind": row["kind"], "rmse": row["rmse"],
                             "mae": row["mae"], "val_rmse": row.get("val_rmse", np.nan),
                             "coverage_pct": row.get("coverage_pct", np.nan), "winkler": row.get("winkler", np.nan),
                             "test_start": result.test_times[0], "test_end": result.test_times[-1]})
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        """Per forecaster: validation RMSE before the first fold (the choice), test RMSE and MAE across folds.

        ``chosen`` marks the model and the baseline the backtest chose.
        """
        table = self.fold_table()
        if table.empty:
            return pd.DataFrame(columns=["kind", "val_rmse", "rmse_mean", "rmse_std", "mae_mean", "mae_std",
                                         "coverage_pct", "winkler", "folds", "pooled_dm_p", "pooled_dm_p_holm",
                                         "chosen"])
        grouped = table.groupby("name", sort=False)
        first_fold = table[table["fold"] == self.plans[0].fold].set_index("name")["val_rmse"]
        out = pd.DataFrame({
            "kind": grouped["kind"].first(),
            "val_rmse": first_fold.reindex(grouped["kind"].first().index),
            "rmse_mean": grouped["rmse"].mean(), "rmse_std": grouped["rmse"].std(ddof=0),
            "mae_mean": grouped["mae"].mean(), "mae_std": grouped["mae"].std(ddof=0),
            "coverage_pct": grouped["coverage_pct"].mean(), "winkler": grouped["winkler"].mean(),
            "folds": grouped["rmse"].count(),
        })
        complete = out["folds"] == len(self.folds)  # a forecaster skipped in some fold is not comparable
        out.loc[~complete, ["val_rmse"]] = np.nan
        pooled = self.pooled_tests()
        out["pooled_dm_p"] = [pooled.get(n, (np.nan, np.nan))[0] for n in out.index]
        out["pooled_dm_p_holm"] = [pooled.get(n, (np.nan, np.nan))[1] for n in out.index]
        out["chosen"] = ["model" if n == self.best_model else "baseline" if n == self.best_baseline else ""
                         for n in out.index]
        return out

    @property
    def selection(self) -> str:
        """``"validation"`` when the folds have validation parts to choose on, else ``"test"`` (optimistic)."""
        table = self.fold_table()
        return "validation" if len(table) and np.isfinite(table["val_rmse"].to_numpy(dtype=float)).any() else "test"

    def _choose(self, kind: str) -> str | None:
        """The forecaster of ``kind`` with the lowest validation RMSE on fold 1, among those scored in every fold.

        Only the first fold's validation part comes before every fold's test rows, so
        only it may choose the pair whose pooled test errors are compared. A
        forecaster missing from a fold, or without a validation score on the first,
        never competes (it is never chosen by a test score). Without any validation
        part, the choice is made on the mean test RMSE over the folds (optimistic, and said so).
        """
        table = self.fold_table()
        if table.empty:
            return None
        table = table[table["kind"] == kind]
        scored = table[np.isfinite(table["rmse"].to_numpy(dtype=float))].groupby("name")["rmse"].count()
        complete = scored[scored == len(self.folds)].index
        table = table[table["name"].isin(complete)]
        if self.selection == "validation":
            first = table[table["fold"] == self.plans[0].fold]
            scores = first[np.isfinite(first["val_rmse"].to_numpy(dtype=float))].set_index("name")["val_rmse"]
        else:
            scores = table.groupby("name")["rmse"].mean()
        return scores.idxmin() if len(scores) else None

    @property
    def best_model(self) -> str | None:
        """The model with the lowest validation RMSE before the first fold."""
        return self._choose("model")

    @property
    def best_baseline(self) -> str | None:
        """The baseline with the lowest validation RMSE before the first fold."""
        return self._choose("baseline")

    def errors(self, name: str) -> np.ndarray | None:
        """``name``'s test errors of every fold, stacked in time order; None if it is missing from a fold."""
        parts = []
        for result in self.folds:
            pred = {m.name: m.test_pred for m in result.models} | result.baselines
            if name not in pred:
                return None
            parts.append(pred[name] - result.y_test)
        return np.concatenate(parts)

    def pooled_tests(self) -> dict[str, tuple[float, float]]:
        """Each model's Diebold–Mariano p-value against the chosen baseline over all folds' errors, and Holm's."""
        base = self.best_baseline
        base_errors = self.errors(base) if base else None
        if base_errors is None:
            return {}
        lead = self.window.delay + self.window.horizon
        raw = {}
        for model in {m.name for f in self.folds for m in f.models}:
            errors = self.errors(model)
            if errors is not None and np.isfinite(errors).all():
                raw[model] = diebold_mariano(errors, base_errors, lead)[1]
        adjusted = holm(raw)
        return {name: (raw[name], adjusted[name]) for name in raw}

    @property
    def pooled_dm_p(self) -> float:
        return self.pooled_tests().get(self.best_model or "", (np.nan, np.nan))[0]

    @property
    def pooled_dm_p_holm(self) -> float:
        return self.pooled_tests().get(self.best_model or "", (np.nan, np.nan))[1]

    def as_result(self) -> ComparisonResult:
        """The last fold's comparison (models, predictions) carrying the backtest's tables and verdict."""
        if not self.folds:
            raise SplitError("The backtest was stopped before its first fold finished.",
                             "Run it again and let at least one fold finish.")
        return dataclasses.replace(self.folds[-1], backtest_folds=self.fold_table(),
                                   backtest_summary=self.summary(), backtest_verdict=self.verdict(),
                                   status=self.status)

    def verdict(self) -> str:
        """The validation-chosen model against the validation-chosen baseline, on all folds' test errors."""
        model, base = self.best_model, self.best_baseline
        if model is None or base is None:
            return "No verdict: no model or baseline was scored (on validation and test) in every fold."
        model_errors, base_errors = self.errors(model), self.errors(base)
        assert model_errors is not None and base_errors is not None
        model_rmse = float(np.sqrt(np.mean(model_errors ** 2)))
        base_rmse = float(np.sqrt(np.mean(base_errors ** 2)))
        if not (np.isfinite(model_rmse) and np.isfinite(base_rmse)):
            return ("No verdict: the test scores are not finite numbers. Rescale the target (for example divide it "
                    "by a power of ten) and run the backtest again.")
        skill = 100 * (1 - model_rmse / base_rmse) if base_rmse > 0 else float("-inf")
        n_models = len(self.pooled_tests())
        sentence = verdict(model, base, skill, self.pooled_dm_p, self.pooled_dm_p_holm, n_models, len(model_errors))
        how = ("Both were chosen by their validation RMSE on the part before the first fold, so no fold's test "
               "rows took part in the choice." if self.selection == "validation"
               else "There is no validation part, so both were chosen on the folds' test parts: this verdict is "
                    "optimistic. Give validation a share of the series for an honest one.")
        return f"Over all {len(self.folds)} folds' test targets: {sentence} {how}"


def backtest(series: TimeSeries, window: WindowSpec, specs: list[ModelSpec], k: int,
             split: SplitSpec = SplitSpec(), training: TrainingConfig = TrainingConfig(),
             scaling: ScalerKind = "minmax", period: int | None = None, interval: float = 0.9,
             progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
             statistical: bool = True, runner: Runner | None = None) -> BacktestResult:
    """Run ``k`` folds through ``runner`` (every fold's models side by side where it has room) and gather them.

    A cancelled backtest keeps the folds, in order, whose every model finished.
    """
    from rnnkit.execute import backtest_of, run_plan
    from rnnkit.plan import plan_comparison
    from rnnkit.request import make_request
    from rnnkit.runners import default_runner

    request = make_request(series, window, specs, split, training, scaling, period=period, interval=interval,
                           statistical=statistical, folds=k, forecast=False, label=series.name)
    plan = plan_comparison(request, series)
    outcomes, status = run_plan(plan, default_runner() if runner is None else runner, progress, cancel)
    return backtest_of(plan, outcomes, status)
