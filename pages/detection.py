"""Object detection: YOLO on images, video and webcam; IoU, NMS, the grid target, sliding windows."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.detection import boxes as B
from core.detection import scenes
from core.detection.detector import (Detector, VideoError, class_colour, detect_frame, detect_video,
                                     draw_boxes, encode_mp4, video_info)
from dashboard import urlstate
from dashboard.cache import model_or_error, provenance_badge
from dashboard.widgets import download_png, follow, image_input, keep_tab_state

st.title("Object detection")
st.write(
    "A classifier says **what** is in a picture; localisation adds **where** (a box b_x, b_y, b_h, "
    "b_w); detection finds **every** object. YOLO does it in one pass: it lays an S×S grid over "
    "the image and every cell predicts, for each of its anchor boxes, "
    "y = [p_c, b_x, b_y, b_h, b_w, c₁…c_C]. Most of those predictions are empty or duplicates; "
    "**IoU** measures how much two boxes agree and **non-max suppression** keeps one box per object.")

_URL_KEYS = {"det-source": lambda v: v in ("Generated scene", "Image", "Video file", "Webcam"),
             "det-conf": lambda v: isinstance(v, float) and 0.01 <= v <= 0.95,
             "det-iou": lambda v: isinstance(v, float) and 0.05 <= v <= 0.95,
             "det-scene-seed": lambda v: isinstance(v, int) and 0 <= v <= 10**6,
             "det-yolo-s": lambda v: isinstance(v, int) and 2 <= v <= 19,
             "det-sw-n": lambda v: isinstance(v, int) and 1 <= v <= 12}
urlstate.restore(*_URL_KEYS, valid=lambda k, v: _URL_KEYS[k](v))   # prepared links open this demo

keep_tab_state("det-")  # only the open tab runs (models, training, timing); keep the others' settings
tabs = st.tabs(["Detect", "IoU", "NMS step by step", "Grid & anchors", "Sliding windows"],
               key="det-tab", on_change="rerun")


def _is_open(i: int) -> bool:
    return tabs[i].open is not False

# --------------------------------------------------------------------------- the model
def _detector() -> Detector | None:
    """The shared detector (zoo "yolo11n", the bundled shapes detector offline), loaded on first
    use by a tab that needs it, not on page load."""
    lm = model_or_error("yolo11n")
    return Detector(lm) if lm is not None else None


def _scene_picker(key: str, default_seed: int = 7) -> scenes.Scene:
    seed = st.number_input("Scene seed", 0, 10**6, default_seed, key=f"{key}-seed",
                           help="Scenes are generated: the same seed gives the same picture everywhere. "
                                "Seeds 0 and 1 start the streams the bundled detector was trained and "
                                "validated on; every other seed is a scene it never saw.")
    return _scene(int(seed))


@st.cache_data(show_spinner=False, max_entries=32)
def _scene(seed: int) -> scenes.Scene:
    return scenes.scene(seed, size=384)


# --------------------------------------------------------------------------- 1 detect
def _latest_counts(data) -> None:
    counts = getattr(data, "counts", None)
    if counts is None:
        st.caption("No frame processed yet.")
    else:
        st.markdown("**Latest frame:** " + (", ".join(f"{n} × {k}" for n, k in counts.items())
                                            or "nothing above the confidence threshold"))


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
            st.error(f"The annotated video could not be encoded: {e}")
            return
        st.session_state["det-video-mp4"] = cached
        prog.frames = prog.frames[-1:]        # the MP4 holds them now; free the memory
    if cached is None:
        return
    if prog.step < prog.total:
        st.caption(f"Stopped at frame {prog.step} of {prog.total}: the video below has the frames done so far.")
    st.video(cached[1])
    st.download_button("Download annotated MP4", cached[1], file_name="detections.mp4", mime="video/mp4",
                       key="det-video-dl", icon=":material/download:")


def _detect_tab() -> None:
    det = _detector()
    if det is None:
        return
    NAMES = det.names
    provenance_badge(det.loaded)
    if det.bundled:
        st.info("YOLO11n's COCO weights cannot be had here (offline), so the **bundled shapes "
                "detector** stands in: a YOLO11 this project trained on generated scenes. It knows "
                "circles, squares and triangles, so start with a *generated scene*; on photos it finds "
                "little. `cnnlab prefetch` on a machine with a network fetches YOLO11n (80 COCO classes).")
    sources = ["Generated scene", "Image", "Video file", "Webcam"] if det.bundled else \
        ["Image", "Generated scene", "Video file", "Webcam"]
    left, right = st.columns([1, 2])
    with left:
        source = st.radio("Input", sources, horizontal=True, key="det-source")
        conf = st.slider("Confidence threshold", 0.01, 0.95, 0.25, 0.01, key="det-conf",
                         help="Boxes scoring at or below this are dropped before NMS.")
        iou_t = st.slider("NMS IoU threshold", 0.05, 0.95, 0.7, 0.05, key="det-iou",
                          help="A box overlapping a better box of the same class by more than this "
                               "is suppressed (ultralytics' default 0.7; the notes use 0.5).")
        picked = st.multiselect("Classes", NAMES, key="det-classes",
                                help="Only these classes (empty: all).")
        classes = [NAMES.index(n) for n in picked] or None
        imgsz = st.select_slider("Network input size", [256, 320, 416, 480, 640],
                                 value=det.default_imgsz() if det.default_imgsz() in
                                 (256, 320, 416, 480, 640) else 640, key="det-imgsz",
                                 help="The longer side the picture is letterboxed to; smaller is "
                                      "faster, larger finds smaller objects.")
    image = truth = None
    with right:
        if source == "Image":
            image = image_input("det-img", "bus", samples=["bus", "zidane", "coffee", "chelsea",
                                                            "astronaut", "coins"], max_side=1280)
        elif source == "Generated scene":
            sc = _scene_picker("det-scene")
            image, truth = sc.image, sc
        elif source == "Video file":
            up = st.file_uploader("Upload a video", type=["mp4", "mov", "webm", "avi", "mkv", "m4v", "gif"],
                                  key="det-video-upload",
                                  help="Decoded in memory; nothing is written to disk.")
            if up is not None:
                data = up.getvalue()
                try:
                    info = video_info(data)
                except VideoError as e:
                    st.error(f"**{up.name}**: {e}")
                else:
                    st.caption(f"{info.width}×{info.height} · {info.fps:.1f} fps · {info.frames} frames · "
                               f"{info.seconds:.1f} s · {info.codec}")
                    c1, c2, c3 = st.columns(3)
                    every = c1.number_input("Every n-th frame", 1, 30, min(30, max(1, round(info.fps / 5))),
                                            key="det-video-every")
                    max_frames = c2.number_input("At most frames", 1, 200, 60, key="det-video-max",
                                                 help="Annotated frames are kept in memory for the result video.")
                    side = c3.select_slider("Frame size", [320, 480, 640], 480, key="det-video-side")
                    if st.button("Detect on the video", key="det-video-go", type="primary"):
                        st.session_state["det-video-name"] = up.name
                        st.session_state.pop("det-video-mp4", None)
                        try:
                            follow(detect_video(data, det, conf, iou_t, classes=classes, every=int(every),
                                                max_frames=int(max_frames), max_side=int(side), imgsz=imgsz),
                                   "det-video-progress", image_width=480)
                        except ValueError as e:              # VideoError included
                            st.error(str(e))
                    _video_result(up.name, info.fps / every)
        else:
            from dashboard.live import live_view

            live_view("det-live", detect_frame,
                      {"detector": det, "conf": conf, "iou": iou_t, "classes": classes, "imgsz": imgsz},
                      default_side=480, default_fps=10,
                      show_data=_latest_counts)
            st.caption("Each webcam frame goes through `detect_frame`, the same function as the "
                       "pictures above; frames that arrive while one is processed are dropped, "
                       "so latency never builds up.")

    if image is not None:
        try:
            res = det.detect(image, conf, iou_t, classes=classes, imgsz=imgsz)
        except ValueError as e:
            st.error(str(e))
            res = None
        if res is not None:
            st.session_state["det-last-image"] = image
            annotated = det.annotate(image, res)
            m = st.columns(4)
            m[0].metric("Detections", len(res))
            m[1].metric("Candidates above the threshold", int((res.candidates.scores > conf).sum()),
                        help=f"Of {res.candidates.total_anchors} anchor points the head predicts "
                             f"for a {res.input_shape[1]}×{res.input_shape[0]} input.")
            m[2].metric("Network input", f"{res.input_shape[1]}×{res.input_shape[0]}")
            m[3].metric("Inference", f"{res.speed_ms.get('inference', res.speed_ms['total']):.0f} ms",
                        help="The network's forward pass; the whole call: "
                             + " · ".join(f"{k} {v:.1f} ms" for k, v in res.speed_ms.items()))
            before, after = st.columns(2)
            above = res.candidates.scores > conf
            with before:
                st.image(draw_boxes(image, res.candidates.clipped(res.image_shape)[above],
                                    res.candidates.classes[above], None, NAMES, labels=False,
                                    n_classes=len(NAMES)),
                         caption=f"Before NMS: {int(above.sum())} candidate boxes scoring above {conf:.2f}",
                         width="stretch")
            with after:
                st.image(annotated, caption=f"After NMS (IoU > {iou_t:.2f} suppressed): {len(res)} boxes",
                         width="stretch")
            download_png(annotated, "detections.png", label="Download annotated image", key="det-dl")
            if len(res):
                st.dataframe(pd.DataFrame(res.rows()), hide_index=True, width="stretch")
            else:
                st.caption("Nothing scored above the threshold. Lower the confidence threshold to see "
                           "weaker candidates.")
            if truth is not None:
                rep = B.evaluate_map([(res.boxes, res.scores, res.classes)], [(truth.boxes, truth.classes)],
                                     num_classes=len(scenes.CLASSES))
                st.caption(f"Ground truth of this generated scene: {len(truth.boxes)} shapes. On this one "
                           f"picture: AP50 {rep.map50:.3f}, AP50-95 {rep.map:.3f} "
                           "(average precision, `core.detection.boxes.evaluate_map`).")
                st.image(scenes.draw(truth), caption="Ground-truth boxes (thin, class colours)", width=300)


with tabs[0]:
    if _is_open(0):
        _detect_tab()

# --------------------------------------------------------------------------- 2 IoU
def _box_sliders(name: str, role: str, start, preset) -> tuple[int, int, int, int]:
    st.markdown(f"**Box {name}** ({role})")
    return tuple(st.slider(f"{name}: {what}", lo, hi, int(v), key=f"det-iou-{name}{what}-{preset}")
                 for what, v, lo, hi in zip(("x", "y", "width", "height"), start, (0, 0, 1, 1), (99, 99, 100, 100)))


def _iou_tab() -> None:
    st.subheader("Intersection over union")
    st.write("How well does a predicted box match the true one? Divide the area they share by the "
             "area they cover together. 1 means identical, 0 means no overlap. By convention a "
             "prediction with **IoU ≥ 0.5** counts as correct; stricter tasks ask for more.")
    st.latex(r"\mathrm{IoU}(A,B)=\frac{|A\cap B|}{|A\cup B|}=\frac{|A\cap B|}{|A|+|B|-|A\cap B|}")
    presets = {"Good match": ((20, 20, 50, 40), (28, 26, 50, 40)),
               "Half the size": ((20, 20, 60, 60), (20, 20, 30, 60)),
               "Just touching": ((10, 10, 40, 40), (50, 10, 40, 40)),
               "Same centre, different shape": ((35, 20, 30, 60), (20, 35, 60, 30))}
    preset = st.segmented_control("Start from", list(presets), default="Good match", key="det-iou-preset")
    c1, c2 = st.columns(2)
    with c1:
        ax, ay, aw, ah = _box_sliders("A", "truth, green", presets.get(preset or "Good match")[0], preset)
    with c2:
        bx, by, bw, bh = _box_sliders("B", "prediction, blue", presets.get(preset or "Good match")[1], preset)
    a = np.array([[ax, ay, ax + aw, ay + ah]], float)
    b = np.array([[bx, by, bx + bw, by + bh]], float)
    value = float(B.iou(a, b)[0, 0])
    ix1, iy1 = max(a[0, 0], b[0, 0]), max(a[0, 1], b[0, 1])
    ix2, iy2 = min(a[0, 2], b[0, 2]), min(a[0, 3], b[0, 3])
    inter = max(0.0, ix2 - ix1) * max(0.0, iy2 - iy1)
    area_a, area_b = aw * ah, bw * bh
    union = area_a + area_b - inter
    fig = go.Figure()
    for (x1, y1, x2, y2), col, name in ((a[0], "#2e7d32", "A"), (b[0], "#1565c0", "B")):
        fig.add_shape(type="rect", x0=x1, y0=y1, x1=x2, y1=y2, line=dict(color=col, width=3),
                      fillcolor=col, opacity=0.18)
        fig.add_annotation(x=x1, y=y1, text=name, showarrow=False, xanchor="left", yanchor="bottom",
                           font=dict(color=col, size=16))
    if inter > 0:
        fig.add_shape(type="rect", x0=ix1, y0=iy1, x1=ix2, y1=iy2, line=dict(color="#e53935", width=2),
                      fillcolor="#e53935", opacity=0.55)
    fig.update_xaxes(range=[0, 200], showgrid=True, gridcolor="#eee", zeroline=False, constrain="domain")
    fig.update_yaxes(range=[200, 0], showgrid=True, gridcolor="#eee", zeroline=False, scaleanchor="x",
                     constrain="domain")
    fig.update_layout(height=460, margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="white")
    g, n = st.columns([3, 2])
    g.plotly_chart(fig, width="stretch", key="det-iou-fig")
    with n:
        st.metric("IoU", f"{value:.3f}", delta="≥ 0.5: counts as correct" if value >= 0.5 else
                  "< 0.5: counts as a miss", delta_color="normal" if value >= 0.5 else "inverse")
        st.markdown(f"- |A| = {aw}×{ah} = **{area_a}**\n- |B| = {bw}×{bh} = **{area_b}**\n"
                    f"- |A∩B| (red) = **{inter:g}**\n- |A∪B| = {area_a} + {area_b} − {inter:g} = **{union:g}**\n"
                    f"- IoU = {inter:g} / {union:g} = **{value:.3f}**")
        st.caption("Computed by `core.detection.boxes.iou`, the same function NMS and the mAP "
                   "use (vectorised over N×M boxes, equal to `torchvision.ops.box_iou`).")


with tabs[1]:
    if _is_open(1):
        _iou_tab()


# --------------------------------------------------------------------------- 3 NMS step by step
STEP_COLOURS = {"kept": (46, 160, 67), "chosen": (255, 193, 7), "suppressed": (229, 57, 53),
                "live": (30, 136, 229), "dropped": (150, 150, 150)}


@st.cache_data(show_spinner=False, max_entries=4)
def _default_picture(bundled: bool) -> np.ndarray:
    if bundled:
        return _scene(7).image
    from core.images import load_sample

    return load_sample("bus", max_side=960)


def _nms_tab() -> None:
    st.subheader("Non-max suppression, one step at a time")
    st.write("The detector proposes many overlapping boxes for each object: every grid cell and "
             "anchor near it believes it found the thing. Non-max suppression keeps one:")
    st.markdown("1. drop every box with **p_c ≤ 0.6**;\n"
                "2. repeat until no box is left: take the box with the **highest p_c** (keep it), "
                "and remove every remaining box whose **IoU with it is ≥ 0.5**.")
    det = _detector()
    if det is None:
        return
    NAMES = det.names
    image = st.session_state.get("det-last-image")
    origin = "the picture from the Detect tab"
    if image is None:
        image, origin = _default_picture(det.bundled), "a default picture (open the Detect tab to choose)"
    st.caption(f"Candidates: the model's real raw predictions on {origin}, before ultralytics' NMS. "
               "YOLO11 is anchor-free and has no separate objectness: each of its anchor points (one "
               "per cell of its stride-8, -16 and -32 grids) predicts a box and class probabilities, "
               "and the best class probability plays the role of the notes' p_c.")
    res = det.detect(image, conf=0.05, iou=0.7, candidate_floor=0.05,
                     imgsz=st.session_state.get("det-imgsz"))
    cand = res.candidates
    if not len(cand.scores):
        st.warning("The model proposes no box scoring above 0.05 on this picture. Choose another "
                   "picture in the Detect tab (a generated scene works with the bundled detector).")
        return
    counts = np.bincount(cand.classes, minlength=len(NAMES))
    order = [int(c) for c in np.argsort(-counts) if counts[c]]
    c1, c2, c3, c4 = st.columns(4)
    cls = c1.selectbox("Class", order, format_func=lambda c: f"{NAMES[c]} ({counts[c]} candidates)",
                       key="det-nms-class", help="NMS runs per class: boxes of different classes "
                                                 "never suppress each other.")
    top = c2.slider("Candidates (highest first)", 2, 80, 25, key="det-nms-top")
    p_thr = c3.slider("Drop p_c ≤", 0.05, 0.95, 0.6, 0.05, key="det-nms-pc",
                      help="Candidates are fetched down to p_c 0.05.")
    iou_thr = c4.slider("Suppress IoU ≥", 0.1, 0.95, 0.5, 0.05, key="det-nms-iou")
    idx = np.flatnonzero(cand.classes == cls)[:top]
    bxs, scs = cand.clipped(res.image_shape)[idx], cand.scores[idx]
    steps = B.nms_steps(bxs, scs, score_threshold=p_thr, iou_threshold=iou_thr, inclusive=True)
    k = st.slider("Step", 0, len(steps) - 1, 0, key=f"det-nms-step-{cls}-{top}-{p_thr}-{iou_thr}",
                  help="0: the score drop; then one round per kept box; the last step is the result.")
    step = steps[k]
    status = np.array(["live"] * len(idx), dtype=object)
    kept: list[int] = []
    for s in steps[:k + 1]:
        if s.kind == "drop":
            status[s.dropped] = "dropped"
        elif s.kind == "round":
            status[s.suppressed] = "gone"
            kept.append(s.chosen)
    status[kept] = "kept"
    if step.kind == "round":
        status[step.chosen] = "chosen"
        status[step.suppressed] = "suppressed"
    pic = image.copy()
    for name in ("dropped", "live", "suppressed", "kept", "chosen"):
        sel = np.flatnonzero(status == name)
        if len(sel):
            pic = draw_boxes(pic, bxs[sel], sel, scs[sel], [f"#{i}" for i in range(len(idx))],
                             colour=STEP_COLOURS[name],
                             labels=name in ("chosen", "kept", "suppressed"),
                             thickness=3 if name in ("chosen", "kept") else 1)
    left, right = st.columns([3, 2])
    left.image(pic, width="stretch",
               caption="green: kept · yellow: chosen this round · red: suppressed this round · "
                       "blue: still in play · grey: dropped by the p_c threshold")
    with right:
        if step.kind == "drop":
            st.markdown(f"**Step 0: drop p_c ≤ {p_thr:.2f}.** {len(step.dropped)} of {len(idx)} boxes "
                        f"go; {len(step.survivors)} remain, sorted by p_c.")
            st.dataframe(pd.DataFrame({"box": idx_labels(step.survivors), "p_c": scs[step.survivors]}),
                         hide_index=True, height=260)
        elif step.kind == "round":
            st.markdown(f"**Round {step.round}:** the highest p_c left is box #{step.chosen} "
                        f"(p_c {step.chosen_score:.3f}): **keep it**. IoU with the others still in play:")
            st.dataframe(pd.DataFrame({
                "box": idx_labels(step.compared), "p_c": scs[step.compared],
                "IoU with chosen": np.round(step.compared_iou, 3),
                "verdict": np.where(np.isin(step.compared, step.suppressed), "suppressed", "stays")}),
                hide_index=True, height=260)
            st.caption(f"{len(step.suppressed)} suppressed, {len(step.remaining)} left for the next round.")
        else:
            st.markdown(f"**Done:** {len(step.kept)} box(es) kept out of {len(idx)} candidates: "
                        + ", ".join(f"#{i} ({scs[i]:.2f})" for i in step.kept))
    # the check line: our NMS against torchvision's
    import torch
    import torchvision

    survivors = np.flatnonzero(scs > np.float32(p_thr))
    ours = survivors[B.nms(bxs[survivors], scs[survivors], iou_thr)] if len(survivors) else survivors
    tv = survivors[torchvision.ops.nms(torch.as_tensor(bxs[survivors]), torch.as_tensor(scs[survivors]),
                                       iou_thr).numpy()] if len(survivors) else survivors
    stepped = steps[-1].kept
    strict = B.nms_steps(bxs, scs, score_threshold=p_thr, iou_threshold=iou_thr, inclusive=False)[-1].kept
    same = np.array_equal(ours, tv) and np.array_equal(strict, ours)
    (st.success if same else st.error)(
        f"Check: `core.detection.boxes.nms` keeps {list(map(int, ours))}; `torchvision.ops.nms` keeps "
        f"{list(map(int, tv))} — {'identical' if same else 'DIFFERENT'}. The steps above keep "
        f"{list(map(int, stepped))}"
        + ("" if np.array_equal(stepped, ours) else " (differs only where an IoU equals the threshold "
           "exactly: the notes suppress at ≥, torchvision at >)") + ".")
    st.caption(f"Ultralytics itself (conf 0.05, IoU 0.7, all classes) keeps {len(res)} boxes on this "
               "picture; the Detect tab shows them.")


def idx_labels(ix) -> list[str]:
    return [f"#{int(i)}" for i in ix]


with tabs[2]:
    if _is_open(2):
        _nms_tab()

# --------------------------------------------------------------------------- 4 grid and anchors
from core.detection import yolo_grid as YG  # noqa: E402


def _grid_picture(image: np.ndarray, target: YG.YoloTarget, boxes_xyxy: np.ndarray, names) -> np.ndarray:
    """The grid over the picture, each object's box and centre, its responsible cell shaded, and
    the anchor it was given drawn at its centre (dashed look: thin)."""
    import cv2

    out = image.copy()
    h, w = out.shape[:2]
    S = target.grid
    for obj in target.objects:
        r, c = obj.cell
        x0, y0, x1, y1 = int(c * w / S), int(r * h / S), int((c + 1) * w / S), int((r + 1) * h / S)
        col = class_colour(obj.class_id, len(names))
        region = out[y0:y1, x0:x1].astype(np.float32)
        out[y0:y1, x0:x1] = (region * 0.65 + np.array(col) * 0.35).astype(np.uint8)
    for i in range(1, S):
        x, y = int(i * w / S), int(i * h / S)          # a dark and a light line: visible on any picture
        cv2.line(out, (x, 0), (x, h), (40, 40, 40), 1)
        cv2.line(out, (x + 1, 0), (x + 1, h), (255, 255, 255), 1)
        cv2.line(out, (0, y), (w, y), (40, 40, 40), 1)
        cv2.line(out, (0, y + 1), (w, y + 1), (255, 255, 255), 1)
    for obj, b in zip(target.objects, boxes_xyxy):
        col = class_colour(obj.class_id, len(names))
        cv2.rectangle(out, (int(b[0]), int(b[1])), (int(b[2]), int(b[3])), col, 2)
        cx, cy = obj.box[0] * w, obj.box[1] * h
        cv2.circle(out, (int(cx), int(cy)), 4, (255, 255, 255), -1)
        cv2.circle(out, (int(cx), int(cy)), 4, col, 1)
        ah, aw = target.anchors[obj.anchor] * (h / S, w / S)
        p1, p2 = (int(cx - aw / 2), int(cy - ah / 2)), (int(cx + aw / 2), int(cy + ah / 2))
        cv2.rectangle(out, p1, p2, (30, 30, 30), 3)            # dark under light: visible anywhere
        cv2.rectangle(out, p1, p2, (255, 255, 255) if obj.status == "assigned" else (229, 57, 53), 1)
        label = f"#{obj.index} anchor {obj.anchor + 1}" + ("" if obj.status == "assigned" else " LOST")
        org = (int(b[0]) + 3, int(b[3]) - 5)
        cv2.putText(out, label, org, cv2.FONT_HERSHEY_SIMPLEX, 0.45, (30, 30, 30), 3, cv2.LINE_AA)
        cv2.putText(out, label, org, cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def _target_tables(target: YG.YoloTarget, names, key: str) -> None:
    rows = []
    for obj in target.objects:
        rows.append({"object": f"#{obj.index} {names[obj.class_id]}", "cell (row, col)": str(obj.cell),
                     **{f"shape IoU a{a + 1}": round(float(v), 3) for a, v in enumerate(obj.anchor_iou)},
                     "anchor": obj.anchor + 1, "status": obj.status})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    cells = sorted({obj.cell for obj in target.objects})
    if cells:
        which = st.selectbox("Show the target vector y of cell", cells, key=f"{key}-cell-{target.grid}",
                             format_func=lambda rc: f"row {rc[0]}, col {rc[1]}")
        groups = target.cell(*which)
        st.dataframe(pd.DataFrame({f"anchor {a + 1}": np.round(g, 3) for a, g in enumerate(groups)},
                                  index=YG.y_labels(1, list(names))),
                     width="content", height=38 + 35 * groups.shape[1])
        st.caption("p_c = 0 means no object for that anchor: the rest of its numbers are "
                   "\"don't care\" (shown as 0).")
    for cf in target.conflicts:
        st.error(f"Cell {cf.cell}, anchor {cf.anchor + 1}: {cf.reason} — object #{cf.lost} is not in "
                 f"the target (object #{cf.kept} holds the slot).")


def _grid_tab() -> None:
    st.subheader("The YOLO grid, the target vector y and anchor boxes")
    st.write("YOLO lays an S×S grid over the picture. The cell that holds an object's **centre** is "
             "responsible for it and must output y = [p_c, b_x, b_y, b_h, b_w, c₁…c_C]: b_x, b_y is "
             "the centre inside the cell (0…1), b_h, b_w the size in cell units (larger than 1 when the "
             "object spans several cells). With **anchor boxes** each cell has one such group per "
             "anchor shape, and each object goes to the anchor whose shape fits it best (shape IoU).")
    st.latex(r"y_{\text{cell}}=[\underbrace{p_c,b_x,b_y,b_h,b_w,c_1,\dots,c_C}_{\text{anchor 1}},"
             r"\underbrace{p_c,b_x,b_y,b_h,b_w,c_1,\dots,c_C}_{\text{anchor 2}}]\qquad"
             r"\text{target: } S\times S\times B(5+C)")
    ex_tab, scene_tab = st.tabs(["The notes' example", "On a generated scene"])
    with ex_tab:
        fail = st.toggle("Add a motorcycle in the same cell (the failure case)", key="det-yolo-fail")
        ex = YG.NOTES_FAILURE if fail else YG.NOTES_EXAMPLE
        target = ex.encode()
        k = 2                                   # drawn at twice the example's 300 px, for legibility
        canvas = np.full((300 * k, 300 * k, 3), 245, np.uint8)
        b = np.asarray(ex.boxes_xyxy, float) * k
        a, t = st.columns([2, 3])
        a.image(_grid_picture(canvas, target, b, ex.class_names), width="stretch",
                caption=f"{ex.title}: 3×3 grid, anchors (h, w) = {ex.anchors} cells; white/red "
                        "thin box: the anchor each object got, at its centre")
        with t:
            st.markdown(f"Classes: {', '.join(f'c{i + 1} {n}' for i, n in enumerate(ex.class_names))}. "
                        f"Target shape **{target.y.shape[0]}×{target.y.shape[1]}×{target.y.shape[2]}** "
                        f"= 3×3×2·(5+3).")
            _target_tables(target, ex.class_names, "det-yolo-ex")
            if fail:
                st.caption("YOLO with 2 anchors cannot represent a third object in a cell, nor two "
                           "objects that both want the same anchor; the notes leave this unsolved "
                           "(a finer grid makes it rare).")
    with scene_tab:
        c1, c2, c3 = st.columns(3)
        with c1:
            sc = _scene_picker("det-yolo-scene", 21)
        S = c2.slider("Grid S", 2, 19, 7, key="det-yolo-s")
        preset = c3.selectbox("Anchors (h, w) in cells", ["tall + wide", "one square", "small + large"],
                              key="det-yolo-anchors")
        anchors = {"tall + wide": [(1.5, 0.75), (0.75, 1.5)], "one square": [(1.0, 1.0)],
                   "small + large": [(0.6, 0.6), (1.6, 1.6)]}[preset]
        h, w = sc.image.shape[:2]
        target = YG.encode(sc.boxes, sc.classes, len(scenes.CLASSES), anchors, S, box_format="xyxy",
                           image_size=(w, h))
        a, t = st.columns([2, 3])
        a.image(_grid_picture(sc.image, target, sc.boxes, scenes.CLASSES), width="stretch",
                caption=f"{S}×{S} grid; shaded: responsible cells")
        with t:
            st.markdown(f"Target shape **{S}×{S}×{target.y.shape[2]}**; {len(sc.boxes)} objects, "
                        f"{len(target.conflicts)} conflict(s).")
            _target_tables(target, scenes.CLASSES, "det-yolo-scene")
            dec = YG.decode(target.y, len(scenes.CLASSES))
            ok = [o for o in target.objects if o.status == "assigned"]
            if ok:
                back = dec.xyxy((w, h))
                where = {(int(r), int(c), int(a)): i for i, ((r, c), a) in enumerate(zip(dec.cells, dec.anchors))}
                err = max(float(np.abs(back[where[(*o.cell, o.anchor)]] - sc.boxes[o.index]).max()) for o in ok)
                st.caption(f"decode(encode(boxes)) gives back {len(dec.boxes)} boxes; largest error "
                           f"{err:.2e} px (`core.detection.yolo_grid`).")


with tabs[3]:
    if _is_open(3):
        _grid_tab()

# --------------------------------------------------------------------------- 5 sliding windows
from core.detection import sliding as SL  # noqa: E402


@st.cache_data(show_spinner=False, max_entries=8)
def _canvas(n: int, side: int, seed: int) -> SL.DigitCanvas:
    return SL.digit_canvas(n, (side, side), seed=seed)


def _sliding_tab() -> None:
    st.subheader("Sliding windows, and the same thing done by convolution")
    st.write("The oldest detector: crop a window, classify it, move it a few pixels, repeat over the "
             "whole picture (then again with bigger windows). Every crop is a separate pass through "
             "the network, so it is slow. The fix: turn the classifier's fully connected layers into "
             "convolutions (the first FC becomes a convolution as large as its input map, the others "
             "1×1), feed the **whole picture once**, and get every window's answer in one output map.")
    shapes = {n: SL.output_shapes(n) for n in (14, 16, 28)}
    layer_names = [name for name, _ in shapes[14]]
    st.dataframe(pd.DataFrame({f"{n}×{n}×3 input": [f"{a}×{b}×{c}" for _, (a, b, c) in shapes[n]]
                               for n in shapes}, index=layer_names), width="stretch")
    ver = SL.verify_notes_example()
    st.caption("The lecture's example network (14×14×3 window, stride 2 between windows): "
               + "; ".join(f"{v['size'][0]}×{v['size'][1]} → {v['shape'][0]}×{v['shape'][1]}×{v['shape'][2]} "
                           f"({v['windows']} windows, crops vs one pass differ by {v['max_abs_diff']:.1e})"
                           for v in ver) + " — computed with a seeded random network.")

    lm5 = model_or_error("lenet5-digits-windows")
    if lm5 is None:
        return
    st.markdown(f"**On real digits:** {lm5.provenance}. Its window is 32×32; the 11th class is how a "
                "sliding-window detector says *nothing here* (the notes' detector is trained on tight "
                "crops of the object and on crops without it).")
    c1, c2, c3, c4 = st.columns(4)
    side = c1.select_slider("Canvas size", [64, 96, 128, 192, 256], 128, key="det-sw-side")
    n = c2.slider("Digits", 1, 12, 5, key="det-sw-n")
    seed = c3.number_input("Seed", 0, 9999, 0, key="det-sw-seed")
    one = c4.toggle("Crops one at a time", True, key="det-sw-one",
                    help="Off: the crops are classified in batches of 256 (still one pass per crop).")
    try:
        canvas = _canvas(int(n), int(side), int(seed))
    except ValueError as e:
        st.error(str(e))
        return
    conv_model = SL.fc_to_conv(lm5.model)
    with lm5.lock:
        r = SL.compare(lm5.model, canvas.image, batch_size=1 if one else 256, repeat=2,
                       conv_model=conv_model)
    m = st.columns(4)
    m[0].metric("Windows", f"{r.shape[0]}×{r.shape[1]} = {r.n_windows}")
    m[1].metric("Crops: time", f"{r.naive_seconds * 1000:.1f} ms")
    m[2].metric("One pass: time", f"{r.conv_seconds * 1000:.1f} ms", delta=f"{r.speedup:.0f}× faster")
    m[3].metric("Largest difference", f"{r.max_abs_diff:.1e}", help="Between the two probability maps.")
    c5, c6 = st.columns(2)
    thr = c5.slider("Digit probability above", 0.1, 0.99, 0.5, 0.01, key="det-sw-thr")
    nms_iou = c6.slider("NMS: suppress windows overlapping more than (IoU)", 0.05, 0.9, 0.3, 0.05,
                        key="det-sw-nms")
    raw = SL.clean_detections(r.conv, r.stride, r.window, threshold=thr, iou_threshold=1.0)
    dets = SL.clean_detections(r.conv, r.stride, r.window, threshold=thr, iou_threshold=nms_iou)
    score = SL.score_detections(dets, canvas)
    gray = np.repeat(canvas.to_uint8()[..., None], 3, axis=2)
    labels = list(lm5.labels)

    def _draw(ds, thickness):
        return draw_boxes(gray, np.array([d.box for d in ds], float).reshape(-1, 4),
                          np.array([d.label for d in ds], int), np.array([d.score for d in ds]),
                          labels, colour=(255, 193, 7), thickness=thickness, labels=len(ds) <= 20)

    big = max(1, 384 // max(canvas.image.shape))            # enlarge small canvases for drawing
    if big > 1:
        gray = np.kron(gray, np.ones((big, big, 1), np.uint8))
        raw = [SL.Detection(tuple(v * big for v in d.box), d.label, d.score, d.cell) for d in raw]
        dets = [SL.Detection(tuple(v * big for v in d.box), d.label, d.score, d.cell) for d in dets]
    a, b, c = st.columns(3)
    a.image(_draw(raw, 1), width="stretch",
            caption=f"Every window scoring above {thr:.2f} for a digit: {len(raw)}")
    b.image(_draw(dets, 2), width="stretch",
            caption=f"After NMS: {len(dets)} — found {score.found} of {score.digits} digits "
                    f"(right digit within 4 px), {score.false_alarms} false alarm(s). "
                    f"True digits: {' '.join(map(str, canvas.labels))}")
    digit_p = 1.0 - r.conv[..., SL.NO_DIGIT]
    fig = go.Figure(go.Heatmap(z=digit_p, text=r.conv[..., :SL.NO_DIGIT].argmax(-1),
                               texttemplate="%{text}" if r.n_windows <= 400 else None,
                               colorscale="Viridis", zmin=0, zmax=1, showscale=False,
                               hovertemplate="window row %{y}, col %{x}: digit %{text}, "
                                             "p(a digit) %{z:.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x")
    fig.update_layout(height=330, margin=dict(l=10, r=10, t=30, b=10),
                      title=dict(text=f"The one-pass map ({r.shape[0]}×{r.shape[1]}×11): p(a digit)",
                                 font=dict(size=13)))
    c.plotly_chart(fig, width="stretch", key="det-sw-map")
    st.caption(f"Window (i, j) of the map has its top-left corner at ({r.stride}·j, {r.stride}·i) in the "
               "canvas: the two 2×2 poolings make the stride 4. The boxes are as coarse as that grid "
               "and always 32×32 — the notes' point that sliding windows do not give accurate boxes, "
               "which YOLO's per-cell box regression (b_x, b_y, b_h, b_w) fixes.")


with tabs[4]:
    if _is_open(4):
        _sliding_tab()
