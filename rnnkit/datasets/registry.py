"""The built-in datasets: what each is, where it comes from, and sensible defaults."""

from __future__ import annotations

from dataclasses import dataclass

from rnnkit.errors import UnknownDatasetError
from rnnkit.splits import SplitSpec
from rnnkit.windows.spec import WindowSpec

JENA_VARIABLES: tuple[str, ...] = (
    "p (mbar)", "T (degC)", "Tpot (K)", "Tdew (degC)", "rh (%)", "VPmax (mbar)", "VPact (mbar)",
    "VPdef (mbar)", "sh (g/kg)", "H2OC (mmol/mol)", "rho (g/m**3)", "wv (m/s)", "max. wv (m/s)",
    "wd (deg)",
)


@dataclass(frozen=True)
class DatasetInfo:
    """A built-in dataset's description, origin and defaults.

    ``local_files`` are looked up, in order, in ``RNNKIT_DATA_DIR`` and then in
    the download cache; ``url`` is the canonical download, saved as ``filename``.
    """

    key: str
    title: str
    description: str
    source: str
    url: str | None
    filename: str | None
    sha256: str | None
    frequency: str
    default_target: str
    default_features: tuple[str, ...]
    window: WindowSpec
    split: SplitSpec
    local_files: tuple[str, ...]
    size: str


DATASETS: dict[str, DatasetInfo] = {
    "electric": DatasetInfo(
        key="electric",
        title="US electric production",
        description=(
            "Monthly industrial production index of US electric and gas utilities since 1985 "
            "(not seasonally adjusted): a strongly seasonal series with a trend."
        ),
        source="FRED series IPG2211A2N, Board of Governors of the Federal Reserve System",
        url="https://fred.stlouisfed.org/graph/fredgraph.csv?id=IPG2211A2N",
        filename="IPG2211A2N.csv",
        sha256=None,  # FRED revises the series, so every download differs
        frequency="monthly",
        default_target="IPG2211A2N",
        default_features=(),
        window=WindowSpec(lookback=15, step=1, delay=0, horizon=1),
        # The classic split trains on the first 250 months; the last 24 of them validate.
        split=SplitSpec(train_rows=226, val_rows=24),
        local_files=("Electric_Production.csv", "IPG2211A2N.csv"),
        size="about 400 rows, 1 column",
    ),
    "jena": DatasetInfo(
        key="jena",
        title="Jena climate 2009–2016",
        description=(
            "14 weather variables (temperature, pressure, humidity, wind...) recorded every "
            "10 minutes at the Max Planck Institute for Biogeochemistry in Jena."
        ),
        source="Max Planck Institute for Biogeochemistry, as packaged for the Keras examples",
        url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/jena_climate_2009_2016.csv.zip",
        filename="jena_climate_2009_2016.csv.zip",
        sha256=None,
        frequency="every 10 minutes",
        default_target="T (degC)",
        default_features=tuple(v for v in JENA_VARIABLES if v != "T (degC)"),
        window=WindowSpec(lookback=1440, step=6, delay=144, horizon=1),
        split=SplitSpec(train=0.5, val=0.25),
        local_files=("jena_climate_2009_2016.csv", "jena_climate_2009_2016.csv.zip"),
        size="420,551 rows, 14 columns",
    ),
    "stocks": DatasetInfo(
        key="stocks",
        title="Stock prices",
        description=(
            "Daily open, high, low, close and volume. By default Google (GOOG) 2012–2017 as in the "
            "classic RNN exercise, which predicts the opening price; any ticker can be downloaded."
        ),
        source="Yahoo Finance daily prices (the Deep Learning A-Z course files for GOOG 2012–2017)",
        url=None,  # downloaded per ticker through yfinance
        filename=None,
        sha256=None,
        frequency="business days",
        default_target="Open",
        default_features=(),
        window=WindowSpec(lookback=60, step=1, delay=0, horizon=1),
        split=SplitSpec(val_start="2016-07-01", test_start="2017-01-01"),
        local_files=("Google_Stock_Price_Train.csv", "Google_Stock_Price_Test.csv"),
        size="1,278 rows, 5 columns (GOOG 2012–2017)",
    ),
}

#: Files that stand in for Jena 2009–2016 when it cannot be had: the 2020 year of the same station.
JENA_2020_FILES: tuple[str, ...] = ("weather.csv",)


def get_info(key: str) -> DatasetInfo:
    """The registry entry for ``key``, or a clear error listing the keys."""
    try:
        return DATASETS[key]
    except KeyError:
        raise UnknownDatasetError(
            f"There is no built-in dataset called {key!r}.",
            f"Choose one of: {', '.join(DATASETS)}.",
        ) from None
