"""How to execute training for a window shape: the settings measured fastest on a CPU (bench/training.py).

Pure and TensorFlow-free: :func:`plan_execution` turns a shape (windows, steps,
features, batch size, model width) and the user's overrides into an
:class:`ExecutionPlan` that :mod:`rnnkit.training` applies. No setting it picks
changes what is learned beyond float round-off: the batches, their order and the
maths stay the same (``tests/engine/test_training.py`` checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

from rnnkit.errors import RnnkitError

#: ``auto`` picks per shape; ``fast`` forces the per-shape settings of rnnkit's compiled loop
#: (XLA even where compiling costs more than it saves); ``plain`` runs that loop one batch per
#: call without XLA; ``keras`` is Keras' own ``model.fit`` (always used for windows too large
#: to hold in memory, which it streams).
EXECUTIONS: tuple[str, ...] = ("auto", "fast", "plain", "keras")

#: XLA is used for windows of at most this many steps: measured 2–8× faster per batch at 15 and
#: 52 steps, slower at 120 and 240 (bench/training.py).
XLA_MAX_STEPS = 64
#: XLA compiles for about 3 s per model on this CPU and then saves about 0.1 ms per time step of
#: a batch: it pays once epochs × batches per epoch × steps exceeds this.
XLA_MIN_BATCH_STEPS = 30_000
#: Progress and cancellation are checked between compiled blocks of batches; a block should take
#: about this long at most, so that a cancel lands soon after it is asked for.
BLOCK_SECONDS = 0.25
#: Cost model for one time step of one batch without XLA (seconds): a fixed dispatch cost plus
#: a cost per multiply-add, fitted conservatively to bench/training.py's GRU figures.
STEP_OVERHEAD_S = 1e-4
MULTIPLY_ADD_S = 5e-9
MAX_STEPS_PER_EXECUTION = 64


@dataclass(frozen=True)
class ExecutionPlan:
    """Execution settings for one training run.

    Args:
        engine: ``"loop"`` (rnnkit's compiled loop over in-memory windows) or
            ``"keras"`` (``model.fit``, streaming batches when needed).
        steps_per_execution: batches run per compiled call (cancellation and
            progress are checked between calls).
        jit_compile: compile each training step with XLA.
        reason: one line on why these settings, for logs and the benchmark.
    """

    engine: str
    steps_per_execution: int
    jit_compile: bool
    reason: str


def batch_seconds(batch_size: int, steps: int, features: int, units: tuple[int, ...]) -> float:
    """Estimated seconds of one training batch without XLA, from the cost model above."""
    widths = (features, *units)
    multiply_adds = sum((widths[i] + u) * u for i, u in enumerate(units)) * batch_size
    return steps * len(units) * STEP_OVERHEAD_S + steps * multiply_adds * MULTIPLY_ADD_S


def plan_execution(n_windows: int, steps: int, features: int, batch_size: int, units: tuple[int, ...] = (32,),
                   epochs: int = 1, dropout: bool = False, execution: str = "auto", in_memory: bool = True,
                   steps_per_execution: int | None = None, jit_compile: bool | None = None) -> ExecutionPlan:
    """The execution settings for ``n_windows`` windows of ``steps`` × ``features`` in batches of ``batch_size``.

    Args:
        n_windows: training windows (a block is at most one epoch).
        steps: time steps per window.
        features: input columns per step.
        batch_size: windows per batch.
        units: the recurrent layers' units (bidirectional layers count twice).
        epochs: planned epochs (XLA must earn back its compile time).
        dropout: the model draws dropout masks; XLA draws different ones than plain
            TensorFlow, so it is never chosen automatically then (results would change).
        execution: one of :data:`EXECUTIONS`.
        in_memory: whether the windows fit in memory (otherwise only ``keras`` can stream them).
        steps_per_execution, jit_compile: expert overrides; ``None`` keeps the plan's choice.
    """
    if execution not in EXECUTIONS:
        raise RnnkitError(f"Unknown execution {execution!r}.", f"Use one of: {', '.join(EXECUTIONS)}.")
    if not in_memory or execution == "keras":
        why = "chosen" if in_memory else "the windows are too many to hold in memory, so Keras streams them"
        return ExecutionPlan("keras", 1, bool(jit_compile), f"Keras fit ({why})")
    batches = max(1, -(-n_windows // batch_size))
    if execution == "plain":
        spe, jit, reason = 1, False, "compiled loop, one batch per call, no XLA"
    else:
        per_block = int(BLOCK_SECONDS / batch_seconds(batch_size, steps, features, units))
        spe = max(1, min(MAX_STEPS_PER_EXECUTION, per_block, batches))
        short = steps <= XLA_MAX_STEPS
        pays = epochs * batches * steps >= XLA_MIN_BATCH_STEPS
        jit = short and (execution == "fast" or (pays and not dropout))
        why_not = ("" if jit else "; no XLA: " + ("windows too long" if not short else
                                                   "dropout (XLA draws other masks)" if dropout else
                                                   "too little training to earn back its compile time"))
        reason = f"compiled loop, {spe} batch{'es' if spe > 1 else ''} per call{', XLA' if jit else why_not}"
    return ExecutionPlan("loop", min(steps_per_execution, batches) if steps_per_execution else spe,
                         jit if jit_compile is None else jit_compile, reason)
