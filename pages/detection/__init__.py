"""Object detection: YOLO on images, video and webcam; localisation, landmarks, sliding windows,
the grid target, IoU, NMS and R-CNN's region proposals.

Tabs: ``detect.py`` (Detect), ``localization.py`` (Localisation: one object, the notes' y and
loss), ``landmarks.py`` (Landmarks: the notes' 1 + 2n outputs), ``windows.py`` (Sliding windows),
``grid.py`` (Grid & anchors), ``iou.py`` (IoU), ``nms.py`` (NMS step by step), ``proposals.py``
(Region proposals: selective search, R-CNN and Fast R-CNN against YOLO's one pass); what they
share is in ``common.py``. The maths is in ``core.detection`` (boxes, localization, landmarks,
sliding, yolo_grid, proposals) and the pictures in ``core.detection.draw``.
"""
from __future__ import annotations

import streamlit as st

from dashboard import tabs, urlstate
from dashboard.i18n import N_, _
from dashboard.tabs import Tab

from . import detect, grid, iou, landmarks, localization, nms, proposals, windows

# Detect first (the page's showcase), then the notes' order: localisation, landmarks, sliding
# windows, the YOLO grid and anchors, IoU, non-max suppression, region proposals (R-CNN).
TABS = [Tab(N_("Detect"), detect.render), Tab(N_("Localisation"), localization.render),
        Tab(N_("Landmarks"), landmarks.render), Tab(N_("Sliding windows"), windows.render),
        Tab(N_("Grid & anchors"), grid.render), Tab("IoU", iou.render), Tab(N_("NMS step by step"), nms.render),
        Tab(N_("Region proposals (R-CNN)"), proposals.render)]

# what a prepared link may set, and the values it may take
URL_KEYS = {"det-source": lambda v: v in ("Generated scene", "Image", "Video file", "Webcam"),
            "det-conf": lambda v: isinstance(v, float) and 0.01 <= v <= 0.95,
            "det-iou": lambda v: isinstance(v, float) and 0.05 <= v <= 0.95,
            "det-scene-seed": lambda v: isinstance(v, int) and 0 <= v <= 10**6,
            "det-yolo-s": lambda v: isinstance(v, int) and 2 <= v <= 19,
            "det-sw-n": lambda v: isinstance(v, int) and 1 <= v <= 12}


def render() -> None:
    st.title(_("Object detection"))
    st.write(_(
        "A classifier says **what** is in a picture; **localisation** adds **where** (a box b_x, b_y, "
        "b_h, b_w) and **landmarks** name points (1 + 2n numbers); **detection** finds **every** "
        "object. Sliding windows run the classifier everywhere; YOLO does it in one pass: it lays an "
        "S×S grid over the image and every cell predicts, for each of its anchor boxes, "
        "y = [p_c, b_x, b_y, b_h, b_w, c₁…c_C]. Most of those predictions are empty or duplicates; "
        "**IoU** measures how much two boxes agree and **non-max suppression** keeps one box per "
        "object. **R-CNN** first proposes regions, then classifies each one: the last tab times it "
        "against YOLO's single pass."))
    urlstate.restore(*URL_KEYS, valid=lambda k, v: URL_KEYS[k](v))   # prepared links open this demo
    tabs.run(TABS, "det-")
