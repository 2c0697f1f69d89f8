"""Pure frame functions and overlay drawing shared by still images, snapshots and live video.

A frame function takes an RGB uint8 frame (H×W×3) plus keyword parameters and returns an RGB
uint8 frame, optionally with overlay data: ``fn(frame, **params) -> frame | (frame, data)``.
The same function serves the still-image path, the camera snapshot and the webcam stream.
"""
from __future__ import annotations

from typing import Any, Sequence

import cv2
import numpy as np

from core import textdraw


def draw_panel(frame: np.ndarray, lines: Sequence[str], *, corner: str = "tl",
               scale: float | None = None) -> np.ndarray:
    """Write lines of text on a translucent dark box in a corner; returns a new frame."""
    out = np.ascontiguousarray(frame).copy()
    if not lines:
        return out
    h, w = out.shape[:2]
    scale = scale or max(0.4, min(1.2, w / 900))
    thick = 1 if scale < 0.8 else 2
    sizes = [textdraw.text_size(t, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)[0] for t in lines]
    line_h = max(s[1] for s in sizes) + int(8 * scale) + 2
    box_w = max(s[0] for s in sizes) + int(16 * scale)
    box_h = line_h * len(lines) + int(8 * scale)
    x0 = 0 if corner in ("tl", "bl") else max(0, w - box_w)
    y0 = 0 if corner in ("tl", "tr") else max(0, h - box_h)
    x1, y1 = min(w, x0 + box_w), min(h, y0 + box_h)
    region = out[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = (region * 0.35).astype(np.uint8)
    for i, t in enumerate(lines):
        y = y0 + (i + 1) * line_h
        textdraw.put_text(out, t, (x0 + int(8 * scale), y - int(4 * scale)), cv2.FONT_HERSHEY_SIMPLEX,
                    scale, (255, 255, 255), thick, cv2.LINE_AA)
    return out


def classify_frame(frame: np.ndarray, model: Any, topk: int = 3) -> tuple[np.ndarray, dict]:
    """Frame function: the zoo classifier's top-k classes written on the frame."""
    top = model.classify(frame, topk=topk)
    lines = [f"{p * 100:5.1f}%  {label}" for _, label, p in top]
    return draw_panel(frame, lines, corner="bl"), {"top": top}


def identity_frame(frame: np.ndarray) -> np.ndarray:
    """Frame function that returns the frame unchanged (the reference for latency benchmarks)."""
    return frame
