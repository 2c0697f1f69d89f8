"""Prepare the Transfer learning page's sweep: the three regimes on lfw_subset, every size × seed.

    .venv/bin/python scripts/make_transfer_assets.py            # writes assets/transfer_regimes.json

Uses the project's own code (``core.transfer.regimes.sweep``) and the bundled EfficientNet-Lite0,
so it runs offline. The card is ``assets/transfer_regimes.md``.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CNNLAB_OFFLINE", "1")

SEEDS = (0, 1, 2, 3, 4)


def main() -> None:
    from core import zoo
    from core.transfer import regimes as R

    lm = zoo.load("efficientnet_lite0")
    t0 = time.perf_counter()
    rows = []
    for snap in R.sweep(lm, R.SIZES, SEEDS):
        rows = snap.rows
        print(snap.describe(), flush=True)
    out = {"made_from": R.made_from(lm), "sizes": list(R.SIZES), "seeds": list(SEEDS), "rows": rows,
           "summary": {g: {str(n): v for n, v in d.items()} for g, d in R.summary(rows).items()},
           "seconds": round(time.perf_counter() - t0, 1), "provenance": lm.provenance,
           "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch 1 thread"}
    path = ROOT / "assets" / "transfer_regimes.json"
    path.write_text(json.dumps(out, indent=1))
    print(f"wrote {path} in {out['seconds']} s")


if __name__ == "__main__":
    main()
