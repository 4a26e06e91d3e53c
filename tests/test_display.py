"""User-provided text is shown as itself: never as a link, an image, emphasis or HTML."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

from rnnkit.display import code_span, escape_markdown, plain_text

MARKDOWN = MarkdownIt("commonmark").enable("table").enable("strikethrough")
HOSTILE = [
    "![t](http://host/x.png).csv",
    "[click](javascript:alert(1)).csv",
    "<img src=x onerror=alert(1)>.csv",
    "**bold** _it_ ~~gone~~ `code` $x^2$ :red[red] :material/home: &amp; #title",
    "# heading\n- list item\n\n    code block",
    "a | b |\n|---|---|",
    "back\\slash\\*not bold*",
]


def one_line(text: str) -> str:
    """What the reader should see: runs of line breaks and control characters as one space, ends trimmed."""
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", text).strip()


def rendered(markdown: str) -> str:
    return MARKDOWN.render(markdown)


def test_a_file_name_with_an_image_loads_no_image() -> None:
    name = "![t](http://host/x.png).csv"
    assert "<img" in rendered(name)  # the danger, unescaped
    assert rendered(escape_markdown(name)) == f"<p>{name}</p>\n"


def test_hostile_names_render_as_their_own_text() -> None:
    for name in HOSTILE:
        out = rendered(escape_markdown(name))
        assert out == f"<p>{escapeHtml(one_line(name))}</p>\n", name
        assert out.count("<") == 2  # <p> and </p>: no other tag


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60))
def test_any_text_renders_as_itself(text: str) -> None:
    shown = one_line(text)
    expected = f"<p>{escapeHtml(shown)}</p>\n" if shown else ""
    assert rendered(escape_markdown(text)) == expected


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=40))
def test_code_spans_hold_any_text(text: str) -> None:
    out = rendered(code_span(text))
    if text.strip(" "):
        assert out.startswith("<p><code>") and out.endswith("</code></p>\n")
        assert html.unescape(out[len("<p><code>"):-len("</code></p>\n")]).strip(" ") == text.strip(" ")


def test_plain_text_shows_tags_in_plotly() -> None:
    assert plain_text('<a href="http://host">x</a>') == '&lt;a href="http://host"&gt;x&lt;/a&gt;'
    assert plain_text("line\nbreak") == "line break"


def test_a_time_span_shows_a_time_of_day_only_where_there_is_one() -> None:
    import pandas as pd

    from rnnkit.display import time_span

    assert time_span(pd.date_range("1985-01-01", periods=3, freq="MS")) == "1985-01-01 → 1985-03-01"
    assert time_span(pd.date_range("2020-01-01", periods=3, freq="10min")) == "2020-01-01 00:00 → 2020-01-01 00:20"
    assert time_span(pd.DatetimeIndex(["2020-01-01 00:00:05"])) == "2020-01-01 00:00:05 → 2020-01-01 00:00:05"
    assert time_span(pd.DatetimeIndex([])) == "no rows"


def test_tables_show_dates_without_a_midnight_time_of_day() -> None:
    import pandas as pd

    from rnnkit.display import dates_without_midnight

    monthly = pd.DataFrame({"time": pd.date_range("1985-01-01", periods=3, freq="MS"), "v": [1.0, 2.0, 3.0]})
    assert dates_without_midnight(monthly)["time"].tolist() == ["1985-01-01", "1985-02-01", "1985-03-01"]
    assert list(dates_without_midnight(monthly.set_index("time")).index) == ["1985-01-01", "1985-02-01", "1985-03-01"]
    hourly = pd.DataFrame({"time": pd.date_range("2020-01-01", periods=3, freq="h"), "v": [1.0, 2.0, 3.0]})
    assert dates_without_midnight(hourly)["time"].equals(hourly["time"])  # a time of day is kept where there is one
    assert monthly["time"].dtype.kind == "M"  # the caller's frame is left alone
