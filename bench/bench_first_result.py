"""Time until each slow view shows a result on a fresh clone: from the prepared result (what a
new user gets) against computing it (what they would wait for without it).

For every slow view (DeepDream › Dream, › Low vs high layer, Inside › Class visualization,
› Feature inversion, › Saliency, Style › Texture synthesis, › Style transfer and its β sweep):

- **prepared**: the view's tab opened in Streamlit's AppTest with an empty user store
  (``CNNLAB_HOME`` a new temporary folder, offline), so only ``assets/prepared/`` can supply the
  result; timed from the run's start to the finished page, and checked to show "prepared ahead".
  Both the first open in this process (imports, model load, cold caches) and a warm open (median
  of ``--repeat``) are printed; ``lookup`` is ``core.precompute.current`` alone.
- **computed**: one real computation at the view's default settings through the same code
  (``core.precompute.compute``), once. ``--fraction 0.25`` runs a quarter of the steps instead and
  scales the time up linearly (said in the output).

Printed as seconds and as the ratio computed ÷ prepared (how many times sooner the first result
is there). Not a test: no timed assertions.

    .venv/bin/python bench/bench_first_result.py
    .venv/bin/python bench/bench_first_result.py --fraction 0.25 --views texture classvis
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["CNNLAB_OFFLINE"] = "1"
os.environ["CNNLAB_HOME"] = tempfile.mkdtemp(prefix="cnnlab-fresh-")   # a fresh clone's empty store

# (view, page, tab, its kind in core.precompute, the settings that set how long it runs)
VIEWS = [
    ("DeepDream › Dream", "deepdream", "Dream", "deepdream", ("steps",)),
    ("DeepDream › Low vs high (low)", "deepdream", "Low vs high layer", "deepdream:low", ("steps",)),
    ("Inside › Class visualization", "inside", "Class visualization", "classvis", ("steps",)),
    ("Inside › Feature inversion", "inside", "Feature inversion", "inversion", ("steps",)),
    ("Inside › Saliency", "inside", "Saliency", "saliency", ("samples",)),
    ("Style › Texture synthesis", "style", "Texture synthesis", "texture", ("steps",)),
    ("Style › Style transfer", "style", "Style transfer", "transfer", ("steps",)),
    ("Style › β sweep", "style", "Style transfer", "sweep", ("steps",)),
]
PREFIX = {"deepdream": "dd-", "inside": "inside-", "style": "st-"}


def open_tab(package: str, tab: str) -> tuple[float, bool]:
    """Seconds until the tab's page has run, and whether it shows a prepared result."""
    from tests.pageapp import page_app

    at = page_app(package, default_timeout=600)
    at.session_state[f"{PREFIX[package]}tab"] = tab
    t0 = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - t0
    texts = [i.caption for el in at.get("image") for i in el.proto.imgs] + [c.value for c in at.caption]
    return seconds, any("prepared ahead" in t.lower() for t in texts) and not at.exception


def the_case(lm, kind: str):
    from core import precompute as P

    base, _, variant = kind.partition(":")
    job = P.JOBS[base]
    pic = job.picture(lm)
    settings = job.defaults(lm, pic)
    if variant == "low":
        from core.vis import ascent as A

        settings = {**settings, "layers": A.LOW_LAYER[lm.name]}
    return base, pic, settings


def compute_seconds(lm, kind: str, fraction: float, heavy: tuple[str, ...]) -> tuple[float, str]:
    from core import precompute as P

    base, pic, settings = the_case(lm, kind)
    note = "default settings"
    if fraction < 1:
        settings = {**settings, **{k: max(1, round(settings[k] * fraction)) for k in heavy}}
        note = f"{', '.join(heavy)} × {fraction:g}, time ÷ {fraction:g}"
    opts = {"threads": 1} if base in P.THREADED else {}
    t0 = time.perf_counter()
    P.compute(base, lm, pic, settings, **opts)
    return (time.perf_counter() - t0) / fraction, note


def lookup_ms(lm, kind: str, repeat: int = 20) -> float:
    from core import precompute as P

    base, pic, settings = the_case(lm, kind)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        P.current(base, lm, settings, pic, None)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fraction", type=float, default=1.0,
                    help="run this share of the steps when computing (and scale the time)")
    ap.add_argument("--repeat", type=int, default=3, help="warm opens per tab")
    ap.add_argument("--views", nargs="*", default=None, help="only views whose kind is one of these")
    args = ap.parse_args(argv)
    import torch

    from core import zoo

    torch.set_num_threads(1)
    lm = zoo.load("imagenet")
    views = [v for v in VIEWS if not args.views or v[3].split(":")[0] in args.views]
    print(f"Fresh clone: empty store {os.environ['CNNLAB_HOME']}, offline, {lm.title}")
    print(f"{'view':<32} {'first open':>10} {'warm open':>9} {'lookup':>8} {'computed':>9} "
          f"{'ratio':>7}  shown?  computed at")
    opened: dict[tuple[str, str], tuple[float, float, bool]] = {}
    for view, package, tab, kind, heavy in views:
        if (package, tab) not in opened:
            first, ok = open_tab(package, tab)
            warm = statistics.median(open_tab(package, tab)[0] for _ in range(max(1, args.repeat)))
            opened[package, tab] = (first, warm, ok)
        first, warm, ok = opened[package, tab]
        ms = lookup_ms(lm, kind)
        computed, note = compute_seconds(lm, kind, args.fraction, heavy)
        print(f"{view:<32} {first:>9.2f}s {warm:>8.2f}s {ms:>6.1f}ms {computed:>8.1f}s "
              f"{computed / warm:>6.1f}×  {'yes' if ok else 'NO':<6}  {note}", flush=True)
    print("ratio = computed ÷ warm open: how many times sooner the first result is on screen. The "
          "warm open is the whole tab (page, widgets, figures), not only the lookup.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
