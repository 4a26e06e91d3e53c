"""Model specs (no TensorFlow) and their Keras builders (``rnnkit.models.build``, imports Keras)."""
