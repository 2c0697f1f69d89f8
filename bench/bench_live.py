"""Live-mode overhead: the server-side path of one webcam frame (decode from av.VideoFrame,
resize, frame function, overlay, encode back) ÷ the frame function alone, same frames, same run.

Target: ≤ 1.2 for real frame functions. Printed as ratios; nothing here asserts a time.
"""
from __future__ import annotations

import asyncio
import itertools
import sys
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
from _timing import interleaved_ms  # noqa: E402


def main() -> None:
    side = 480
    photo = load_sample("astronaut", max_side=None)
    frame = np.ascontiguousarray(np.pad(photo, ((0, 0), (64, 64), (0, 0)))[16:496])  # 640×480 like a webcam
    small = resize_max(frame, side)
    # Browsers send YUV 4:2:0, like a real WebRTC stream. live_view asks the camera for the
    # working size; a camera that ignores it sends 640×480 and the runner resizes.
    frames = {"camera at the working size": av.VideoFrame.from_ndarray(small, format="rgb24").reformat(format="yuv420p"),
              "camera at 640×480": av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="yuv420p")}
    lm = zoo.load("imagenet")
    cases = {
        "edge_frame (sobel)": (cv.edge_frame, {"kernel": "sobel"}, 40),
        "classify_frame (EfficientNet-Lite0)": (classify_frame, {"model": lm, "topk": 3}, 15),
    }
    print(f"frame {frame.shape[1]}×{frame.shape[0]} → processed at {side} px longer side")
    # One event loop for the whole run, as streamlit-webrtc has (asyncio.run per frame would
    # time the creation of a loop, ~0.2 ms, that the app never pays).
    loop = asyncio.new_event_loop()
    for (name, (fn, params, n)), (how, vf) in itertools.product(cases.items(), frames.items()):
        runner = FrameRunner(fn, params, max_side=side, fps_cap=0, overlay=True)
        # Round-robin, so a machine that gets busier during the run slows both sides alike.
        t = interleaved_ms({"alone": lambda: fn(small, **params),
                            "live": lambda: loop.run_until_complete(runner.recv_queued([vf]))}, n)
        alone, live = t["alone"], t["live"]
        print(f"{name:<36} {how:<27} alone {alone:7.1f} ms   live path {live:7.1f} ms   "
              f"ratio {live / alone:5.2f}"
              f" (target ≤ 1.2: {'OK' if live / alone <= 1.2 else 'above target'})")
    loop.close()


if __name__ == "__main__":
    main()
