"""The settings a user gets when they press Train without touching anything, and why each was chosen.

The choices are general rules, not tuned to one dataset: the window covers
two seasonal cycles, calendar inputs are added when the frequency has a
season, the models learn the change from the last value (residual heads),
training runs long with early stopping and a learning-rate schedule, and the
batch size follows the number of training windows. Every choice comes with a
sentence the dashboard and the command line show, and every one can be changed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rnnkit.baselines import seasonal_period
from rnnkit.data.calendar import default_kinds, with_calendar_features
from rnnkit.data.series import TimeSeries
from rnnkit.errors import RnnkitError
from rnnkit.models.presets import DEFAULT_HYBRID, DEFAULT_MODELS, parse_model_list
from rnnkit.models.spec import ModelSpec
from rnnkit.splits import SplitSpec
from rnnkit.training import TrainingConfig
from rnnkit.windows.spec import WindowSpec

#: Lookback bounds (rows): long enough to see a pattern, short enough to train quickly on a CPU.
MIN_LOOKBACK, MAX_LOOKBACK = 12, 240
DEFAULT_EPOCHS = 200
DEFAULT_PATIENCE = 20
DEFAULT_LEARNING_RATE = 3e-3


@dataclass(frozen=True)
class Defaults:
    """A complete default configuration and one reason per choice."""

    window: WindowSpec
    split: SplitSpec
    training: TrainingConfig
    models: tuple[str, ...]
    calendar: bool
    reasons: tuple[str, ...]


def default_lookback(period: int | None, n_rows: int) -> tuple[int, str]:
    """Two seasonal cycles, within bounds and at most a fifth of the series, with the reason."""
    ceiling = max(min(MAX_LOOKBACK, n_rows // 5), 1)
    wanted = 2 * period if period and period > 1 else 2 * MIN_LOOKBACK
    lookback = max(min(wanted, ceiling), min(MIN_LOOKBACK, ceiling))
    why = f"two seasonal cycles of {period} rows" if period and period > 1 else \
        "the series has no known season, so a short general window"
    if lookback < wanted:
        why += f", capped at {'a fifth of the series' if lookback == ceiling < MAX_LOOKBACK else MAX_LOOKBACK}"
    elif lookback > wanted:
        why += f", raised to the minimum of {MIN_LOOKBACK}"
    return lookback, f"lookback {lookback} rows: {why}"


def default_batch_size(n_train_windows: int) -> int:
    """About 30 updates per epoch, as a power of two from 16 to 256: small series still learn, large ones run fast."""
    size = 16
    while size < 256 and n_train_windows / (size * 2) >= 30:
        size *= 2
    return size


def suggest_defaults(series: TimeSeries, window: WindowSpec | None = None,
                     split: SplitSpec | None = None) -> Defaults:
    """The default configuration for ``series``.

    ``window`` and ``split`` are a built-in dataset's own task (for example
    Jena's 24 hours ahead, or the classic first-250-months split): its step,
    delay, horizon and split are kept, because they define the question; the
    lookback and everything else follow the rules.
    """
    frequency = series.report.frequency
    period = seasonal_period(frequency)
    reasons: list[str] = []
    if window is None:
        lookback, why = default_lookback(period, len(series))
        window = WindowSpec(lookback)
        reasons.append(why + "; predicting the next row")
    else:
        lookback, why = default_lookback(period, len(series))
        lookback = max(lookback, window.step)
        window = WindowSpec(lookback, window.step, window.delay, window.horizon)
        reasons.append(why + f"; step {window.step}, delay {window.delay} and horizon {window.horizon}: the "
                       "dataset's own task")
    split = split or SplitSpec()
    calendar = bool(default_kinds(frequency)) and period is not None
    reasons.append("calendar features on: the frequency has a season, so the models see where in it each row "
                   "falls" if calendar else "no calendar features: the series has no regular calendar season")
    try:
        train_rows = split.bounds(series.frame.index).train_stop
    except RnnkitError:  # an impossible split is reported by the window plan, not here
        train_rows = int(round(len(series) * split.train))
    n_train = max(train_rows - window.span + 1, 1)
    batch = default_batch_size(n_train)
    training = TrainingConfig(epochs=DEFAULT_EPOCHS, batch_size=batch, learning_rate=DEFAULT_LEARNING_RATE,
                              patience=DEFAULT_PATIENCE, early_stopping=True, reduce_lr=True)
    reasons.append(f"up to {DEFAULT_EPOCHS} epochs with early stopping on validation loss (patience "
                   f"{DEFAULT_PATIENCE}, best weights kept) and the learning rate ({DEFAULT_LEARNING_RATE:g}) "
                   "halved whenever validation stalls")
    updates = -(-n_train // batch)
    aim = ("about 30 updates per epoch" if batch not in (16, 256) or 20 <= updates <= 45 else
           "the smallest batch, as small series learn best with small batches" if batch == 16 else
           "the largest batch, as large series train faster with large batches")
    reasons.append(f"batch size {batch}: {aim} ({updates:,} update{'s' if updates != 1 else ''} per epoch over "
                   f"about {n_train:,} training windows)")
    models, why_models = default_models(series, window, split, period)
    reasons.append(why_models)
    return Defaults(window, split, training, models, calendar, tuple(reasons))


def default_models(series: TimeSeries, window: WindowSpec, split: SplitSpec,
                   period: int | None) -> tuple[tuple[str, ...], str]:
    """The default models, and why: the tuned GRU and LSTM, plus the AutoTheta hybrid where its base can run."""
    from rnnkit.prepare import window_counts
    from rnnkit.statistical import hybrid_skip_reasons

    why = ("models " + " and ".join(DEFAULT_MODELS) + ": recurrent networks whose head adds the last value, so "
           "they learn the change (the strongest general configuration rnnkit measured)")
    try:
        bounds = split.bounds(series.frame.index)
        counts = window_counts(len(series), window, bounds)
    except RnnkitError:
        return DEFAULT_MODELS, why
    anchors = max(counts["val"], counts["test"])
    if counts["val"] < 1 or "auto_theta" in hybrid_skip_reasons(window, bounds.train_stop, anchors, period):
        return DEFAULT_MODELS, why + f"; no {DEFAULT_HYBRID}: its AutoTheta base cannot run on this split"
    return (*DEFAULT_MODELS, DEFAULT_HYBRID), (why + f", and {DEFAULT_HYBRID}: a GRU that learns AutoTheta's "
                                              "errors (the M4-winning idea), chosen only if validation prefers it")


@dataclass(frozen=True)
class DefaultSetup:
    """A comparison ready to run as a user gets it with no changes: inputs, window, split, models and training."""

    series: TimeSeries
    window: WindowSpec
    split: SplitSpec
    training: TrainingConfig
    specs: tuple[ModelSpec, ...]
    defaults: Defaults


def default_setup(series: TimeSeries, window: WindowSpec | None = None, split: SplitSpec | None = None, *,
                  calendar: bool | None = None, models: str | None = None, seed: int | None = None) -> DefaultSetup:
    """The defaults for ``series`` applied: calendar inputs added when chosen, presets resolved, seed set.

    ``window`` and ``split`` are a built-in dataset's task (see :func:`suggest_defaults`);
    ``calendar`` and ``models`` (comma-separated presets) override the defaults' choice.
    The command line and the accuracy benchmark both start from here, so they agree.
    """
    defaults = suggest_defaults(series, window, split)
    use_calendar = defaults.calendar if calendar is None else calendar
    inputs = with_calendar_features(series) if use_calendar else series
    specs = tuple(parse_model_list(models or ",".join(defaults.models)))
    training = defaults.training if seed is None else replace(defaults.training, seed=seed)
    return DefaultSetup(inputs, defaults.window, defaults.split, training, specs, defaults)
