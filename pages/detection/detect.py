"""Detect: YOLO on a generated scene, a picture, a video file or the webcam; before and after NMS."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.detection import boxes as B
from core.detection import draw, scenes
from core.detection.detector import (Detector, VideoError, detect_frame, detect_video, draw_boxes,
                                     encode_mp4, video_info)
from dashboard import figures, own_model
from dashboard.figures import sizes
from dashboard.i18n import N_, _, tr
from dashboard.jobs import follow
from dashboard.widgets import download_png, image_input, provenance_badge

from .common import DETECT_CONF, DETECT_IOU, PICKER, class_name, detector, scene_picker, shown

SIZES = (256, 320, 416, 480, 640)
DISPLAY_SIDE = 768          # pictures smaller than this are drawn on at a whole multiple of their size
#: the inputs (English values: the URL and the code compare them)
SOURCES = (N_("Generated scene"), N_("Image"), N_("Video file"), N_("Webcam"))
#: the detections table's columns (``DetectionResult.rows``), shown in the visitor's language
COLUMNS = {"class": N_("class"), "confidence": N_("confidence"), "width": N_("width"), "height": N_("height")}
#: the parts of a detection's time (``DetectionResult.speed_ms``)
SPEED_PARTS = (N_("preprocess"), N_("inference"), N_("postprocess"), N_("total"))


def render() -> None:
    _picker()
    det = detector()
    if det is None:
        return
    ss = st.session_state
    if ss.get("det-classes"):          # another detector: keep only the classes it knows
        ss["det-classes"] = [n for n in ss["det-classes"] if n in det.names]
    provenance_badge(det.loaded)
    if det.bundled:
        st.info(_("YOLO11n's COCO weights cannot be had here (offline), so the **bundled shapes "
                  "detector** stands in: a YOLO11 this project trained on generated scenes. It knows "
                  "circles, squares and triangles, so start with a *generated scene*; on photos it finds "
                  "little. `cnnlab prefetch` on a machine with a network fetches YOLO11n (80 COCO classes)."))
    sources = list(SOURCES) if det.bundled else [SOURCES[1], SOURCES[0], *SOURCES[2:]]
    left, right = st.columns([1, 2])
    with left:
        source = st.radio(_("Input"), sources, horizontal=True, key="det-source", format_func=shown(sources))
        conf = st.slider(_("Confidence threshold"), 0.01, 0.95, DETECT_CONF, 0.01, key="det-conf",
                         help=_("Boxes scoring at or below this are dropped before NMS."))
        iou_t = st.slider(_("NMS IoU threshold"), 0.05, 0.95, DETECT_IOU, 0.05, key="det-iou",
                          help=_("A box overlapping a better box of the same class by more than this "
                                 "is suppressed (ultralytics' default 0.7; the notes use 0.5)."))
        picked = st.multiselect(_("Classes"), det.names, key="det-classes", format_func=shown(det.names, class_name),
                                placeholder=_("All classes"), help=_("Only these classes (empty: all)."))
        classes = [det.names.index(n) for n in picked] or None
        imgsz = st.select_slider(_("Network input size"), list(SIZES),
                                 value=det.default_imgsz() if det.default_imgsz() in SIZES else 640,
                                 key="det-imgsz",
                                 help=_("The longer side the picture is letterboxed to; smaller is "
                                        "faster, larger finds smaller objects."))
    settings = {"detector": det, "conf": conf, "iou": iou_t, "classes": classes, "imgsz": imgsz}
    image = truth = None
    with right:
        if source == "Image":
            image = image_input("det-img", "bus", samples=["bus", "zidane", "coffee", "chelsea",
                                                            "astronaut", "coins"], max_side=1280)
        elif source == "Generated scene":
            sc = scene_picker("det-scene")
            image, truth = sc.image, sc
        elif source == "Video file":
            _video(settings)
        else:
            _webcam(settings)
    if image is not None:
        _picture(det, image, truth, conf, iou_t, classes, imgsz)


def _picker() -> None:
    """Which detector: the lab's (COCO YOLO11n, the bundled shapes detector offline) or yours."""
    options = {"yolo11n": _("The lab's detector (YOLO11n COCO, or the bundled shapes detector offline)"),
               **own_model.detector_choices()}
    if st.session_state.get(PICKER) not in options:
        st.session_state[PICKER] = "yolo11n"
    pick, upload = st.columns([1, 1])
    pick.selectbox(_("Detector"), list(options), format_func=shown(options, lambda k: tr(options[k])), key=PICKER,
                   help=_("Your own YOLO detector (an ultralytics .pt) is used by every Detection tab once chosen."))
    with upload:
        own_model.detector_expander(PICKER)


# --------------------------------------------------------------------------- a picture

def _picture(det: Detector, image: np.ndarray, truth: scenes.Scene | None, conf: float,
             iou_t: float, classes, imgsz: int) -> None:
    names = det.names
    try:
        res = det.detect(image, conf, iou_t, classes=classes, imgsz=imgsz)
    except ValueError as e:
        st.error(_error(e))
        return
    st.session_state["det-last-image"] = image
    stroke = sizes().scale                     # thicker boxes, larger labels when presenting
    annotated = det.annotate(image, res, stroke=stroke, halo=True)   # outlined: visible on any picture
    shown, big = draw.for_display(image, DISPLAY_SIDE)               # a small picture, drawn larger
    after_pic = annotated if big == 1 else draw_boxes(
        shown, res.boxes * big, res.classes, res.scores, names, n_classes=len(names), stroke=stroke, halo=True)
    above = res.candidates.scores > conf
    m = st.columns(4)
    m[0].metric(_("Detections"), len(res))
    m[1].metric(_("Candidates above the threshold"), int(above.sum()),
                help=_("Of {n} anchor points the head predicts for a {w}×{h} input.").format(
                    n=res.candidates.total_anchors, w=res.input_shape[1], h=res.input_shape[0]))
    m[2].metric(_("Network input"), f"{res.input_shape[1]}×{res.input_shape[0]}")
    m[3].metric(_("Inference"), f"{res.speed_ms.get('inference', res.speed_ms['total']):.0f} ms",
                help=_("The network's forward pass; the whole call: {parts}").format(
                    parts=" · ".join(f"{_(k)} {v:.1f} ms" for k, v in res.speed_ms.items())))
    before, after = st.columns(2)
    with before:
        st.image(draw_boxes(shown, res.candidates.clipped(res.image_shape)[above] * big,
                            res.candidates.classes[above], None, names, labels=False,
                            n_classes=len(names), stroke=stroke),
                 caption=_("Before NMS: {n} candidate boxes scoring above {conf:.2f}").format(
                     n=int(above.sum()), conf=conf),
                 width="stretch")
    with after:
        st.image(after_pic, caption=_("After NMS (IoU > {iou:.2f} suppressed): {n} boxes").format(
            iou=iou_t, n=len(res)),
                 width="stretch")
    download_png(annotated, "detections.png", label=N_("Download annotated image"), key="det-dl")
    if len(res):
        table = pd.DataFrame(res.rows())
        table["class"] = table["class"].map(class_name)
        figures.table(st, table.rename(columns=lambda c: _(COLUMNS[c]) if c in COLUMNS else c),
                      hide_index=True, width="stretch")
    else:
        st.caption(_("Nothing scored above the threshold. Lower the confidence threshold to see "
                     "weaker candidates."))
    if truth is not None:
        rep = B.evaluate_map([(res.boxes, res.scores, res.classes)], [(truth.boxes, truth.classes)],
                             num_classes=len(scenes.CLASSES))
        pic, text = st.columns([1, 2])
        pic.image(scenes.draw(truth, stroke=stroke), width="stretch",
                  caption=_("Ground truth: the {n} shapes the scene was drawn with").format(n=len(truth.boxes)))
        text.markdown(_("**Against the ground truth** of this generated scene ({n} shapes), "
                        "on this one picture: **AP50 {ap50:.3f}**, AP50-95 {ap:.3f} (average "
                        "precision, `core.detection.boxes.evaluate_map`): a detection counts when its IoU "
                        "with a true box of its class is at least 0.5 (AP50), or 0.5, 0.55 … 0.95 averaged.").format(
            n=len(truth.boxes), ap50=rep.map50, ap=rep.map))


# --------------------------------------------------------------------------- a video file

def _video(settings: dict) -> None:
    up = st.file_uploader(_("Upload a video"), type=["mp4", "mov", "webm", "avi", "mkv", "m4v", "gif"],
                          key="det-video-upload",
                          help=_("Decoded in memory; nothing is written to disk."))
    if up is None:
        return
    data = up.getvalue()
    try:
        info = video_info(data)
    except VideoError as e:
        st.error(f"**{up.name}**: {_error(e)}")
        return
    st.caption(_("{w}×{h} · {fps:.1f} fps · {frames} frames · {s:.1f} s · {codec}").format(
        w=info.width, h=info.height, fps=info.fps, frames=info.frames, s=info.seconds, codec=info.codec))
    c1, c2, c3 = st.columns(3)
    every = c1.number_input(_("Every n-th frame"), 1, 30, min(30, max(1, round(info.fps / 5))),
                            key="det-video-every")
    max_frames = c2.number_input(_("At most frames"), 1, 200, 60, key="det-video-max",
                                 help=_("Annotated frames are kept in memory for the result video."))
    side = c3.select_slider(_("Frame size"), [320, 480, 640], 480, key="det-video-side")
    if st.button(_("Detect on the video"), key="det-video-go", type="primary"):
        st.session_state["det-video-name"] = up.name
        st.session_state.pop("det-video-mp4", None)
        s = settings
        try:
            follow(detect_video(data, s["detector"], s["conf"], s["iou"], classes=s["classes"],
                                every=int(every), max_frames=int(max_frames), max_side=int(side),
                                imgsz=s["imgsz"]),
                   "det-video-progress", image_width=480)
        except ValueError as e:              # VideoError included
            st.error(_error(e))
    _video_result(up.name, info.fps / every)


def _video_result(name: str, fps: float) -> None:
    """The annotated video so far (all of it, or up to where Stop was pressed), as an MP4."""
    prog = st.session_state.get("det-video-progress")
    if prog is None or st.session_state.get("det-video-name") != name:
        st.session_state.pop("det-video-mp4", None)            # another file: drop the old result
        return
    cached = st.session_state.get("det-video-mp4")
    if (cached is None or cached[0] != prog.step) and prog.frames:
        try:
            cached = (prog.step, encode_mp4(prog.frames, fps=max(1.0, fps)))
        except (ValueError, OSError) as e:
            st.error(_("The annotated video could not be encoded: {error}").format(error=_error(e)))
            return
        st.session_state["det-video-mp4"] = cached
        prog.frames = prog.frames[-1:]        # the MP4 holds them now; free the memory
    if cached is None:
        return
    if prog.step < prog.total:
        st.caption(_("Stopped at frame {step} of {total}: the video below has the frames done so far.").format(
            step=prog.step, total=prog.total))
    st.video(cached[1])
    st.download_button(_("Download annotated MP4"), cached[1], file_name="detections.mp4", mime="video/mp4",
                       key="det-video-dl", icon=":material/download:", on_click="ignore")


# --------------------------------------------------------------------------- the webcam

def _latest_counts(data) -> None:
    counts = getattr(data, "counts", None)
    if counts is None:
        st.caption(_("No frame processed yet."))
    else:
        found = ", ".join(f"{class_name(n)} × {k}" for n, k in counts.items())
        st.markdown(_("**Latest frame:** {found}").format(found=found) if found else
                    _("**Latest frame:** nothing above the confidence threshold"))


def _webcam(settings: dict) -> None:
    from dashboard.live import live_view

    live_view("det-live", detect_frame, settings, default_side=480, default_fps=10,
              show_data=_latest_counts)
    st.caption(_("Each webcam frame goes through `detect_frame`, the same function as the "
                 "pictures above; frames that arrive while one is processed are dropped, "
                 "so latency never builds up."))


def _error(e: Exception) -> str:
    """An exception's message for the visitor: translated when ``core`` marked it."""
    return str(tr(e.args[0])) if len(e.args) == 1 else str(e)
