"""Plotly figures for series, training and results. No Streamlit: the pages only display them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnkit.results import ComparisonResult
from rnnkit.display import plain_text
from rnnkit.downsample import downsample_xy, visible

MODEL_COLOURS = ("#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d")
BASELINE_COLOUR = "#6b7280"
SPLIT_SHADES = {"train": "rgba(37,99,235,0.06)", "val": "rgba(217,119,6,0.10)", "test": "rgba(5,150,105,0.10)"}


#: Above this many points a line is drawn with WebGL, which plotly's range slider cannot show.
WEBGL_POINTS = 20_000


def _colour(i: int) -> str:
    return MODEL_COLOURS[i % len(MODEL_COLOURS)]


def _line(x, y, **kwargs) -> go.Scatter | go.Scattergl:
    """A line of at most ``DISPLAY_POINTS`` points: long ones are downsampled for display (MinMaxLTTB)."""
    x, y = downsample_xy(x, y)
    trace = go.Scattergl if len(x) > WEBGL_POINTS else go.Scatter
    return trace(x=x, y=y, **kwargs)


def _layout(figure: go.Figure, title: str, height: int | None = None, slider: bool = False) -> go.Figure:
    """Title above the legend, legend above the plot; a range slider when every trace can show in it."""
    figure.update_layout(title=dict(text=title, y=0.98, yanchor="top", x=0.01), height=height,
                         margin=dict(l=10, r=10, t=80, b=10), hovermode="x unified",
                         legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0.01))
    if slider and not any(isinstance(t, go.Scattergl) for t in figure.data):
        figure.update_xaxes(rangeslider=dict(visible=True, thickness=0.08))
    return figure


def series_overview(frame: pd.DataFrame, columns: list[str] | None = None, title: str = "",
                    window: tuple | None = None) -> go.Figure:
    """Line chart of one or more columns with zoom and a range slider, only ``window`` (start, end) if given."""
    frame = visible(frame, window)
    figure = go.Figure()
    for i, column in enumerate(columns or list(frame.columns)[:1]):
        figure.add_trace(_line(frame.index, frame[column], name=plain_text(column), mode="lines",
                                line=dict(width=1.2, color=_colour(i))))
    return _layout(figure, plain_text(title), slider=True)


def loss_panels(result: ComparisonResult) -> go.Figure:
    """One panel per model: training and validation loss per epoch, on shared axes unless hybrids (own scale) mix in."""
    models = [m for m in result.models if m.history.get("loss")]
    cols = min(3, max(len(models), 1))
    rows = max(math.ceil(len(models) / cols), 1)
    mixed = len({m.spec.hybrid is None for m in models}) > 1  # a hybrid's loss is on its base's error scale
    figure = make_subplots(rows=rows, cols=cols, shared_xaxes=True, shared_yaxes=not mixed,
                           subplot_titles=[m.name for m in models] or ["no model trained"])
    for i, model in enumerate(models):
        row, col = i // cols + 1, i % cols + 1
        epochs = np.arange(1, len(model.history["loss"]) + 1)
        figure.add_trace(go.Scatter(x=epochs, y=model.history["loss"], name="training loss", mode="lines",
                                    line=dict(color=_colour(0)), legendgroup="loss", showlegend=i == 0),
                         row=row, col=col)
        if model.history.get("val_loss"):
            figure.add_trace(go.Scatter(x=epochs, y=model.history["val_loss"], name="validation loss",
                                        mode="lines", line=dict(color=_colour(1)), legendgroup="val",
                                        showlegend=i == 0), row=row, col=col)
        if model.best_epoch:
            figure.add_vline(x=model.best_epoch, line=dict(dash="dot", color=BASELINE_COLOUR), row=row, col=col)
    figure.update_yaxes(type="log", title_text="loss (scaled)", col=1)
    figure.update_xaxes(title_text="epoch", row=rows)
    figure.update_layout(height=260 * rows + 90, margin=dict(l=10, r=10, t=80, b=10),
                         legend=dict(orientation="h", x=0.01, y=1.0, yanchor="top", yref="container"))
    return figure


def loss_overlay(result: ComparisonResult, key: str = "val_loss") -> go.Figure:
    """All models' validation (or training) loss on one chart; training loss, so titled, without a validation part."""
    figure = go.Figure()
    if not any(model.history.get(key) for model in result.models):
        key = "loss"  # no validation part: the training loss is what there is
    hybrids = [m for m in result.models if m.spec.hybrid]
    apart = bool(hybrids) and len(hybrids) < len(result.models)  # two scales: hybrids get the right-hand axis
    for i, model in enumerate(result.models):
        values = model.history.get(key, [])
        on_right = apart and model.spec.hybrid is not None
        figure.add_trace(go.Scatter(x=np.arange(1, len(values) + 1), y=values, name=model.name, mode="lines",
                                    line=dict(color=_colour(i), dash="dash" if on_right else None),
                                    yaxis="y2" if on_right else "y"))
    figure.update_layout(xaxis_title="epoch", yaxis_title="loss (scaled)", yaxis_type="log")
    if apart:  # a hybrid's network learns its base's errors, in units of their spread: not the networks' scale
        figure.update_layout(yaxis2=dict(title="hybrids (dashed): loss on the base's errors", type="log",
                                         overlaying="y", side="right", showgrid=False))
    return _layout(figure, "All models, validation loss" if key == "val_loss" else "All models, training loss")


def _shade_splits(figure: go.Figure, result: ComparisonResult, start: pd.Timestamp) -> None:
    edges = [("train", start, result.boundaries["train_end"]),
             ("val", result.boundaries["train_end"], result.boundaries["val_end"]),
             ("test", result.boundaries["val_end"], result.boundaries["end"])]
    for name, left, right in edges:
        if right > left:
            figure.add_vrect(x0=left, x1=right, fillcolor=SPLIT_SHADES[name], line_width=0, layer="below",
                             annotation_text=name, annotation_position="top left")


def predictions_figure(result: ComparisonResult, history: pd.Series | None = None,
                       models: list[str] | None = None, step: int = 1, baselines: bool = True,
                       others: list[str] | None = None, window: tuple | None = None) -> go.Figure:
    """Test predictions ``step`` rows ahead against the real data, with train/val/test shading.

    The chosen baseline is drawn dashed when ``baselines``; ``others`` adds more baselines, dotted.
    ``window`` (start, end) keeps only that span, drawn in more detail than the whole.
    """
    frame = result.predictions_frame()
    frame = frame[frame["step"] == step]
    if window is not None:
        frame = frame[(frame["time"] >= window[0]) & (frame["time"] <= window[1])]
    figure = go.Figure()
    if history is not None:
        start, history = history.index[0], visible(history, window)
        figure.add_trace(_line(x=history.index, y=history.values, name="actual", mode="lines",
                                      line=dict(color="#111827", width=1.2)))
        _shade_splits(figure, result, start)
    else:
        figure.add_trace(_line(x=frame["time"], y=frame["actual"], name="actual", mode="lines",
                                      line=dict(color="#111827", width=1.2)))
    chosen = models if models is not None else [m.name for m in result.models]
    for i, name in enumerate(chosen):
        width = 2.4 if name == result.best_model else 1.4
        figure.add_trace(_line(x=frame["time"], y=frame[name], name=name, mode="lines",
                                      line=dict(color=_colour(i), width=width)))
    if baselines and result.best_baseline:
        figure.add_trace(_line(x=frame["time"], y=frame[result.best_baseline],
                                      name=f"{result.best_baseline} (chosen baseline)", mode="lines",
                                      line=dict(color=BASELINE_COLOUR, dash="dash")))
    for name in others or []:
        if name != result.best_baseline:
            figure.add_trace(_line(x=frame["time"], y=frame[name], name=plain_text(name), mode="lines",
                                   line=dict(color=BASELINE_COLOUR, dash="dot", width=1)))
    if window is not None:  # the split shading would otherwise stretch the axis to the whole series
        figure.update_xaxes(range=list(window))
    return _layout(figure, plain_text(f"{result.target}: test predictions, {step} step(s) ahead"), slider=True)


def test_interval_figure(result: ComparisonResult, name: str, step: int = 1) -> go.Figure:
    """One forecaster's test predictions with its interval band, the targets it missed marked in red."""
    frame = result.predictions_frame()
    frame = frame[frame["step"] == step]
    lower, upper = frame[f"{name} lower"], frame[f"{name} upper"]
    missed = (frame["actual"] < lower) | (frame["actual"] > upper)
    level = int(round(result.interval * 100))
    share = 100 * (1 - missed.mean())
    traces = [
        go.Scatter(x=frame["time"], y=upper, mode="lines", line=dict(width=0), showlegend=False, hoverinfo="skip"),
        go.Scatter(x=frame["time"], y=lower, mode="lines", line=dict(width=0), fill="tonexty",
                   fillcolor="rgba(37,99,235,0.18)", name=f"{level}% interval"),
        go.Scatter(x=frame["time"], y=frame[name], mode="lines", name=name, line=dict(color=_colour(0), width=2)),
        go.Scatter(x=frame["time"], y=frame["actual"], mode="lines", name="actual",
                   line=dict(color="#111827", width=1.2)),
        go.Scatter(x=frame.loc[missed, "time"], y=frame.loc[missed, "actual"], mode="markers",
                   name="outside the interval", marker=dict(color="#dc2626", size=7, symbol="x")),
    ]
    return _layout(go.Figure(traces), f"{name}: {level}% test intervals cover {share:.0f}% of the targets, "
                                      f"{step} step(s) ahead")


def residuals_figure(result: ComparisonResult, models: list[str] | None = None, step: int = 1) -> go.Figure:
    """Prediction errors (predicted − actual) over time."""
    frame = result.predictions_frame()
    frame = frame[frame["step"] == step]
    figure = go.Figure()
    for i, name in enumerate(models or [m.name for m in result.models]):
        figure.add_trace(_line(x=frame["time"], y=frame[name] - frame["actual"], name=name,
                                      mode="markers", marker=dict(size=4, color=_colour(i))))
    figure.add_hline(y=0, line=dict(color=BASELINE_COLOUR))
    figure.update_layout(yaxis_title=result.target)
    return _layout(figure, "Residuals (predicted − actual)")


def forecast_figure(result: ComparisonResult, history: pd.Series, model: str, tail: int = 200) -> go.Figure:
    """The last ``tail`` rows of the data and a model's (or statistical baseline's) forecast past the end, with its
    interval band."""
    forecast = result.baseline_forecasts[model] if model in result.baseline_forecasts else \
        result.model(model).forecast
    recent = history.iloc[-tail:]
    level = int(round(result.interval * 100))
    traces = [go.Scatter(x=recent.index, y=recent.values, name="actual", mode="lines", line=dict(color="#111827"))]
    has_band = bool(forecast["lower"].notna().any())
    if has_band:
        traces += [
            go.Scatter(x=forecast["time"], y=forecast["upper"], mode="lines", line=dict(width=0),
                       showlegend=False, hoverinfo="skip"),
            go.Scatter(x=forecast["time"], y=forecast["lower"], mode="lines", line=dict(width=0), fill="tonexty",
                       fillcolor="rgba(37,99,235,0.18)", name=f"{level}% interval"),
        ]
    traces.append(go.Scatter(x=forecast["time"], y=forecast["forecast"], name=f"{model} forecast",
                             mode="lines+markers", line=dict(color=_colour(0), width=2)))
    title = f"Forecast past the end of the data: {model}" + ("" if has_band else " (no interval)")
    return _layout(go.Figure(traces), title)


def metrics_bar(result: ComparisonResult, metric: str = "rmse") -> go.Figure:
    """Models and baselines side by side on one metric; the best model is outlined."""
    table = result.metrics.sort_values(metric)
    colours = [(_colour(0) if kind == "model" else BASELINE_COLOUR) for kind in table["kind"]]
    widths = [3 if name == result.best_model else 0 for name in table.index]
    figure = go.Figure(go.Bar(x=table.index, y=table[metric], marker=dict(color=colours, line=dict(
        width=widths, color="#111827")), text=[f"{v:.3g}" for v in table[metric]], textposition="outside"))
    figure.update_layout(yaxis_title=metric.upper(), showlegend=False)
    return _layout(figure, f"Test {metric.upper()} in {result.target} units (lower is better)")


def window_sketch(frame: pd.DataFrame, target: str, spec, anchor: int | None = None) -> go.Figure:
    """One window drawn on the series: its input rows, the anchor, and its target rows."""
    from rnnkit.windows.indexing import input_offsets, target_offsets

    n = len(frame)
    anchor = min(max(anchor if anchor is not None else n // 2, spec.lookback), n - spec.delay - spec.horizon)
    inputs = anchor + input_offsets(spec)
    targets = anchor + target_offsets(spec)
    lo, hi = max(inputs[0] - spec.lookback // 2, 0), min(targets[-1] + spec.lookback // 2 + 1, n)
    view = frame[target].iloc[lo:hi]
    figure = go.Figure([
        go.Scatter(x=view.index, y=view.values, name=target, mode="lines", line=dict(color="#9ca3af")),
        go.Scatter(x=frame.index[inputs], y=frame[target].iloc[inputs], name=f"inputs ({spec.n_steps} steps)",
                   mode="markers", marker=dict(color=_colour(0), size=6)),
        go.Scatter(x=frame.index[targets], y=frame[target].iloc[targets], name=f"target ({spec.horizon})",
                   mode="markers", marker=dict(color=_colour(1), size=9, symbol="diamond")),
    ])
    figure.add_vrect(x0=frame.index[inputs[0]], x1=frame.index[inputs[-1]], fillcolor=SPLIT_SHADES["train"],
                     line_width=0, layer="below")
    return _layout(figure, "One window: inputs (blue) and target (red)", height=300)


def backtest_folds_figure(folds: pd.DataFrame, summary: pd.DataFrame, metric: str = "rmse") -> go.Figure:
    """Test error per fold for every model (coloured) and baseline (grey; the chosen one dashed black).

    ``summary`` is the backtest's summary: its ``chosen`` column names the model and baseline it chose.
    """
    chosen = summary["chosen"].fillna("") if "chosen" in summary else pd.Series(dtype=str)
    best_model = next(iter(chosen[chosen == "model"].index), None)
    best_baseline = next(iter(chosen[chosen == "baseline"].index), None)
    figure = go.Figure()
    labels = {fold: f"fold {fold}<br>{pd.Timestamp(start):%Y-%m-%d}" for fold, start in
              folds.groupby("fold")["test_start"].first().items()}
    models = [n for n in dict.fromkeys(folds.loc[folds["kind"] == "model", "name"])]
    for name, part in folds.groupby("name", sort=False):
        x = [labels[f] for f in part["fold"]]
        if name in models:
            style = dict(color=_colour(models.index(name)), width=3 if name == best_model else 1.6)
        elif name == best_baseline:
            style = dict(color="#111827", width=2.4, dash="dash")
        else:
            style = dict(color=BASELINE_COLOUR, width=1, dash="dot")
        figure.add_trace(go.Scatter(x=x, y=part[metric], name=str(name), mode="lines+markers", line=style,
                                    visible=True if name in models or name == best_baseline else "legendonly"))
    figure.update_layout(yaxis_title=metric.upper())
    return _layout(figure, f"Test {metric.upper()} per backtest fold (lower is better; click the legend for more "
                           "baselines)")


def search_progress(trials: pd.DataFrame, best_so_far: list[tuple[int, float]]) -> go.Figure:
    """A search's trials: each finished trial's validation RMSE (dots) and the best so far (a step line)."""
    figure = go.Figure()
    scored = trials.dropna(subset=["val_rmse"])
    figure.add_trace(go.Scatter(x=scored["number"], y=scored["val_rmse"], mode="markers", name="trial",
                                marker=dict(color=_colour(0), size=8, opacity=0.6)))
    if best_so_far:
        numbers, values = zip(*best_so_far, strict=True)
        figure.add_trace(go.Scatter(x=list(numbers), y=list(values), mode="lines", name="best so far",
                                    line=dict(color=_colour(1), shape="hv", width=3)))
    figure.update_layout(height=300, xaxis_title="trial", yaxis_title="validation RMSE (series units)",
                         margin=dict(l=10, r=10, t=30, b=10))
    return figure
