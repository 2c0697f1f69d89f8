"""A room of visitors on one served lab: cheap views, heavy jobs, no cross-talk (issue 17, part 4).

The bench starts its own Streamlit server (``CNNLAB_OFFLINE=1``, its own port, warm-up on as in a
deployment) and waits for its warm-up. Then, for each visitor count (default 10 and 30):

1. half of the reference: visitors **alone**, one after another — each opens the cheap page,
   opens the heavy page and presses its button (time to first render, time to result, the
   result's image hashes, server CPU per job);
2. the **room**: N visitors connect at once and open the cheap page (time to first render, server
   CPU-seconds per view), open the heavy page, and press the button together (time to result,
   server CPU per job, the total span). Meanwhile a *lecturer probe* reopens the cheap page once
   a second: how the demo on the projector feels while the class's jobs run;
3. the other half of the reference, so machine load that changes during the run (other work on
   this shared 2-core machine) falls on both sides alike.

Printed: p50/p95 time to first render and to result, server CPU-seconds per view and per job
(``utime + stime`` of the server from ``/proc/<pid>/stat``), peak RSS (``VmHWM``), jobs pressed /
shown a queue position / completed / lost, and whether every visitor's result images are
byte-identical to those of a visitor alone (SHA-256 of the bytes at the ``/media/...`` URLs the
``ForwardMsg`` names). Targets (pass/fail, ratios rather than timed assertions): cheap views p95
< 2 s at 10 visitors; no heavy job lost; the room's total span within 1.2× of the same jobs back
to back; RSS < 2.5 GB at 30 visitors.

**Visitors are websocket clients speaking Streamlit's protocol** (``bench/_room_client.py``:
``/_stcore/stream``, ``BackMsg.rerun_script`` with the widget states, ``ForwardMsg`` deltas and
``script_finished``, images fetched by URL as a browser does), not 30 Chromium contexts: 30
browsers on 2 cores would measure Chromium, not the server. Once per run one real Chromium
visitor (Playwright) does the same steps and its page is compared with the websocket client's
(the title, every button, the same image bytes), so the client is known to see what a browser sees.

    python bench/bench_room.py                     # 10 and 30 visitors (about 15 min here)
    python bench/bench_room.py --quick             # 3 visitors, a smoke check
    python bench/bench_room.py --visitors 5 --cheap inside --heavy style:Transfer --json out.json
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _room_client import View, Visitor  # noqa: E402

from tests.e2e.browser import free_port  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")
TARGET_CHEAP_P95_S, TARGET_SPAN_RATIO, TARGET_RSS_MB = 2.0, 1.2, 2500


# --------------------------------------------------------------------------- the server

@contextlib.contextmanager
def server(port: int, log_path: Path):
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
           "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
           "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    env = {**os.environ, "CNNLAB_OFFLINE": "1"}
    env.pop("CNNLAB_WARMUP", None)           # a deployment warms up; so does the bench's server
    env.pop("PYTEST_CURRENT_TEST", None)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.time() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited ({proc.returncode}); see {log_path}")
            with contextlib.suppress(Exception):
                if httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200:
                    break
            if time.time() > deadline:
                raise RuntimeError(f"no /_stcore/health within 120 s; see {log_path}")
            time.sleep(0.5)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of the process (all its threads) and its waited-for children."""
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in f[11:15]) / CLK    # utime stime cutime cstime (fields 14-17)


def mem_mb(pid: int, field_name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --------------------------------------------------------------------------- one visitor

@dataclass
class Visit:
    first: float = math.nan          # time to first render of the cheap page
    heavy_open: float = math.nan
    result: float = math.nan         # press → result
    result_end: float = math.nan     # perf_counter when the result arrived
    images: list[str] = field(default_factory=list)
    queued: bool = False
    status: str = ""
    problem: str = ""

    @property
    def completed(self) -> bool:
        return self.status == "ok" and bool(self.images)


def split(step: str) -> tuple[str, str | None]:
    page, _, button = step.partition(":")
    return page, (button or None)


async def _open(v: Visitor, step: str, timeout: float) -> View:
    page, button = split(step)
    view = await v.open(page, timeout)
    if button and view.ok:
        pressed = await v.press(button, timeout)
        view = View(view.seconds + pressed.seconds, pressed.status, pressed.images,
                    pressed.image_bytes, pressed.texts, pressed.buttons, pressed.exceptions,
                    pressed.errors, pressed.queue_seen)
    return view


def _problem(view: View) -> str:
    if view.status != "ok":
        return view.status
    return "; ".join(view.exceptions + view.errors)[:200]


async def visit_alone(url: str, cheap: str, heavy: str, timeout: float) -> Visit:
    """One visitor on its own: the cheap page, the heavy page, the button."""
    out = Visit()
    async with Visitor(url, "alone") as v:
        first = await _open(v, cheap, timeout)
        out.first = first.seconds
        page, button = split(heavy)
        hv = await v.open(page, timeout)
        out.heavy_open = hv.seconds
        res = await v.press(button, timeout)
        out.result, out.result_end = res.seconds, time.perf_counter()
        out.images, out.queued, out.status, out.problem = res.images, res.queue_seen, res.status, _problem(res)
        if res.exceptions or res.errors:
            out.status = "error"
    return out


async def room(url: str, pid: int, n: int, cheap: str, heavy: str, timeout: float,
               probe: bool) -> dict:
    visitors = [Visitor(url, f"v{i}") for i in range(n)]
    visits = [Visit() for _ in range(n)]
    page, button = split(heavy)
    try:
        c0 = cpu_s(pid)
        firsts = await asyncio.gather(*[_open(v, cheap, timeout) for v in visitors])
        cpu_cheap = (cpu_s(pid) - c0) / n
        for vi, f in zip(visits, firsts):
            vi.first = f.seconds
            vi.problem = _problem(f) if not f.ok else ""
        opens = await asyncio.gather(*[v.open(page, timeout) for v in visitors])
        for vi, o in zip(visits, opens):
            vi.heavy_open = o.seconds
        stop = asyncio.Event()
        probe_times: list[float] = []

        async def lecturer() -> None:
            async with Visitor(url, "lecturer", media=True) as lv:
                while not stop.is_set():
                    pv = await _open(lv, cheap, timeout)
                    probe_times.append(pv.seconds)
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(stop.wait(), 1.0)

        probe_task = asyncio.create_task(lecturer()) if probe else None
        c1, t0 = cpu_s(pid), time.perf_counter()

        async def press(v: Visitor, vi: Visit) -> None:
            try:
                res = await v.press(button, timeout)
            except LookupError as e:
                vi.status, vi.problem = "no button", str(e)
                return
            vi.result, vi.result_end = res.seconds, time.perf_counter()
            vi.images, vi.queued = res.images, res.queue_seen
            vi.status = "error" if (res.exceptions or res.errors) else res.status
            vi.problem = _problem(res)

        await asyncio.gather(*[press(v, vi) for v, vi in zip(visitors, visits)])
        ends = [vi.result_end for vi in visits if vi.completed]
        span = (max(ends) - t0) if ends else math.nan
        cpu_heavy = (cpu_s(pid) - c1) / n
        stop.set()
        if probe_task is not None:
            await probe_task
    finally:
        await asyncio.gather(*[v.close() for v in visitors], return_exceptions=True)
    return dict(visits=visits, cpu_cheap=cpu_cheap, cpu_heavy=cpu_heavy, span=span,
                probe=probe_times, hwm=mem_mb(pid, "VmHWM"), rss=mem_mb(pid, "VmRSS"))


# --------------------------------------------------------------------------- browser check

def browser_check(url: str, cheap: str, heavy: str, timeout: float) -> dict:
    """One Chromium visitor and one websocket visitor do the same steps; compare what they got."""
    import hashlib

    from playwright.sync_api import sync_playwright

    from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, exceptions_on, wait_rendered

    ws = asyncio.run(_ws_views(url, cheap, heavy, timeout))
    page_name, button = split(heavy)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 3200})
            page.goto(f"{url}/{split(cheap)[0]}")
            wait_rendered(page)
            cheap_imgs = _browser_images(page, hashlib)
            page.goto(f"{url}/{page_name}")
            wait_rendered(page)
            page.get_by_role("button", name=button, exact=True).first.click()
            settled = """() => !document.querySelector('[data-testid="stStatusWidget"]')
                && !document.querySelector('[data-testid="stMain"] [role="progressbar"]')
                && ![...document.querySelectorAll('[data-testid="stMain"] button')]
                      .some(b => /^(Stop|Cancel)$/.test(b.innerText.replace(/^\\S+\\n/, '').trim()))"""
            page.wait_for_timeout(1000)
            for _ in range(3):   # settled three looks in a row, half a second apart
                page.wait_for_function(settled, timeout=timeout * 1000, polling=200)
                page.wait_for_timeout(500)
            wait_rendered(page)
            heavy_imgs = _browser_images(page, hashlib)
            title = page.locator('[data-testid="stMain"] h1').first.inner_text().strip()
            # Every expander opened (client-side only: nothing reruns), then each button's label
            # as the page shows it (an icon's ligature name comes first, on its own line).
            for summary in page.locator('[data-testid="stMain"] [data-testid="stExpander"] summary').all():
                summary.click()
            page.wait_for_timeout(500)
            shown = set(page.eval_on_selector_all(
                '[data-testid="stMain"] button',
                "els => els.map(e => e.innerText.trim().split('\\n').pop().trim())"))
            missing = [b for b in ws["heavy"].buttons if b not in shown]
            exc = exceptions_on(page)
            shot = Path(tempfile.gettempdir()) / "bench_room_browser.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    same_cheap = sorted(cheap_imgs) == sorted(ws["cheap"].images)
    same_heavy = sorted(heavy_imgs) == sorted(ws["heavy"].images)
    ws_title = ws["heavy"].texts[0] if ws["heavy"].texts else ""
    return dict(same_cheap=same_cheap, same_heavy=same_heavy, cheap_images=len(cheap_imgs),
                heavy_images=len(heavy_imgs), ws_heavy_images=len(ws["heavy"].images),
                title_browser=title, title_ws=ws_title, missing_buttons=missing, exceptions=exc,
                screenshot=str(shot),
                ok=same_cheap and same_heavy and title == ws_title and not missing and not exc)


async def _ws_views(url: str, cheap: str, heavy: str, timeout: float) -> dict:
    async with Visitor(url, "check") as v:
        c = await _open(v, cheap, timeout)
        page, button = split(heavy)
        await v.open(page, timeout)
        h = await v.press(button, timeout)
    return dict(cheap=c, heavy=h)


def _browser_images(page, hashlib) -> list[str]:
    srcs = page.eval_on_selector_all('[data-testid="stMain"] [data-testid="stImage"] img',
                                     "els => els.map(e => e.src)")
    out = []
    for s in srcs:
        r = page.request.get(s)
        out.append(hashlib.sha256(r.body()).hexdigest() if r.ok else f"HTTP {r.status}")
    return out


# --------------------------------------------------------------------------- report

def pct(xs: list[float], q: float) -> float:
    xs = sorted(x for x in xs if not math.isnan(x))
    if not xs:
        return math.nan
    return xs[min(len(xs) - 1, max(0, math.ceil(q * len(xs)) - 1))]   # nearest rank


def fmt(x: float, unit: str = "s") -> str:
    return "   —  " if math.isnan(x) else f"{x:6.2f} {unit}"


def report(n: int, cheap: str, heavy: str, alone: list[Visit], r: dict, cpu_alone: float) -> dict:
    visits: list[Visit] = r["visits"]
    ref = alone[0].images if alone else []
    b2b = sum(a.result for a in alone)
    ratio = r["span"] / b2b if b2b else math.nan
    identical = sum(1 for v in visits if v.completed and v.images == ref)
    alone_same = sum(1 for a in alone if a.images == ref)
    completed = sum(1 for v in visits if v.completed)
    lost = n - completed
    queued = sum(1 for v in visits if v.queued)
    firsts = [v.first for v in visits]
    results = [v.result for v in visits]
    print(f"\n== {n} visitors · cheap: {cheap} · heavy: {heavy} (press '{split(heavy)[1]}')")
    print(f"{'':38s}{'alone p50':>11s}{'room p50':>11s}{'room p95':>11s}{'max':>11s}")
    rows = [("time to first render, cheap page", [a.first for a in alone], firsts),
            ("time to first render, heavy page", [a.heavy_open for a in alone], [v.heavy_open for v in visits]),
            ("time to result, heavy job", [a.result for a in alone], results),
            ("cheap page while the jobs run (probe)", [], r["probe"])]
    for name, a, b in rows:
        print(f"{name:38s}{fmt(pct(a, .5)):>11s}{fmt(pct(b, .5)):>11s}{fmt(pct(b, .95)):>11s}"
              f"{fmt(max(b) if b else math.nan):>11s}")
    print(f"server CPU-s per cheap view: {r['cpu_cheap']:.2f} (room)  ·  per heavy job: "
          f"{cpu_alone:.2f} alone, {r['cpu_heavy']:.2f} in the room (probe's views included)")
    print(f"heavy throughput: room span {r['span']:.1f} s vs the same {n} jobs back to back "
          f"{b2b:.1f} s (interleaved: {math.ceil(n / 2)} before, {n // 2} after) → {ratio:.2f}×")
    print(f"jobs: pressed {n}, shown their place (in line or following a shared run) {queued}, "
          f"completed {completed}, lost {lost}")
    for v in visits:
        if not v.completed or v.problem:
            print(f"   a visitor: {v.status} {v.problem}")
    print(f"results byte-identical to a visitor alone: {identical}/{n} in the room, "
          f"{alone_same}/{len(alone)} alone ({len(ref)} images each)")
    print(f"peak RSS (VmHWM) {r['hwm']:.0f} MB, RSS now {r['rss']:.0f} MB")
    return dict(visitors=n, cheap=cheap, heavy=heavy, alone=[asdict(a) for a in alone],
                room=[asdict(v) for v in visits], probe=r["probe"], cpu_cheap=r["cpu_cheap"],
                cpu_heavy_room=r["cpu_heavy"], cpu_heavy_alone=cpu_alone, span=r["span"],
                back_to_back=b2b, span_ratio=ratio, completed=completed, lost=lost, queued=queued,
                identical=identical, hwm_mb=r["hwm"], rss_mb=r["rss"],
                first_p95=pct(firsts, .95), result_p95=pct(results, .95),
                probe_p95=pct(r["probe"], .95))


async def measure(url: str, pid: int, n: int, args) -> dict:
    alone: list[Visit] = []
    cpu_alone = []

    async def one_alone() -> None:
        c = cpu_s(pid)
        alone.append(await visit_alone(url, args.cheap, args.heavy, args.timeout))
        cpu_alone.append(cpu_s(pid) - c)

    for _ in range(math.ceil(n / 2)):
        await one_alone()
    r = await room(url, pid, n, args.cheap, args.heavy, args.timeout, probe=not args.no_probe)
    for _ in range(n // 2):
        await one_alone()
    return report(n, args.cheap, args.heavy, alone, r, statistics.median(cpu_alone))


async def warm(url: str, args) -> float:
    """Wait for the server's warm-up (the sidebar says so), then one untimed pass of the steps."""
    t0 = time.perf_counter()
    async with Visitor(url, "warm") as v:
        await v.open(split(args.cheap)[0], args.timeout)
        await v.wait_text(r"Warm-up done", 300)
    await visit_alone(url, args.cheap, args.heavy, args.timeout)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--visitors", type=int, nargs="+", default=[10, 30])
    ap.add_argument("--quick", action="store_true", help="3 visitors: a smoke check")
    ap.add_argument("--cheap", default="convolution",
                    help="PAGE or PAGE:BUTTON for the cheap view (default %(default)s)")
    ap.add_argument("--heavy", default="deepdream:Dream",
                    help="PAGE:BUTTON for the heavy job (default %(default)s)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per step before 'lost'")
    ap.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium comparison")
    ap.add_argument("--no-probe", action="store_true", help="no lecturer probe during the jobs")
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args()
    if args.quick:
        args.visitors = [3]
    if split(args.heavy)[1] is None:
        ap.error("--heavy needs PAGE:BUTTON")
    port = args.port or free_port()
    log = Path(tempfile.gettempdir()) / f"bench_room_streamlit_{port}.log"
    out: dict = dict(args={k: str(v) for k, v in vars(args).items()}, runs=[])
    harness0 = time.process_time()
    with server(port, log) as (url, pid):
        print(f"server {url} (pid {pid}, log {log}); RSS after start {mem_mb(pid, 'VmRSS'):.0f} MB")
        w = asyncio.run(warm(url, args))
        print(f"warm-up and one untimed pass: {w:.1f} s; RSS {mem_mb(pid, 'VmRSS'):.0f} MB")
        if not args.no_browser:
            bc = browser_check(url, args.cheap, args.heavy, args.timeout)
            out["browser_check"] = bc
            print(f"browser check (one Chromium visitor vs the websocket client): "
                  f"{'same' if bc['ok'] else 'DIFFERENT'} — title {bc['title_browser']!r}/"
                  f"{bc['title_ws']!r}, images cheap {bc['cheap_images']} "
                  f"{'same bytes' if bc['same_cheap'] else 'differ'}, heavy {bc['heavy_images']}/"
                  f"{bc['ws_heavy_images']} {'same bytes' if bc['same_heavy'] else 'differ'}, "
                  f"buttons missing in the browser {bc['missing_buttons']}, exceptions {bc['exceptions']}")
        for n in args.visitors:
            out["runs"].append(asyncio.run(measure(url, pid, n, args)))
    out["harness_cpu_s"] = time.process_time() - harness0
    print(f"\n(harness's own CPU: {out['harness_cpu_s']:.1f} s over the run; load average now "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print("\ntargets")
    for r in out["runs"]:
        n = r["visitors"]
        checks = [(f"{n:>3} visitors: no heavy job lost ({r['lost']} lost)", r["lost"] == 0),
                  (f"{n:>3} visitors: throughput span ≤ {TARGET_SPAN_RATIO}× back to back "
                   f"({r['span_ratio']:.2f}×)", r["span_ratio"] <= TARGET_SPAN_RATIO),
                  (f"{n:>3} visitors: results byte-identical ({r['identical']}/{n})", r["identical"] == n)]
        if n == 10 or args.quick:
            checks.append((f"{n:>3} visitors: cheap views p95 < {TARGET_CHEAP_P95_S:g} s "
                           f"({r['first_p95']:.2f} s)", r["first_p95"] < TARGET_CHEAP_P95_S))
        if n == 30 or args.quick:
            checks.append((f"{n:>3} visitors: peak RSS < {TARGET_RSS_MB} MB ({r['hwm_mb']:.0f} MB)",
                           r["hwm_mb"] < TARGET_RSS_MB))
        for text, ok in checks:
            print(f"  {'pass' if ok else 'FAIL'}  {text}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
