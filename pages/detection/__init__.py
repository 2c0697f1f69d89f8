"""Object detection: YOLO on images, video and webcam; IoU, NMS, the grid target, sliding windows.

Tabs: ``detect.py`` (Detect), ``localization.py`` (Localisation: one object, the notes' y and
loss), ``iou.py`` (IoU), ``nms.py`` (NMS step by step), ``grid.py``
(Grid & anchors), ``windows.py`` (Sliding windows); what they share is in ``common.py``. The
maths is in ``core.detection`` (boxes, yolo_grid, sliding) and the pictures in
``core.detection.draw``.
"""
from __future__ import annotations

import streamlit as st

from dashboard import tabs, urlstate
from dashboard.tabs import Tab

from . import detect, grid, iou, localization, nms, windows

# Detect first (the page's showcase), then the notes' order: localisation, sliding windows, the
# YOLO grid and anchors, IoU, non-max suppression.
TABS = [Tab("Detect", detect.render), Tab("Localisation", localization.render),
        Tab("Sliding windows", windows.render), Tab("Grid & anchors", grid.render), Tab("IoU", iou.render),
        Tab("NMS step by step", nms.render)]

# what a prepared link may set, and the values it may take
URL_KEYS = {"det-source": lambda v: v in ("Generated scene", "Image", "Video file", "Webcam"),
            "det-conf": lambda v: isinstance(v, float) and 0.01 <= v <= 0.95,
            "det-iou": lambda v: isinstance(v, float) and 0.05 <= v <= 0.95,
            "det-scene-seed": lambda v: isinstance(v, int) and 0 <= v <= 10**6,
            "det-yolo-s": lambda v: isinstance(v, int) and 2 <= v <= 19,
            "det-sw-n": lambda v: isinstance(v, int) and 1 <= v <= 12}


def render() -> None:
    st.title("Object detection")
    st.write(
        "A classifier says **what** is in a picture; localisation adds **where** (a box b_x, b_y, b_h, "
        "b_w); detection finds **every** object. YOLO does it in one pass: it lays an S×S grid over "
        "the image and every cell predicts, for each of its anchor boxes, "
        "y = [p_c, b_x, b_y, b_h, b_w, c₁…c_C]. Most of those predictions are empty or duplicates; "
        "**IoU** measures how much two boxes agree and **non-max suppression** keeps one box per object.")
    urlstate.restore(*URL_KEYS, valid=lambda k, v: URL_KEYS[k](v))   # prepared links open this demo
    tabs.run(TABS, "det-")
