"""Compute the default-settings result of every slow view and write ``assets/prepared/`` plus its
card ``assets/prepared/README.md``.

Run by ``make assets``. Every result is computed by the lab's own code — ``core.precompute``'s
registry, the same ``core`` call with the same default picture and settings as the page — with
the bundled offline model (EfficientNet-Lite0, ``CNNLAB_OFFLINE=1``), and stored compactly (PNG
pictures, 8-bit maps, a few small GIF frames). The app shows them, marked *prepared ahead*, until
the picture, model or any setting changes. Results already there are kept (``--force``: all
again); files no view asks for any more are removed.

    python scripts/make_prepared_assets.py                    # what is missing
    python scripts/make_prepared_assets.py --force            # everything again
    python scripts/make_prepared_assets.py --kinds texture    # one view
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

os.environ["CNNLAB_OFFLINE"] = "1"   # the bundled model every clone has, never a download
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from core import precompute as P  # noqa: E402
from core import zoo  # noqa: E402
from core.devices import cpu_name  # noqa: E402

BUDGET = 4 * 2 ** 20                 # the whole folder stays under this


def _settings_text(settings: dict) -> str:
    return json.dumps(P._canon(settings), ensure_ascii=False)


def card(rows: list[dict], lm, threads: int) -> str:
    total = sum(r["bytes"] for r in rows)
    lines = [
        "# Prepared results (shipped)",
        "",
        "What every slow view shows on its first open, before anyone presses its button: the result",
        "for the view's **default picture and default settings**, computed ahead of time by the",
        "lab's own code and marked *prepared ahead — press … to compute it now* on the page. It is",
        "keyed by the exact picture(s), the model and every setting (`core.precompute.key`), so it",
        "is never shown for anything else: change any of them and it is gone.",
        "",
        "- Made by: `python scripts/make_prepared_assets.py` (run by `make assets`; `--force` to",
        "  compute all again, `--kinds KIND ...` for some). Each result comes from",
        "  `core.precompute.compute(kind, model, picture, settings)` — the same `core` call the page",
        "  makes through `core.precompute.start` / `finish`.",
        f"- Model: {lm.title} (`{lm.name}`), {lm.provenance}",
        f"- Machine: {cpu_name()}, {threads} torch CPU thread(s), torch {torch.__version__}.",
        f"- Written: {datetime.date.today().isoformat()}. Total {total / 1024:.0f} KiB "
        f"(budget {BUDGET / 2 ** 20:.0f} MiB).",
        "- Stored as `{kind}-{fingerprint}.npz`: pictures as PNG, [0, 1] maps as 8-bit PNG, GIF",
        f"  frames thinned to {P.SHIPPED_FRAMES} at ≤ {P.SHIPPED_FRAME_SIDE} px; numbers and loss "
        "curves as JSON.",
        "- `core.precompute.load` looks in the user's store (`$CNNLAB_HOME/precomputed/`, filled by",
        "  `cnnlab precompute`) first, then here.",
        "",
        "| view | case | picture | seconds | size | file |",
        "| --- | --- | --- | ---: | ---: | --- |",
    ]
    for r in rows:
        lines.append(f"| {r['view']} | {r['label']} | {r['about']} | {r['seconds']:.1f} | "
                     f"{r['bytes'] / 1024:.0f} KiB | `{r['file']}` |")
    lines += ["", "## Settings of each case", ""]
    for r in rows:
        lines.append(f"- `{r['file']}` ({r['label']}): `{r['settings']}`")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kinds", nargs="*", default=None, help=f"only these: {', '.join(P.JOBS)}")
    ap.add_argument("--force", action="store_true", help="compute again what is already there")
    ap.add_argument("--out-dir", type=Path, default=P.shipped_dir())
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (1: fastest on a busy CPU)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    out: Path = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    lm = zoo.load("imagenet")
    print(f"Model: {lm.title} ({lm.provenance})", flush=True)
    rows, keep = [], set()
    for kind, label, pic, settings in P.cases(lm, shipped_only=True):
        params = P.key_params(kind, lm, settings)
        path = out / f"{kind}-{P.fingerprint(kind, params, pic)}.npz"
        keep.add(path.name)
        wanted = args.kinds is None or kind in args.kinds
        if wanted and (args.force or not path.exists()):
            print(f"== {label}: computing", flush=True)
            t0 = time.perf_counter()
            res = P.compute(kind, lm, pic, settings, **({"threads": args.threads} if kind in P.THREADED else {}))
            res.pop("key", None)
            P.save(kind, params, pic, res, folder=out, compact=True)
            print(f"   done in {time.perf_counter() - t0:.1f} s", flush=True)
        if not path.exists():
            continue
        stored = P.read_file(path) or {}
        rows.append(dict(view=P.JOBS[kind].view, label=label, about=P.JOBS[kind].about,
                         seconds=float(stored.get("seconds", float("nan"))), bytes=path.stat().st_size,
                         file=path.name, settings=_settings_text(settings)))
    for old in out.glob("*.npz"):
        if old.name not in keep:
            print(f"removing {old.name} (no view asks for it any more)")
            old.unlink()
    (out / "README.md").write_text(card(rows, lm, args.threads), encoding="utf-8")
    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"{len(rows)} results, {total / 1024:.0f} KiB in {out}")
    if total > BUDGET:
        print(f"WARNING: over the {BUDGET // 2 ** 20} MiB budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
