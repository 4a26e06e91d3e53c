"""Where datasets live: local copies (``RNNKIT_DATA_DIR``), the download cache, and pooch downloads."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import platformdirs

from rnnkit.errors import DatasetUnavailableError

#: Called with (bytes received, total bytes or 0 when unknown) during a download.
ProgressCallback = Callable[[int, int], None]

DATA_DIR_ENV = "RNNKIT_DATA_DIR"
CACHE_DIR_ENV = "RNNKIT_CACHE_DIR"
OFFLINE_ENV = "RNNKIT_OFFLINE"
DOWNLOAD_TIMEOUT_S = 30


def data_dir() -> Path | None:
    """The folder of local dataset copies named by ``RNNKIT_DATA_DIR``, if set and present."""
    value = os.environ.get(DATA_DIR_ENV)
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_dir() else None


def cache_dir() -> Path:
    """The download cache: ``RNNKIT_CACHE_DIR`` or the user cache folder (``~/.cache/rnnkit``)."""
    value = os.environ.get(CACHE_DIR_ENV)
    return Path(value).expanduser() if value else Path(platformdirs.user_cache_dir("rnnkit"))


def offline() -> bool:
    """True when ``RNNKIT_OFFLINE`` forbids downloads."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true", "yes"}


def find_local(names: tuple[str, ...]) -> Path | None:
    """The first of ``names`` present in the local data folder, then in the cache."""
    for folder in (data_dir(), cache_dir()):
        if folder is None:
            continue
        for name in names:
            if (folder / name).is_file():
                return folder / name
    return None


class _PoochProgress:
    """Adapts pooch's tqdm-like progress protocol to a plain callback."""

    def __init__(self, callback: ProgressCallback) -> None:
        self.callback = callback
        self.total = 0
        self.done = 0

    def update(self, n: int) -> None:
        self.done = min(self.done + n, self.total) if self.total else self.done + n
        self.callback(self.done, self.total or 0)

    def reset(self) -> None:
        self.done = 0

    def close(self) -> None:
        self.callback(self.total or self.done, self.total or self.done)


def download(
    url: str,
    filename: str,
    known_hash: str | None = None,
    progress: ProgressCallback | None = None,
    title: str = "the file",
) -> Path:
    """Download ``url`` into the cache as ``filename`` (once), verifying ``known_hash`` if given.

    Raises :class:`DatasetUnavailableError` with what to do when offline or when
    the server or checksum fails.
    """
    if offline():
        raise DatasetUnavailableError(
            f"Downloads are switched off ({OFFLINE_ENV} is set), and {title} has no local copy.",
            _manual_fix(url, filename),
        )
    import pooch  # imported here: only downloads need it (and requests), not every page
    import requests

    pooch.get_logger().setLevel("WARNING")  # we report downloads ourselves
    downloader = pooch.HTTPDownloader(
        progressbar=_PoochProgress(progress) if progress else False, timeout=DOWNLOAD_TIMEOUT_S
    )
    try:
        path = pooch.retrieve(
            url, known_hash, fname=filename, path=cache_dir(), downloader=downloader, progressbar=False
        )
    except requests.RequestException as error:
        raise DatasetUnavailableError(
            f"Could not download {title} from {url} ({_reason(error)}).", _manual_fix(url, filename)
        ) from error
    except ValueError as error:  # pooch: hash mismatch
        raise DatasetUnavailableError(
            f"The download of {title} from {url} does not match its known checksum, so it was discarded.",
            "Try again later, or " + _manual_fix(url, filename, capital=False),
        ) from error
    except OSError as error:
        raise DatasetUnavailableError(
            f"Could not save {title} into the cache folder {cache_dir()} ({error.strerror or error}).",
            f"Point {CACHE_DIR_ENV} at a writable folder, or " + _manual_fix(url, filename, capital=False),
        ) from error
    return Path(path)


def _manual_fix(url: str, filename: str, capital: bool = True) -> str:
    return (
        f"{'D' if capital else 'd'}ownload {url} yourself, save it as {filename} in a folder and set {DATA_DIR_ENV} "
        "to that folder, or upload the file on the Data page instead."
    )


def _reason(error: Exception) -> str:
    import requests

    if isinstance(error, requests.ConnectionError):
        return "no connection to the server"
    if isinstance(error, requests.Timeout):
        return "the server did not answer in time"
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return f"HTTP {error.response.status_code}"
    return type(error).__name__
