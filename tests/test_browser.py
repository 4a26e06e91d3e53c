"""End to end in a real browser: upload, train two tiny models, compare, download predictions.

Starts ``streamlit run app.py`` on a free localhost port and drives Debian's
Chromium with Playwright. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import csv_bytes, synthetic_frame

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(runs: Path, **env: str) -> Iterator[str]:
    """``streamlit run app.py`` on a free port with its runs in ``runs`` (and ``env`` added); its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, "RNNKIT_RUNS_DIR": str(runs), **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("streamlit did not start")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A server with the test session's runner (inline, from conftest)."""
    with streamlit_server(tmp_path / "runs") as url:
        yield url


@pytest.fixture
def pool_server(tmp_path: Path) -> Iterator[str]:
    """A server training in a pool of two worker processes, as deployed."""
    with streamlit_server(tmp_path / "runs", RNNKIT_RUNNER="process", RNNKIT_WORKERS="2") as url:
        yield url


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    )


def test_a_deep_link_first_on_a_fresh_server_goes_through_the_router(server: str) -> None:
    """A bookmarked /runs?u=… as the server's very first visit: app.py's navigation and sidebar, not pages/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(f"{server}/runs?u=bookmarked0token0123456789ab")
        nav = page.locator('[data-testid="stSidebarNav"]')
        nav.get_by_text("Train & compare", exact=True).wait_for(timeout=60_000)
        page.get_by_text("Latest run", exact=True).wait_for(timeout=60_000)  # the router's sidebar
        page.get_by_role("heading", name="Runs").first.wait_for(timeout=60_000)  # and the page asked for
        page.screenshot(path=str(ARTIFACTS / "0_deep_link.png"))
        links = nav.locator("a").all_inner_texts()
        assert [link.split("\n")[-1] for link in links] == ["Home", "Data", "Train & compare", "Search",
                                                                   "Predictions", "Runs"]
        assert "_shared" not in nav.inner_text() and "shared" not in nav.inner_text()
        assert "u=bookmarked0token0123456789ab" in page.url
        browser.close()


def test_upload_train_compare_and_download(server: str, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data = tmp_path / "my_series.csv"
    data.write_bytes(csv_bytes(synthetic_frame(240)))
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
        page.goto(server)
        page.get_by_text("Built-in datasets", exact=True).wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "1_home.png"), full_page=True)
        nav = page.locator('[data-testid="stSidebarNav"]')
        nav.get_by_text("Data", exact=True).click()
        page.get_by_text("Upload a file").click()
        page.locator('input[type="file"]').set_input_files(str(data))
        page.get_by_text("Ready: target").wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "2_data.png"), full_page=True)

        nav.get_by_text("Train & compare", exact=True).click()
        page.get_by_text("Train windows").wait_for(timeout=60_000)
        epochs = page.get_by_role("spinbutton", name="Epochs")
        epochs.fill("2")
        epochs.press("Tab")
        page.get_by_role("button", name="Train and compare").click()
        page.get_by_text("Run: running").wait_for(timeout=60_000)
        assert "u=" in page.url
        page.reload()  # a reload must not kill the job: the URL's token finds it again
        nav = page.locator('[data-testid="stSidebarNav"]')
        page.get_by_text("Test metrics, in the series' own units").wait_for(timeout=300_000)
        page.locator(".js-plotly-plot").last.wait_for(timeout=60_000)
        page.get_by_text("Loss curves", exact=True).wait_for(timeout=60_000)
        assert page.locator('[data-testid="stDataFrame"]').count() >= 1
        page.get_by_text("Test metrics, in the series' own units").scroll_into_view_if_needed()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "3_compare.png"))

        nav.get_by_text("Predictions", exact=True).click()
        button = page.get_by_role("button", name="Predictions (CSV)")
        button.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "4_predictions.png"), full_page=True)
        with page.expect_download() as download:
            button.click()
        saved = tmp_path / "predictions.csv"
        download.value.save_as(saved)
        browser.close()
    header = saved.read_text().splitlines()[0].split(",")
    assert header[:3] == ["time", "step", "actual"]
    # the default models, every baseline including the statistical ones, and their test intervals
    assert {"tuned_gru", "tuned_lstm", "naive", "linear", "auto_ets", "auto_theta"} <= set(header)
    assert {"tuned_gru lower", "tuned_gru upper"} <= set(header)


def test_five_users_at_once_each_see_only_their_own_run(pool_server: str, tmp_path: Path) -> None:
    """Five browser sessions (five owners) upload and train at once on one server with a process pool.

    Each series has its own target name: every session gets its result, and neither its Train page nor
    its Runs page ever names another session's series.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    names = [f"zq_user_{i}_flow" for i in range(5)]
    files = []
    for i, name in enumerate(names):
        frame = synthetic_frame(160, seed=i).drop(columns=["other"]).rename(columns={"value": name})
        files.append(tmp_path / f"{name}.csv")
        files[-1].write_bytes(csv_bytes(frame))
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        contexts = [browser.new_context(viewport={"width": 1300, "height": 1000}) for _ in names]
        pages = [context.new_page() for context in contexts]
        for page in pages:
            page.goto(pool_server)
        for page, file in zip(pages, files, strict=True):
            page.get_by_text("Built-in datasets", exact=True).wait_for(timeout=60_000)
            page.locator('[data-testid="stSidebarNav"]').get_by_text("Data", exact=True).click()
            page.get_by_text("Upload a file").click()
            page.locator('input[type="file"]').set_input_files(str(file))
        for page, name in zip(pages, names, strict=True):
            page.get_by_text("Ready: target").wait_for(timeout=60_000)
            assert name in page.locator('[data-testid="stMain"]').inner_text()
            page.locator('[data-testid="stSidebarNav"]').get_by_text("Train & compare", exact=True).click()
        for page in pages:  # submitted within seconds of each other
            page.get_by_text("Train windows").wait_for(timeout=60_000)
            epochs = page.get_by_role("spinbutton", name="Epochs")
            epochs.fill("1")
            epochs.press("Tab")
            page.get_by_role("button", name="Train and compare").click()
        for page in pages:
            page.get_by_text(re.compile(r"Run: (queued|running|finished)")).wait_for(timeout=60_000)
        tokens = {page.url.split("u=")[-1] for page in pages}
        assert len(tokens) == 5  # five owners
        for i, (page, name) in enumerate(zip(pages, names, strict=True)):
            page.get_by_text("Test metrics, in the series' own units").wait_for(timeout=600_000)
            page.get_by_text("Run: finished").wait_for(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / f"5_user{i}_result.png"))
            html = page.content()
            assert name in html
            assert not [other for other in names if other != name and other in html]
        for page, name in zip(pages, names, strict=True):
            page.locator('[data-testid="stSidebarNav"]').get_by_text("Runs", exact=True).click()
            page.get_by_text("Open a run").wait_for(timeout=60_000)
            html = page.content()
            assert f"{name}.csv" in html  # its one run, in the run picker
            assert not [other for other in names if other != name and other in html]
        browser.close()
