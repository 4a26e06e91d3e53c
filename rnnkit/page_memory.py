"""Settings a page keeps for each dataset: another series gets its own defaults, and coming back restores them.

Streamlit keeps a widget's value across pages when the widget is declared with
``persist_state="session"`` (every setting on the Train, Search and Data pages
is). What it cannot know is that those values belong to one dataset: a user who
tunes epochs and presets for one series and then loads another should get the
other series' suggested defaults, and going back to the first should bring back
what was set for it. :class:`PageMemory` swaps the values when the dataset
changes (:func:`series_scope`). Works on any mutable mapping (Streamlit's session
state in the app, a dict in tests), so it holds no Streamlit import.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # no pandas here: the landing page uses this module and loads no pandas
    from rnnkit.data.series import TimeSeries

MAX_SCOPES = 8  # datasets whose settings are kept, most recently used first


def series_scope(series: TimeSeries) -> str:
    """What identifies a series for its settings: name, target, features, length and span."""
    index = series.frame.index
    span = f"{index[0]}..{index[-1]}" if len(index) else "empty"
    return "|".join([series.name, series.target, ",".join(series.features), str(len(series)), span])


class PageMemory:
    """The widget values under ``keys`` of one page, saved and restored in ``state`` for each scope."""

    def __init__(self, state: MutableMapping[str, Any], page: str, keys: Iterable[str]) -> None:
        self.state, self.keys = state, tuple(keys)
        self._slot = f"_page_memory_{page}"

    def _present(self) -> list[str]:
        return [key for key in self.keys if key in self.state]

    def sync(self, scope: str) -> list[str]:
        """Keep the page's values for ``scope``; when the scope changed, swap them. Returns the keys put back.

        Call it at the top of the page's run, before its widgets are drawn. The values
        the widgets hold are saved for the last scope. When ``scope`` is another one,
        they are taken off the widgets, and what was set for ``scope`` before (if
        anything) is put back through the state, else the widgets show their defaults.
        A key missing from the state (never drawn) is put back too.
        """
        memory: dict[str, dict[str, Any]] = self.state.setdefault(self._slot, {})
        last = self.state.get(self._slot + "_scope", scope)
        memory.setdefault(last, {}).update({key: self.state[key] for key in self._present()})
        if last != scope:
            for key in self._present():
                del self.state[key]
        saved = memory.pop(scope, {})
        restored = [key for key in saved if key not in self.state]
        for key in restored:
            self.state[key] = saved[key]
        memory[scope] = saved  # re-inserted last: the most recently used
        for old in list(memory)[:-MAX_SCOPES]:
            del memory[old]
        self.state[self._slot + "_scope"] = scope
        return restored

    def reset(self, scope: str, defaults: dict[str, Any]) -> None:
        """Back to ``defaults`` (the widgets' own) for ``scope``, before the widgets are drawn in this run.

        Assigned, not deleted: a browser showing the page keeps a deleted widget's value
        and sends it back (streamlit#16388), while an assigned value reaches the browser.
        Keys without a default are taken off.
        """
        self.state.get(self._slot, {}).pop(scope, None)
        for key in self._present():
            if key not in defaults:
                del self.state[key]
        for key, value in defaults.items():
            self.state[key] = value
