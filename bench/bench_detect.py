"""Detection overhead: ``Detector.detect`` (ultralytics' predict + the raw candidates kept for the
NMS view) and ``detect_frame`` (+ drawing) ÷ ultralytics' own ``predict`` on the same picture,
same model, same run. Also the live path (FrameRunner) ÷ detect_frame.

Target: detect-frame latency ÷ raw predict ≤ 1.2. Printed as ratios; nothing here asserts a time.
Uses the zoo's "yolo11n" (the bundled shapes detector stands in offline).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("CNNLAB_OFFLINE", "1")

import torch  # noqa: E402

from core import zoo  # noqa: E402
from core.detection import scenes  # noqa: E402
from core.detection.detector import Detector, detect_frame  # noqa: E402
from core.images import load_sample  # noqa: E402
from dashboard.live import FrameRunner  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import interleaved_ms  # noqa: E402


def main() -> None:
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    lm = zoo.load("yolo11n")
    det = Detector(lm)
    imgsz = det.default_imgsz()
    print(f"model: {lm.title} ({'bundled fallback' if lm.fallback else 'pretrained'}), imgsz {imgsz}, "
          f"device {lm.device}, torch threads {torch.get_num_threads()}")
    pictures = {"generated scene 256²": scenes.scene(1).image,
                "bus 810×1080": load_sample("bus", max_side=None),
                "webcam-like 640×480": np.ascontiguousarray(load_sample("zidane", max_side=640)[:480])}
    print(f"{'picture':24s} {'predict ms':>11s} {'detect ms':>10s} {'frame ms':>9s} "
          f"{'detect÷predict':>15s} {'frame÷predict':>14s} {'live÷frame':>11s}")
    for name, img in pictures.items():
        bgr = np.ascontiguousarray(img[..., ::-1])
        runner = FrameRunner(detect_frame, {"detector": det, "conf": 0.25, "iou": 0.7, "imgsz": imgsz},
                             max_side=max(img.shape[:2]), fps_cap=0)
        fns = {"raw": lambda: lm.model.predict(bgr, conf=0.25, iou=0.7, imgsz=imgsz, verbose=False),
               "detect": lambda: det.detect(img, 0.25, 0.7, imgsz=imgsz),
               "frame": lambda: detect_frame(img, det, 0.25, 0.7, imgsz=imgsz),
               "live": lambda: runner.process(img)}
        ms = interleaved_ms(fns, 25)   # round-robin, so load changes hit every variant alike
        raw, d, f, live = ms["raw"], ms["detect"], ms["frame"], ms["live"]
        print(f"{name:24s} {raw:11.1f} {d:10.1f} {f:9.1f} {d / raw:15.2f} {f / raw:14.2f} {live / f:11.2f}")
    print("target: frame÷predict ≤ 1.2")


if __name__ == "__main__":
    main()
