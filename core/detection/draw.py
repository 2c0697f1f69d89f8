"""Pictures of the Detection lab, drawn with numpy and OpenCV (RGB uint8 in, a new array out).

- :func:`grid_picture` — the YOLO grid over a picture: each responsible cell shaded in its
  object's class colour, the grid lines (dark and light, visible on any picture), every object's
  box, centre and the anchor it was given; :func:`notes_example_picture` draws the notes'
  300 px example on a light canvas, enlarged.
- :func:`nms_step_picture` — the candidates of one NMS step coloured by where they stand
  (:func:`core.detection.boxes.step_status`): :data:`STEP_COLOURS`; the boxes suppressed in that
  round are dashed and drawn on top, so they do not hide under the chosen box they overlap.
- :func:`enlarge` and :func:`detections_picture` — sliding-window detections on a digit canvas,
  small canvases enlarged so the boxes and labels can be read.

Every function takes ``stroke`` (default 1): a factor for line widths, dots and label sizes, so
a page in presentation mode can pass 1.5 and get boxes and labels legible on a projector.
Nothing here knows about Streamlit; the page shows what these return.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Sequence

import cv2
import numpy as np

from .detector import class_colour, draw_boxes
from .yolo_grid import Example, YoloTarget

if TYPE_CHECKING:                      # core.detection.sliding imports torch: only for the types
    from .sliding import Detection, DigitCanvas

#: RGB of a box in each NMS status (:func:`core.detection.boxes.step_status`); "gone" is not drawn.
STEP_COLOURS: dict[str, tuple[int, int, int]] = {
    "kept": (46, 160, 67), "chosen": (255, 193, 7), "suppressed": (229, 57, 53),
    "live": (30, 136, 229), "dropped": (150, 150, 150)}
#: drawing order: later statuses are drawn on top (suppressed last: dashed over the chosen box)
STEP_ORDER = ("dropped", "live", "kept", "chosen", "suppressed")
GRID_DARK, GRID_LIGHT = (40, 40, 40), (255, 255, 255)
ANCHOR_UNDER, ANCHOR_LOST = (30, 30, 30), (229, 57, 53)
CANVAS_GREY = 245
WINDOW_COLOUR = (255, 193, 7)


# --------------------------------------------------------------------------- the YOLO grid

def grid_lines(S: int, h: int, w: int) -> tuple[list[int], list[int]]:
    """x and y pixel positions of the inner lines of an S×S grid over an h×w picture."""
    return [int(i * w / S) for i in range(1, S)], [int(i * h / S) for i in range(1, S)]


def cell_rect(cell: tuple[int, int], S: int, h: int, w: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) pixels of grid cell (row, col)."""
    r, c = cell
    return int(c * w / S), int(r * h / S), int((c + 1) * w / S), int((r + 1) * h / S)


def grid_picture(image: np.ndarray, target: YoloTarget, boxes_xyxy, names: Sequence[str],
                 stroke: float = 1.0) -> np.ndarray:
    """The grid over the picture, each object's box and centre, its responsible cell shaded, and
    the anchor it was given drawn at its centre (thin; red and "LOST" for an object the target
    could not hold). ``stroke`` scales every line, dot and label."""
    def px(v: float) -> int:
        return max(1, int(v * stroke + 0.5))

    out = np.ascontiguousarray(image).copy()
    h, w = out.shape[:2]
    S = target.grid
    for obj in target.objects:
        x0, y0, x1, y1 = cell_rect(obj.cell, S, h, w)
        col = class_colour(obj.class_id, len(names))
        region = out[y0:y1, x0:x1].astype(np.float32)
        out[y0:y1, x0:x1] = (region * 0.65 + np.array(col) * 0.35).astype(np.uint8)
    xs, ys = grid_lines(S, h, w)
    g = px(1)
    for x, y in zip(xs, ys):                           # a dark and a light line: visible on any picture
        for d in range(g):
            cv2.line(out, (x + d, 0), (x + d, h), GRID_DARK, 1)
            cv2.line(out, (x + g + d, 0), (x + g + d, h), GRID_LIGHT, 1)
            cv2.line(out, (0, y + d), (w, y + d), GRID_DARK, 1)
            cv2.line(out, (0, y + g + d), (w, y + g + d), GRID_LIGHT, 1)
    font = 0.45 * stroke
    for obj, b in zip(target.objects, np.asarray(boxes_xyxy, float).reshape(-1, 4)):
        col = class_colour(obj.class_id, len(names))
        cv2.rectangle(out, (int(b[0]), int(b[1])), (int(b[2]), int(b[3])), col, px(2))
        cx, cy = obj.box[0] * w, obj.box[1] * h
        cv2.circle(out, (int(cx), int(cy)), px(4), (255, 255, 255), -1)
        cv2.circle(out, (int(cx), int(cy)), px(4), col, px(1))
        ah, aw = target.anchors[obj.anchor] * (h / S, w / S)
        p1, p2 = (int(cx - aw / 2), int(cy - ah / 2)), (int(cx + aw / 2), int(cy + ah / 2))
        cv2.rectangle(out, p1, p2, ANCHOR_UNDER, px(3))    # dark under light: visible anywhere
        cv2.rectangle(out, p1, p2, (255, 255, 255) if obj.status == "assigned" else ANCHOR_LOST, px(1))
        label = f"#{obj.index} anchor {obj.anchor + 1}" + ("" if obj.status == "assigned" else " LOST")
        org = (int(b[0]) + px(3), int(b[3]) - px(5))
        cv2.putText(out, label, org, cv2.FONT_HERSHEY_SIMPLEX, font, ANCHOR_UNDER, px(3), cv2.LINE_AA)
        cv2.putText(out, label, org, cv2.FONT_HERSHEY_SIMPLEX, font, (255, 255, 255), px(1), cv2.LINE_AA)
    return out


def notes_example_picture(example: Example, target: YoloTarget, scale: int = 2,
                          stroke: float = 1.0) -> np.ndarray:
    """A worked example (:data:`core.detection.yolo_grid.NOTES_EXAMPLE`) on a light grey canvas,
    drawn ``scale`` times its size for legibility (``stroke``: see :func:`grid_picture`)."""
    w, h = example.image_size
    canvas = np.full((h * scale, w * scale, 3), CANVAS_GREY, np.uint8)
    return grid_picture(canvas, target, np.asarray(example.boxes_xyxy, float) * scale,
                        example.class_names, stroke)


# --------------------------------------------------------------------------- NMS steps

def nms_step_picture(image: np.ndarray, boxes, scores, status: np.ndarray,
                     stroke: float = 1.0) -> np.ndarray:
    """The candidate boxes on the picture, coloured by their status at one NMS step
    (:data:`STEP_COLOURS`): chosen and kept thick, the others thin; chosen, kept and
    suppressed boxes labelled. The boxes suppressed this round overlap the chosen one by
    definition (IoU ≥ the threshold), so they are drawn last, dashed (2 px) so the chosen box
    shows between the dashes, and tagged just "#index" under their bottom-right corner instead of
    on top of the chosen box's "#index score". ``stroke`` scales lines and labels."""
    b = np.asarray(boxes, float).reshape(-1, 4)
    s = np.asarray(scores).reshape(-1)
    names = [f"#{i}" for i in range(len(b))]
    pic = np.ascontiguousarray(image).copy()
    for name in STEP_ORDER:
        sel = np.flatnonzero(status == name)
        if len(sel):
            suppressed = name == "suppressed"
            pic = draw_boxes(pic, b[sel], sel, None if suppressed else s[sel], names,
                             colour=STEP_COLOURS[name],
                             labels=name in ("chosen", "kept", "suppressed"),
                             thickness=3 if name in ("chosen", "kept") else 2 if suppressed else 1,
                             stroke=stroke, dashed=suppressed,
                             label_at="bottom" if suppressed else "top")
    return pic


# --------------------------------------------------------------------------- sliding windows

def enlarge_factor(shape: Sequence[int], side: int = 384) -> int:
    """The whole-number factor that brings a picture's longer side near ``side`` (at least 1)."""
    return max(1, side // max(shape[:2]))


def enlarge(image: np.ndarray, *detections: Sequence[Detection], side: int = 384
            ) -> tuple[np.ndarray, list[list[Detection]]]:
    """A small picture enlarged by :func:`enlarge_factor` (pixel blocks, no smoothing) and each
    list of detections scaled with it."""
    big = enlarge_factor(image.shape, side)
    if big == 1:
        return image, [list(d) for d in detections]
    shape = (big, big, 1) if image.ndim == 3 else (big, big)
    out = np.kron(image, np.ones(shape, image.dtype))
    return out, [[dataclasses.replace(d, box=tuple(v * big for v in d.box)) for d in ds]
                 for ds in detections]


def canvas_rgb(canvas: DigitCanvas) -> np.ndarray:
    """A digit canvas as an RGB uint8 picture (light digits on black, as the model sees them)."""
    return np.repeat(canvas.to_uint8()[..., None], 3, axis=2)


def detections_picture(image: np.ndarray, detections: Sequence[Detection], labels: Sequence[str],
                       thickness: int, stroke: float = 1.0) -> np.ndarray:
    """Sliding-window detections as amber boxes, labelled "digit score" when there are at most 20."""
    return draw_boxes(image, np.array([d.box for d in detections], float).reshape(-1, 4),
                      np.array([d.label for d in detections], int),
                      np.array([d.score for d in detections]), list(labels), colour=WINDOW_COLOUR,
                      thickness=thickness, labels=len(detections) <= 20, stroke=stroke)


def sliding_pictures(canvas: DigitCanvas, raw: Sequence[Detection], kept: Sequence[Detection],
                     labels: Sequence[str], side: int = 384, stroke: float = 1.0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Every window over the threshold (thin) and the windows NMS keeps (thick) on the canvas,
    enlarged to about ``side`` px."""
    gray, (raw, kept) = enlarge(canvas_rgb(canvas), raw, kept, side=side)
    return (detections_picture(gray, raw, labels, 1, stroke),
            detections_picture(gray, kept, labels, 2, stroke))
