"""Which data is active in a dashboard session, and when the Data page may replace it.

Two situations where simply showing the Data page must not change the active data:

* a file uploader forgets its file when its page is left, so the last upload is kept
  (:class:`ActiveData.keep_upload`, small files only) and shown again on return;
* a new tab can take up the data of its last comparison from the Train page
  (:meth:`ActiveData.reuse`). The Data page then still shows its default dataset;
  that stays a view, not a choice, until the user changes something there
  (:meth:`ActiveData.holds_reused`).

Works on any mutable mapping (Streamlit's session state in the app, a dict in
tests), so it holds no Streamlit import.
"""

from __future__ import annotations

from collections.abc import Hashable, MutableMapping
from typing import Any

#: uploads up to this size are kept in the session for a return to the Data page (larger: upload again)
KEEP_UPLOAD_BYTES = 20 * 1024 * 1024

_KEPT = "kept_upload"  # (name, bytes) of the last upload
_REUSED = "reused_data"  # present while the active data is a past comparison's: what the Data page first showed
_NOTHING_SHOWN = "nothing shown"


class ActiveData:
    """The session's active series and label, the kept upload, and the hold of reused data, in ``state``."""

    def __init__(self, state: MutableMapping[str, Any]) -> None:
        self.state = state

    @property
    def label(self) -> str | None:
        return self.state.get("dataset_label")

    def keep_upload(self, name: str, data: bytes, limit: int = KEEP_UPLOAD_BYTES) -> bool:
        """Keep the uploaded file for a return to the Data page when it is at most ``limit`` bytes; whether kept."""
        if len(data) > limit:
            self.state.pop(_KEPT, None)  # never fall back to an older, smaller file
            return False
        self.state[_KEPT] = (name, data)
        return True

    def kept_upload(self) -> tuple[str, bytes] | None:
        return self.state.get(_KEPT)

    def drop_kept_upload(self) -> None:
        """The user replaced or removed the file in the uploader: only what is in it now counts."""
        self.state.pop(_KEPT, None)

    def remove_upload(self, name: str) -> None:
        """Forget the kept file and, when it is the active data, the active data too: nothing takes its place."""
        self.state.pop(_KEPT, None)
        if self.label == name and "defaults" not in self.state:  # an upload (built-in data carries its defaults)
            for key in ("series", "dataset_label"):
                self.state.pop(key, None)

    def reuse(self, series: Any, label: str) -> None:
        """Make a past comparison's series active (from the Train page), held until the Data page is used."""
        self.state.update(series=series, dataset_label=label)
        self.state.pop("defaults", None)
        self.state[_REUSED] = None  # the Data page has not shown anything yet

    @property
    def reused(self) -> bool:
        return _REUSED in self.state

    def holds_reused(self, selection: Hashable) -> bool:
        """Whether reused data stays active while the Data page shows ``selection`` (what its widgets say).

        The first selection shown after :meth:`reuse` is a view and holds it; any other
        is the user's choice, which ends the hold.
        """
        if _REUSED not in self.state:
            return False
        shown = self.state[_REUSED]
        if shown is None or shown == selection:
            self.state[_REUSED] = selection
            return True
        del self.state[_REUSED]
        return False

    def shown_nothing(self) -> None:
        """The Data page's first view after :meth:`reuse` showed no data: the next choice is the user's."""
        if _REUSED in self.state and self.state[_REUSED] is None:
            self.state[_REUSED] = _NOTHING_SHOWN

    def release(self) -> None:
        """End the hold at the user's request: the data the Data page shows becomes active."""
        self.state.pop(_REUSED, None)
