"""The live loss chart: a well-formed SVG whatever the histories hold."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from rnnkit.live_chart import live_loss_svg

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_each_model_has_a_solid_training_and_a_dashed_validation_line() -> None:
    root = parse(live_loss_svg({"gru": ([0.9, 0.5, 0.3], [1.0, 0.6, 0.4]), "lstm": ([0.8, 0.4], [0.7, 0.5])}))
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 4
    assert sum("stroke-dasharray" in line.attrib for line in lines) == 2
    assert {"gru", "lstm", "training", "validation", "epoch"} <= set(texts(root))
    assert len(root.findall(f"{SVG}circle")) == 5  # a dot per training epoch


def test_names_are_escaped_and_bad_values_leave_gaps() -> None:
    svg = live_loss_svg({"<b>x</b> &\x00y": ([0.5, float("nan"), 0.3, float("inf"), 0.0, 0.2], [])})
    root = parse(svg)  # would not parse if the name were not escaped
    assert "<b>x</b> & y" in texts(root)
    assert root.findall(f"{SVG}polyline") == []  # no two drawable values in a row
    assert len(root.findall(f"{SVG}circle")) == 3


def test_no_epoch_yet_and_one_epoch() -> None:
    assert "Waiting for the first epoch…" in texts(parse(live_loss_svg({})))
    root = parse(live_loss_svg({"gru": ([0.5], [0.6])}))
    assert len(root.findall(f"{SVG}circle")) == 2  # the training dot and the validation ring
    assert any(t.strip() for t in texts(root))


def test_a_flat_loss_still_gets_an_axis() -> None:
    root = parse(live_loss_svg({"gru": ([0.2, 0.2, 0.2], [0.2, 0.2, 0.2])}))
    assert len([t for t in texts(root) if t.replace(".", "").isdigit()]) >= 2 + 3  # y ticks and epochs 1-3


def test_a_backtest_shows_one_colour_and_legend_item_per_model_however_many_folds() -> None:
    names = [f"model_{m}_with_a_long_name" for m in range(8)]
    histories = {f"{name} · fold {fold}": ([0.5, 0.4], [0.6, 0.5]) for fold in range(20) for name in names}
    histories["model_0_with_a_long_name · fold 0"] = ([], [])  # not started yet: no line, colours unchanged
    root = parse(live_loss_svg(histories))
    assert [t for t in texts(root) if t.startswith("model_")] == names  # the legend: each model once
    frame = [r for r in root.findall(f"{SVG}rect") if r.get("stroke")][0]
    assert float(frame.get("height", "0")) >= 160  # the plot keeps its room under a wrapped legend
    colours: dict[str, set[str]] = {}
    for line in root.findall(f"{SVG}polyline"):
        colours.setdefault(line.get("stroke", ""), set()).add(line.get("stroke-dasharray", "solid"))
    assert len(colours) == 8 and len(root.findall(f"{SVG}polyline")) == 2 * (8 * 20 - 1)
