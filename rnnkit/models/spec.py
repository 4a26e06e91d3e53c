"""Validated model specs: plain data that describe a recurrent network, with no TensorFlow import."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rnnkit.errors import RnnkitError

CELLS: dict[str, str] = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
HEADS: tuple[str, ...] = ("dense", "time_distributed")
#: Statistical models a hybrid can be built on (see :mod:`rnnkit.hybrid`); AutoARIMA's search is too slow.
HYBRID_BASES: tuple[str, ...] = ("auto_ets", "auto_theta")
ACTIVATIONS: tuple[str, ...] = ("tanh", "relu", "sigmoid", "linear")
MAX_UNITS = 1024
MAX_LAYERS = 8


class ModelSpecError(RnnkitError):
    """A model spec with impossible settings."""


#: Names a model cannot take: the baselines and the fixed columns of the predictions table.
#: Most seeded copies in a seed ensemble: each one costs a full training.
MAX_ENSEMBLE = 10
RESERVED_NAMES: tuple[str, ...] = ("naive", "seasonal_naive", "drift", "linear", "auto_ets", "auto_theta",
                                   "auto_arima", "time", "step", "actual")


@dataclass(frozen=True)
class ModelSpec:
    """A recurrent network, layer by layer.

    Args:
        name: a unique label in a comparison (letters, digits, ``_`` and ``-``).
        cell: ``"simple_rnn"``, ``"lstm"`` or ``"gru"``.
        units: units of each stacked recurrent layer, first to last.
        activation: the cells' activation.
        dropout: rate of a ``Dropout`` layer after each recurrent layer (the classic configs).
        input_dropout: the cells' own ``dropout`` argument (on their inputs).
        recurrent_dropout: the cells' ``recurrent_dropout`` argument.
        bidirectional: wrap each recurrent layer in ``Bidirectional``.
        conv_filters: when > 0, a causal ``Conv1D`` front end with this many filters.
        conv_kernel_size: that front end's kernel size.
        head: ``"dense"``: ``Dense(horizon)`` on the last state (next-step when the
            horizon is 1, direct multi-step otherwise); ``"time_distributed"``: every
            layer returns sequences and ``TimeDistributed(Dense(1))`` predicts each step.
        horizon: a horizon this model is built for (the 14-step classic), or ``None``
            to follow the window's horizon.
        residual: add the last input value of the target to the dense head, so the
            network learns the change from it (helps trending series).
        ensemble: train this many independently seeded copies and predict their mean
            (a seed ensemble: steadier than one network, at that many times the cost).
        hybrid: a statistical model (``"auto_ets"`` or ``"auto_theta"``) whose forecast the
            network corrects: it learns that model's errors, and predicts its forecast plus
            the learnt error (see :mod:`rnnkit.hybrid`). The saved ``.keras`` file of a
            hybrid is the error network alone, in units of the training errors' spread.
        description: what the configuration is and where it comes from.
    """

    name: str
    cell: str = "lstm"
    units: tuple[int, ...] = (32,)
    activation: str = "tanh"
    dropout: float = 0.0
    input_dropout: float = 0.0
    recurrent_dropout: float = 0.0
    bidirectional: bool = False
    conv_filters: int = 0
    conv_kernel_size: int = 3
    head: str = "dense"
    horizon: int | None = None
    residual: bool = False
    ensemble: int = 1
    hybrid: str | None = None
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "units", tuple(int(u) for u in self.units))
        if not self.name or not all(ch.isalnum() or ch in "_-" for ch in self.name):
            raise ModelSpecError(f"Model name {self.name!r} is not usable as a label.",
                                 "Use letters, digits, '_' and '-' only, for example 'gru_64'.")
        if self.name in RESERVED_NAMES:
            raise ModelSpecError(f"Model name {self.name!r} is taken by a baseline or a results column.",
                                 f"Choose another name; these are reserved: {', '.join(RESERVED_NAMES)}.")
        if not 1 <= self.ensemble <= MAX_ENSEMBLE:
            raise ModelSpecError(f"Model {self.name!r} asks for an ensemble of {self.ensemble} copies.",
                                 f"Use 1 (a single network) to {MAX_ENSEMBLE} copies.")
        _choice("cell", self.cell, tuple(CELLS))
        _choice("head", self.head, HEADS)
        _choice("activation", self.activation, ACTIVATIONS)
        if not 1 <= len(self.units) <= MAX_LAYERS or not all(1 <= u <= MAX_UNITS for u in self.units):
            raise ModelSpecError(
                f"Model {self.name!r} has layers {list(self.units)}.",
                f"Give 1 to {MAX_LAYERS} recurrent layers of 1 to {MAX_UNITS} units each.",
            )
        for rate_name in ("dropout", "input_dropout", "recurrent_dropout"):
            rate = getattr(self, rate_name)
            if not 0.0 <= rate < 1.0:
                raise ModelSpecError(f"{rate_name} of model {self.name!r} is {rate}.",
                                     f"Use a {rate_name} rate from 0 up to (not including) 1, for example 0.2.")
        if self.conv_filters < 0 or self.conv_kernel_size < 1:
            raise ModelSpecError(f"Conv1D front end of {self.name!r}: {self.conv_filters} filters, "
                                 f"kernel {self.conv_kernel_size}.",
                                 "Use 0 filters for no front end, or a positive number and a kernel size of 1 or more.")
        if self.horizon is not None and self.horizon < 1:
            raise ModelSpecError(f"Model {self.name!r} has horizon {self.horizon}.",
                                 "Leave the horizon unset to follow the window, or set it to 1 or more.")
        if self.residual and self.head == "time_distributed":
            raise ModelSpecError(f"Model {self.name!r} combines a residual connection with a time-distributed head.",
                                 "Use the residual connection with the dense head only.")
        if self.hybrid is not None:
            _check_hybrid(self)
        if self.head == "time_distributed" and self.horizon not in (None, 1):
            raise ModelSpecError(f"Model {self.name!r} has a time-distributed head and horizon {self.horizon}.",
                                 "A time-distributed head predicts one step per input step: use horizon 1.")

    @property
    def layer_summary(self) -> str:
        """Short text such as ``"2×LSTM(45) + Dropout 0.2 → Dense(1)"``."""
        cell = CELLS[self.cell]
        sizes = sorted(set(self.units))
        layers = (f"{len(self.units)}×{cell}({self.units[0]})" if len(sizes) == 1 and len(self.units) > 1
                  else " → ".join(f"{cell}({u})" for u in self.units))
        if self.bidirectional:
            layers = f"Bidirectional {layers}"
        if self.conv_filters:
            layers = f"Conv1D({self.conv_filters}, {self.conv_kernel_size}) → {layers}"
        if self.dropout:
            layers += f" + Dropout {self.dropout:g}"
        head = "TimeDistributed(Dense(1))" if self.head == "time_distributed" else f"Dense({self.horizon or 'horizon'})"
        if self.residual:
            head += " + last value"
        ensemble = f"mean of {self.ensemble} seeded copies of " if self.ensemble > 1 else ""
        if self.hybrid:
            return f"{self.hybrid} + {ensemble}{layers} → {head} on its errors"
        return f"{ensemble}{layers} → {head}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ModelSpec:
        return cls(**{**values, "units": tuple(values.get("units", (32,)))})


def _check_hybrid(spec: ModelSpec) -> None:
    """A hybrid needs a known statistical base and a dense head that predicts errors, not levels."""
    _choice("hybrid", spec.hybrid or "", HYBRID_BASES)
    if spec.head != "dense":
        raise ModelSpecError(f"Hybrid model {spec.name!r} has a time-distributed head.",
                             "Use the dense head for a hybrid: it predicts the statistical model's errors.")
    if spec.residual:
        raise ModelSpecError(f"Hybrid model {spec.name!r} also adds the last input value to its output.",
                             "Turn the residual connection off: a hybrid predicts the statistical model's errors, "
                             "and the statistical forecast already carries the level.")


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ModelSpecError(f"Unknown {name} {value!r}.", f"Use one of: {', '.join(allowed)}.")
