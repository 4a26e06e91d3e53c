"""The loss chart shown while a comparison trains: a small static SVG instead of a plotly figure.

The Train page draws it again whenever a model finishes an epoch. As a plotly figure it
made the browser load plotly.js (about 1.5 CPU seconds) the moment the page opened, and
build the figure anew (about 90 ms) at every epoch, on the same cores the training runs on
(bench/throughput.py, case e). This SVG is a few kilobytes of text that the browser draws
in milliseconds. The finished comparison keeps its interactive plotly charts (rnnkit.figures).
No Streamlit here: the page shows the string with ``st.image``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from rnnkit.display import plain_text
from rnnkit.figures import BASELINE_COLOUR, MODEL_COLOURS

#: Loss histories by model name: (training loss per epoch, validation loss per epoch).
Histories = Mapping[str, tuple[Sequence[float], Sequence[float]]]

_FONT = 13
_CHAR_W = 7.2  # a rough width of one character at _FONT, to lay out the legend
_LEFT, _RIGHT, _BOTTOM = 64, 16, 44
_GRID, _TEXT, _MUTED = "#e5e7eb", "#31333f", "#6b7280"
_MAX_MARKERS = 60  # more epochs than this: the training line is drawn without its dots


def _drawable(value: object) -> bool:
    """Whether ``value`` can sit on a log axis: a finite, positive number."""
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def _log_ticks(low: float, high: float) -> list[float]:
    """Tick values for a log axis from ``low`` to ``high``: decades, else 1-2-5, else finer, else both ends."""
    for mantissas in ((1.0,), (1.0, 2.0, 5.0), (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0)):
        ticks = [m * 10.0 ** e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
                 for m in mantissas if low <= m * 10.0 ** e <= high]
        if len(ticks) >= 3 or (len(ticks) >= 2 and mantissas != (1.0,)):
            return ticks
    return [low, high]


def _epoch_ticks(last: int) -> list[int]:
    """At most about ten whole-epoch ticks from 1 to ``last``."""
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10**9) if last / s <= 10)
    return [1] + list(range(step, last + 1, step)) if step > 1 else list(range(1, last + 1))


def _segments(points: list[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """Runs of drawable points: a missing value (not finite, or not positive on a log axis) breaks the line."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        if y is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((x, y))
    return [run for run in runs if run]


def _legend(names: list[str], width: int) -> tuple[list[str], int]:
    """The legend's SVG items (one per model, then the line styles), wrapped to ``width``; its height."""
    items = [(name, MODEL_COLOURS[i % len(MODEL_COLOURS)], "") for i, name in enumerate(names)]
    items += [("training", BASELINE_COLOUR, ""), ("validation", BASELINE_COLOUR, ' stroke-dasharray="6 4"')]
    parts, x, y = [], float(_LEFT), 18.0
    for label, colour, dash in items:
        span = 30 + len(label) * _CHAR_W + 18
        if x + span > width - _RIGHT and x > _LEFT:
            x, y = float(_LEFT), y + 20
        parts.append(f'<line x1="{x:.0f}" y1="{y - 4:.0f}" x2="{x + 24:.0f}" y2="{y - 4:.0f}" stroke="{colour}" '
                     f'stroke-width="2.5"{dash}/><text x="{x + 30:.0f}" y="{y:.0f}">{plain_text(label)}</text>')
        x += span
    return parts, int(y + 16)


FOLD_MARK = " · fold "  # how a backtest names a model's task on one fold (rnnkit.tasks.ModelTask.label)
_MIN_PLOT_H = 160


def model_of(label: str) -> str:
    """The model a progress label belongs to: ``"gru · fold 3"`` → ``"gru"``."""
    return label.split(FOLD_MARK, 1)[0]


def live_loss_svg(histories: Histories, width: int = 1000, height: int = 320) -> str:
    """Training (solid, dotted at each epoch) and validation (dashed) loss per model on a log axis, as SVG.

    Colours follow the comparison's charts (``rnnkit.figures``), one per model in the
    order given: a backtest's folds of one model share its colour and legend item.
    Values that are not finite or not positive (a diverging model) leave a gap. With no
    epoch yet, the chart says it is waiting for the first one.
    """
    models = list(dict.fromkeys(model_of(label) for label in histories))
    colours = {model: MODEL_COLOURS[i % len(MODEL_COLOURS)] for i, model in enumerate(models)}
    legend, top = _legend(models, width)
    height = max(height, top + _MIN_PLOT_H + _BOTTOM)  # a long legend (many models) never squeezes the plot away
    plot_w, plot_h = width - _LEFT - _RIGHT, height - top - _BOTTOM
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" font-family="sans-serif" font-size="{_FONT}" fill="{_TEXT}">',
             "<title>Loss per epoch while training runs</title>",
             f'<rect width="{width}" height="{height}" fill="#ffffff"/>']
    values = [float(v) for loss, val in histories.values() for v in (*loss, *val) if _drawable(v)]
    epochs = max((max(len(loss), len(val)) for loss, val in histories.values()), default=0)
    if not values:
        parts += legend if models else []
        parts.append(f'<text x="{width / 2:.0f}" y="{top + plot_h / 2:.0f}" text-anchor="middle" '
                     f'fill="{_MUTED}">Waiting for the first epoch…</text></svg>')
        return "".join(parts)
    low, high = min(values), max(values)
    if high / low < 1.5:  # a nearly flat loss: show at least a factor of 1.5 around it
        middle = math.sqrt(low * high)
        low, high = middle / math.sqrt(1.5), middle * math.sqrt(1.5)
    pad = (math.log10(high) - math.log10(low)) * 0.06
    log_low, log_high = math.log10(low) - pad, math.log10(high) + pad
    last = max(epochs, 2)

    def px(epoch: float) -> float:
        return _LEFT + 8 + (plot_w - 16) * (epoch - 1) / (last - 1)

    def py(value: float) -> float:
        return top + plot_h * (log_high - math.log10(value)) / (log_high - log_low)

    parts += legend
    parts.append(f'<rect x="{_LEFT}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="{_GRID}"/>')
    for tick in _log_ticks(10 ** log_low, 10 ** log_high):
        y = py(tick)
        parts.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_LEFT + plot_w}" y2="{y:.1f}" stroke="{_GRID}"/>'
                     f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{_MUTED}">{tick:.3g}</text>')
    for tick in _epoch_ticks(epochs or 1):
        x = px(tick)
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle" fill="{_MUTED}">{tick}</text>')
    parts.append(f'<text x="{_LEFT + plot_w / 2:.0f}" y="{height - 6}" text-anchor="middle">epoch</text>'
                 f'<text transform="translate(16 {top + plot_h / 2:.0f}) rotate(-90)" text-anchor="middle">'
                 "loss (scaled, log axis)</text>")
    for label, (loss, val) in histories.items():
        colour = colours[model_of(label)]
        for series, dash in ((val, ' stroke-dasharray="6 4"'), (loss, "")):
            points = [(px(e + 1), py(v) if _drawable(v) else None) for e, v in enumerate(series)]
            for run in _segments(points):
                if len(run) > 1:
                    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                    parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"'
                                 f' stroke-linejoin="round"{dash}/>')
                if dash and len(run) == 1:  # a lone validation value: a ring, so it shows before epoch 2
                    parts.append(f'<circle cx="{run[0][0]:.1f}" cy="{run[0][1]:.1f}" r="4" fill="none" '
                                 f'stroke="{colour}" stroke-width="1.5"/>')
                elif not dash and (len(run) == 1 or len(series) <= _MAX_MARKERS):
                    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in run]
    parts.append("</svg>")
    return "".join(parts)
