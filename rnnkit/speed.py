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

#: ``auto`` picks per shape; ``fast`` forces rnnkit's compiled loop with XLA (even where compiling
#: costs more than it saves, or where dropout makes XLA's masks differ); ``plain`` runs that loop
#: one batch per call without XLA; ``keras`` is Keras' own ``model.fit`` with a default compile
#: (always the engine for windows too large to hold in memory, which it streams; ``auto`` adds XLA).
EXECUTIONS: tuple[str, ...] = ("auto", "fast", "plain", "keras")

#: XLA compiles a model's step in 1–8 s on this CPU and then saves roughly 0.1–0.25 ms per time
#: step of a batch (bench/training.py: 2–5× at 15–52 steps, 1.5–2.5× at 120–240): it is chosen
#: once epochs × batches per epoch × steps exceeds this.
XLA_MIN_BATCH_STEPS = 30_000
#: Without XLA, batches slower than this gain nothing from the compiled loop (its per-epoch saving
#: is lost in the batch time, and Keras' pipeline gathers the next batch on the other core), so
#: they go through ``model.fit``.
LOOP_MAX_BATCH_S = 0.05
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
    batches = max(1, -(-n_windows // batch_size))
    seconds = batch_seconds(batch_size, steps, features, units)
    pays = epochs * batches * steps >= XLA_MIN_BATCH_STEPS
    auto_jit = pays and not dropout
    why_not = "" if auto_jit else "; no XLA: " + (
        "dropout (XLA draws other masks)" if dropout else "too little training to earn back its compile time")
    if execution == "plain":
        spe, jit, engine, reason = 1, False, "loop", "compiled loop, one batch per call, no XLA"
    elif execution == "keras" or not in_memory:
        jit = auto_jit if execution == "auto" else False
        spe, engine = 1, "keras"
        reason = ("Keras fit (chosen)" if execution == "keras" else
                  "Keras fit streams windows too many to hold in memory") + (", XLA" if jit else why_not)
    else:
        jit = auto_jit or execution == "fast"
        spe = max(1, min(MAX_STEPS_PER_EXECUTION, int(BLOCK_SECONDS / seconds), batches))
        if jit or execution == "fast" or seconds <= LOOP_MAX_BATCH_S:
            engine = "loop"
            reason = f"compiled loop, {spe} batch{'es' if spe > 1 else ''} per call" + (", XLA" if jit else why_not)
        else:
            spe, engine = 1, "keras"
            reason = f"Keras fit: batches of ~{seconds:.2f} s gain nothing from the compiled loop{why_not}"
    if steps_per_execution is not None and engine == "loop":
        spe = min(steps_per_execution, batches)
    return ExecutionPlan(engine, spe, jit if jit_compile is None else jit_compile, reason)
