"""NMS step by step: the notes' non-max suppression on the model's real candidates, checked
against torchvision."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.detection import boxes as B
from core.detection import draw
from core.detection.detector import ultralytics_nms
from dashboard import figures
from dashboard.figures import sizes
from dashboard.i18n import _

from .common import class_name, detect_settings, detector, scene, shown

FLOOR = 0.05            # candidates are fetched down to this score
MAX_TOP = 80            # at most this many candidates of one class are stepped through
PICTURE_SIDE = 768      # smaller pictures are enlarged to about this for drawing


@st.cache_data(show_spinner=False, max_entries=4)
def _default_picture(bundled: bool) -> np.ndarray:
    if bundled:
        return scene(7).image
    from core.images import load_sample

    return load_sample("bus", max_side=960)


def _labels(ix) -> list[str]:
    return [f"#{int(i)}" for i in ix]


def render() -> None:
    st.subheader(_("Non-max suppression, one step at a time"))
    st.write(_("The detector proposes many overlapping boxes for each object: every grid cell and "
               "anchor near it believes it found the thing. Non-max suppression keeps one:"))
    st.markdown(_("1. drop every box with **p_c ≤ 0.6**;\n"
                  "2. repeat until no box is left: take the box with the **highest p_c** (keep it), "
                  "and remove every remaining box whose **IoU with it is ≥ 0.5**."))
    det = detector()
    if det is None:
        return
    names = det.names
    image = st.session_state.get("det-last-image")
    origin = _("the picture from the Detect tab")
    if image is None:
        image, origin = _default_picture(det.bundled), _("a default picture (open the Detect tab to choose)")
    st.caption(_("Candidates: the model's real raw predictions on {origin}, before ultralytics' NMS. "
                 "YOLO11 is anchor-free and has no separate objectness: each of its anchor points (one "
                 "per cell of its stride-8, -16 and -32 grids) predicts a box and class probabilities, "
                 "and the best class probability plays the role of the notes' p_c.").format(origin=origin))
    d_conf, d_iou, d_classes = detect_settings(det)
    res = det.detect(image, conf=min(FLOOR, d_conf), iou=d_iou, candidate_floor=FLOOR,
                     imgsz=st.session_state.get("det-imgsz"))
    cand = res.candidates
    if not len(cand.scores):
        st.warning(_("The model proposes no box scoring above {floor} on this picture. Choose another "
                     "picture in the Detect tab (a generated scene works with the bundled detector).").format(
            floor=FLOOR))
        return
    counts = np.bincount(cand.classes, minlength=len(names))
    order = [int(c) for c in np.argsort(-counts) if counts[c]]
    c1, c2, c3, c4 = st.columns(4)
    cls = c1.selectbox(_("Class"), order, key="det-nms-class",
                       format_func=shown(order, lambda c: _("{name} ({n} candidates)").format(
                           name=class_name(names[c]), n=counts[c])),
                       help=_("NMS runs per class: boxes of different classes never suppress each other."))
    top = c2.slider(_("Candidates (highest first)"), 2, MAX_TOP, 25, key="det-nms-top")
    p_thr = c3.slider(_("Drop p_c ≤"), FLOOR, 0.95, 0.6, 0.01, key="det-nms-pc",
                      help=_("Candidates are fetched down to p_c {floor}.").format(floor=FLOOR))
    iou_thr = c4.slider(_("Suppress IoU ≥"), 0.1, 0.95, 0.5, 0.05, key="det-nms-iou")
    st.button(_("Use the Detect tab's thresholds"), key="det-nms-detect-go", on_click=_as_detect,
              args=(d_conf, d_iou), help=_("p_c > {conf:.2f}, IoU {iou:.2f}, every candidate (up to {top}): "
                                           "the steps then keep what the Detect tab shows.").format(
                                               conf=d_conf, iou=d_iou, top=MAX_TOP))
    idx = np.flatnonzero(cand.classes == cls)[:top]
    bxs, scs = cand.boxes[idx], cand.scores[idx]           # unclipped: the boxes ultralytics compares
    steps = B.nms_steps(bxs, scs, score_threshold=p_thr, iou_threshold=iou_thr, inclusive=True)
    k = st.slider(_("Step"), 0, len(steps) - 1, 0, key=f"det-nms-step-{cls}-{top}-{p_thr}-{iou_thr}",
                  help=_("0: the score drop; then one round per kept box; the last step is the result."))
    status = B.step_status(steps, len(idx), k)
    step = steps[k]
    ious = dict(zip(map(int, step.suppressed), step.suppressed_iou)) if step.kind == "round" else None
    left, right = st.columns([3, 2])
    left.image(draw.nms_step_picture(image, cand.clipped(res.image_shape)[idx], scs, status,
                                     stroke=sizes().scale, suppressed_iou=ious, side=PICTURE_SIDE),
               width="stretch",
               caption=_("green: kept · yellow: chosen this round · red, dashed, drawn on top: "
                         "suppressed this round, tagged with its IoU with the yellow box · blue: still "
                         "in play · grey: dropped by the p_c threshold"))
    with right:
        _explain(step, scs, len(idx), p_thr)
    _check(bxs, scs, p_thr, iou_thr)
    kept = idx[steps[-1].kept]
    ultra = ultralytics_nms(cand, d_conf, d_iou)
    if d_classes is not None:
        ultra = ultra[np.isin(cand.classes[ultra], d_classes)]
    _versus_detect(names, cls, kept, ultra, cand.classes, (d_conf, d_iou, d_classes),
                   (p_thr, iou_thr, top, len(np.flatnonzero(cand.classes == cls))))


def _as_detect(conf: float, iou: float) -> None:
    st.session_state.update({"det-nms-pc": max(FLOOR, round(conf, 2)), "det-nms-iou": iou,
                             "det-nms-top": MAX_TOP})


def _explain(step: B.NMSStep, scs: np.ndarray, n: int, p_thr: float) -> None:
    if step.kind == "drop":
        st.markdown(_("**Step 0: drop p_c ≤ {p:.2f}.** {dropped} of {n} boxes "
                      "go; {left} remain, sorted by p_c.").format(p=p_thr, dropped=len(step.dropped), n=n,
                                                                 left=len(step.survivors)))
        figures.table(st, pd.DataFrame({_("box"): _labels(step.survivors), "p_c": scs[step.survivors]}),
                     hide_index=True, height=260)
    elif step.kind == "round":
        st.markdown(_("**Round {round}:** the highest p_c left is box #{chosen} "
                      "(p_c {score:.3f}): **keep it**. IoU with the others still in play:").format(
            round=step.round, chosen=step.chosen, score=step.chosen_score))
        figures.table(st, pd.DataFrame({
            _("box"): _labels(step.compared), "p_c": scs[step.compared],
            _("IoU with chosen"): np.round(step.compared_iou, 3),
            _("verdict"): np.where(np.isin(step.compared, step.suppressed), _("suppressed"), _("stays"))}),
            hide_index=True, height=260)
        st.caption(_("{n} suppressed, {left} left for the next round.").format(
            n=len(step.suppressed), left=len(step.remaining)))
    else:
        st.markdown(_("**Done:** {k} box(es) kept out of {n} candidates: {boxes}").format(
            k=len(step.kept), n=n, boxes=", ".join(f"#{i} ({scs[i]:.2f})" for i in step.kept)))


def _check(bxs: np.ndarray, scs: np.ndarray, p_thr: float, iou_thr: float) -> None:
    """The check line: our NMS against torchvision's (`core.detection.boxes.check_nms`)."""
    c = B.check_nms(bxs, scs, p_thr, iou_thr)
    values = dict(ours=list(map(int, c.ours)), tv=list(map(int, c.torchvision)),
                  stepped=list(map(int, c.stepped)))
    text = {(True, False): _("Check: `core.detection.boxes.nms` keeps {ours}; `torchvision.ops.nms` keeps "
                             "{tv} — identical. The steps above keep {stepped}."),
            (False, False): _("Check: `core.detection.boxes.nms` keeps {ours}; `torchvision.ops.nms` keeps "
                              "{tv} — DIFFERENT. The steps above keep {stepped}."),
            (True, True): _("Check: `core.detection.boxes.nms` keeps {ours}; `torchvision.ops.nms` keeps "
                            "{tv} — identical. The steps above keep {stepped} (differs only where an IoU "
                            "equals the threshold exactly: the notes suppress at ≥, torchvision at >)."),
            (False, True): _("Check: `core.detection.boxes.nms` keeps {ours}; `torchvision.ops.nms` keeps "
                             "{tv} — DIFFERENT. The steps above keep {stepped} (differs only where an IoU "
                             "equals the threshold exactly: the notes suppress at ≥, torchvision at >).")
            }[(bool(c.same), bool(c.ties_differ))]
    (st.success if c.same else st.error)(text.format(**values))


def _versus_detect(names, cls: int, kept: np.ndarray, ultra: np.ndarray, classes: np.ndarray,
                   detect: tuple, here: tuple) -> None:
    """What ultralytics keeps with the Detect tab's thresholds (the boxes that tab shows), and
    how that compares with the steps above: both counted here, from the same candidates."""
    d_conf, d_iou, d_classes = detect
    p_thr, iou_thr, top, n_cls = here
    mine = ultra[classes[ultra] == cls]
    values = dict(conf=d_conf, iou=d_iou, shown=len(ultra), mine=len(mine), name=class_name(names[cls]),
                  p=p_thr, q=iou_thr, top=min(top, n_cls), n=n_cls, kept=len(kept),
                  classes=", ".join(class_name(names[c]) for c in d_classes or []))
    if d_classes is None:
        text = _("**The Detect tab** (confidence > {conf:.2f}, NMS IoU > {iou:.2f}) shows "
                 "**{shown}** boxes on this picture, **{mine}** of them {name}: ultralytics' "
                 "own NMS on these candidates. **The steps above** (p_c > {p:.2f}, IoU ≥ {q:.2f}, "
                 "the top {top} of {n} {name} candidates) keep **{kept}**.")
    else:
        text = _("**The Detect tab** (confidence > {conf:.2f}, NMS IoU > {iou:.2f}, classes {classes}) shows "
                 "**{shown}** boxes on this picture, **{mine}** of them {name}: ultralytics' "
                 "own NMS on these candidates. **The steps above** (p_c > {p:.2f}, IoU ≥ {q:.2f}, "
                 "the top {top} of {n} {name} candidates) keep **{kept}**.")
    text = text.format(**values)
    same = set(map(int, kept)) == set(map(int, mine))
    if same:
        text += " " + _("The same boxes.")
    elif np.allclose((p_thr, iou_thr), (d_conf, d_iou)) and top >= n_cls:
        text += " " + _("Not the same boxes: an IoU exactly at the threshold, or a box that ultralytics "
                        "drops past its limit of 300 detections.")
    else:
        text += " " + _("The thresholds differ: press *Use the Detect tab's thresholds* to make them agree.")
    st.markdown(text)
