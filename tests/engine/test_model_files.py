"""A downloaded model file works outside rnnkit's dashboard, with the run's scaler values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from rnnkit.export import download_name
from rnnkit.prepare import prepare
from rnnkit.scaling import SeriesScaler
from rnnkit.splits import SplitSpec
from rnnkit.windows.spec import WindowSpec

ROOT = Path(__file__).resolve().parents[2]


def test_a_saved_model_loads_in_a_fresh_python_with_load_model_file(tmp_path: Path) -> None:
    from rnnkit.models.build import build_model
    from rnnkit.models.presets import PRESETS

    spec = PRESETS["tuned_gru"]  # ends in rnnkit's own last-value head
    path = tmp_path / "tuned_gru.keras"
    build_model(spec, (12, 2), 1).save(path)
    code = ("import numpy as np, keras, sys\n"
            "try:\n    keras.models.load_model(sys.argv[1])\nexcept Exception as e:\n    print('plain:', e)\n"
            "from rnnkit.models.files import load_model_file\n"
            "model = load_model_file(sys.argv[1])\n"
            "print('shape', model.predict(np.zeros((3, 12, 2), 'float32'), verbose=0).shape)\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, check=True)
    assert "plain:" in done.stdout and "LastValue" in done.stdout  # why the loader exists
    assert "shape (3, 1)" in done.stdout


def test_the_scaler_values_scale_and_unscale_as_rnnkit_does(tiny_series) -> None:
    for kind in ("minmax", "standard", "none"):
        prepared = prepare(tiny_series, WindowSpec(12), SplitSpec(train=0.6, val=0.2), kind)
        described = json.loads(json.dumps(prepared.scaler.describe(list(tiny_series.inputs))))  # plain JSON
        assert described["kind"] == kind and described["fitted_on_rows"] == prepared.bounds.train_stop
        raw = tiny_series.frame[tiny_series.inputs].to_numpy()
        scaler: SeriesScaler = prepared.scaler
        for i, column in enumerate(tiny_series.inputs):
            v = described["inputs"].get(column, {})
            by_hand = ((raw[:, i] - v["min"]) / (v["max"] - v["min"]) if kind == "minmax" else
                       (raw[:, i] - v["mean"]) / v["scale"] if kind == "standard" else raw[:, i])
            np.testing.assert_allclose(by_hand, scaler.transform_inputs(raw)[:, i], rtol=1e-5, atol=1e-6)
        t = described["target"]
        outputs = np.array([0.0, 0.5, 1.0])
        back = (outputs * (t["max"] - t["min"]) + t["min"] if kind == "minmax" else
                outputs * t["scale"] + t["mean"] if kind == "standard" else outputs)
        np.testing.assert_allclose(back, scaler.inverse_target(outputs))


def test_a_result_keeps_its_scaler_through_the_run_store_and_names_its_downloads(tiny_result, tmp_path: Path) -> None:
    from rnnkit.serialize import read_result, write_result

    assert tiny_result.scaler is not None and tiny_result.scaler["kind"] == "minmax"
    write_result(tiny_result, tmp_path, save_models=False)
    assert read_result(tmp_path).scaler == tiny_result.scaler
    assert download_name(tiny_result, "0123456789abcdef", "predictions", "csv") == \
        f"{tiny_result.series_name.rsplit('.', 1)[0]}-abcdef-predictions.csv"
    assert download_name(tiny_result, None, "run", "json").endswith("-run.json")


def test_the_model_file_note_fits_the_model_and_the_run(tiny_result) -> None:
    from dataclasses import replace

    from rnnkit.export import model_file_note

    name = tiny_result.models[0].name
    assert "`scaler` entry" in model_file_note(tiny_result, name)
    assert "saved before rnnkit kept the scaler" in model_file_note(replace(tiny_result, scaler=None), name)
    hybrid = replace(tiny_result.models[0], spec=replace(tiny_result.models[0].spec, hybrid="auto_theta"))
    note = model_file_note(replace(tiny_result, models=[hybrid]), name)
    assert "only the network of a hybrid" in note and "auto_theta" in note
    with_calendar = replace(tiny_result, features=(*tiny_result.features, "month_sin", "month_cos"))
    assert "calendar features month_sin, month_cos" in model_file_note(with_calendar, name)
