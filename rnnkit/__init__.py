"""rnnkit: forecast a time series with recurrent networks and measure them honestly against naive baselines.

The package is layered one way: ``data`` (files → validated series) →
``windows`` (series → model inputs and targets) → models, training and
evaluation. Nothing here imports Streamlit, and TensorFlow is imported only by
the modules that build or run models.
"""

__version__ = "0.1.0"

import os as _os

# Quiet TensorFlow's C++ start-up logs whichever module imports it first (must precede that import).
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
