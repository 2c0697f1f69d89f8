"""What several Detection tabs share: the detector and the generated scenes."""
from __future__ import annotations

import streamlit as st

from core.detection import scenes
from core.detection.detector import Detector
from dashboard.i18n import N_, _, shown  # noqa: F401 - shown: the tabs' format_func
from dashboard.widgets import model_or_error

#: the Detect tab's thresholds before anyone moves them (ultralytics' defaults)
DETECT_CONF, DETECT_IOU = 0.25, 0.7


#: the generated scenes' class names (``scenes.CLASSES``), marked here for translation
SHAPE_NAMES = (N_("circle"), N_("square"), N_("triangle"))

#: the widget key of the Detect tab's detector picker (its value: "yolo11n" or an own-… name)
PICKER = "det-model"


def detector() -> Detector | None:
    """The shared detector, loaded on first use by a tab that needs it, not on page load: the
    visitor's own YOLO detector when the Detect tab's picker has one chosen, else zoo "yolo11n"
    (the bundled shapes detector offline)."""
    from dashboard import own_model

    chosen = st.session_state.get(PICKER)
    mine = own_model.lookup(chosen) if isinstance(chosen, str) else None
    if mine is not None and mine.task == "detection":
        return Detector(mine)
    lm = model_or_error("yolo11n")
    return Detector(lm) if lm is not None else None


@st.cache_data(show_spinner=False, max_entries=32)
def scene(seed: int) -> scenes.Scene:
    return scenes.scene(seed, size=384)


def scene_picker(key: str, default_seed: int = 7) -> scenes.Scene:
    seed = st.number_input(_("Scene seed"), 0, 10**6, default_seed, key=f"{key}-seed",
                           help=_("Scenes are generated: the same seed gives the same picture everywhere. "
                                  "Seeds 0 and 1 start the streams the bundled detector was trained and "
                                  "validated on; every other seed is a scene it never saw."))
    return scene(int(seed))


def class_name(name: str) -> str:
    """A class name for text on the page: the generated scenes' shapes (circle, square, triangle)
    in the visitor's language; other detectors' names (COCO's, your own) as the model has them."""
    return _(name) if name in scenes.CLASSES else name


def detect_settings(det: Detector) -> tuple[float, float, list[int] | None]:
    """The Detect tab's confidence and NMS IoU thresholds and its class filter (class ids, None:
    all) as they stand now — its defaults when it has not been opened — so that other tabs can
    quote the same numbers."""
    ss = st.session_state
    picked = [det.names.index(n) for n in ss.get("det-classes") or [] if n in det.names]
    return float(ss.get("det-conf", DETECT_CONF)), float(ss.get("det-iou", DETECT_IOU)), picked or None
