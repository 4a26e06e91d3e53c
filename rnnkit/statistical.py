"""What a practitioner would run instead of an RNN: AutoETS, AutoTheta and AutoARIMA from statsforecast.

Each model is fitted once on the rows before the part it is scored on (train
for validation scores, train + validation for test scores) and then rolled
over that part without re-estimating its parameters: for every window anchor
``t`` it forecasts from the rows before ``t`` only (statsforecast's
``forward``), so it is scored on exactly the targets the networks see.

Cost is bounded so a comparison never stalls: the fit and every forecast use
at most :data:`HISTORY_ROWS` recent rows, and each model rolls over at most
:data:`MAX_ANCHORS` forecast origins per scored part (AutoARIMA, the slowest,
1,000). Models that are skipped say why.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnnkit.windows.spec import WindowSpec

#: The statistical baselines, in the order they are shown.
STATISTICAL_MODELS: tuple[str, ...] = ("auto_ets", "auto_theta", "auto_arima")
#: Most recent rows a model is fitted on and forecasts from (older rows barely move these models).
HISTORY_ROWS = 1_000
#: AutoARIMA's order search is slow: it is skipped above this many forecast origins, with the reason
#: (its fit is bounded by HISTORY_ROWS like every model's).
ARIMA_MAX_ANCHORS = 1_000
#: Forecast origins each model may roll over in one scored part (about 10 s each on a laptop core).
MAX_ANCHORS: dict[str, int] = {"auto_ets": 10_000, "auto_theta": 2_000, "auto_arima": ARIMA_MAX_ANCHORS}
#: Above this many fitted rows AutoARIMA approximates the likelihood during its search (as R's auto.arima does).
ARIMA_APPROXIMATION_ROWS = 500
#: statsforecast's ETS has no seasonal form beyond this period (it falls back to a non-seasonal one).
ETS_MAX_SEASON = 24


@dataclass
class StatisticalForecasts:
    """Point forecasts and intervals ``(n, horizon)`` per model, plus the models skipped and why."""

    points: dict[str, np.ndarray] = field(default_factory=dict)
    lower: dict[str, np.ndarray] = field(default_factory=dict)
    upper: dict[str, np.ndarray] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def _factories(period: int | None, fit_rows: int = HISTORY_ROWS) -> dict[str, Callable[[], Any]]:
    """A fresh statsforecast model per name, seasonal when the period is known."""
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    season = period if period and period > 1 else 1
    return {
        "auto_ets": lambda: AutoETS(season_length=season if season <= ETS_MAX_SEASON else 1),
        "auto_theta": lambda: AutoTheta(season_length=season),
        "auto_arima": lambda: AutoARIMA(season_length=season,
                                        approximation=fit_rows > ARIMA_APPROXIMATION_ROWS),
    }


def min_history(period: int | None) -> int:
    """The fewest rows the statistical models are fitted on, or forecast from: two seasons and two rows.

    statsforecast refuses shorter histories ("tiny datasets": AutoTheta below 4
    rows, seasonal AutoETS below about 11).
    """
    return 2 * max(period or 1, 2) + 2


def skip_reasons(fit_rows: int, n_anchors: int, period: int | None) -> dict[str, str]:
    """Which statistical models will not run on this data, and why: cheap, for plans and notes."""
    reasons: dict[str, str] = {}
    if fit_rows < min_history(period):
        message = (f"the {fit_rows} rows before the scored part are too few to fit it "
                   f"(at least two seasons of {period or 1} rows are needed)")
        return dict.fromkeys(STATISTICAL_MODELS, message)
    for name, limit in MAX_ANCHORS.items():
        if n_anchors > limit:
            reasons[name] = (f"skipped to bound its cost: rolling it over {n_anchors:,} forecast origins would take "
                             f"minutes (it runs up to {limit:,}); use a coarser frequency or a shorter test part")
    return reasons


def hybrid_skip_reasons(window: WindowSpec, train_rows: int, n_anchors: int,
                        period: int | None) -> dict[str, str]:
    """:func:`skip_reasons` for a hybrid's base, which also forecasts training windows, each from its own past."""
    from rnnkit.windows.indexing import anchors_for_targets

    reasons = skip_reasons(train_rows, n_anchors, period)
    if not (anchors_for_targets(window, 0, train_rows) >= min_history(period)).any():
        for name in STATISTICAL_MODELS:
            reasons.setdefault(name, f"no training window has the {min_history(period)} rows before it that the "
                                     "base model needs to forecast it")
    return reasons


def season_note(period: int | None) -> str | None:
    """Why AutoETS (and AutoTheta, for very long periods) are not seasonal here, or None."""
    notes = []
    if period and period > ETS_MAX_SEASON:
        notes.append(f"auto_ets is fitted without seasonality: statsforecast's ETS supports seasonal periods up to "
                     f"{ETS_MAX_SEASON} rows, and this series' period is {period}.")
    if period and 2 * period > HISTORY_ROWS:
        notes.append(f"auto_theta and auto_arima see {HISTORY_ROWS:,} recent rows, fewer than two seasons of "
                     f"{period} rows, so they cannot be seasonal here; resample to a coarser frequency for them.")
    return " ".join(notes) or None


def rolling_forecasts(
    values: np.ndarray,
    fit_stop: int,
    anchors: np.ndarray,
    delay: int,
    horizon: int,
    period: int | None,
    level: float,
    models: tuple[str, ...] = STATISTICAL_MODELS,
) -> StatisticalForecasts:
    """Fit each model on ``values[:fit_stop]`` and forecast targets ``t+delay … t+delay+horizon-1`` per anchor.

    Every forecast uses only ``values[:t]`` (the rows before its anchor), with
    the parameters fitted once; intervals are the model's own at ``level``.
    """
    result = StatisticalForecasts()
    result.skipped = {name: reason for name, reason in skip_reasons(fit_stop, len(anchors), period).items()
                      if name in models}
    if len(anchors) == 0:
        return result
    factories = _factories(period, min(fit_stop, HISTORY_ROWS))
    percent = int(round(level * 100))
    lead = delay + horizon
    for name in models:
        if name in result.skipped:
            continue
        try:
            points = np.empty((len(anchors), horizon))
            lower, upper = np.empty_like(points), np.empty_like(points)
            with _silenced():
                fitted = _fit(factories[name](), values[max(0, fit_stop - HISTORY_ROWS):fit_stop])
                for i, anchor in enumerate(anchors):
                    output = fitted.forward(y=values[max(0, anchor - HISTORY_ROWS):anchor], h=lead, level=[percent])
                    points[i] = output["mean"][delay:]
                    lower[i] = output[f"lo-{percent}"][delay:]
                    upper[i] = output[f"hi-{percent}"][delay:]
        except Exception as error:  # a numerical failure inside the library must not end the comparison
            result.skipped[name] = f"failed to fit or forecast ({type(error).__name__}: {error})"
            continue
        if not (np.isfinite(points).all()):
            result.skipped[name] = "produced non-finite forecasts on this series"
            continue
        result.points[name], result.lower[name], result.upper[name] = points, lower, upper
    return result


def forecast_ahead(values: np.ndarray, steps: int, period: int | None, level: float,
                   models: tuple[str, ...]) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each model fitted on the whole series' recent rows, forecasting ``steps`` rows past the end.

    Returns ``{name: (mean, lower, upper)}``; models that fail are left out.
    """
    history = values[max(0, len(values) - HISTORY_ROWS):]
    factories = _factories(period, len(history))
    percent = int(round(level * 100))
    out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for name in models:
        try:
            with _silenced():
                output = _fit(factories[name](), history).predict(h=steps, level=[percent])
        except Exception:  # noqa: S112 - a model that cannot forecast here is simply not drawn
            continue
        mean = np.asarray(output["mean"], dtype=np.float64)
        if np.isfinite(mean).all():
            out[name] = (mean, np.asarray(output[f"lo-{percent}"]), np.asarray(output[f"hi-{percent}"]))
    return out


def fit_recent(name: str, values: np.ndarray, period: int | None) -> Any:
    """Model ``name`` fitted on the last :data:`HISTORY_ROWS` rows of ``values``, as :func:`forecast_ahead` fits it."""
    history = values[max(0, len(values) - HISTORY_ROWS):]
    with _silenced():
        return _fit(_factories(period, len(history))[name](), history)


def forward_mean(fitted: Any, values: np.ndarray, steps: int) -> np.ndarray:
    """A fitted model's point forecast for the ``steps`` rows after ``values`` (its recent rows, no refit)."""
    with _silenced():
        output = fitted.forward(y=np.ascontiguousarray(values[max(0, len(values) - HISTORY_ROWS):],
                                                       dtype=np.float64), h=steps)
    return np.asarray(output["mean"], dtype=np.float64)


def _fit(model: Any, y: np.ndarray) -> Any:
    """``model.fit(y)`` on a contiguous float array."""
    return model.fit(np.ascontiguousarray(y, dtype=np.float64))


@contextmanager
def _silenced() -> Iterator[None]:
    """Silence statsforecast's convergence chatter, which would flood a user's console."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
