"""NMS step by step: the notes' non-max suppression on the model's real candidates, checked
against torchvision."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.detection import boxes as B
from core.detection import draw
from dashboard.figures import sizes

from .common import detector, scene


@st.cache_data(show_spinner=False, max_entries=4)
def _default_picture(bundled: bool) -> np.ndarray:
    if bundled:
        return scene(7).image
    from core.images import load_sample

    return load_sample("bus", max_side=960)


def _labels(ix) -> list[str]:
    return [f"#{int(i)}" for i in ix]


def render() -> None:
    st.subheader("Non-max suppression, one step at a time")
    st.write("The detector proposes many overlapping boxes for each object: every grid cell and "
             "anchor near it believes it found the thing. Non-max suppression keeps one:")
    st.markdown("1. drop every box with **p_c ≤ 0.6**;\n"
                "2. repeat until no box is left: take the box with the **highest p_c** (keep it), "
                "and remove every remaining box whose **IoU with it is ≥ 0.5**.")
    det = detector()
    if det is None:
        return
    names = det.names
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
    counts = np.bincount(cand.classes, minlength=len(names))
    order = [int(c) for c in np.argsort(-counts) if counts[c]]
    c1, c2, c3, c4 = st.columns(4)
    cls = c1.selectbox("Class", order, format_func=lambda c: f"{names[c]} ({counts[c]} candidates)",
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
    status = B.step_status(steps, len(idx), k)
    left, right = st.columns([3, 2])
    left.image(draw.nms_step_picture(image, bxs, scs, status, stroke=sizes().scale), width="stretch",
               caption="green: kept · yellow: chosen this round · red, dashed: suppressed this round "
                       "(drawn over the box that suppressed it) · blue: still in play · grey: dropped "
                       "by the p_c threshold")
    with right:
        _explain(steps[k], scs, len(idx), p_thr)
    _check(bxs, scs, p_thr, iou_thr, len(res))


def _explain(step: B.NMSStep, scs: np.ndarray, n: int, p_thr: float) -> None:
    if step.kind == "drop":
        st.markdown(f"**Step 0: drop p_c ≤ {p_thr:.2f}.** {len(step.dropped)} of {n} boxes "
                    f"go; {len(step.survivors)} remain, sorted by p_c.")
        st.dataframe(pd.DataFrame({"box": _labels(step.survivors), "p_c": scs[step.survivors]}),
                     hide_index=True, height=260)
    elif step.kind == "round":
        st.markdown(f"**Round {step.round}:** the highest p_c left is box #{step.chosen} "
                    f"(p_c {step.chosen_score:.3f}): **keep it**. IoU with the others still in play:")
        st.dataframe(pd.DataFrame({
            "box": _labels(step.compared), "p_c": scs[step.compared],
            "IoU with chosen": np.round(step.compared_iou, 3),
            "verdict": np.where(np.isin(step.compared, step.suppressed), "suppressed", "stays")}),
            hide_index=True, height=260)
        st.caption(f"{len(step.suppressed)} suppressed, {len(step.remaining)} left for the next round.")
    else:
        st.markdown(f"**Done:** {len(step.kept)} box(es) kept out of {n} candidates: "
                    + ", ".join(f"#{i} ({scs[i]:.2f})" for i in step.kept))


def _check(bxs: np.ndarray, scs: np.ndarray, p_thr: float, iou_thr: float, n_ultralytics: int) -> None:
    """The check line: our NMS against torchvision's (`core.detection.boxes.check_nms`)."""
    c = B.check_nms(bxs, scs, p_thr, iou_thr)
    (st.success if c.same else st.error)(
        f"Check: `core.detection.boxes.nms` keeps {list(map(int, c.ours))}; `torchvision.ops.nms` keeps "
        f"{list(map(int, c.torchvision))} — {'identical' if c.same else 'DIFFERENT'}. The steps above keep "
        f"{list(map(int, c.stepped))}"
        + ("" if not c.ties_differ else " (differs only where an IoU equals the threshold "
           "exactly: the notes suppress at ≥, torchvision at >)") + ".")
    st.caption(f"Ultralytics itself (conf 0.05, IoU 0.7, all classes) keeps {n_ultralytics} boxes on this "
               "picture; the Detect tab shows them.")
