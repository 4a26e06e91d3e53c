"""Time from ``streamlit run app.py`` to the first rendered page in a real browser.

    python bench/startup.py [--repeats 3]

Each repeat starts a fresh server process on a free port, then Debian's
Chromium (driven by Playwright) opens it and waits for the landing page's
dataset cards. Two parts are reported as well: until the server answers its
health check (Streamlit's own start, no rnnkit code yet), and from then to the
rendered page (the browser, the session and app.py). The load average is
recorded because a busy machine slows every part. For scale, it also times
``import tensorflow`` in a fresh interpreter: the landing and Data pages never
pay it. Writes bench/results/startup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "startup.json"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TARGET_S = 2.0


def one_start(browser) -> tuple[float, float]:
    """Seconds from process start to a healthy server, and to the rendered landing page."""
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                               "--server.address", "127.0.0.1", "--server.headless", "true"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:  # server not listening yet
                time.sleep(0.02)
        ready = time.perf_counter() - started
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}")
        page.get_by_text("Built-in datasets", exact=True).wait_for(timeout=60_000)
        elapsed = time.perf_counter() - started
        page.close()
        return ready, elapsed
    finally:
        server.terminate()
        server.wait(timeout=20)


def import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"})
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        load_before = os.getloadavg()[0]
        starts = [one_start(browser) for _ in range(args.repeats)]
        browser.close()
    ready = [r for r, _ in starts]
    times = [t for _, t in starts]
    result = {
        "first_page_s": {"median": round(statistics.median(times), 2), "runs": [round(t, 2) for t in times]},
        "server_ready_s": {"median": round(statistics.median(ready), 2), "runs": [round(r, 2) for r in ready]},
        "page_after_ready_s": round(statistics.median(t - r for r, t in starts), 2),
        "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2),
                              "cpus": os.cpu_count()},
        "target_s": TARGET_S,
        "import_s": {"tensorflow": round(import_seconds("tensorflow"), 2),
                     "streamlit": round(import_seconds("streamlit"), 2)},
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"process start → first rendered page: median {result['first_page_s']['median']} s "
          f"(runs {result['first_page_s']['runs']}; target under {TARGET_S:g} s)")
    print(f"  of which server start: {result['server_ready_s']['median']} s; then page: "
          f"{result['page_after_ready_s']} s; load average {result['load_average_1min']}")
    print(f"for scale, import tensorflow alone: {result['import_s']['tensorflow']} s")


if __name__ == "__main__":
    main()
