"""Sliding windows: crops one at a time against one pass of the fully convolutional network."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.detection import draw
from core.detection import sliding as SL
from dashboard import figures
from dashboard.i18n import _, tr
from dashboard.widgets import model_or_error


WINDOWS = (32, 48, 64)      # the image pyramid's window sizes (px in the original canvas)
PYRAMID_SIDE = 192          # its canvas: one digit per window size


@st.cache_data(show_spinner=False, max_entries=8)
def _canvas(n: int, side: int, seed: int) -> SL.DigitCanvas:
    return SL.digit_canvas(n, (side, side), seed=seed)


@st.cache_data(show_spinner=False, max_entries=1)
def _notes_example() -> list[dict]:
    """The notes' 14×14 example checked both ways (seeded: the same every run)."""
    return SL.verify_notes_example()


@st.cache_data(show_spinner=False, max_entries=16)
def _compare(_lm, name: str, n: int, side: int, seed: int, one: bool) -> SL.SlidingComparison:
    """Both ways over the canvas, timed once per canvas and crop mode: a rerun that only moves
    a threshold reads them again instead of sliding every window twice more."""
    canvas = _canvas(n, side, seed)
    with _lm.lock:
        return SL.compare(_lm.model, canvas.image, batch_size=1 if one else 256, repeat=2,
                          conv_model=SL.fc_to_conv(_lm.model))


def render() -> None:
    st.subheader(_("Sliding windows, and the same thing done by convolution"))
    st.write(_("The oldest detector: crop a window, classify it, move it a few pixels, repeat over the "
             "whole picture (then again with bigger windows). Every crop is a separate pass through "
             "the network, so it is slow. The fix: turn the classifier's fully connected layers into "
             "convolutions (the first FC becomes a convolution as large as its input map, the others "
             "1×1), feed the **whole picture once**, and get every window's answer in one output map."))
    shapes = {n: SL.output_shapes(n) for n in (14, 16, 28)}
    layer_names = [_(name) for name, _shape in shapes[14]]
    figures.table(st, pd.DataFrame({_("{n}×{n}×3 input").format(n=n): [f"{a}×{b}×{c}" for _name, (a, b, c) in shapes[n]]
                               for n in shapes}, index=layer_names), width="stretch")
    ver = _notes_example()
    st.caption(_("The lecture's example network (14×14×3 window, stride 2 between windows): {examples} — "
                 "computed with a seeded random network.").format(examples="; ".join(
                     _("{h}×{w} → {a}×{b}×{c} ({windows} windows, crops vs one pass differ by {diff:.1e})").format(
                         h=v['size'][0], w=v['size'][1], a=v['shape'][0], b=v['shape'][1], c=v['shape'][2],
                         windows=v['windows'], diff=v['max_abs_diff'])
                     for v in ver)))

    lm5 = model_or_error("lenet5-digits-windows")
    if lm5 is None:
        return
    st.markdown(_("**On real digits:** {provenance}. Its window is 32×32; the 11th class is how a "
                  "sliding-window detector says *nothing here* (the notes' detector is trained on tight "
                  "crops of the object and on crops without it).").format(provenance=tr(lm5.provenance)))
    c1, c2, c3, c4 = st.columns(4)
    side = c1.select_slider(_("Canvas size"), [64, 96, 128, 192, 256], 128, key="det-sw-side")
    n = c2.slider(_("Digits"), 1, 12, 5, key="det-sw-n")
    seed = c3.number_input(_("Seed"), 0, 9999, 0, key="det-sw-seed")
    one = c4.toggle(_("Crops one at a time"), True, key="det-sw-one",
                    help=_("Off: the crops are classified in batches of 256 (still one pass per crop)."))
    try:
        canvas = _canvas(int(n), int(side), int(seed))
    except ValueError as e:
        st.error(tr(e.args[0]) if len(e.args) == 1 else str(e))
        return
    with st.spinner(_("Sliding the window over the canvas…")):
        r = _compare(lm5, lm5.name, int(n), int(side), int(seed), bool(one))
    m = st.columns(4)
    m[0].metric(_("Windows"), f"{r.shape[0]}×{r.shape[1]} = {r.n_windows}")
    m[1].metric(_("Crops: time"), f"{r.naive_seconds * 1000:.1f} ms")
    m[2].metric(_("One pass: time"), f"{r.conv_seconds * 1000:.1f} ms",
                delta=_("{x:.0f}× faster").format(x=r.speedup))
    m[3].metric(_("Largest difference"), f"{r.max_abs_diff:.1e}", help=_("Between the two probability maps."))
    c5, c6 = st.columns(2)
    thr = c5.slider(_("Digit probability above"), 0.1, 0.99, 0.5, 0.01, key="det-sw-thr")
    nms_iou = c6.slider(_("NMS: suppress windows overlapping more than (IoU)"), 0.05, 0.9, 0.3, 0.05,
                        key="det-sw-nms")
    raw = SL.clean_detections(r.conv, r.stride, r.window, threshold=thr, iou_threshold=1.0)
    dets = SL.clean_detections(r.conv, r.stride, r.window, threshold=thr, iou_threshold=nms_iou)
    score = SL.score_detections(dets, canvas)
    raw_pic, dets_pic = draw.sliding_pictures(canvas, raw, dets, list(lm5.labels),
                                              stroke=figures.sizes().scale)
    a, b, c = st.columns(3)
    a.image(raw_pic, width="stretch",
            caption=_("Every window scoring above {thr:.2f} for a digit: {n}").format(thr=thr, n=len(raw)))
    b.image(dets_pic, width="stretch",
            caption=_("After NMS: {n} — found {found} of {digits} digits "
                      "(right digit within 4 px), {false} false alarm(s). "
                      "True digits: {truth}").format(n=len(dets), found=score.found, digits=score.digits,
                                                     false=score.false_alarms,
                                                     truth=" ".join(map(str, canvas.labels))))
    digit_p, digit = SL.digit_map(r.conv)
    fig = figures.heatmap(digit_p, _("p(a digit), one pass ({h}×{w}×11)").format(h=r.shape[0], w=r.shape[1]),
                          annotate=r.n_windows <= 400, text=digit, colorscale="Viridis", height=330,
                          zmin=0, zmax=1, gap=0, ticks=True,      # window (i, j), as in the caption
                          hover=_("window row %{y}, col %{x}: digit %{text}, p(a digit) %{z:.3f}<extra></extra>"))
    figures.show(fig, "det-sw-map", slot=c, width="stretch")
    st.caption(_("Window (i, j) of the map has its top-left corner at ({stride}·j, {stride}·i) in the "
                 "canvas: the two 2×2 poolings make the stride 4. The boxes are as coarse as that grid "
                 "and always 32×32 — the notes' point that sliding windows do not give accurate boxes, "
                 "which YOLO's per-cell box regression (b_x, b_y, b_h, b_w) fixes.").format(stride=r.stride))
    _pyramid(lm5, one, thr, nms_iou, int(seed))


@st.cache_data(show_spinner=False, max_entries=8)
def _pyramid_maps(_lm, name: str, seed: int, one: bool) -> tuple[SL.DigitCanvas, SL.PyramidResult]:
    """The canvas of digits in three sizes and both ways of sliding each window size over it
    (the expensive part: cached per seed and crop mode, read again for every threshold)."""
    canvas = SL.multiscale_canvas(WINDOWS, (PYRAMID_SIDE, PYRAMID_SIDE), seed=seed)
    with _lm.lock:
        res = SL.pyramid(_lm.model, canvas, WINDOWS, conv_model=SL.fc_to_conv(_lm.model),
                         batch_size=1 if one else 256)
    return canvas, res


def _pyramid(lm5, one: bool, thr: float, nms_iou: float, seed: int) -> None:
    st.markdown(_("#### Then a larger window: the image pyramid"))
    st.write(_("The notes: once the small window has been everywhere, *repeat with a larger window*. "
               "The classifier takes 32×32 and nothing else, so a 48×48 window is the 32×32 window on "
               "the picture shrunk by 32/48, and a 64×64 window on the picture shrunk by half: an "
               "**image pyramid**. Every size costs another full slide over the picture."))
    with st.spinner(_("Sliding windows of three sizes over the canvas…")):
        canvas, res = _pyramid_maps(lm5, lm5.name, seed, one)
    res = res.with_thresholds(thr, nms_iou)
    labels = list(lm5.labels)
    rows = []
    for lv in res.levels:
        r = lv.comparison
        rows.append({_("window"): f"{lv.window}×{lv.window}",
                     _("picture resized to"): f"{round(PYRAMID_SIDE * lv.scale)} px (× {lv.scale:.2f})",
                     _("windows"): f"{r.shape[0]}×{r.shape[1]} = {lv.n_windows}",
                     _("stride (px)"): round(lv.stride, 1),
                     _("crops (ms)"): round(r.naive_seconds * 1000, 1),
                     _("one pass (ms)"): round(r.conv_seconds * 1000, 1),
                     _("windows over the threshold (after NMS)"): len(lv.detections),
                     _("best window"): _("{label} (p {p:.2f}) at {at}").format(
                         label=labels[lv.best.label], p=lv.best.score, at=lv.best.box[:2])})
    figures.table(st, pd.DataFrame(rows), hide_index=True, width="stretch")
    per_size, both = draw.pyramid_pictures(canvas, res, labels, stroke=figures.sizes().scale)
    for c, pic, lv in zip(st.columns(len(per_size)), per_size, res.levels):
        c.image(pic, width="stretch", caption=_("{w}×{w} windows: {n} over {thr:.2f} after NMS; "
                                                "thick: the best one of this size").format(
            w=lv.window, n=len(lv.detections), thr=thr))
    score = SL.score_detections(res.detections, canvas, min_iou=0.5)
    sizes = ", ".join(_("a {digit} of {px} px").format(digit=d, px=b[2] - b[0])
                      for d, b in zip(canvas.labels, canvas.boxes))
    left, right = st.columns([1, 2])
    left.image(both, width="stretch",
               caption=_("All sizes together, then NMS across sizes (IoU > {iou:.2f}): "
                         "{n} windows, coloured by size; grey dashes: the digits' "
                         "true patches").format(iou=nms_iou, n=len(res.detections)))
    right.metric(_("Digits found"), _("{found} of {digits}").format(found=score.found, digits=score.digits),
                 help=_("Right digit, window IoU ≥ 0.5 with the digit's patch."))
    right.metric(_("False alarms"), score.false_alarms)
    right.caption(_("The canvas holds {sizes}.").format(sizes=sizes))
    cost = _("Cost: {n} windows in all ({parts}); crops {crops:.0f} ms one at a time, one pass per size "
             "{conv:.0f} ms (measured when this seed was first run).") if one else \
        _("Cost: {n} windows in all ({parts}); crops {crops:.0f} ms in batches of 256, one pass per size "
          "{conv:.0f} ms (measured when this seed was first run).")
    st.caption(cost.format(n=res.n_windows, parts=" + ".join(str(lv.n_windows) for lv in res.levels),
                           crops=res.naive_seconds * 1000, conv=res.conv_seconds * 1000) + " "
               + _("Each window size finds the digits of its own size; a window much smaller than a digit "
                   "sees one stroke and can still be sure it is a 1 or a 7 — the notes' warning that a "
                   "badly chosen window size ruins the accuracy."))
