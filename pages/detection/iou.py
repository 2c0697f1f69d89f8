"""IoU: two boxes on sliders, their intersection and union, and the IoU that NMS and mAP use."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from core.detection import boxes as B
from dashboard import figures
from dashboard.i18n import N_, _

from .common import shown

TRUTH, PREDICTION, INTERSECTION = "#2e7d32", "#1565c0", "#e53935"
PRESETS = {N_("Good match"): ((20, 20, 50, 40), (28, 26, 50, 40)),
           N_("Half the size"): ((20, 20, 60, 60), (20, 20, 30, 60)),
           N_("Just touching"): ((10, 10, 40, 40), (50, 10, 40, 40)),
           N_("Same centre, different shape"): ((35, 20, 30, 60), (20, 35, 60, 30))}


SIDES = ("x", "y", N_("width"), N_("height"))


def _box_sliders(name: str, role: str, start, preset) -> tuple[int, int, int, int]:
    st.markdown(_("**Box {name}** ({role})").format(name=name, role=role))
    return tuple(st.slider(f"{name}: {_(what)}", lo, hi, int(v), key=f"det-iou-{name}{what}-{preset}")
                 for what, v, lo, hi in zip(SIDES, start, (0, 0, 1, 1), (99, 99, 100, 100)))


def view_range(a, b, margin: float = 0.15) -> tuple[tuple[float, float], tuple[float, float]]:
    """(x range, y range) that hold both xyxy boxes with ``margin`` of their joint extent on
    every side (at least 5 units), so the boxes fill the plot wherever the sliders put them."""
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[2], b[2]), max(a[3], b[3])
    m = max(5.0, margin * max(x1 - x0, y1 - y0))
    return (x0 - m, x1 + m), (y0 - m, y1 + m)


def _figure(a, b, parts: B.IoUParts) -> go.Figure:
    fig = go.Figure()
    for (x1, y1, x2, y2), col, name in ((a, TRUTH, "A"), (b, PREDICTION, "B")):
        fig.add_shape(type="rect", x0=x1, y0=y1, x1=x2, y1=y2, line=dict(width=0),
                      fillcolor=col, opacity=0.18)
        fig.add_shape(type="rect", x0=x1, y0=y1, x1=x2, y1=y2, line=dict(color=col, width=3))
    if parts.overlaps:
        ix1, iy1, ix2, iy2 = parts.intersection_box
        fig.add_shape(type="rect", x0=ix1, y0=iy1, x1=ix2, y1=iy2, line=dict(color=INTERSECTION, width=2),
                      fillcolor=INTERSECTION, opacity=0.55)
    s = figures.sizes()
    # each name inside its box's top-left corner (B's at its bottom-right when the corners meet)
    same_corner = abs(a[0] - b[0]) < 8 and abs(a[1] - b[1]) < 8
    for (x1, y1, x2, y2), col, name, corner in ((a, TRUTH, "A", "tl"),
                                                 (b, PREDICTION, "B", "br" if same_corner else "tl")):
        fig.add_annotation(x=x1 if corner == "tl" else x2, y=y1 if corner == "tl" else y2, text=f"<b>{name}</b>",
                           showarrow=False, xanchor="left" if corner == "tl" else "right",
                           yanchor="top" if corner == "tl" else "bottom", xshift=4 if corner == "tl" else -4,
                           yshift=-2 if corner == "tl" else 2, font=dict(color=col, size=round(18 * s.scale)))
    (xl, xh), (yl, yh) = view_range(a, b)
    fig.update_xaxes(range=[xl, xh], showgrid=True, gridcolor="#eee", zeroline=False, constrain="domain")
    fig.update_yaxes(range=[yh, yl], showgrid=True, gridcolor="#eee", zeroline=False, scaleanchor="x",
                     constrain="domain")
    fig.update_layout(height=round(460 * s.scale),  # taller when presenting
                      margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="white")
    return fig


def render() -> None:
    st.subheader(_("Intersection over union"))
    st.write(_("How well does a predicted box match the true one? Divide the area they share by the "
               "area they cover together. 1 means identical, 0 means no overlap. By convention a "
               "prediction with **IoU ≥ 0.5** counts as correct; stricter tasks ask for more."))
    st.latex(r"\mathrm{IoU}(A,B)=\frac{|A\cap B|}{|A\cup B|}=\frac{|A\cap B|}{|A|+|B|-|A\cap B|}")
    preset = st.segmented_control(_("Start from"), list(PRESETS), default="Good match", key="det-iou-preset",
                                  format_func=shown(PRESETS))
    start = PRESETS.get(preset or "Good match")
    c1, c2 = st.columns(2)
    with c1:
        ax, ay, aw, ah = _box_sliders("A", _("truth, green"), start[0], preset)
    with c2:
        bx, by, bw, bh = _box_sliders("B", _("prediction, blue"), start[1], preset)
    a, b = (ax, ay, ax + aw, ay + ah), (bx, by, bx + bw, by + bh)
    p = B.iou_parts(a, b)
    g, n = st.columns([3, 2])
    figures.show(_figure(a, b, p), "det-iou-fig", slot=g, width="stretch")
    with n:
        good = p.iou >= 0.5
        st.metric("IoU", f"{p.iou:.3f}", delta=_("≥ 0.5: counts as correct") if good else
                  _("< 0.5: counts as a miss"), delta_color="normal" if good else "inverse")
        st.markdown(_("- |A| = {aw}×{ah} = **{a:g}**\n- |B| = {bw}×{bh} = **{b:g}**\n"
                      "- |A∩B| (red) = **{i:g}**\n"
                      "- |A∪B| = {a:g} + {b:g} − {i:g} = **{u:g}**\n"
                      "- IoU = {i:g} / {u:g} = **{iou:.3f}**").format(
            aw=aw, ah=ah, bw=bw, bh=bh, a=p.area_a, b=p.area_b, i=p.intersection, u=p.union, iou=p.iou))
        st.caption(_("Computed by `core.detection.boxes.iou`, the same function NMS and the mAP "
                     "use (vectorised over N×M boxes, equal to `torchvision.ops.box_iou`)."))
