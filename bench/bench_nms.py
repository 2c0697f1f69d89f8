"""NMS and IoU speed, printed as ratios against torchvision (lower is better).

- ``core.detection.boxes.nms`` (numpy, vectorised in blocks) vs ``torchvision.ops.nms`` (C++)
  on 5,000 random boxes, at IoU thresholds 0.3 / 0.5 / 0.7, for two kinds of input: a
  detector's raw output (many boxes piled on few objects: most are suppressed in the first
  rounds) and boxes strewn uniformly (most survive: the worst case, ~n²/2 IoUs).
  Target: <= 2x.  The kept indices are checked to be identical.
- ``iou`` (numpy, float64, chunked) vs ``torchvision.ops.box_iou`` on 5,000 × 1,000 boxes.

Both run on one thread (torchvision's nms kernel is single-threaded anyway).

Run: ``.venv/bin/python bench/bench_nms.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
import torchvision

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.detection import boxes as bx  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best  # noqa: E402


def detector_like(rng: np.random.Generator, n: int, objects: int = 50) -> np.ndarray:
    """n boxes jittered around ``objects`` objects in a 1000×1000 image."""
    centres = rng.uniform(0, 1000, (objects, 2))
    sizes = rng.uniform(20, 200, (objects, 2))
    k = rng.integers(0, objects, n)
    ctr = centres[k] + rng.normal(0, 1, (n, 2)) * sizes[k] * 0.1
    wh = sizes[k] * rng.uniform(0.8, 1.2, (n, 2))
    return np.concatenate([ctr - wh / 2, ctr + wh / 2], axis=1).astype(np.float32)


def uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    ctr = rng.uniform(0, 1000, (n, 2))
    wh = rng.uniform(10, 100, (n, 2))
    return np.concatenate([ctr - wh / 2, ctr + wh / 2], axis=1).astype(np.float32)


def main() -> None:
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    n = 5000
    worst = 0.0
    for name, boxes in (("detector-like", detector_like(rng, n)), ("uniform", uniform(rng, n))):
        scores = rng.random(n).astype(np.float32)
        tb, ts = torch.from_numpy(boxes), torch.from_numpy(scores)
        for thr in (0.3, 0.5, 0.7):
            kept = bx.nms(boxes, scores, thr)
            assert np.array_equal(kept, torchvision.ops.nms(tb, ts, thr).numpy()), "kept indices differ"
            ours = best(lambda: bx.nms(boxes, scores, thr))
            ref = best(lambda: torchvision.ops.nms(tb, ts, thr))
            worst = max(worst, ours / ref)
            print(f"nms {n} {name} boxes, IoU {thr}: kept {len(kept)}, {ours * 1e3:.1f} ms vs "
                  f"torchvision.ops.nms {ref * 1e3:.1f} ms -> ratio {ours / ref:.2f}x (target <= 2x)")
    print(f"nms worst ratio: {worst:.2f}x")

    a, b = uniform(rng, 5000).astype(np.float64), uniform(rng, 1000).astype(np.float64)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    assert np.array_equal(bx.iou(a, b), torchvision.ops.box_iou(ta, tb).numpy())
    ours = best(lambda: bx.iou(a, b), repeat=3)
    ref = best(lambda: torchvision.ops.box_iou(ta, tb), repeat=3)
    print(f"iou 5000x1000 (float64): {ours * 1e3:.1f} ms vs torchvision.ops.box_iou "
          f"{ref * 1e3:.1f} ms -> ratio {ours / ref:.2f}x")


if __name__ == "__main__":
    main()
