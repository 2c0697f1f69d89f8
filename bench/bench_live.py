"""Live-mode overhead: the server-side path of one webcam frame (decode from av.VideoFrame,
resize, frame function, overlay, encode back) ÷ the frame function alone, same frames, same run.

Target: ≤ 1.2 for real frame functions. Printed as ratios; nothing here asserts a time.
"""
from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import os  # noqa: E402

os.environ.setdefault("CNNLAB_OFFLINE", "1")

import av  # noqa: E402

from core import convolution as cv  # noqa: E402
from core import zoo  # noqa: E402
from core.frames import classify_frame  # noqa: E402
from core.images import load_sample, resize_max  # noqa: E402
from dashboard.live import FrameRunner  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import median_ms  # noqa: E402


def main() -> None:
    side = 480
    photo = load_sample("astronaut", max_side=None)
    frame = np.ascontiguousarray(np.pad(photo, ((0, 0), (64, 64), (0, 0)))[16:496])  # 640×480 like a webcam
    vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
    small = resize_max(frame, side)
    lm = zoo.load("imagenet")
    cases = {
        "edge_frame (sobel)": (cv.edge_frame, {"kernel": "sobel"}, 40),
        "classify_frame (EfficientNet-Lite0)": (classify_frame, {"model": lm, "topk": 3}, 15),
    }
    print(f"frame {frame.shape[1]}×{frame.shape[0]} → processed at {side} px longer side")
    for name, (fn, params, n) in cases.items():
        alone = median_ms(lambda: fn(small, **params), n)
        runner = FrameRunner(fn, params, max_side=side, fps_cap=0, overlay=True)
        live = median_ms(lambda: asyncio.run(runner.recv_queued([vf])), n)
        print(f"{name:<38} alone {alone:7.1f} ms   live path {live:7.1f} ms   ratio {live / alone:5.2f}")


if __name__ == "__main__":
    main()
