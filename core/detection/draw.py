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
from typing import TYPE_CHECKING, Mapping, Sequence

import cv2
import numpy as np

from core import textdraw
from core.i18n import N_
from .detector import class_colour, draw_boxes
from .yolo_grid import Example, YoloTarget

if TYPE_CHECKING:                      # core.detection.sliding imports torch: only for the types
    from .sliding import Detection, DigitCanvas, PyramidResult

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
TRUTH_GREY = (160, 160, 160)
#: one colour per window size of an image pyramid, smallest first (amber, cyan, pink, green)
LEVEL_COLOURS = ((255, 193, 7), (0, 188, 212), (236, 64, 122), (124, 179, 66))


# --------------------------------------------------------------------------- the YOLO grid

def grid_lines(S: int, h: int, w: int) -> tuple[list[int], list[int]]:
    """x and y pixel positions of the inner lines of an S×S grid over an h×w picture."""
    return [int(i * w / S) for i in range(1, S)], [int(i * h / S) for i in range(1, S)]


def cell_rect(cell: tuple[int, int], S: int, h: int, w: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) pixels of grid cell (row, col)."""
    r, c = cell
    return int(c * w / S), int(r * h / S), int((c + 1) * w / S), int((r + 1) * h / S)


ANCHOR_TAGS = (N_("#{k} anchor {a}"), N_("#{k} anchor {a} LOST"))   # the objects' tags


def grid_picture(image: np.ndarray, target: YoloTarget, boxes_xyxy, names: Sequence[str],
                 stroke: float = 1.0, side: int | None = None, gettext=None) -> np.ndarray:
    """The grid over the picture, each object's box and centre, its responsible cell shaded, and
    the anchor it was given drawn at its centre (thin; red and "LOST" for an object the target
    could not hold). Each object's tag "#k anchor a" sits just outside its box, moved on where
    it would cover another tag. ``stroke`` scales every line, dot and label; ``side``: a smaller
    picture is first enlarged by a whole factor to about that many pixels (sharp lines and
    labels on screen)."""
    def px(v: float) -> int:
        return max(1, int(v * stroke + 0.5))

    out, big = for_display(image, side)
    boxes_xyxy = np.asarray(boxes_xyxy, float) * big
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
    font = max(0.45, min(1.2, 0.9 * max(h, w) / 768)) * stroke     # ≈15 px text however shown
    text_t = max(1, round(font * 2))
    placed: list[tuple[int, int, int, int]] = []
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
    for obj, b in zip(target.objects, np.asarray(boxes_xyxy, float).reshape(-1, 4)):
        lost = obj.status != "assigned"
        label = (gettext or str)(ANCHOR_TAGS[lost]).format(k=obj.index, a=obj.anchor + 1)
        _label(out, label, b, ANCHOR_UNDER if lost else class_colour(obj.class_id, len(names)),
               font, text_t, px(2), placed, frame=ANCHOR_LOST if lost else ANCHOR_UNDER)
    return out


def _label(out: np.ndarray, text: str, box, col, font: float, text_t: int, gap: int,
           placed: list[tuple[int, int, int, int]], frame=ANCHOR_UNDER) -> None:
    """``text`` on a filled tag in ``col`` (framed in ``frame``, dark or white text by the colour's
    lightness) just under the box's bottom-left corner, else just over its top-left corner,
    moved further out while it would cover a tag already ``placed`` (appended to it)."""
    h, w = out.shape[:2]
    (tw, th), base = textdraw.text_size(text, cv2.FONT_HERSHEY_SIMPLEX, font, text_t)
    lw, lh = tw + 6, th + base + 6
    x0 = int(min(max(0, box[0]), w - lw))

    def free(y: int) -> bool:
        return 0 <= y and y + lh <= h and not any(
            x0 < r[2] and r[0] < x0 + lw and y < r[3] and r[1] < y + lh for r in placed)

    below, above = int(box[3]) + gap, int(box[1]) - gap - lh
    y = next((c for c in (below, above) if free(c)), None)
    for k in range(1, 2 * h // lh + 2) if y is None else ():   # further out, down then up
        for c in (below + k * lh, above - k * lh):
            if free(c):
                y = c
                break
        if y is not None:
            break
    y = min(max(0, below if y is None else y), h - lh)
    placed.append((x0, y, x0 + lw, y + lh))
    cv2.rectangle(out, (x0, y), (x0 + lw - 1, y + lh - 1), col, -1)
    cv2.rectangle(out, (x0, y), (x0 + lw - 1, y + lh - 1), frame, max(1, text_t - 1))
    lum = 0.299 * col[0] + 0.587 * col[1] + 0.114 * col[2]
    textdraw.put_text(out, text, (x0 + 3, y + 3 + th), cv2.FONT_HERSHEY_SIMPLEX, font,
                (0, 0, 0) if lum > 140 else (255, 255, 255), text_t, cv2.LINE_AA)


def notes_example_picture(example: Example, target: YoloTarget, scale: int = 2,
                          stroke: float = 1.0, gettext=None) -> np.ndarray:
    """A worked example (:data:`core.detection.yolo_grid.NOTES_EXAMPLE`) on a light grey canvas,
    drawn ``scale`` times its size for legibility (``stroke``: see :func:`grid_picture`)."""
    w, h = example.image_size
    canvas = np.full((h * scale, w * scale, 3), CANVAS_GREY, np.uint8)
    return grid_picture(canvas, target, np.asarray(example.boxes_xyxy, float) * scale,
                        example.class_names, stroke, gettext=gettext)


# --------------------------------------------------------------------------- NMS steps

def nms_step_picture(image: np.ndarray, boxes, scores, status: np.ndarray, stroke: float = 1.0,
                     suppressed_iou: Mapping[int, float] | None = None,
                     side: int | None = None) -> np.ndarray:
    """The candidate boxes on the picture, coloured by their status at one NMS step
    (:data:`STEP_COLOURS`): chosen and kept thick, the others thin; chosen, kept and
    suppressed boxes labelled. The boxes suppressed this round overlap the chosen one by
    definition (IoU ≥ the threshold), so they are drawn last, dashed so the chosen box shows
    between the dashes, and tagged under their bottom-right corner instead of on top of the
    chosen box's "#index score": "#index IoU 0.91" with ``suppressed_iou`` (box index → its IoU
    with the box that suppressed it), else "#index". Chosen, kept and suppressed boxes have a
    dark outline and a light halo (``draw_boxes(halo=True)``): they show on any background.
    ``side``: a smaller picture is first enlarged by a whole factor to about that many pixels
    (:func:`enlarge_factor`), so lines and labels stay sharp on screen. ``stroke`` scales
    lines and labels."""
    b = np.asarray(boxes, float).reshape(-1, 4)
    s = np.asarray(scores).reshape(-1)
    names = [f"#{i}" for i in range(len(b))]
    pic, big = for_display(image, side)
    b = b * big
    k = max(1.0, max(pic.shape[:2]) / 512)          # lines grow with a large picture, labels do not
    for name in STEP_ORDER:
        sel = np.flatnonzero(status == name)
        if len(sel):
            suppressed = name == "suppressed"
            texts = None
            if suppressed and suppressed_iou is not None:
                texts = [f"#{i} IoU {suppressed_iou[int(i)]:.2f}" for i in sel]
            pic = draw_boxes(pic, b[sel], sel, None if suppressed else s[sel], names,
                             colour=STEP_COLOURS[name],
                             labels=name in ("chosen", "kept", "suppressed"),
                             thickness=round((3 if name in ("chosen", "kept") else 2 if suppressed else 1) * k),
                             stroke=stroke, dashed=suppressed, texts=texts,
                             halo=name in ("chosen", "kept", "suppressed"),
                             label_at="bottom" if suppressed else "top")
    return pic


# --------------------------------------------------------------------------- sliding windows

def enlarge_factor(shape: Sequence[int], side: int = 384) -> int:
    """The whole-number factor that brings a picture's longer side near ``side`` (at least 1)."""
    return max(1, side // max(shape[:2]))


def for_display(image: np.ndarray, side: int | None = 768) -> tuple[np.ndarray, int]:
    """A copy of ``image`` enlarged (bilinear) by the whole factor :func:`enlarge_factor` that
    brings its longer side near ``side`` (``None``: not enlarged), and that factor: boxes drawn
    on the copy are multiplied by it. Boxes and labels drawn on a small picture enlarged this
    way stay sharp when the browser shows it large."""
    out = np.ascontiguousarray(image).copy()
    big = enlarge_factor(out.shape, side) if side else 1
    if big > 1:
        out = cv2.resize(out, (out.shape[1] * big, out.shape[0] * big), interpolation=cv2.INTER_LINEAR)
    return out, big


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


def level_colour(window: int, windows: Sequence[int]) -> tuple[int, int, int]:
    """The colour of a window size (:data:`LEVEL_COLOURS`, in the order of ``windows``)."""
    return LEVEL_COLOURS[sorted(windows).index(window) % len(LEVEL_COLOURS)]


def pyramid_pictures(canvas: DigitCanvas, result: PyramidResult, labels: Sequence[str],
                     side: int = 384, stroke: float = 1.0) -> tuple[list[np.ndarray], np.ndarray]:
    """For each window size of an image pyramid (:func:`core.detection.sliding.pyramid`) the
    canvas with that size's windows over the threshold (thin, after NMS within the size) and its
    best window (thick, outlined, "best 9 1.00"); then the canvas with the windows kept across
    all sizes, each in its size's colour (:func:`level_colour`), over the digits' true patches
    (grey, dashed). Enlarged to about ``side`` px."""
    windows = [lv.window for lv in result.levels]
    gray, _ = enlarge(canvas_rgb(canvas), side=side)
    big = gray.shape[0] // canvas.image.shape[0]

    def boxes(ds) -> np.ndarray:
        return np.array([d.box for d in ds], float).reshape(-1, 4) * big

    per_size = []
    for lv in result.levels:
        col = level_colour(lv.window, windows)
        pic = draw_boxes(gray, boxes(lv.detections), np.array([d.label for d in lv.detections], int),
                         np.array([d.score for d in lv.detections]), list(labels), colour=col,
                         thickness=1, labels=len(lv.detections) <= 12, stroke=stroke)
        per_size.append(draw_boxes(pic, boxes([lv.best]), np.array([lv.best.label]), None, list(labels),
                                   colour=col, thickness=3, stroke=stroke, halo=True,
                                   texts=[f"best {labels[lv.best.label]} {lv.best.score:.2f}"],
                                   label_at="bottom"))
    kept = list(result.detections)
    sizes = [min(windows, key=lambda w: abs(w - (d.box[2] - d.box[0]))) for d in kept]
    both = draw_boxes(gray, np.asarray(canvas.boxes, float) * big, labels=False, colour=TRUTH_GREY,
                      thickness=1, dashed=True)                   # where the digits really are
    for w in windows:                   # one colour per window size
        ds = [d for d, s in zip(kept, sizes) if s == w]
        if ds:
            both = draw_boxes(both, boxes(ds), np.array([d.label for d in ds], int),
                              np.array([d.score for d in ds]), list(labels), colour=level_colour(w, windows),
                              thickness=2, stroke=stroke, halo=True)
    return per_size, both
