"""First open of every page after the server has started, in Debian's Chromium (target < 3 s).

For each page a fresh ``streamlit run dashboard/app.py`` is started (offline), the script waits
until the server answers its health check, then times a new browser session from navigation to
*rendered*: a title (h1) on screen and no "running" status for a moment. Two ways:

- **right after start**: the page is the first thing anyone opens on the new server (the app's
  warm-up, which starts with the first script run of the process, runs alongside it);
- **after warm-up**: the home page is opened first (that starts the warm-up), the sidebar is
  watched until it says the warm-up is done (at most ``--warmup-seconds``), then the page is
  opened in a new session.

Printed as seconds and as ratios against the home page's open measured the same way in the
same run (the reference). Also times the Detection page's "Sliding windows" tab (which used to
train a LeNet on first open). Not a test: no timed assertions.

    .venv/bin/python bench/bench_first_open.py                  # every page, both ways
    .venv/bin/python bench/bench_first_open.py --pages inside detection --only after
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard import nav  # noqa: E402
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402

TARGET_S = 3.0
_IDLE = """() => !!document.querySelector('h1')
               && !document.querySelector('[data-testid="stStatusWidget"]')"""
_WARM = """() => { const s = document.querySelector('[data-testid="stSidebar"]');
                   return !!s && /Warm-up done|Warm-up off/.test(s.innerText); }"""


@contextlib.contextmanager
def server(env: dict[str, str], timeout: float = 90.0):
    """``streamlit run dashboard/app.py`` (the e2e tests' way: tests/e2e/browser.py; its log goes
    to artifacts/ when that folder exists); yields the URL once /_stcore/health answers."""
    with streamlit_server(env=env, timeout=timeout) as url:
        deadline = time.time() + timeout
        while True:
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    break
            if time.time() > deadline:
                raise RuntimeError(f"streamlit at {url} did not answer its health check in {timeout} s")
            time.sleep(0.1)
        yield url


def rendered(page, t0: float, settle_s: float = 0.6, timeout_s: float = 180.0) -> float:
    """Seconds from ``t0`` to the moment the page was last seen becoming idle (h1 present, no
    running status) and then stayed idle for ``settle_s``."""
    deadline = t0 + timeout_s
    while True:
        page.wait_for_function(_IDLE, polling=50, timeout=max(1, deadline - time.perf_counter()) * 1000)
        idle_at = time.perf_counter()
        stable = True
        while time.perf_counter() - idle_at < settle_s:
            page.wait_for_timeout(50)
            if not page.evaluate(_IDLE):
                stable = False
                break
        if stable:
            return idle_at - t0
        if time.perf_counter() > deadline:
            raise TimeoutError("the page never settled")


def exceptions(page) -> int:
    return page.locator('[data-testid="stException"]').count()


def open_page(browser, url: str) -> tuple[float, int]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit")
        try:
            s = rendered(page, t0, timeout_s=90)
        except Exception as e:  # noqa: BLE001 - a page that never renders is reported, not fatal
            print(f"  {url}: did not render ({type(e).__name__})", flush=True)
            s = float("nan")
        return s, exceptions(page)
    finally:
        ctx.close()


def sliding_tab(browser, url: str) -> float:
    """Seconds from clicking Detection's "Sliding windows" tab to its map on screen."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        page.goto(f"{url}/detection", wait_until="commit")
        rendered(page, time.perf_counter())
        t0 = time.perf_counter()
        page.get_by_role("tab", name="Sliding windows").click()
        page.get_by_text("On real digits", exact=False).wait_for(timeout=180_000)
        return rendered(page, t0)
    finally:
        ctx.close()


def warm_up(browser, url: str, wait_s: float) -> tuple[float | None, object]:
    """Open the home page (which starts the warm-up) and wait for the sidebar to say it is done.
    Returns (seconds it took or None when it did not finish in ``wait_s``, the open context)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(url)
    rendered(page, t0)
    try:
        page.wait_for_function(_WARM, polling=200, timeout=wait_s * 1000)
        return time.perf_counter() - t0, ctx
    except Exception:  # noqa: BLE001 - no warm-up in this version of the app, or too slow
        return None, ctx


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    pages = ["home"] + [t.url for t in nav.TOPICS]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", nargs="*", default=pages, choices=pages)
    ap.add_argument("--only", choices=["start", "after"], default=None)
    ap.add_argument("--warmup-seconds", type=float, default=90.0,
                    help="how long the warm-up may take before 'after warm-up' opens the page")
    ap.add_argument("--no-sliding", action="store_true", help="skip the Sliding windows tab")
    args = ap.parse_args(argv)
    todo = ["home"] + [p for p in args.pages if p != "home"]
    env = {"CNNLAB_OFFLINE": "1"}
    results: dict[str, dict[str, tuple[float, int]]] = {"start": {}, "after": {}}
    warm_times: list[float | None] = []
    tab_s: dict[str, float] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name in todo:
            path = "" if name == "home" else f"/{name}"
            if args.only in (None, "start"):
                with server(env) as url:
                    results["start"][name] = open_page(browser, url + path)
                print(f"  right after start  {name:14s} {results['start'][name][0]:6.2f} s", flush=True)
            if args.only in (None, "after"):
                with server(env) as url:
                    took, ctx = warm_up(browser, url, args.warmup_seconds)
                    warm_times.append(took)
                    results["after"][name] = open_page(browser, url + path)
                    if name == "detection" and not args.no_sliding:
                        tab_s["after"] = sliding_tab(browser, url)
                    ctx.close()
                print(f"  after warm-up      {name:14s} {results['after'][name][0]:6.2f} s "
                      f"(warm-up {'not done' if took is None else f'{took:.1f} s'})", flush=True)
        if "detection" in todo and not args.no_sliding and args.only in (None, "start"):
            with server(env) as url:
                tab_s["start"] = sliding_tab(browser, url)
        browser.close()

    print(f"\nFirst open of each page (fresh server per page, offline, {os.cpu_count()} CPUs); "
          f"ratio = page ÷ home page in the same way; target < {TARGET_S:.0f} s")
    done = [w for w in warm_times if w is not None]
    if done:
        print(f"warm-up finished {min(done):.1f}–{max(done):.1f} s after the home page was opened"
              f" ({len(done)}/{len(warm_times)} runs)")
    elif warm_times:
        print(f"warm-up: not reported by the app (waited up to {args.warmup_seconds:.0f} s)")
    for way, title in (("start", "right after start"), ("after", "after warm-up")):
        got = results[way]
        if not got:
            continue
        ref = got["home"][0]
        print(f"\n{title:24s} {'seconds':>8s} {'÷ home':>8s}  exceptions")
        for name in todo:
            s, exc = got[name]
            flag = "  > 3 s" if s > TARGET_S else ""
            print(f"  {name:22s} {s:8.2f} {s / ref:8.2f}  {exc}{flag}")
        worst = max((v[0] for v in got.values() if v[0] == v[0]), default=float("nan"))
        print(f"  {'slowest':22s} {worst:8.2f} {worst / ref:8.2f}")
    for way, s in tab_s.items():
        print(f"Detection › Sliding windows tab, first click ({'right after start' if way == 'start' else 'after warm-up'})"
              f": {s:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
