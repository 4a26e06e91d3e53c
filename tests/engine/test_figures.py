"""Plotly figures are built from a result alone and show what they claim."""

from __future__ import annotations

from rnnkit import figures


def test_loss_panels_one_per_model_with_shared_axes(tiny_result) -> None:
    figure = figures.loss_panels(tiny_result)
    titles = [a.text for a in figure.layout.annotations]
    assert titles == ["tiny_gru", "tiny_rnn"]
    assert [t.name for t in figure.data] == ["training loss", "validation loss"] * 2
    assert figure.layout.xaxis2.matches == "x" or figure.layout.yaxis2.matches == "y"
    overlay = figures.loss_overlay(tiny_result)
    assert [t.name for t in overlay.data] == ["tiny_gru", "tiny_rnn"]
    assert {t.yaxis for t in overlay.data} == {"y"} and "yaxis2" not in overlay.layout.to_plotly_json()


def test_hybrids_losses_get_their_own_scale(tiny_result) -> None:
    """A hybrid's network learns its base's errors in units of their spread: never squashed onto the others' axis."""
    from dataclasses import replace

    hybrid = replace(tiny_result.models[1], spec=replace(tiny_result.models[1].spec, name="tiny_hybrid",
                                                          hybrid="auto_theta"))
    mixed = replace(tiny_result, models=[tiny_result.models[0], hybrid])
    overlay = figures.loss_overlay(mixed)
    assert [(t.name, t.yaxis) for t in overlay.data] == [("tiny_gru", "y"), ("tiny_hybrid", "y2")]
    assert overlay.layout.yaxis2.overlaying == "y" and "hybrids" in overlay.layout.yaxis2.title.text
    panels = figures.loss_panels(mixed)
    assert panels.layout.yaxis2.matches is None  # its panel keeps its own y axis


def test_predictions_against_the_real_data_with_split_shading(tiny_result, tiny_series) -> None:
    history = tiny_series.frame["value"]
    figure = figures.predictions_figure(tiny_result, history)
    names = [t.name for t in figure.data]
    assert names[0] == "actual" and len(figure.data[0].x) == len(history)
    assert names[1:3] == ["tiny_gru", "tiny_rnn"] and names[3].endswith("(chosen baseline)")
    assert [s.type for s in figure.layout.shapes] == ["rect"] * 3
    assert len(figure.data[1].x) == len(tiny_result.test_times)


def test_forecast_band_and_metrics_bar(tiny_result, tiny_series) -> None:
    forecast = figures.forecast_figure(tiny_result, tiny_series.frame["value"], "tiny_gru")
    assert [t.name for t in forecast.data][2:] == ["90% interval", "tiny_gru forecast"]
    assert forecast.data[2].fill == "tonexty"
    bar = figures.metrics_bar(tiny_result)
    assert list(bar.data[0].x) == list(tiny_result.metrics.sort_values("rmse").index)
    residuals = figures.residuals_figure(tiny_result)
    assert len(residuals.data) == 2


def test_series_overview_has_a_range_slider(tiny_series) -> None:
    figure = figures.series_overview(tiny_series.frame, ["value", "other"])
    assert figure.layout.xaxis.rangeslider.visible is True and len(figure.data) == 2
