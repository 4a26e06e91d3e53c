"""The window spec: which rows a model sees and which rows it must predict.

Index convention (the same as the classic Jena generator of *Deep Learning with
Python*): every window has an **anchor** ``t``, the first row *after* the input
window. With ``n_steps = ceil(lookback / step)``::

    rows  ..., t-lookback, ..., t-step, | t, ..., t+delay, ..., t+delay+horizon-1
    inputs    x  (every `step` rows)  x |
    targets                             |          y   ...   y   (horizon rows)

    inputs  = rows t - lookback + k*step  for k = 0 .. n_steps-1   (all < t)
    targets = rows t + delay + j          for j = 0 .. horizon-1

So ``delay=0, horizon=1, step=1`` is "the previous ``lookback`` points predict
the next one" (the electric-production layout with ``lookback=15``), and
``lookback=1440, step=6, delay=144`` is Chollet's Jena setting: ten days of
hourly inputs, a target 144 rows (24 hours) after the anchor.
"""

from __future__ import annotations

from dataclasses import dataclass

from rnnkit.errors import SeriesTooShortError, WindowError


@dataclass(frozen=True)
class WindowSpec:
    """Validated window settings, in rows of the series.

    Args:
        lookback: how many rows back the inputs reach (the window's length in rows).
        step: sampling rate inside the window; every ``step``-th row is an input.
        delay: rows between the anchor (first row after the window) and the first target.
        horizon: how many consecutive rows are predicted at once (direct multi-step).
    """

    lookback: int
    step: int = 1
    delay: int = 0
    horizon: int = 1

    def __post_init__(self) -> None:
        for name in ("lookback", "step", "delay", "horizon"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise WindowError(f"{name} must be a whole number, got {value!r}.",
                                  f"Set {name} to an integer number of rows.")
        if self.lookback < 1:
            raise WindowError(f"lookback must be at least 1 row, got {self.lookback}.",
                              "Set lookback to the number of past rows the model should see.")
        if self.step < 1:
            raise WindowError(f"step must be at least 1, got {self.step}.",
                              "Use step 1 to keep every row, or a larger step to subsample the window.")
        if self.step > self.lookback:
            raise WindowError(
                f"step ({self.step}) is larger than lookback ({self.lookback}), so the window holds one row.",
                "Make lookback a multiple of step, larger than it.")
        if self.delay < 0:
            raise WindowError(f"delay cannot be negative, got {self.delay}.",
                              "Use delay 0 to predict the row right after the window.")
        if self.horizon < 1:
            raise WindowError(f"horizon must be at least 1, got {self.horizon}.",
                              "Use horizon 1 for one-step forecasts, more for direct multi-step.")

    @property
    def n_steps(self) -> int:
        """Time steps per input window: ``ceil(lookback / step)``."""
        return -(-self.lookback // self.step)

    @property
    def span(self) -> int:
        """Rows one window covers from its first input to its last target."""
        return self.lookback + self.delay + self.horizon

    def count(self, n_rows: int) -> int:
        """Number of windows in ``n_rows`` consecutive rows."""
        return max(0, n_rows - self.span + 1)

    def require_rows(self, n_rows: int, what: str = "The series") -> None:
        """Raise :class:`SeriesTooShortError` unless ``n_rows`` holds at least one window."""
        if self.count(n_rows) < 1:
            raise SeriesTooShortError(
                f"{what} has {n_rows} rows, but one window needs lookback {self.lookback} + "
                f"delay {self.delay} + horizon {self.horizon} = {self.span} rows.",
                "Shorten the lookback, delay or horizon, or use a longer series.",
            )
