"""The dashboard runs: AppTest drives the real script; the landing page does not import TensorFlow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def test_landing_page_renders_the_three_datasets() -> None:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not app.exception
    assert app.title[0].value == "rnnkit"
    text = " ".join(m.value for m in app.markdown)
    for title in ("US electric production", "Jena climate 2009–2016", "Stock prices"):
        assert title in text


def test_landing_page_does_not_import_tensorflow() -> None:
    code = (
        "import sys; from streamlit.testing.v1 import AppTest;"
        f"AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=30).run();"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split()[-2:] == ["False", "False"]
