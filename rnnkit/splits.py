"""Chronological train / validation / test splits, by fractions, row counts or dates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rnnkit.errors import SplitError

if TYPE_CHECKING:  # pandas loads when a split is resolved: the landing page shows dataset defaults without it
    import pandas as pd

SPLIT_NAMES = ("train", "val", "test")


@dataclass(frozen=True)
class SplitBounds:
    """Row boundaries: train is ``[0, train_stop)``, val ``[train_stop, val_stop)``, test ``[val_stop, n_rows)``."""

    train_stop: int
    val_stop: int
    n_rows: int

    def rows(self, name: str) -> tuple[int, int]:
        """``(start, stop)`` rows of the split called ``name``."""
        return {
            "train": (0, self.train_stop),
            "val": (self.train_stop, self.val_stop),
            "test": (self.val_stop, self.n_rows),
        }[name]

    def sizes(self) -> dict[str, int]:
        return {name: stop - start for name, (start, stop) in ((n, self.rows(n)) for n in SPLIT_NAMES)}


@dataclass(frozen=True)
class SplitSpec:
    """How to cut a series in time order. Exactly one way is used:

    * dates, when ``test_start`` is set: train is before ``val_start`` (or
      ``test_start`` without validation), test from ``test_start`` on;
    * row counts, when ``train_rows`` is set: the first ``train_rows`` rows,
      then ``val_rows``, then the rest (the classic "first 250 months" split);
    * fractions otherwise: ``train`` and ``val`` of the rows, test the rest.
    """

    train: float = 0.7
    val: float = 0.15
    train_rows: int | None = None
    val_rows: int = 0
    val_start: str | pd.Timestamp | None = None
    test_start: str | pd.Timestamp | None = None

    def __post_init__(self) -> None:
        if self.test_start is None and self.train_rows is None:
            if not (0 < self.train < 1) or not (0 <= self.val < 1) or self.train + self.val > 1:
                raise SplitError(
                    f"A split of {self.train:.0%} training and {self.val:.0%} validation is impossible "
                    f"(train={self.train:g}, val={self.val:g}).",
                    "Give training more than 0% and less than 100%, and validation 0% or more, adding up to 100% "
                    "at most; the test part is what is left.",
                )

    def bounds(self, index: pd.DatetimeIndex) -> SplitBounds:
        """Resolve the spec against a series' time index."""
        n = len(index)
        if self.test_start is not None:
            test = _position(index, self.test_start, "test_start")
            val = _position(index, self.val_start, "val_start") if self.val_start is not None else test
            train_stop, val_stop = val, test
        elif self.train_rows is not None:
            train_stop, val_stop = self.train_rows, self.train_rows + self.val_rows
        else:
            train_stop, val_stop = int(round(n * self.train)), int(round(n * (self.train + self.val)))
        if not 0 < train_stop <= val_stop <= n:
            raise SplitError(
                f"The split leaves train {train_stop}, validation {val_stop - train_stop} and test "
                f"{n - val_stop} of {n} rows.",
                "Choose split points inside the series, in order: validation after training, "
                "test after validation.",
            )
        return SplitBounds(train_stop, val_stop, n)


def _position(index: pd.DatetimeIndex, when: str | pd.Timestamp, name: str) -> int:
    """Row of the first timestamp at or after ``when``."""
    import pandas as pd

    try:
        stamp = pd.Timestamp(when)
    except (ValueError, TypeError) as error:
        raise SplitError(f"{name} {when!r} is not a date.", "Write it as YYYY-MM-DD.") from error
    if (stamp.tzinfo is None) != (index.tz is None):  # series times are naive UTC when the file had offsets
        stamp = stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp.tz_localize(index.tz)
    return int(index.searchsorted(stamp, side="left"))
