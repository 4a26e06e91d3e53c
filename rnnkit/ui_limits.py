"""How large a training request the dashboard accepts, and why: one place for the numbers.

A dashboard server is shared: one user's 10,000-epoch run of eight 1,024-unit layers
would hold its CPUs for days. These bounds keep every run affordable; the library
and the CLI have none, so a user with their own machine can go further there.
"""

from __future__ import annotations

from dataclasses import dataclass

from rnnkit.errors import RnnkitError


@dataclass(frozen=True)
class Limit:
    """The largest value the dashboard accepts for one input, and the reason it stops there.

    The widgets take any value and the page calls :meth:`check`: a number input's own
    maximum only marks a larger value with a small red icon and silently keeps the old one.
    """

    maximum: int
    why: str

    def help(self, what: str) -> str:
        """``what`` the input means, then its bound and the reason, for a widget's help text."""
        return f"{what} At most {self.maximum:,} on this shared server: {self.why}"

    def check(self, value: float, name: str) -> None:
        """Raise a :class:`RnnkitError` naming ``name``, the value, the bound and why, when ``value`` is over."""
        if value > self.maximum:
            raise RnnkitError(f"{name} is {value:,.0f}, over this shared server's limit of {self.maximum:,}.",
                              f"Use at most {self.maximum:,}: {self.why}")


EPOCHS = Limit(1_000, "each epoch is a full pass over the training windows, and early stopping "
                      "usually ends a run long before. Train longer with the CLI.")
LOOKBACK = Limit(5_000, "every window holds this many rows, so memory and time per epoch grow with it. "
                        "For a longer memory, keep every step-th row or resample to a coarser frequency.")
LAYERS = Limit(4, "each recurrent layer runs sequentially over the window; deeper stacks train much "
                  "slower and rarely forecast one series better.")
UNITS = Limit(512, "a recurrent layer's time and memory grow with the square of its units.")
FORECAST = Limit(1_000, "each step past the end of the data builds on the forecasts before it, so time grows "
                         "with it and errors compound.")
BATCH = Limit(8_192, "a batch of windows is held in memory at once, so memory grows with it.")
HORIZON = Limit(1_000, "each window predicts this many rows at once, so the output layer and every target grow "
                       "with it. For a longer forecast, predict a coarser series or use a delay.")

#: Seconds between redraws of a running job's live panel (Train and Search pages). The server and the
#: browser redraw it on the machine that trains, so every redraw takes CPU from the job: every 2 s instead
#: of every 1 s halves what an open tab costs between epochs (bench/throughput.py, case e), and the panel
#: still shows each epoch within 2 s.
LIVE_REFRESH_S = 2.0
