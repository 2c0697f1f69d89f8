"""Page rerun CPU (issue 20): what a rerun costs when a widget change touches nothing heavy.

For every page and every tab (``TABS``; run under Streamlit's AppTest as the app shell runs a
page, tests/pageapp.py), the tab is opened, run twice more to warm its caches, then timed:

- **same**: ``--reruns`` reruns with nothing changed (process CPU via ``time.process_time``, all
  threads, and wall);
- **light**: one light widget (a checkbox, toggle, radio, selectbox or else a slider whose label
  does not match the fuzz test's HEAVY pattern, and that is neither the page's image or model
  picker nor a setting of the tab's job) is flipped to another value and back, ``--reruns`` times; the first flip is shown apart (it may
  compute something new), the median of the later ones is the warm cost.

Every timed run includes the ``gc.collect(2)`` Streamlit's server runs after each script run
(``runner.postScriptGC``; AppTest leaves it out, ``--no-gc`` too): with torch and the pages
imported it is the largest part of a rerun unless the heap is frozen (dashboard/heap.py).

A tab passes when both its *same* and its warm *light* CPU per rerun are ≤ 0.15 s. The reference
is an empty Streamlit page (one ``st.title``, then what the app shell does after a page) rerun the
same way in the same run; ratios are against it. Before timing, the bench waits until no background work of an earlier tab uses the
CPU (process CPU counts every thread). Not a test: no timed assertions.

    .venv/bin/python bench/bench_rerun.py                          # every page and tab
    .venv/bin/python bench/bench_rerun.py --pages inside style
    .venv/bin/python bench/bench_rerun.py --profile "inside:Saliency"   # cProfile top 25 of a rerun
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import io
import os
import pstats
import re
import statistics
import sys
import time
import types
from pathlib import Path

os.environ.setdefault("CNNLAB_OFFLINE", "1")
os.environ.setdefault("CNNLAB_WARMUP", "0")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import logging  # noqa: E402

from streamlit import config  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from dashboard import nav  # noqa: E402
from tests.test_fuzz_widgets import HEAVY, PREFIX  # noqa: E402

TARGET_S = 0.15
POST_SCRIPT_GC = True   # --no-gc: leave out the server's gc.collect(2) after each run
for _name in list(logging.root.manager.loggerDict):   # "missing ScriptRunContext" per session_state write
    if _name.startswith("streamlit"):
        logging.getLogger(_name).setLevel(logging.ERROR)
# Keys of the page-level inputs above the tabs (image picker, model picker, devices): changing
# them is not "nothing heavy".
_SHARED = re.compile(r"model|source|sample|upload|camera|device|own|classify|image", re.I)
# Settings of a tab's job (changing one starts that job again, by design): not light either.
_JOB = re.compile(r"^det-rp-(one|mode|max|clf)$")
# The script thread stores its profiles here (the bench's own module is not importable by name
# from the script AppTest runs).
_STORE = types.ModuleType("_cnnlab_rerun_profile")
_STORE.profile = None          # a cProfile.Profile while profiling, else None
sys.modules[_STORE.__name__] = _STORE


def _page_script(package: str) -> None:
    import sys
    from pathlib import Path

    root = Path(__import__("dashboard").__file__).resolve().parents[1]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import _cnnlab_rerun_profile as store

    from dashboard.nav import render_function

    if store.profile is None:
        render_function(package)()
    else:
        store.profile.runcall(render_function(package))


def _empty_script() -> None:
    import streamlit as st

    st.title("An empty page")
    try:                # what the app shell does after every page run (dashboard/nav.py)
        from dashboard import heap
    except ImportError:     # a checkout from before it
        return
    heap.settle()


def _timed_run(at: AppTest) -> tuple[float, float]:
    c, w = time.process_time(), time.perf_counter()
    at.run()
    if POST_SCRIPT_GC:      # what Streamlit's server does after every script run; AppTest does not
        gc.collect(2)
    cpu, wall = time.process_time() - c, time.perf_counter() - w
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    return cpu, wall


def _light_widget(at: AppTest):
    """A light widget of the open tab and two values to flip it between, or None."""
    def light(w) -> bool:
        return (not w.disabled and w.key is not None and not _SHARED.search(w.key)
                and not _JOB.search(w.key) and not HEAVY.search(w.label or ""))

    for w in list(at.checkbox) + list(at.toggle):
        if light(w):
            return w.type, w.key, f"{w.type} {w.label!r}", bool(w.value), not bool(w.value)
    for w in list(at.radio) + list(at.selectbox):
        if not light(w) or len(w.options) < 2 or not isinstance(w.value, str):
            continue
        if w.options[w.index] != w.value:          # a format_func: values are not the labels
            continue
        other = next(o for o in w.options if o != w.value)
        return w.type, w.key, f"{w.type} {w.label!r} ({w.value!r} ↔ {other!r})", w.value, other
    for w in at.slider:
        if not light(w) or isinstance(w.value, (tuple, list)) or not isinstance(w.value, (int, float)):
            continue
        step = w.step or 1
        other = w.value + step if w.max is None or w.value + step <= w.max else w.value - step
        other = round(other, 10) if isinstance(w.value, float) else int(other)
        return w.type, w.key, f"slider {w.label!r} ({w.value} ↔ {other})", w.value, other
    return None


def _find(at: AppTest, kind: str, key: str):
    return next(w for w in getattr(at, kind) if w.key == key)


def quiet(limit_s: float = 120.0, window_s: float = 0.3) -> float:
    """Wait until the process uses (almost) no CPU between runs: a job an earlier tab started in
    a background thread would otherwise be counted in this tab's reruns. Returns the seconds
    waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit_s:
        c = time.process_time()
        time.sleep(window_s)
        if time.process_time() - c < 0.05 * window_s:      # under 5 % of one core
            break
    return time.perf_counter() - t0


def measure(make, reruns: int, prepare=None) -> dict:
    """Open, warm twice, time ``reruns`` unchanged reruns, then flip a light widget."""
    at = make()
    if prepare:
        prepare(at)
    c0, w0 = time.process_time(), time.perf_counter()
    at.run()
    open_cpu, open_wall = time.process_time() - c0, time.perf_counter() - w0
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    _timed_run(at)
    _timed_run(at)
    waited = quiet()
    same = [_timed_run(at) for _ in range(reruns)]
    row = {"open_cpu": open_cpu, "open_wall": open_wall, "waited": waited,
           "cpu": statistics.median(c for c, _ in same), "wall": statistics.median(w for _, w in same),
           "light": None, "light_first": None, "widget": "-"}
    found = _light_widget(at)
    if found:
        kind, key, text, a, b = found
        quiet()
        flips = []
        for i in range(reruns + 1):
            _find(at, kind, key).set_value(b if i % 2 == 0 else a)
            flips.append(_timed_run(at))
        row.update(widget=text, light_first=flips[0][0],
                   light=statistics.median(c for c, _ in flips[1:]))
    return row


def _cases(pages: list[str] | None) -> list[tuple[str, str]]:
    out = []
    for t in nav.TOPICS:
        if pages and t.package not in pages:
            continue
        out += [(t.package, tab.title) for tab in importlib.import_module(f"pages.{t.package}").TABS]
    return out


def _app(package: str) -> AppTest:
    return AppTest.from_function(_page_script, args=(package,), default_timeout=300)


def _opener(package: str, tab: str):
    def prepare(at: AppTest) -> None:
        at.session_state[f"{PREFIX[package]}tab"] = tab
    return prepare


def profile(spec: str, reruns: int) -> None:
    package, _, tab = spec.partition(":")
    if not tab:   # a tab title alone: find its page
        tab = package
        package = next(p for p, t in _cases(None) if t == tab)
    at = _app(package)
    at.session_state[f"{PREFIX[package]}tab"] = tab
    at.run()
    _timed_run(at)
    _timed_run(at)
    _STORE.profile = cProfile.Profile()
    try:
        cpu = [_timed_run(at)[0] for _ in range(reruns)]
    finally:
        prof, _STORE.profile = _STORE.profile, None
    print(f"{package} / {tab}: {statistics.median(cpu):.3f} s CPU per unchanged rerun "
          f"(profile of {reruns} reruns, script thread only)")
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
    print(buf.getvalue())
    found = _light_widget(at)
    if found:
        kind, key, text, a, b = found
        _find(at, kind, key).set_value(b)
        _timed_run(at)
        _find(at, kind, key).set_value(a)
        _timed_run(at)
        _STORE.profile = cProfile.Profile()
        try:
            cpu = []
            for i in range(reruns):
                _find(at, kind, key).set_value(b if i % 2 == 0 else a)
                cpu.append(_timed_run(at)[0])
        finally:
            prof, _STORE.profile = _STORE.profile, None
        print(f"light change {text}: {statistics.median(cpu):.3f} s CPU per rerun")
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
        print(buf.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", nargs="*", help="page packages (default: every page)")
    ap.add_argument("--reruns", type=int, default=5)
    ap.add_argument("--profile", metavar="[PAGE:]TAB", help="cProfile top 25 of that tab's rerun")
    ap.add_argument("--no-gc", action="store_true",
                    help="leave out the gc.collect(2) Streamlit's server runs after every script run")
    args = ap.parse_args()
    global POST_SCRIPT_GC
    POST_SCRIPT_GC = not args.no_gc and bool(config.get_option("runner.postScriptGC"))
    if args.profile:
        profile(args.profile, args.reruns)
        return

    ref = measure(lambda: AppTest.from_function(_empty_script), args.reruns)
    print(f"reference (an empty page, one st.title): {ref['cpu'] * 1000:.1f} ms CPU, "
          f"{ref['wall'] * 1000:.1f} ms wall per rerun")
    print(f"target: ≤ {TARGET_S:.2f} s CPU per rerun (unchanged, and after a light widget's change)\n")
    head = (f"{'page / tab':<48} {'open s':>7} {'same s':>7} {'×ref':>6} {'light s':>8} {'1st':>6} "
            f"{'×ref':>6}  verdict  light widget")
    print(head)
    print("-" * len(head))
    rows = []
    for package, tab in _cases(args.pages):
        name = f"{package} / {tab}"
        try:
            r = measure(lambda p=package: _app(p), args.reruns, _opener(package, tab))
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"{name:<48} failed: {str(e)[:120]}")
            rows.append((name, None))
            continue
        worst = max(r["cpu"], r["light"] or 0.0)
        ok = worst <= TARGET_S
        light = f"{r['light']:8.3f} {r['light_first']:6.3f} {r['light'] / ref['cpu']:6.1f}" \
            if r["light"] is not None else f"{'-':>8} {'-':>6} {'-':>6}"
        print(f"{name:<48} {r['open_wall']:7.2f} {r['cpu']:7.3f} {r['cpu'] / ref['cpu']:6.1f} {light}  "
              f"{'PASS' if ok else 'FAIL':<7}  {r['widget']}"
              + (f"  (waited {r['waited']:.0f} s for background work to end)" if r["waited"] > 2 else ""),
              flush=True)
        rows.append((name, worst))
    done = [(n, w) for n, w in rows if w is not None]
    passed = sum(w <= TARGET_S for _, w in done)
    if done:
        name, w = max(done, key=lambda x: x[1])
        print(f"\npage rerun CPU: {passed} of {len(rows)} tabs ≤ {TARGET_S:.2f} s, worst {name} "
              f"{w:.3f} s ({w / ref['cpu']:.1f}× the empty page)")


if __name__ == "__main__":
    main()
