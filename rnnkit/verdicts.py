"""Every sentence a comparison tells its user (verdict, selection, skipped baselines, intervals, divergence).

The dashboard and the command line print these same sentences, so what a
result means is worded once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rnnkit.results import ComparisonResult

SIGNIFICANCE = 0.05
#: test windows below which no difference is called real: the Diebold–Mariano test, even with Harvey et al.'s
#: correction, rests on a variance estimated from these few loss differences
MIN_TEST_WINDOWS = 10


def verdict(model: str, baseline: str, skill_pct: float, p_value: float, p_holm: float | None = None,
            n_models: int = 1, n_test: int | None = None) -> str:
    """One sentence on whether ``model`` beats ``baseline`` on test, and whether that is noise.

    "Beats" is said only of a lower test RMSE that the test calls real; a lower RMSE
    within noise is given as a figure with "not enough to call it a win".

    With several models compared, significance is judged on the Holm-corrected
    p-value ``p_holm``, since the best of several is more likely to win by luck.
    With fewer than :data:`MIN_TEST_WINDOWS` test windows (``n_test``) no difference is called real.
    """
    if not np.isfinite(skill_pct):  # the baseline's RMSE is 0: a constant or perfectly predictable test part
        return (f"{baseline} predicts the test part exactly (RMSE 0), so no model can beat it; "
                "the test part is probably constant. Choose a longer test part or another target.")
    corrected = p_holm is not None and n_models > 1
    decisive = p_holm if corrected else p_value
    real = real_difference(p_value, p_holm, n_models, n_test)
    if n_test is not None and n_test < MIN_TEST_WINDOWS:
        significance = (f"only {n_test} test window{'s' if n_test != 1 else ''}, too few to tell a real difference "
                        f"from noise: give the test part at least {MIN_TEST_WINDOWS}")
        p_text = ""
    elif decisive is None or np.isnan(decisive):
        significance = "too few test windows to tell a real difference from noise"
        p_text = ""
    else:
        significance = ("a real difference" if real else "within noise") + " at the 5% level"
        p_text = f"p = {p_value:.3g}" + (f", Holm-corrected over {n_models} models p = {p_holm:.3g}"
                                          if corrected else "") + ": "
    test = f"Diebold–Mariano {p_text}{significance}" if p_text else significance  # no p-value: no test named
    if skill_pct > 0 and real:
        return f"{model} beats {baseline} by {skill_pct:.1f}% RMSE ({test})."
    if skill_pct > 0:  # lower, but not shown to be lower: no win is claimed
        return (f"{model}'s test RMSE is {skill_pct:.1f}% lower than {baseline}'s, not enough to call it a win "
                f"({test}).")
    ratio = 1 - skill_pct / 100  # past 10 times, a ratio reads better than a percentage
    worse = (f"{-skill_pct:.1f}% higher" if ratio < 10 else
             f"{ratio:.1f} times as high" if ratio < 100 else f"{ratio:,.0f} times as high")
    return f"{model} does not beat {baseline}: its RMSE is {worse} ({test})."


def real_difference(p_value: float, p_holm: float | None = None, n_models: int = 1, n_test: int | None = None) -> bool:
    """Whether the test calls a difference real: Holm's p with several models, enough test windows, p < 5%."""
    if n_test is not None and n_test < MIN_TEST_WINDOWS:
        return False
    decisive = p_holm if p_holm is not None and n_models > 1 else p_value
    return decisive is not None and bool(np.isfinite(decisive)) and decisive < SIGNIFICANCE


def _verdict_inputs(result: ComparisonResult) -> tuple[str, str, float, float, float | None, int, int] | None:
    model, baseline = result.best_model, result.best_baseline
    if model is None or baseline is None:
        return None
    table = result.metrics
    n_models = int((table["kind"] == "model").sum() - len(result.diverged))
    p_holm = float(table.loc[model, "dm_p_holm"]) if "dm_p_holm" in table else None
    return (model, baseline, float(table.loc[model, "skill_pct"]), float(table.loc[model, "dm_p"]), p_holm, n_models,
            len(result.y_test))


def result_wins(result: ComparisonResult) -> bool:
    """Whether the chosen model beats the chosen baseline on test by a difference the test calls real."""
    inputs = _verdict_inputs(result)
    if inputs is None:
        return False
    _, _, skill, p_value, p_holm, n_models, n_test = inputs
    return bool(np.isfinite(skill)) and skill > 0 and real_difference(p_value, p_holm, n_models, n_test)


def result_verdict(result: ComparisonResult) -> str | None:
    """The verdict for a finished comparison: the validation-chosen model against the validation-chosen baseline.

    None when there is no scored model or baseline. Scores that are not finite
    numbers (values so large their squares overflow) never produce a verdict.
    """
    inputs = _verdict_inputs(result)
    if inputs is None:
        return None
    model, baseline = inputs[:2]
    scores = [result.metrics.loc[model, "rmse"], result.metrics.loc[baseline, "rmse"]]
    if not all(np.isfinite(float(s)) for s in scores):
        return ("No verdict: the test scores are not finite numbers, because the series' values are too large "
                "to square. Rescale the target (for example divide it by a power of ten) and compare again.")
    return f"{verdict(*inputs)} {selection_note(result)}"


def selection_note(result: ComparisonResult) -> str:
    """How the best model and baseline were chosen, and what that means for the verdict."""
    if result.selection == "validation":
        return "Both were chosen by their validation RMSE; the test part only reports how the chosen ones do."
    if result.selection == "legacy":
        return ("This run was saved before rnnkit chose on validation: its best model and baseline were picked on "
                "the test part, so this verdict is optimistic. Run the comparison again for an honest one.")
    return ("There is no validation part, so the best model and baseline were chosen on the test part itself: "
            "this verdict is optimistic. Give validation a share of the series for an honest one.")


def skipped_note(result: ComparisonResult) -> str | None:
    """Which statistical baselines did not run and why, plus other notes on how baselines were fitted."""
    lines = [f"{name}: {reason}." for name, reason in result.skipped.items()] + list(result.notes)
    return " ".join(lines) if lines else None


def coverage_note(result: ComparisonResult) -> str | None:
    """A warning naming forecasters whose test intervals cover far less than promised, or None."""
    if "coverage_pct" not in result.metrics:
        return None
    level = 100 * result.interval
    low = result.metrics["coverage_pct"].dropna()
    low = low[low < level - 10]
    if not len(low):
        return None
    names = ", ".join(f"{name} {value:.0f}%" for name, value in low.items())
    return (f"These {level:.0f}% intervals cover far fewer test targets than promised: {names}. "
            "Treat their bands as too narrow.")


def cancel_note(result: ComparisonResult) -> str | None:
    """What a cancelled comparison holds: the networks it stopped are scored as they were, and named; None otherwise.

    Networks that had not started are not in the result at all, so the note never
    claims that every network finished; a cancelled backtest keeps only its folds
    that finished, and says so in its own verdict.
    """
    if result.status != "cancelled":
        return None
    stopped = [m for m in result.models if m.status == "cancelled"]
    if not stopped:
        return ("The run was cancelled; the networks below had finished (any that had not started are left out, "
                "and so are any backtest folds that had not finished).")
    epochs = result.training.epochs
    named = ", ".join(f"{m.name} (epoch {m.epochs_run} of {epochs})" for m in stopped)
    weights = ("with the weights of their best validation epoch so far" if result.training.early_stopping
               and result.selection == "validation" else "with the weights of their last epoch")
    choice = ("the choice is still made on validation" if result.selection == "validation"
              else "the choice is made on test (there is no validation part)")
    counted = " The Holm correction counts them too." if len(result.models) > 1 else ""
    return (f"The run was cancelled. Stopped before their last epoch: {named}. They are scored as they were "
            f"when stopped, {weights}, so they may trail what full training gives; {choice}.{counted}")


def divergence_note(result: ComparisonResult) -> str | None:
    """A warning naming the models that diverged and what to change, or None when none did."""
    if not result.diverged:
        return None
    names = ", ".join(result.diverged)
    return (f"{names} diverged: the loss or the predictions became NaN or infinite, so "
            f"{'it has' if len(result.diverged) == 1 else 'they have'} no scores. Lower the learning rate, "
            "or scale the data (MinMax or standard) if scaling is off.")


def interval_note(result: ComparisonResult) -> str:
    """Where the forecast intervals come from, or why there are none: for captions and reports."""
    level = f"{round(result.interval * 100)}%"
    if result.boundaries["val_end"] == result.boundaries["train_end"]:  # an empty validation part
        return (f"No {level} intervals: the split has no validation part to calibrate them on. "
                "Give validation a share of the series to get them.")
    widths = [r.forecast["upper"] - r.forecast["lower"] for r in result.models if len(r.forecast)]
    if widths and all(w.isna().all() for w in widths):
        return (f"No {level} intervals: the validation part has too few windows for that level. "
                "Give validation more rows, or choose a lower level.")
    return (f"{level} intervals are split-conformal for the networks and simple baselines, from their errors on "
            "the validation part (for recursive forecasts they widen with the square root of the steps ahead, "
            "an approximation); the statistical baselines' intervals are their own. Test coverage shows how "
            "well each interval kept its promise.")


def forecast_note(result: ComparisonResult) -> str | None:
    """Which networks forecast fewer rows past the end than the others, and why; None when all reach as far."""
    lengths = {m.name: len(m.forecast) for m in result.models if m.forecast is not None and len(m.forecast)}
    lengths |= {name: len(frame) for name, frame in result.baseline_forecasts.items()}
    if not lengths:
        return None
    longest = max(lengths.values())
    short = [name for name, n in lengths.items() if n < longest and name in {m.name for m in result.models}]
    if not short:
        return None
    rows = sorted({lengths[name] for name in short})
    return (f"{', '.join(short)} forecast{'s' if len(short) == 1 else ''} {' or '.join(map(str, rows))} "
            f"row{'s' if rows != [1] else ''} past the end, not {longest}: a network goes further only when it "
            "predicts several rows at once (horizon) or when every input besides the target is a calendar feature, "
            "so that its own forecasts can be fed back. Extra input features have no known future values.")
