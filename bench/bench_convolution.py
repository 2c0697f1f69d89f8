"""Convolution speed, printed as ratios against a reference (lower is better).

- ``apply_filter`` on a 1920x1080 RGB photo vs calling ``cv2.filter2D`` directly
  (target: <= 2x; it is the same OpenCV call plus argument checks).
- ``conv2d`` (numpy, vectorised) vs ``torch.nn.functional.conv2d`` on the CPU (reported).
- ``conv2d`` vs a naive four-nested-loop implementation (how much vectorising buys).
- The Convolution page: rerun time of each tab under AppTest.

Run: ``.venv/bin/python bench/bench_convolution.py``.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import convolution as cv  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best  # noqa: E402


def naive_conv2d(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    h, w = x.shape
    f = k.shape[0]
    out = np.zeros((h - f + 1, w - f + 1))
    for i in range(h - f + 1):
        for j in range(w - f + 1):
            s = 0.0
            for a in range(f):
                for b in range(f):
                    s += x[i + a, j + b] * k[a, b]
            out[i, j] = s
    return out


def main() -> None:
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    k = cv.KERNELS["sobel_x"]
    ours = best(lambda: cv.apply_filter(photo, k))
    ref = best(lambda: cv2.filter2D(photo, cv2.CV_32F, k.astype(np.float32)))
    print(f"apply_filter 1920x1080x3 sobel: {ours * 1e3:.1f} ms vs cv2.filter2D "
          f"{ref * 1e3:.1f} ms -> ratio {ours / ref:.2f}x (target <= 2x)")

    import torch
    import torch.nn.functional as F

    torch.set_num_threads(max(1, torch.get_num_threads()))
    for (h, c, kk, f) in [(64, 3, 8, 3), (128, 16, 32, 3), (56, 64, 64, 3), (32, 32, 32, 5)]:
        x = rng.normal(size=(h, h, c)).astype(np.float32)
        w = rng.normal(size=(f, f, c, kk)).astype(np.float32)
        xt = torch.from_numpy(x).permute(2, 0, 1)[None].contiguous()
        wt = torch.from_numpy(w).permute(3, 2, 0, 1).contiguous()
        ours = best(lambda: cv.conv2d(x, w, padding=1))
        with torch.no_grad():
            ref = best(lambda: F.conv2d(xt, wt, padding=1))
        print(f"conv2d {h}x{h}x{c} * {f}x{f}x{c}x{kk}: numpy {ours * 1e3:.2f} ms vs torch "
              f"{ref * 1e3:.2f} ms -> ratio {ours / ref:.1f}x")

    x = rng.normal(size=(64, 64))
    ours = best(lambda: cv.conv2d(x, k))
    ref = best(lambda: naive_conv2d(x, k), repeat=2)
    print(f"conv2d 64x64 * 3x3: vectorised {ours * 1e3:.3f} ms vs naive loops "
          f"{ref * 1e3:.1f} ms -> vectorised is {ref / ours:.0f}x faster")

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "convolution.py"), default_timeout=120)
    t = time.perf_counter()
    at.run()
    print(f"page first run (Edge filters tab): {time.perf_counter() - t:.2f} s")
    for label in ["Edge filters", "Worked examples", "Output size", "Volumes", "1×1 conv",
                  "Pooling", "Transposed conv", "Learn a filter"]:
        at.session_state["conv-tab"] = label
        t = time.perf_counter()
        at.run()
        assert not at.exception, at.exception
        print(f"page rerun, tab {label!r}: {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
