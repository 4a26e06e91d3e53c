"""Settings a page keeps while its user visits other pages, remembered per dataset.

Streamlit forgets the value of every widget a run does not draw, so a user who
sets epochs and presets on the Train page, looks at the Data page and comes back
finds the defaults again. :class:`PageMemory` copies the page's widget values into
a key of its own at the top of each run of the page, and puts them back when the
widgets were forgotten. Values are kept per dataset (:func:`series_scope`): another
series gets its own suggested defaults, and going back to a series brings back
what was set for it. Works on any mutable mapping (Streamlit's session state in
the app, a dict in tests), so it holds no Streamlit import.
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
    """The widget values under ``keys`` of one page, saved and restored in ``state`` for each scope.

    A key ending in ``*`` stands for every key with that prefix (widgets keyed by their dataset).
    """

    def __init__(self, state: MutableMapping[str, Any], page: str, keys: Iterable[str]) -> None:
        self.state, self._patterns = state, tuple(keys)
        self._slot = f"_page_memory_{page}"

    def _matches(self, key: str) -> bool:
        return any(key.startswith(p[:-1]) if p.endswith("*") else key == p for p in self._patterns)

    def _present(self) -> list[str]:
        return [key for key in list(self.state) if isinstance(key, str) and self._matches(key)]

    def sync(self, scope: str) -> list[str]:
        """Save the values the widgets hold; put back those forgotten since. Returns the keys put back.

        Call it at the top of the page's run, before its widgets are drawn: a widget's
        value is then either the user's latest (saved here) or gone (restored here).
        When ``scope`` differs from the last run's, the widget values left over
        belong to the other dataset: they are dropped and not saved, and what was set
        for ``scope`` before (if anything) comes back, else the widgets' defaults.
        """
        memory: dict[str, dict[str, Any]] = self.state.setdefault(self._slot, {})
        last = self.state.get(self._slot + "_scope")
        if last is not None and last != scope:
            for key in self._present():
                self.state.pop(key, None)
        saved = memory.pop(scope, {})
        present = self._present()
        for key in present:
            # Written back too: a widget not drawn by the last run (a page stopped early) keeps its key in the
            # state, but Streamlit would draw it at its default; a value set through the state wins (the
            # "interrupt the widget clean-up" advice of Streamlit's multipage docs).
            saved[key] = self.state[key] = self.state[key]
        restored = [key for key in saved if key not in present]
        for key in restored:
            self.state[key] = saved[key]
        memory[scope] = saved  # re-inserted last: the most recently used
        for old in list(memory)[:-MAX_SCOPES]:
            del memory[old]
        self.state[self._slot + "_scope"] = scope
        return restored

    def remember(self, scope: str, values: dict[str, Any]) -> None:
        """Set ``values`` for ``scope`` from elsewhere (another page's button): the page shows them when drawn next."""
        memory: dict[str, dict[str, Any]] = self.state.setdefault(self._slot, {})
        memory.setdefault(scope, {}).update(values)
        for key in values:
            self.state.pop(key, None)  # a value left by the page's last run must not win over the new one

    def forget(self, scope: str) -> None:
        """Drop what was saved for ``scope`` and the widgets' current values: the defaults come back."""
        self.state.get(self._slot, {}).pop(scope, None)
        for key in self._present():
            self.state.pop(key, None)
