"""IoU: two boxes on sliders, their intersection and union, and the IoU that NMS and mAP use."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from core.detection import boxes as B
from dashboard import figures

TRUTH, PREDICTION, INTERSECTION = "#2e7d32", "#1565c0", "#e53935"
PRESETS = {"Good match": ((20, 20, 50, 40), (28, 26, 50, 40)),
           "Half the size": ((20, 20, 60, 60), (20, 20, 30, 60)),
           "Just touching": ((10, 10, 40, 40), (50, 10, 40, 40)),
           "Same centre, different shape": ((35, 20, 30, 60), (20, 35, 60, 30))}


def _box_sliders(name: str, role: str, start, preset) -> tuple[int, int, int, int]:
    st.markdown(f"**Box {name}** ({role})")
    return tuple(st.slider(f"{name}: {what}", lo, hi, int(v), key=f"det-iou-{name}{what}-{preset}")
                 for what, v, lo, hi in zip(("x", "y", "width", "height"), start, (0, 0, 1, 1), (99, 99, 100, 100)))


def _figure(a, b, parts: B.IoUParts) -> go.Figure:
    fig = go.Figure()
    for (x1, y1, x2, y2), col, name in ((a, TRUTH, "A"), (b, PREDICTION, "B")):
        fig.add_shape(type="rect", x0=x1, y0=y1, x1=x2, y1=y2, line=dict(color=col, width=3),
                      fillcolor=col, opacity=0.18)
        fig.add_annotation(x=x1, y=y1, text=name, showarrow=False, xanchor="left", yanchor="bottom",
                           font=dict(color=col, size=16))
    if parts.overlaps:
        ix1, iy1, ix2, iy2 = parts.intersection_box
        fig.add_shape(type="rect", x0=ix1, y0=iy1, x1=ix2, y1=iy2, line=dict(color=INTERSECTION, width=2),
                      fillcolor=INTERSECTION, opacity=0.55)
    fig.update_xaxes(range=[0, 200], showgrid=True, gridcolor="#eee", zeroline=False, constrain="domain")
    fig.update_yaxes(range=[200, 0], showgrid=True, gridcolor="#eee", zeroline=False, scaleanchor="x",
                     constrain="domain")
    fig.update_layout(height=round(460 * figures.sizes().scale),  # taller when presenting
                      margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="white")
    return fig


def render() -> None:
    st.subheader("Intersection over union")
    st.write("How well does a predicted box match the true one? Divide the area they share by the "
             "area they cover together. 1 means identical, 0 means no overlap. By convention a "
             "prediction with **IoU ≥ 0.5** counts as correct; stricter tasks ask for more.")
    st.latex(r"\mathrm{IoU}(A,B)=\frac{|A\cap B|}{|A\cup B|}=\frac{|A\cap B|}{|A|+|B|-|A\cap B|}")
    preset = st.segmented_control("Start from", list(PRESETS), default="Good match", key="det-iou-preset")
    start = PRESETS.get(preset or "Good match")
    c1, c2 = st.columns(2)
    with c1:
        ax, ay, aw, ah = _box_sliders("A", "truth, green", start[0], preset)
    with c2:
        bx, by, bw, bh = _box_sliders("B", "prediction, blue", start[1], preset)
    a, b = (ax, ay, ax + aw, ay + ah), (bx, by, bx + bw, by + bh)
    p = B.iou_parts(a, b)
    g, n = st.columns([3, 2])
    figures.show(_figure(a, b, p), "det-iou-fig", slot=g, width="stretch")
    with n:
        good = p.iou >= 0.5
        st.metric("IoU", f"{p.iou:.3f}", delta="≥ 0.5: counts as correct" if good else
                  "< 0.5: counts as a miss", delta_color="normal" if good else "inverse")
        st.markdown(f"- |A| = {aw}×{ah} = **{p.area_a:g}**\n- |B| = {bw}×{bh} = **{p.area_b:g}**\n"
                    f"- |A∩B| (red) = **{p.intersection:g}**\n"
                    f"- |A∪B| = {p.area_a:g} + {p.area_b:g} − {p.intersection:g} = **{p.union:g}**\n"
                    f"- IoU = {p.intersection:g} / {p.union:g} = **{p.iou:.3f}**")
        st.caption("Computed by `core.detection.boxes.iou`, the same function NMS and the mAP "
                   "use (vectorised over N×M boxes, equal to `torchvision.ops.box_iou`).")
