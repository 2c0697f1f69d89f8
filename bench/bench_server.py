"""The served app under load: peak memory with every page visited, and how page reruns slow
down as concurrent sessions grow on this machine.

- Peak RSS (VmHWM of the Streamlit process) after visiting every page and running the
  ImageNet classifier once, against the RSS of the server right after start (the reference).
- Rerun time for N simultaneous browser sessions (N = 1, 2, 4, 8) each changing a widget on
  the Convolution page, ÷ the rerun time of one session. The first N whose median rerun passes
  1 s is where this machine stops feeling interactive.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard import nav  # noqa: E402
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_rendered  # noqa: E402


def server_pid(port: int) -> int:
    out = subprocess.run(["pgrep", "-f", f"server.port {port}"], capture_output=True, text=True).stdout
    return int(out.split()[0])


def rss_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


_RUNNING = "() => !!document.querySelector('[data-testid=\"stStatusWidget\"]')"


def _rerun_done(page) -> None:
    """Wait for this rerun to end: the running indicator comes (if the rerun is not instant)
    and goes. Polls every 20 ms, so the harness adds little to what it measures."""
    try:
        page.wait_for_function(_RUNNING, timeout=1500, polling=20)
    except Exception:  # noqa: BLE001 - finished before the indicator showed
        return
    page.wait_for_function(f"() => !({_RUNNING[6:]})", timeout=120_000, polling=20)


def main() -> None:
    from playwright.sync_api import sync_playwright

    with streamlit_server(env={"CNNLAB_OFFLINE": "1"}) as url, sync_playwright() as p:
        port = int(url.rsplit(":", 1)[1])
        pid = server_pid(port)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        wait_rendered(page)
        base = rss_mb(pid, "VmRSS")
        for topic in nav.TOPICS:
            page.goto(f"{url}/{topic.url}")
            wait_rendered(page)
        page.goto(f"{url}/inside")
        wait_rendered(page)
        page.get_by_role("button", name="Classify").click()
        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=120_000)
        peak = rss_mb(pid, "VmHWM")
        print(f"server RSS after start (reference)         {base:8.0f} MB")
        print(f"peak RSS, every page visited + classifier   {peak:8.0f} MB   ratio {peak / base:.2f}"
              f"   (Community Cloud limit ≈ 2700 MB)")

        def rerun_times(n: int, rounds: int = 3) -> list[float]:
            pages = [browser.new_page(viewport={"width": 1200, "height": 900}) for _ in range(n)]
            for pg in pages:
                pg.goto(f"{url}/convolution")
            for pg in pages:
                wait_rendered(pg)
            times = []
            for r in range(rounds):
                t0 = time.perf_counter()
                for pg in pages:  # all sessions rerun at once: pick another sample picture
                    pg.get_by_text("Sample image").first.scroll_into_view_if_needed()
                    pg.locator('[data-testid="stSelectbox"]').first.click()
                    pg.get_by_role("option").nth((r + 1) % 4).click()
                for pg in pages:
                    _rerun_done(pg)
                    times.append(time.perf_counter() - t0)
            for pg in pages:
                pg.close()
            return times

        one = statistics.median(rerun_times(1))
        print(f"rerun, 1 session (reference)                {one:8.2f} s")
        for n in (2, 4, 8):
            med = statistics.median(rerun_times(n))
            flag = "  > 1 s" if med > 1.0 else ""
            print(f"rerun, {n} concurrent sessions               {med:8.2f} s   ratio {med / one:.2f}{flag}")
        browser.close()


if __name__ == "__main__":
    main()
