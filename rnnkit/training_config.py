"""How to fit every model in a comparison: a frozen, validated, JSON-friendly settings object.

Kept apart from the training code so requests, results and pages can carry
training settings without importing TensorFlow or scikit-learn.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rnnkit.errors import RnnkitError
from rnnkit.speed import EXECUTIONS

OPTIMIZERS: tuple[str, ...] = ("adam", "rmsprop", "sgd")
LOSSES: tuple[str, ...] = ("mse", "mae", "huber")


@dataclass(frozen=True)
class TrainingConfig:
    """How to fit every model in a comparison."""

    epochs: int = 20
    batch_size: int = 32
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    loss: str = "mse"
    early_stopping: bool = True
    patience: int = 5
    seed: int = 42
    deterministic: bool = True
    #: halve the learning rate when validation loss stalls for ``patience // 3`` epochs (at least 2)
    reduce_lr: bool = True
    #: how to run training (rnnkit.speed.EXECUTIONS): "auto" picks per window shape; experts may
    #: force "fast", "plain" or "keras", and override the batches per compiled call or XLA.
    execution: str = "auto"
    steps_per_execution: int | None = None
    jit_compile: bool | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.epochs <= 10_000:
            raise RnnkitError(f"epochs is {self.epochs}.", "Use 1 to 10,000 epochs.")
        if not 1 <= self.batch_size <= 65_536:
            raise RnnkitError(f"batch size is {self.batch_size}.", "Use a batch size from 1 to 65,536.")
        if not 0 < self.learning_rate < 10:
            raise RnnkitError(f"learning rate is {self.learning_rate}.", "Use a small positive rate such as 0.001.")
        if self.optimizer not in OPTIMIZERS:
            raise RnnkitError(f"Unknown optimizer {self.optimizer!r}.", f"Use one of: {', '.join(OPTIMIZERS)}.")
        if self.loss not in LOSSES:
            raise RnnkitError(f"Unknown loss {self.loss!r}.", f"Use one of: {', '.join(LOSSES)}.")
        if not 0 <= self.seed < 2**32:
            raise RnnkitError(f"seed is {self.seed}.", "Use a whole number from 0 to 4,294,967,295.")
        if self.patience < 1:
            raise RnnkitError(f"patience is {self.patience}.", "Use a patience of 1 epoch or more.")
        if self.execution not in EXECUTIONS:
            raise RnnkitError(f"Unknown execution {self.execution!r}.", f"Use one of: {', '.join(EXECUTIONS)}.")
        if self.steps_per_execution is not None and not 1 <= self.steps_per_execution <= 10_000:
            raise RnnkitError(f"steps_per_execution is {self.steps_per_execution}.",
                              "Use 1 to 10,000 batches per compiled call, or leave it unset.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
