"""Size limits for files read from users, shared by the library and the app."""

from __future__ import annotations

from dataclasses import dataclass

MEGABYTE = 1024 * 1024

#: Largest magnitude a model column may hold: errors are squared and summed over
#: up to millions of rows to score forecasts, and that must not overflow float64.
MAX_ABS_VALUE = 1e150


@dataclass(frozen=True)
class ReadLimits:
    """Upper bounds that keep a bad or hostile upload from exhausting memory.

    The defaults admit the full Jena climate file (about 41 MB, 420,551 rows,
    15 columns) with room to spare. ``.streamlit/config.toml`` sets the same
    byte limit (``server.maxUploadSize`` is in megabytes).
    """

    max_megabytes: int = 200
    max_rows: int = 2_000_000
    max_columns: int = 200

    @property
    def max_bytes(self) -> int:
        return self.max_megabytes * MEGABYTE


DEFAULT_LIMITS = ReadLimits()
