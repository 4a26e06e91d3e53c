"""A comparison as it was asked for: one frozen, JSON-friendly request shared by pages, CLI, jobs and workers.

The series travels as a :class:`SeriesRef`, a content-addressed snapshot file
(the cleaned series, pickled once when the request is made), so a queued job
survives a server restart, a worker process can rebuild its data alone, and a
stored run can be submitted again exactly as it was asked.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from rnnkit.data.series import TimeSeries
from rnnkit.errors import RnnkitError
from rnnkit.snapshots import SNAPSHOT_SUFFIX, prune_snapshots, touch
from rnnkit.models.spec import ModelSpec
from rnnkit.splits import SplitSpec
from rnnkit.training_config import TrainingConfig
from rnnkit.windows.spec import WindowSpec

REQUEST_VERSION = 1
DEFAULT_INTERVAL = 0.9
CACHE_SNAPSHOT_DAYS = 7  # library calls' snapshots in the user cache are deleted after a week unused


class SnapshotError(RnnkitError):
    """A request's series snapshot is missing, changed or unreadable."""


@dataclass(frozen=True)
class SeriesRef:
    """Where a request's series lives: a snapshot file and the SHA-256 of its bytes.

    ``target``, ``inputs`` and ``target_sha256`` (the times and values of the target
    alone) let two runs be compared without loading their snapshots: a run with other
    input features has another snapshot, but the same test targets. Empty in requests
    stored before they existed.
    """

    path: str
    sha256: str
    name: str
    rows: int
    target: str = ""
    inputs: tuple[str, ...] = ()
    target_sha256: str = ""


def target_digest(series: TimeSeries) -> str:
    """SHA-256 of the series' timestamps and target values: what every forecaster is scored against."""
    target = series.frame[series.target]
    digest = hashlib.sha256(series.frame.index.asi8.tobytes())
    digest.update(target.to_numpy(dtype="float64").tobytes())
    return digest.hexdigest()


def snapshot_dir(root: Path | None = None) -> Path:
    """Where snapshots are written: ``root/series`` (a run store's folder) or the user cache."""
    if root is not None:
        return Path(root) / "series"
    from rnnkit.datasets.download import cache_dir

    return cache_dir() / "series"


def save_series(series: TimeSeries, folder: Path | None = None) -> SeriesRef:
    """Write ``series`` once, named by its content; the same series always gives the same reference."""
    payload = pickle.dumps(series, protocol=5)
    digest = hashlib.sha256(payload).hexdigest()
    folder = snapshot_dir() if folder is None else Path(folder)
    path = folder / f"{digest[:32]}{SNAPSHOT_SUFFIX}"
    if not touch(path):  # in use again: pruning goes by age, so a reused snapshot must look new
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        partial.write_bytes(payload)
        os.replace(partial, path)  # readers never see half a snapshot
    return SeriesRef(str(path), digest, series.name, len(series), series.target, tuple(series.inputs),
                     target_digest(series))


def load_series(ref: SeriesRef) -> TimeSeries:
    """The snapshot behind ``ref``, checked against its hash; cached per process."""
    return _cached_load(ref.path, ref.sha256)


@lru_cache(maxsize=8)
def _cached_load(path: str, sha256: str) -> TimeSeries:
    try:
        payload = Path(path).read_bytes()
    except OSError as error:
        raise SnapshotError(f"The data this comparison was asked with is gone ({path}: {error.strerror}).",
                            "Load the data again and start a new comparison.") from error
    if hashlib.sha256(payload).hexdigest() != sha256:
        raise SnapshotError(f"The data file of this comparison ({path}) has changed since it was asked for.",
                            "Load the data again and start a new comparison.")
    try:
        series = pickle.loads(payload)  # noqa: S301 - our own file, verified by its hash above
    except Exception as error:  # noqa: BLE001 - written by another rnnkit version, for example
        raise SnapshotError(f"The data of this comparison cannot be read by this rnnkit version ({error}).",
                            "Load the data again and start a new comparison.") from error
    if not isinstance(series, TimeSeries):
        raise SnapshotError(f"{path} does not hold a series.", "Load the data again and start a new comparison.")
    return series


@dataclass(frozen=True)
class ComparisonRequest:
    """Everything needed to run (or run again) one comparison, and nothing live.

    ``folds`` chooses the evaluation: None for a single split, ``k`` for a
    rolling-origin backtest of ``k`` folds. ``calendar`` adds the frequency's
    calendar encodings as inputs. ``period`` overrides the seasonal period the
    frequency implies.
    """

    series: SeriesRef
    window: WindowSpec
    models: tuple[ModelSpec, ...]
    split: SplitSpec = SplitSpec()
    training: TrainingConfig = TrainingConfig()
    scaling: str = "minmax"
    calendar: bool = False
    period: int | None = None
    interval: float = DEFAULT_INTERVAL
    folds: int | None = None
    statistical: bool = True
    forecast: bool = True
    forecast_steps: int | None = None
    label: str = ""
    extras: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def mode(self) -> str:
        return "single split" if self.folds is None else f"backtest ({self.folds} folds)"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only; :meth:`from_dict` gives back an equal request."""
        split = {k: (str(v) if isinstance(v, pd.Timestamp) else v) for k, v in dataclasses.asdict(self.split).items()}
        return {
            "version": REQUEST_VERSION,
            "series": dataclasses.asdict(self.series),
            "window": dataclasses.asdict(self.window),
            "models": [m.to_dict() for m in self.models],
            "split": split,
            "training": self.training.to_dict(),
            "scaling": self.scaling,
            "calendar": self.calendar,
            "period": self.period,
            "interval": self.interval,
            "folds": self.folds,
            "statistical": self.statistical,
            "forecast": self.forecast,
            "forecast_steps": self.forecast_steps,
            "label": self.label,
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ComparisonRequest:
        """Rebuild a request; refuses newer versions and missing parts with a message."""
        version = values.get("version")
        if version != REQUEST_VERSION:
            raise RnnkitError(f"This comparison was asked with request version {version!r}; rnnkit reads "
                              f"version {REQUEST_VERSION}.", "Start a new comparison with the same settings.")
        try:
            return cls(
                series=SeriesRef(**(values["series"] | {"inputs": tuple(values["series"].get("inputs", ()))})),
                window=WindowSpec(**values["window"]),
                models=tuple(ModelSpec.from_dict(m) for m in values["models"]), split=SplitSpec(**values["split"]),
                training=TrainingConfig(**values["training"]), scaling=values["scaling"],
                calendar=bool(values["calendar"]), period=values["period"], interval=float(values["interval"]),
                folds=values["folds"], statistical=bool(values["statistical"]), forecast=bool(values["forecast"]),
                forecast_steps=values["forecast_steps"], label=str(values.get("label", "")),
            )
        except (KeyError, TypeError) as error:
            raise RnnkitError(f"The stored request is incomplete ({type(error).__name__}: {error}).",
                              "Start a new comparison with the same settings.") from error


def make_request(series: TimeSeries, window: WindowSpec, models: list[ModelSpec] | tuple[ModelSpec, ...],
                 split: SplitSpec = SplitSpec(), training: TrainingConfig = TrainingConfig(),
                 scaling: str = "minmax", *, calendar: bool = False, snapshot_folder: Path | None = None,
                 **options: Any) -> ComparisonRequest:
    """A request for ``series`` (snapshotted into ``snapshot_folder``, the user cache by default).

    Snapshots in the user cache belong to no stored run, so those unused for
    :data:`CACHE_SNAPSHOT_DAYS` days are pruned here.
    """
    if snapshot_folder is None:
        prune_snapshots(snapshot_dir(), set(), CACHE_SNAPSHOT_DAYS * 86_400)
    ref = save_series(series, snapshot_folder)
    return ComparisonRequest(series=ref, window=window, models=tuple(models), split=split, training=training,
                             scaling=scaling, calendar=calendar, **options)
