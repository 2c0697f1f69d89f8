"""Sliding windows: crops one at a time against one pass of the fully convolutional network."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.detection import draw
from core.detection import sliding as SL
from dashboard import figures
from dashboard.widgets import model_or_error


@st.cache_data(show_spinner=False, max_entries=8)
def _canvas(n: int, side: int, seed: int) -> SL.DigitCanvas:
    return SL.digit_canvas(n, (side, side), seed=seed)


def render() -> None:
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
    raw_pic, dets_pic = draw.sliding_pictures(canvas, raw, dets, list(lm5.labels),
                                              stroke=figures.sizes().scale)
    a, b, c = st.columns(3)
    a.image(raw_pic, width="stretch",
            caption=f"Every window scoring above {thr:.2f} for a digit: {len(raw)}")
    b.image(dets_pic, width="stretch",
            caption=f"After NMS: {len(dets)} — found {score.found} of {score.digits} digits "
                    f"(right digit within 4 px), {score.false_alarms} false alarm(s). "
                    f"True digits: {' '.join(map(str, canvas.labels))}")
    digit_p, digit = SL.digit_map(r.conv)
    fig = figures.heatmap(digit_p, f"p(a digit), one pass ({r.shape[0]}×{r.shape[1]}×11)",
                          annotate=r.n_windows <= 400, text=digit, colorscale="Viridis", height=330,
                          zmin=0, zmax=1, gap=0, ticks=True,      # window (i, j), as in the caption
                          hover="window row %{y}, col %{x}: digit %{text}, p(a digit) %{z:.3f}<extra></extra>")
    figures.show(fig, "det-sw-map", slot=c, width="stretch")
    st.caption(f"Window (i, j) of the map has its top-left corner at ({r.stride}·j, {r.stride}·i) in the "
               "canvas: the two 2×2 poolings make the stride 4. The boxes are as coarse as that grid "
               "and always 32×32 — the notes' point that sliding windows do not give accurate boxes, "
               "which YOLO's per-cell box regression (b_x, b_y, b_h, b_w) fixes.")
