"""Model specs → compiled-ready Keras 3 models. Imports Keras: load only to train or predict."""

from __future__ import annotations

import keras

from rnnkit.models.layers import LastValue
from rnnkit.models.spec import CELLS, ModelSpec


def build_model(spec: ModelSpec, input_shape: tuple[int, int], horizon: int) -> keras.Model:
    """Build the network for windows of ``input_shape`` (steps, features) predicting ``horizon`` steps.

    ``spec.horizon`` wins over ``horizon`` when the spec fixes one (the 14-step classic).
    """
    cell_class = getattr(keras.layers, CELLS[spec.cell])
    inputs = keras.Input(shape=input_shape, name="window")
    x = inputs
    if spec.conv_filters:
        x = keras.layers.Conv1D(spec.conv_filters, spec.conv_kernel_size, padding="causal",
                                activation="relu", name="conv1d")(x)
    for i, units in enumerate(spec.units):
        last = i == len(spec.units) - 1
        layer = cell_class(
            units,
            activation=spec.activation,
            dropout=spec.input_dropout,
            recurrent_dropout=spec.recurrent_dropout,
            return_sequences=not last or spec.head == "time_distributed",
            name=f"{spec.cell}_{i + 1}",
        )
        if spec.bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{i + 1}")
        x = layer(x)
        if spec.dropout:
            x = keras.layers.Dropout(spec.dropout, name=f"dropout_{i + 1}")(x)
    if spec.head == "time_distributed":
        outputs = keras.layers.TimeDistributed(keras.layers.Dense(1), name="per_step")(x)
    else:
        width = spec.horizon or horizon
        outputs = keras.layers.Dense(width, name="forecast")(x)
        if spec.residual:  # the target is always input channel 0
            last = LastValue(0, width, name="last_value")(inputs)
            outputs = keras.layers.Add(name="plus_last_value")([outputs, last])
    return keras.Model(inputs, outputs, name=spec.name)
