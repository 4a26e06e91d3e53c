"""Named presets: the classic textbook and course configurations, reproduced exactly, and tuned ones."""

from __future__ import annotations

from typing import Any

from rnnkit.errors import RnnkitError
from rnnkit.models.spec import ModelSpec

_STACK_45: dict[str, Any] = dict(cell="lstm", units=(45, 45, 45, 45), dropout=0.2)

PRESETS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("simple_rnn", cell="simple_rnn", units=(3,), activation="tanh", dropout=0.2,
                  description="SimpleRNN(3, tanh) + Dropout 0.2 → Dense(1): the electric-production "
                              "exercise with 15 time steps."),
        ModelSpec("lstm", **_STACK_45,
                  description="Four stacked LSTM(45), each followed by Dropout 0.2 → Dense(1): the "
                              "classic stock-price LSTM."),
        ModelSpec("lstm_14", **_STACK_45, horizon=14,
                  description="The same four-layer LSTM(45) stack with a Dense(14) head: 14 steps "
                              "predicted at once (direct multi-step)."),
        ModelSpec("lstm_td", **_STACK_45, head="time_distributed",
                  description="The four-layer LSTM(45) stack returning sequences, with "
                              "TimeDistributed(Dense(1)): a prediction at every input step."),
        ModelSpec("gru", cell="gru", units=(256,), dropout=0.2,
                  description="GRU(256) + Dropout 0.2 → Dense(1)."),
        ModelSpec("jena_lstm", cell="lstm", units=(32,), input_dropout=0.2, recurrent_dropout=0.2,
                  description="Chollet's Jena model: LSTM(32, dropout=0.2, recurrent_dropout=0.2) → Dense(1)."),
        ModelSpec("jena_gru", cell="gru", units=(32,),
                  description="Chollet's first recurrent Jena baseline: GRU(32) → Dense(1)."),
        ModelSpec("tuned_gru", cell="gru", units=(64,), residual=True,
                  description="rnnkit's tuned GRU: GRU(64) → Dense(horizon) plus the last input value, so "
                              "it learns the change; best with calendar features and early stopping."),
        ModelSpec("tuned_gru_x3", cell="gru", units=(64,), residual=True, ensemble=3,
                  description="A seed ensemble of tuned_gru: three GRU(64) + last value networks trained with "
                              "different seeds, predicting their mean; steadier than one, at three times the cost."),
        ModelSpec("tuned_lstm_x3", cell="lstm", units=(64,), residual=True, ensemble=3,
                  description="A seed ensemble of tuned_lstm: three LSTM(64) + last value networks trained with "
                              "different seeds, predicting their mean."),
        ModelSpec("tuned_lstm", cell="lstm", units=(64,), residual=True,
                  description="rnnkit's tuned LSTM: LSTM(64) → Dense(horizon) plus the last input value, so "
                              "it learns the change; best with calendar features and early stopping."),
        ModelSpec("hybrid_ets_gru", cell="gru", units=(64,), hybrid="auto_ets",
                  description="A hybrid in the spirit of the M4 winner: AutoETS forecasts, and a GRU(64) → "
                              "Dense(horizon) learns AutoETS's errors and corrects them."),
        ModelSpec("hybrid_theta_gru", cell="gru", units=(64,), hybrid="auto_theta",
                  description="AutoTheta forecasts, and a GRU(64) → Dense(horizon) learns AutoTheta's errors "
                              "and corrects them."),
    )
}

#: The models a default comparison trains: a GRU and an LSTM that predict the change from the last value.
DEFAULT_MODELS: tuple[str, ...] = ("tuned_gru", "tuned_lstm")
#: Added to the defaults where its AutoTheta base can run (see :func:`rnnkit.defaults.default_models`): a GRU on
#: AutoTheta's errors had the lowest validation RMSE on 2 of 5 benchmark series (electric −14%, nile −1% against
#: tuned_gru) and is simply not chosen elsewhere (bench/hybrid.py).
DEFAULT_HYBRID = "hybrid_theta_gru"
#: The presets that reproduce published configurations.
CLASSIC_PRESETS: tuple[str, ...] = ("simple_rnn", "lstm", "lstm_14", "lstm_td", "gru", "jena_lstm", "jena_gru")


def get_preset(name: str) -> ModelSpec:
    """The preset called ``name``, or an error listing the presets."""
    try:
        return PRESETS[name]
    except KeyError:
        raise RnnkitError(f"There is no model preset called {name!r}.",
                          f"Choose from: {', '.join(PRESETS)}.") from None


def parse_model_list(text: str) -> list[ModelSpec]:
    """Comma-separated preset names (``"gru,lstm,simple_rnn"``) to specs, refusing duplicates."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise RnnkitError("No models were given.", f"Name one or more of: {', '.join(PRESETS)}.")
    if len(set(names)) != len(names):
        raise RnnkitError(f"A model is listed twice in {text!r}.", "Name each model once.")
    return [get_preset(n) for n in names]
