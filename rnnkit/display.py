"""Making user-provided text safe to show: Markdown escaping and plain text for plotly.

File names, column names, run names and error messages that quote them come from
users. Streamlit renders most text as Markdown, so a file named
``![t](http://host/x.png).csv`` would load a remote image; plotly reads ``<a href>``
in titles and legends. No Streamlit here: pages call these before displaying.
"""

from __future__ import annotations

import html
import re
import string
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_BACKTICKS = re.compile(r"`+")


def _one_line(text: object) -> str:
    """``text`` as a string on one line: control characters and line breaks become spaces."""
    return _LINE_BREAKS.sub(" ", str(text))


def escape_markdown(text: object) -> str:
    """``text`` as Markdown that shows exactly these characters: every ASCII punctuation mark escaped.

    CommonMark lets any ASCII punctuation be escaped with a backslash, which turns off
    links, images, emphasis, HTML, Streamlit's ``:colour[...]`` and ``:emoji:`` directives
    and ``$`` math alike. Line breaks become spaces and the ends are trimmed, so a name
    cannot start a new block (a heading, a list, an indented code block).
    """
    return _PUNCTUATION.sub(r"\\\1", _one_line(text).strip())


def code_span(text: object) -> str:
    """``text`` as an inline code span: nothing inside is interpreted, whatever backticks it holds."""
    value = _one_line(text)
    longest = max((len(run) for run in _BACKTICKS.findall(value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value.strip() else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def plain_text(text: object) -> str:
    """``text`` for a plotly title, legend or hover label: its HTML-like tags shown, not followed."""
    return html.escape(_one_line(text), quote=False)


def time_span(index: pd.DatetimeIndex) -> str:
    """``first → last`` of a time index, without a time of day when every timestamp is at midnight."""
    if not len(index):
        return "no rows"
    midnight = bool((index.normalize() == index).all())
    pattern = "%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M" if (index.second == 0).all() else "%Y-%m-%d %H:%M:%S"
    return f"{index[0].strftime(pattern)} → {index[-1].strftime(pattern)}"



def dates_without_midnight(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for display: a time index or time column shown as dates when every value is at midnight.

    Monthly or yearly data otherwise reads ``1985-01-01 00:00:00`` in every row of a table.
    """
    import pandas as pd

    def midnight(times: pd.DatetimeIndex) -> bool:
        return bool(len(times)) and bool((times.normalize() == times).all())

    shown = frame.copy()
    if isinstance(shown.index, pd.DatetimeIndex) and midnight(shown.index):
        shown.index = shown.index.strftime("%Y-%m-%d")
    for column in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[column]) and midnight(pd.DatetimeIndex(shown[column])):
            shown[column] = shown[column].dt.strftime("%Y-%m-%d")
    return shown
