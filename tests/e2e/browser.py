"""Drive Debian's Chromium with Playwright against a Streamlit server started here.

Used by the e2e tests and usable by hand:
    python -m tests.e2e.browser http://localhost:8501/convolution out.png
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CNNLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(env: dict[str, str] | None = None, timeout: float = 90.0):
    """Start ``streamlit run dashboard/app.py`` on a free port; yield its base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    log = open(ROOT / "artifacts" / f"streamlit-{port}.log", "w") if (ROOT / "artifacts").is_dir() \
        else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {proc.returncode}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                break
            time.sleep(0.3)
        else:
            raise RuntimeError(f"streamlit did not listen on port {port} within {timeout} s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def browser_page(width: int = 1400, height: int = 1400):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height},
                                          permissions=["camera"])
            yield context.new_page()
        finally:
            browser.close()


# The app's own run state, as Streamlit's own browser tests read it: the root element carries
# data-test-script-state (set to "rerunRequested" the moment a widget asks for a run, "running",
# then "notRunning") and data-test-connection-state. The "Running…" status widget is drawn only
# after a delay, so waiting on it alone needed long fixed pauses after every click.
IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.dataset.testScriptState === 'notRunning'
         && app.dataset.testConnectionState === 'CONNECTED'
         && !document.querySelector('[data-testid="stStatusWidget"]');
}"""
LOADED = """() => !document.querySelector('[data-testid="stSkeleton"]:not([data-testid="stSidebar"] *)')
               && Array.from(document.images).every(i => i.complete)"""


def wait_idle(page, timeout_ms: int = 90_000, pause_ms: int = 150) -> None:
    """Until the script run a click (or a page load) started has ended and its pictures have
    arrived; looked at twice, as a run can ask for another (a query parameter, a finished job)."""
    for _ in range(2):
        page.wait_for_timeout(pause_ms)     # widgets debounce a moment before they send
        page.wait_for_function(IDLE, timeout=timeout_ms)
    page.wait_for_function(LOADED, timeout=timeout_ms)


def wait_rendered(page, timeout_ms: int = 90_000) -> None:
    """Wait until the app has a title on screen and Streamlit has finished running the script."""
    page.wait_for_selector("h1", timeout=timeout_ms)
    wait_idle(page, timeout_ms)
    page.wait_for_timeout(200)              # the browser lays out what arrived last


def exceptions_on(page) -> list[str]:
    return [e.inner_text() for e in page.query_selector_all('[data-testid="stException"]')]


def shoot(url: str, out: Path, full_page: bool = True) -> list[str]:
    with browser_page() as page:
        page.goto(url)
        wait_rendered(page)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=full_page)
        return exceptions_on(page)


if __name__ == "__main__":
    errs = shoot(sys.argv[1], Path(sys.argv[2]))
    print("exceptions:", errs)
