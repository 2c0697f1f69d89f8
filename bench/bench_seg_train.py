"""Segmentation › Train it yourself: how long the tab's default run takes and what it reaches.

Runs ``core.segmentation.train.DEFAULT_RUN`` (the bundled U-Net's encoder, a new decoder) as the
page does — one PyTorch thread — and, for comparison, the same run from random weights; prints
the wall time, the validation mIoU the page shows (8 fixed scenes) and the mIoU on 64 fresh
held-out scenes. Target: validation mIoU ≥ 0.6 in under 60 s.

Run: ``.venv/bin/python bench/bench_seg_train.py [--scratch-steps N]``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from core.segmentation import data  # noqa: E402
from core.segmentation.infer import load_bundled_unet  # noqa: E402
from core.segmentation.train import DEFAULT_RUN, evaluate, train, transfer_encoder  # noqa: E402
from core.segmentation.unet import UNet  # noqa: E402


def run(start: str, steps: int) -> tuple[float, float, float]:
    r = {**DEFAULT_RUN, "steps": steps}
    torch.manual_seed(r["seed"])
    model = UNet(3, len(data.CLASSES), base=r["base"], depth=r["depth"])
    t0 = time.perf_counter()
    if start == "encoder":
        transfer_encoder(model, load_bundled_unet("cpu"))
    last = None
    for last in train(model, steps=r["steps"], batch_size=r["batch_size"], image_size=r["image_size"],
                      lr=r["lr"], seed=r["seed"], val_every=10):
        pass
    seconds = time.perf_counter() - t0
    held = evaluate(model, n=64, size=r["image_size"], seed=4_242_424)["mean_iou"]
    return seconds, float(last.info["val_miou"]), held


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scratch-steps", type=int, default=DEFAULT_RUN["steps"],
                    help="steps of the from-scratch comparison (0: skip it)")
    args = ap.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"torch {torch.__version__}; load average {load:.1f} on {os.cpu_count()} cores; "
          f"default run {DEFAULT_RUN}")
    s, v, h = run("encoder", DEFAULT_RUN["steps"])
    print(f"default (bundled encoder, new decoder), {DEFAULT_RUN['steps']} steps: {s:.1f} s, "
          f"validation mIoU {v:.3f}, held-out mIoU {h:.3f} (target ≥ 0.6 in < 60 s)")
    if args.scratch_steps:
        s2, v2, h2 = run("scratch", args.scratch_steps)
        print(f"from random weights, {args.scratch_steps} steps: {s2:.1f} s, validation mIoU {v2:.3f}, "
              f"held-out mIoU {h2:.3f}")


if __name__ == "__main__":
    main()
