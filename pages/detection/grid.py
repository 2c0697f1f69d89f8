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

from .common import scene_picker

PICTURE_SIDE = 768      # a generated scene (384 px) is drawn at twice its size
ANCHORS = {"tall + wide": [(1.5, 0.75), (0.75, 1.5)], "one square": [(1.0, 1.0)],
           "small + large": [(0.6, 0.6), (1.6, 1.6)]}


def render() -> None:
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
        _notes_example()
    with scene_tab:
        _on_a_scene()


def _notes_example() -> None:
    fail = st.toggle("Add a motorcycle in the same cell (the failure case)", key="det-yolo-fail")
    ex = YG.NOTES_FAILURE if fail else YG.NOTES_EXAMPLE
    target = ex.encode()
    s = sizes()                 # presenting: thicker lines, larger labels
    a, t = st.columns([3, 2])
    a.image(draw.notes_example_picture(ex, target, scale=2, stroke=s.scale), width="stretch",  # 2 × 300 px
            caption=f"{ex.title}: 3×3 grid, anchors (h, w) = {ex.anchors} cells; white/red "
                    "thin box: the anchor each object got, at its centre")
    with t:
        st.markdown(f"Classes: {', '.join(f'c{i + 1} {n}' for i, n in enumerate(ex.class_names))}. "
                    f"Target shape **{target.y.shape[0]}×{target.y.shape[1]}×{target.y.shape[2]}** "
                    f"= 3×3×2·(5+3).")
        _cell_vector(target, ex.class_names, "det-yolo-ex")
    _objects(target, ex.class_names)
    if fail:
        st.caption("YOLO with 2 anchors cannot represent a third object in a cell, nor two "
                   "objects that both want the same anchor; the notes leave this unsolved "
                   "(a finer grid makes it rare).")


def _on_a_scene() -> None:
    c1, c2, c3 = st.columns(3)
    with c1:
        sc = scene_picker("det-yolo-scene", 21)
    S = c2.slider("Grid S", 2, 19, 7, key="det-yolo-s")
    preset = c3.selectbox("Anchors (h, w) in cells", list(ANCHORS), key="det-yolo-anchors")
    h, w = sc.image.shape[:2]
    target = YG.encode(sc.boxes, sc.classes, len(scenes.CLASSES), ANCHORS[preset], S, box_format="xyxy",
                       image_size=(w, h))
    s = sizes()
    a, t = st.columns([3, 2])
    a.image(draw.grid_picture(sc.image, target, sc.boxes, scenes.CLASSES, stroke=s.scale, side=PICTURE_SIDE),
            width="stretch",
            caption=f"{S}×{S} grid; shaded: responsible cells; white/red thin box: the anchor each "
                    "object got, at its centre")
    with t:
        st.markdown(f"Target shape **{S}×{S}×{target.y.shape[2]}**; {len(sc.boxes)} objects, "
                    f"{len(target.conflicts)} conflict(s).")
        _cell_vector(target, scenes.CLASSES, "det-yolo-scene")
    _objects(target, scenes.CLASSES)
    back = YG.round_trip(target, sc.boxes, (w, h))
    if back.max_error is not None:
        st.caption(f"decode(encode(boxes)) gives back {back.decoded} boxes; largest error "
                   f"{back.max_error:.2e} px (`core.detection.yolo_grid`).")


def _objects(target: YG.YoloTarget, names) -> None:
    """Every object: its cell, its shape IoU with each anchor, the anchor it got; then conflicts."""
    rows = []
    for obj in target.objects:
        rows.append({"object": f"#{obj.index} {names[obj.class_id]}", "cell (row, col)": str(obj.cell),
                     **{f"shape IoU a{a + 1}": round(float(v), 3) for a, v in enumerate(obj.anchor_iou)},
                     "anchor": obj.anchor + 1, "status": obj.status})
    figures.table(st, pd.DataFrame(rows), hide_index=True, width="stretch")
    for cf in target.conflicts:
        st.error(f"Cell {cf.cell}, anchor {cf.anchor + 1}: {cf.reason} — object #{cf.lost} is not in "
                 f"the target (object #{cf.kept} holds the slot).")


def _cell_vector(target: YG.YoloTarget, names, key: str) -> None:
    """The B·(5+C) numbers of one responsible cell, one column per anchor."""
    cells = sorted({obj.cell for obj in target.objects})
    if not cells:
        st.caption("No object in this picture: every cell's p_c is 0.")
        return
    which = st.selectbox("Show the target vector y of cell", cells, key=f"{key}-cell-{target.grid}",
                         format_func=lambda rc: f"row {rc[0]}, col {rc[1]}")
    groups = target.cell(*which)
    figures.table(st, pd.DataFrame({f"anchor {a + 1}": np.round(g, 3) for a, g in enumerate(groups)},
                              index=YG.y_labels(1, list(names))),
                 width="content", height=38 + 35 * groups.shape[1])
    st.caption("p_c = 0 means no object for that anchor: the rest of its numbers are "
               "\"don't care\" (shown as 0).")
