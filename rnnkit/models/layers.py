"""Custom Keras layers, registered so that saved models load under ``safe_mode``. Imports Keras."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="rnnkit")
class LastValue(keras.layers.Layer):
    """The last time step of one input channel, repeated ``width`` times: ``(batch, width)``.

    Added to a Dense head it makes the network predict the change from the last
    observed value (a residual connection to persistence), which keeps trending
    series inside the range the network has learned.
    """

    def __init__(self, channel: int = 0, width: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.channel = channel
        self.width = width

    def call(self, inputs):
        last = inputs[:, -1, self.channel : self.channel + 1]
        return keras.ops.repeat(last, self.width, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.width)

    def get_config(self):
        return {**super().get_config(), "channel": self.channel, "width": self.width}
