"""Model specs validate their settings; presets build the classic architectures exactly."""

from __future__ import annotations

import pytest

from rnnkit.errors import RnnkitError
from rnnkit.models.presets import CLASSIC_PRESETS, PRESETS, parse_model_list
from rnnkit.models.spec import ModelSpec, ModelSpecError

keras = pytest.importorskip("keras")
from rnnkit.models.build import build_model  # noqa: E402


@pytest.mark.parametrize(
    ("name", "input_shape", "horizon", "params", "layers"),
    [
        ("simple_rnn", (15, 1), 1, 19, ["SimpleRNN", "Dropout", "Dense"]),
        # LSTM: 4 gates × (units × (inputs + units) + units); layer 1 sees 1 feature, the others 45.
        ("lstm", (60, 1), 1, 4 * (45 * (1 + 45) + 45) + 3 * 4 * (45 * (45 + 45) + 45) + 46,
         ["LSTM", "Dropout"] * 4 + ["Dense"]),
        ("gru", (15, 1), 1, 3 * 256 * (1 + 256 + 2) + 257, ["GRU", "Dropout", "Dense"]),
        ("jena_lstm", (240, 14), 1, 4 * 32 * (14 + 32 + 1) + 33, ["LSTM", "Dense"]),
        ("jena_gru", (240, 14), 1, 3 * 32 * (14 + 32 + 2) + 33, ["GRU", "Dense"]),
    ],
)
def test_classic_presets_build_exactly(name: str, input_shape, horizon: int, params: int, layers: list[str]) -> None:
    model = build_model(PRESETS[name], input_shape, horizon)
    assert [type(layer).__name__ for layer in model.layers[1:]] == layers
    assert model.count_params() == params


def test_lstm_presets() -> None:
    stack = build_model(PRESETS["lstm"], (60, 1), 1)
    assert [layer.units for layer in stack.layers if type(layer).__name__ == "LSTM"] == [45, 45, 45, 45]
    assert all(layer.rate == 0.2 for layer in stack.layers if type(layer).__name__ == "Dropout")
    direct = build_model(PRESETS["lstm_14"], (60, 1), 1)
    assert direct.output_shape == (None, 14)
    seq = build_model(PRESETS["lstm_td"], (60, 1), 1)
    assert type(seq.layers[-1]).__name__ == "TimeDistributed" and seq.output_shape == (None, 60, 1)
    jena = build_model(PRESETS["jena_lstm"], (240, 14), 1).layers[1]
    assert (jena.dropout, jena.recurrent_dropout) == (0.2, 0.2)


def test_variants_bidirectional_and_conv_front() -> None:
    spec = ModelSpec("custom", cell="gru", units=(8, 4), bidirectional=True, conv_filters=6, conv_kernel_size=3)
    model = build_model(spec, (20, 2), 3)
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    assert kinds == ["Conv1D", "Bidirectional", "Bidirectional", "Dense"]
    assert model.output_shape == (None, 3)
    assert spec.layer_summary == "Conv1D(6, 3) → Bidirectional GRU(8) → GRU(4) → Dense(horizon)"


def test_every_preset_is_described() -> None:
    for name in CLASSIC_PRESETS:
        assert PRESETS[name].description


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "bad name"}, "is not usable as a label"),
        ({"name": "m", "cell": "transformer"}, "Unknown cell 'transformer'"),
        ({"name": "m", "units": ()}, "has layers []"),
        ({"name": "m", "units": (5000,)}, "has layers [5000]"),
        ({"name": "m", "dropout": 1.0}, "dropout of model 'm' is 1.0"),
        ({"name": "m", "head": "time_distributed", "horizon": 3}, "time-distributed head and horizon 3"),
    ],
)
def test_impossible_specs(kwargs: dict, message: str) -> None:
    with pytest.raises(ModelSpecError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        ModelSpec(**kwargs)


def test_model_list_parsing() -> None:
    assert [s.name for s in parse_model_list("gru, lstm,simple_rnn")] == ["gru", "lstm", "simple_rnn"]
    with pytest.raises(RnnkitError, match="no model preset called 'transformer'"):
        parse_model_list("gru,transformer")
    with pytest.raises(RnnkitError, match="listed twice"):
        parse_model_list("gru,gru")


def test_spec_round_trips_through_a_dict() -> None:
    spec = PRESETS["jena_lstm"]
    assert ModelSpec.from_dict(spec.to_dict()) == spec
