"""Grid & anchors: the YOLO grid, the target vector y of a cell and anchor boxes, on the notes'
example and on a generated scene."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.detection import draw, scenes
from core.detection import yolo_grid as YG
from dashboard import figures
from dashboard.figures import sizes
from dashboard.i18n import N_, _

from .common import scene_picker, shown

PICTURE_SIDE = 768      # a generated scene (384 px) is drawn at twice its size
ANCHORS = {N_("tall + wide"): [(1.5, 0.75), (0.75, 1.5)], N_("one square"): [(1.0, 1.0)],
           N_("small + large"): [(0.6, 0.6), (1.6, 1.6)]}
#: the notes' example (``yolo_grid.NOTES_EXAMPLE`` / ``NOTES_FAILURE``): its titles and class names
NOTES_TEXTS = (N_("A pedestrian and a car in one cell"), N_("Three objects in one cell, two anchors"),
               N_("pedestrian"), N_("car"), N_("motorcycle"))
#: an object's place in the target (``ObjectAssignment.status``)
STATUS = {"assigned": N_("assigned"), "dropped": N_("dropped"), "overwritten": N_("overwritten")}


def render() -> None:
    st.subheader(_("The YOLO grid, the target vector y and anchor boxes"))
    st.write(_("YOLO lays an S×S grid over the picture. The cell that holds an object's **centre** is "
             "responsible for it and must output y = [p_c, b_x, b_y, b_h, b_w, c₁…c_C]: b_x, b_y is "
             "the centre inside the cell (0…1), b_h, b_w the size in cell units (larger than 1 when the "
             "object spans several cells). With **anchor boxes** each cell has one such group per "
             "anchor shape, and each object goes to the anchor whose shape fits it best (shape IoU)."))
    st.latex(_(r"y_{\text{cell}}=[\underbrace{p_c,b_x,b_y,b_h,b_w,c_1,\dots,c_C}_{\text{anchor 1}},"
               r"\underbrace{p_c,b_x,b_y,b_h,b_w,c_1,\dots,c_C}_{\text{anchor 2}}]\qquad"
               r"\text{target: } S\times S\times B(5+C)"))
    ex_tab, scene_tab = st.tabs([_("The notes' example"), _("On a generated scene")])
    with ex_tab:
        _notes_example()
    with scene_tab:
        _on_a_scene()


def _notes_example() -> None:
    fail = st.toggle(_("Add a motorcycle in the same cell (the failure case)"), key="det-yolo-fail")
    ex = YG.NOTES_FAILURE if fail else YG.NOTES_EXAMPLE
    target = ex.encode()
    s = sizes()                 # presenting: thicker lines, larger labels
    a, t = st.columns([3, 2])
    a.image(draw.notes_example_picture(ex, target, scale=2, stroke=s.scale, gettext=_), width="stretch",  # 2 × 300 px
            caption=_("{title}: 3×3 grid, anchors (h, w) = {anchors} cells; white/red "
                      "thin box: the anchor each object got, at its centre").format(title=_(ex.title),
                                                                                   anchors=ex.anchors))
    with t:
        st.markdown(_("Classes: {classes}. Target shape **{s0}×{s1}×{s2}** = 3×3×2·(5+3).").format(
            classes=", ".join(f"c{i + 1} {_(n)}" for i, n in enumerate(ex.class_names)),
            s0=target.y.shape[0], s1=target.y.shape[1], s2=target.y.shape[2]))
        _cell_vector(target, ex.class_names, "det-yolo-ex")
    _objects(target, ex.class_names)
    if fail:
        st.caption(_("YOLO with 2 anchors cannot represent a third object in a cell, nor two "
                     "objects that both want the same anchor; the notes leave this unsolved "
                     "(a finer grid makes it rare)."))


def _on_a_scene() -> None:
    c1, c2, c3 = st.columns(3)
    with c1:
        sc = scene_picker("det-yolo-scene", 21)
    S = c2.slider(_("Grid S"), 2, 19, 7, key="det-yolo-s")
    preset = c3.selectbox(_("Anchors (h, w) in cells"), list(ANCHORS), key="det-yolo-anchors",
                          format_func=shown(ANCHORS))
    h, w = sc.image.shape[:2]
    target = YG.encode(sc.boxes, sc.classes, len(scenes.CLASSES), ANCHORS[preset], S, box_format="xyxy",
                       image_size=(w, h))
    s = sizes()
    a, t = st.columns([3, 2])
    a.image(draw.grid_picture(sc.image, target, sc.boxes, scenes.CLASSES, stroke=s.scale, side=PICTURE_SIDE,
                              gettext=_),
            width="stretch",
            caption=_("{S}×{S} grid; shaded: responsible cells; white/red thin box: the anchor each "
                      "object got, at its centre").format(S=S))
    with t:
        st.markdown(_("Target shape **{S}×{S}×{depth}**; {n} objects, {k} conflict(s).").format(
            S=S, depth=target.y.shape[2], n=len(sc.boxes), k=len(target.conflicts)))
        _cell_vector(target, scenes.CLASSES, "det-yolo-scene")
    _objects(target, scenes.CLASSES)
    back = YG.round_trip(target, sc.boxes, (w, h))
    if back.max_error is not None:
        st.caption(_("decode(encode(boxes)) gives back {n} boxes; largest error "
                     "{err:.2e} px (`core.detection.yolo_grid`).").format(n=back.decoded, err=back.max_error))


def _objects(target: YG.YoloTarget, names) -> None:
    """Every object: its cell, its shape IoU with each anchor, the anchor it got; then conflicts."""
    rows = []
    for obj in target.objects:
        rows.append({_("object"): f"#{obj.index} {_(names[obj.class_id])}",
                     _("cell (row, col)"): str(obj.cell),
                     **{_("shape IoU a{k}").format(k=a + 1): round(float(v), 3) for a, v in enumerate(obj.anchor_iou)},
                     _("anchor"): obj.anchor + 1, _("status"): _(STATUS.get(obj.status, obj.status))})
    figures.table(st, pd.DataFrame(rows), hide_index=True, width="stretch")
    for cf in target.conflicts:
        if cf.objects_in_cell > cf.num_anchors:
            text = _("Cell {cell}, anchor {anchor}: {objects} objects in one cell but only {anchors} anchor "
                     "boxes — object #{lost} is not in the target (object #{kept} holds the slot).")
        else:
            text = _("Cell {cell}, anchor {anchor}: two objects in one cell fit the same anchor box best — "
                     "object #{lost} is not in the target (object #{kept} holds the slot).")
        st.error(text.format(cell=cf.cell, anchor=cf.anchor + 1, objects=cf.objects_in_cell,
                             anchors=cf.num_anchors, lost=cf.lost, kept=cf.kept))


def _cell_vector(target: YG.YoloTarget, names, key: str) -> None:
    """The B·(5+C) numbers of one responsible cell, one column per anchor."""
    cells = sorted({obj.cell for obj in target.objects})
    if not cells:
        st.caption(_("No object in this picture: every cell's p_c is 0."))
        return
    which = st.selectbox(_("Show the target vector y of cell"), cells, key=f"{key}-cell-{target.grid}",
                         format_func=shown(cells, lambda rc: _("row {row}, col {col}").format(row=rc[0], col=rc[1])))
    groups = target.cell(*which)
    figures.table(st, pd.DataFrame({_("anchor {k}").format(k=a + 1): np.round(g, 3) for a, g in enumerate(groups)},
                              index=YG.y_labels(1, [_(n) for n in names])),
                 width="content", height=38 + 35 * groups.shape[1])
    st.caption(_("p_c = 0 means no object for that anchor: the rest of its numbers are "
                 "\"don't care\" (shown as 0)."))
