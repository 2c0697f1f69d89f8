"""The YOLO target: the grid, the anchor boxes and the vector y every cell must output.

The notes' YOLO divides the image into an S×S grid.  The cell that contains an object's
**centre** is responsible for it.  With B anchor boxes per cell, the cell outputs B groups of
5 + C numbers, one group per anchor::

    y = [p_c, b_x, b_y, b_h, b_w, c_1 … c_C,   p_c, b_x, b_y, b_h, b_w, c_1 … c_C,   …]
         └────────── anchor 1 ──────────┘      └────────── anchor 2 ──────────┘

- p_c = 1 when an object is assigned to this (cell, anchor), else 0 and the rest of the group is
  "don't care" (written as 0 here);
- b_x, b_y: the centre inside the cell, 0…1 (the cell's top-left corner is (0, 0));
- b_h, b_w: the box's height and width in cell units (1 = one cell), larger than 1 for an object
  that spans several cells;
- c_1 … c_C: the class, one-hot.

So the target has shape S×S×(B·(5+C)): 3×3×16 in the notes' example with 3 classes
(pedestrian, car, motorcycle) and 2 anchors.  An object goes to the anchor whose *shape* is most
like its own: the IoU of the two boxes placed on the same centre (:func:`shape_iou`).

The notes name the algorithm's failure cases without a fix: two objects in the same cell that
prefer the same anchor, or more objects in a cell than anchors.  :func:`encode` reports them as
:class:`Conflict` records; the later object is dropped (``on_conflict="keep_first"``, default)
or overwrites the earlier one (``"overwrite"``).

Anchors are (h, w) pairs in cell units (``anchor_units="cell"``) or as fractions of the image
height and width (``"normalized"``; multiplied by S to get cells).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np

from . import boxes as bx

FIELDS: tuple[str, ...] = ("p_c", "b_x", "b_y", "b_h", "b_w")


def group_size(num_classes: int) -> int:
    """Numbers per anchor: p_c, b_x, b_y, b_h, b_w and one per class."""
    return len(FIELDS) + int(num_classes)


def y_labels(num_anchors: int, classes: int | Sequence[str]) -> list[str]:
    """Names of a cell's B·(5+C) entries, e.g. ``"p_c"``, ``"c_2 car"``; with several anchors
    each name ends in ``" (anchor k)"`` (k from 1, as the notes count)."""
    names = [f"c_{i + 1}" for i in range(classes)] if isinstance(classes, int) else \
        [f"c_{i + 1} {n}" for i, n in enumerate(classes)]
    group = list(FIELDS) + names
    if num_anchors == 1:
        return group
    return [f"{g} (anchor {a + 1})" for a in range(num_anchors) for g in group]


def shape_iou(hw, anchors) -> np.ndarray:
    """IoU of box sizes with anchor sizes when both sit on the same centre: (N, 2) × (B, 2) → N×B.

    Sizes are (h, w) in the same units.  = min(h)·min(w) / (h·w + h_a·w_a − min(h)·min(w)).
    """
    hw = np.asarray(hw, np.float64).reshape(-1, 2)
    an = np.asarray(anchors, np.float64).reshape(-1, 2)
    inter = np.minimum(hw[:, None, 0], an[None, :, 0]) * np.minimum(hw[:, None, 1], an[None, :, 1])
    union = (hw[:, 0] * hw[:, 1])[:, None] + (an[:, 0] * an[:, 1])[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


@dataclass
class ObjectAssignment:
    """Where one object went, for the page: its cell, anchor and the numbers written there."""
    index: int                    # the object's position in the input
    class_id: int
    box: np.ndarray               # (cx, cy, w, h) normalised to the image
    cell: tuple[int, int]         # (row, col)
    anchor: int                   # 0-based anchor index
    anchor_iou: np.ndarray        # (B,) shape IoU with each anchor; ``anchor`` is its argmax
    y: np.ndarray                 # (5 + C,) [p_c, b_x, b_y, b_h, b_w, c_1 … c_C]
    slot: slice                   # where ``y`` sits in the cell's B·(5+C) vector
    status: str = "assigned"      # "assigned" | "dropped" | "overwritten" (see conflicts)


@dataclass
class Conflict:
    """Two objects whose centres fall in the same cell and that prefer the same anchor."""
    cell: tuple[int, int]
    anchor: int
    kept: int                     # index of the object the target holds
    lost: int                     # index of the object that is not in the target
    objects_in_cell: int          # how many objects have their centre in this cell
    num_anchors: int

    @property
    def reason(self) -> str:
        if self.objects_in_cell > self.num_anchors:
            return (f"{self.objects_in_cell} objects in one cell but only {self.num_anchors} "
                    "anchor boxes")
        return "two objects in one cell fit the same anchor box best"


@dataclass
class YoloTarget:
    y: np.ndarray                 # (S, S, B·(5+C)) float64
    num_classes: int
    anchors: np.ndarray           # (B, 2) (h, w) in cell units
    objects: list[ObjectAssignment] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def grid(self) -> int:
        return self.y.shape[0]

    @property
    def num_anchors(self) -> int:
        return len(self.anchors)

    def cell(self, row: int, col: int) -> np.ndarray:
        """The (B, 5+C) groups of one cell (a view)."""
        return self.y[row, col].reshape(self.num_anchors, group_size(self.num_classes))


def _anchors_in_cells(anchors, grid: int, units: str) -> np.ndarray:
    an = np.asarray([(1.0, 1.0)] if anchors is None else anchors, np.float64).reshape(-1, 2)
    if units == "normalized":
        return an * grid
    if units != "cell":
        raise ValueError(f"Unknown anchor units {units!r}: use 'cell' or 'normalized'.")
    return an


def _normalised_cxcywh(boxes, box_format: str, image_size) -> np.ndarray:
    b = bx.as_boxes(boxes)
    if image_size is not None:
        b = bx.normalize(b, image_size)
    b = bx.convert(b, box_format, "cxcywh")
    if len(b) and (b[:, :2].min() < 0 or b[:, :2].max() > 1):
        raise ValueError("A box's centre lies outside the image: give normalised boxes, or pixel "
                         "boxes together with image_size=(width, height).")
    return b


def encode(boxes, classes, num_classes: int, anchors=None, grid: int = 3,
           box_format: bx.BoxFormat = "cxcywh", image_size=None,
           anchor_units: Literal["cell", "normalized"] = "cell",
           on_conflict: Literal["keep_first", "overwrite"] = "keep_first") -> YoloTarget:
    """Build the S×S×(B·(5+C)) YOLO target for one image's true boxes.

    ``boxes``: (N, 4) in ``box_format``; normalised to the image, or in pixels when
    ``image_size=(width, height)`` is given (e.g. pixel xyxy: ``box_format="xyxy"``).
    ``classes``: (N,) class ids 0…C−1.  ``anchors``: (B, 2) (h, w) in ``anchor_units``;
    ``None`` is one anchor, the plain per-cell YOLO of the notes.  ``grid`` = S.

    Each object goes to the cell containing its centre (a centre on the image's right or
    bottom edge belongs to the last cell) and to the anchor of highest :func:`shape_iou`
    (the first on a tie).  A (cell, anchor) pair already taken is a :class:`Conflict`, settled
    by ``on_conflict``.
    """
    if on_conflict not in ("keep_first", "overwrite"):
        raise ValueError(f"on_conflict must be 'keep_first' or 'overwrite', not {on_conflict!r}.")
    S, C = int(grid), int(num_classes)
    an = _anchors_in_cells(anchors, S, anchor_units)
    b = _normalised_cxcywh(boxes, box_format, image_size)
    cls = np.asarray(bx._numpy(classes), np.int64).reshape(-1)
    if len(cls) != len(b):
        raise ValueError(f"{len(b)} boxes but {len(cls)} class ids.")
    if len(cls) and (cls.min() < 0 or cls.max() >= C):
        raise ValueError(f"Class ids must lie in 0..{C - 1}.")
    G = group_size(C)
    out = YoloTarget(np.zeros((S, S, len(an) * G)), C, an)
    scaled = b * S                                   # centre and size in cell units
    cols = np.minimum(np.floor(scaled[:, 0]), S - 1).astype(np.int64)
    rows = np.minimum(np.floor(scaled[:, 1]), S - 1).astype(np.int64)
    ious = shape_iou(scaled[:, [3, 2]], an)          # (h, w) against anchors
    owner: dict[tuple[int, int, int], int] = {}
    for i in range(len(b)):
        r, c, a = int(rows[i]), int(cols[i]), int(np.argmax(ious[i]))
        y = np.zeros(G)
        y[:5] = (1.0, scaled[i, 0] - c, scaled[i, 1] - r, scaled[i, 3], scaled[i, 2])
        y[5 + cls[i]] = 1.0
        obj = ObjectAssignment(i, int(cls[i]), b[i], (r, c), a, ious[i], y, slice(a * G, (a + 1) * G))
        out.objects.append(obj)
        prev = owner.get((r, c, a))
        if prev is not None and on_conflict == "keep_first":
            obj.status = "dropped"
            out.conflicts.append(Conflict((r, c), a, prev, i, 0, len(an)))
            continue
        if prev is not None:
            out.objects[prev].status = "overwritten"
            out.conflicts.append(Conflict((r, c), a, i, prev, 0, len(an)))
        owner[(r, c, a)] = i
        out.y[r, c, obj.slot] = y
    for cf in out.conflicts:
        cf.objects_in_cell = int(np.sum((rows == cf.cell[0]) & (cols == cf.cell[1])))
    return out


@dataclass
class Decoded:
    """Objects read back from a YOLO output or target, cell by cell (row-major), anchor by anchor."""
    boxes: np.ndarray             # (K, 4) normalised (cx, cy, w, h)
    classes: np.ndarray           # (K,) argmax of c_1 … c_C
    scores: np.ndarray            # (K,) p_c
    cells: np.ndarray             # (K, 2) (row, col)
    anchors: np.ndarray           # (K,) anchor index

    def xyxy(self, image_size) -> np.ndarray:
        """The boxes as pixel (x1, y1, x2, y2) for an image of (width, height)."""
        return bx.denormalize(bx.cxcywh_to_xyxy(self.boxes), image_size)


def decode(y, num_classes: int, threshold: float = 0.5) -> Decoded:
    """The objects of an S×S×(B·(5+C)) target or network output whose p_c exceeds ``threshold``.

    The inverse of :func:`encode`: cx = (col + b_x)/S, cy = (row + b_y)/S, w = b_w/S,
    h = b_h/S (normalised).  The number of anchors B is read from the last dimension.
    """
    y = np.asarray(bx._numpy(y), np.float64)
    S, G = y.shape[0], group_size(num_classes)
    if y.ndim != 3 or y.shape[1] != S or y.shape[2] % G:
        raise ValueError(f"Expected an S×S×(B·{G}) array for {num_classes} classes; got {y.shape}.")
    g = y.reshape(S, S, -1, G)
    r, c, a = np.nonzero(g[..., 0] > threshold)
    v = g[r, c, a]
    boxes = np.stack([(c + v[:, 1]) / S, (r + v[:, 2]) / S, v[:, 4] / S, v[:, 3] / S], axis=1)
    return Decoded(boxes.reshape(-1, 4), np.argmax(v[:, 5:], axis=1), v[:, 0],
                   np.stack([r, c], axis=1), a)


@dataclass
class RoundTrip:
    """decode(encode(boxes)) against the boxes themselves."""
    decoded: int                  # how many boxes decode gives back
    max_error: float | None       # largest corner difference (pixels) over the assigned objects;
    #                               None when no object is in the target


def round_trip(target: YoloTarget, boxes_xyxy, image_size) -> RoundTrip:
    """Decode ``target`` (made by :func:`encode` from ``boxes_xyxy``, pixel xyxy, on an image of
    ``image_size`` = (width, height)) and compare every assigned object with its true box."""
    dec = decode(target.y, target.num_classes)
    ok = [o for o in target.objects if o.status == "assigned"]
    if not ok:
        return RoundTrip(len(dec.boxes), None)
    true = bx.as_boxes(boxes_xyxy)
    back = dec.xyxy(image_size)
    where = {(int(r), int(c), int(a)): i for i, ((r, c), a) in enumerate(zip(dec.cells, dec.anchors))}
    err = max(float(np.abs(back[where[(*o.cell, o.anchor)]] - true[o.index]).max()) for o in ok)
    return RoundTrip(len(dec.boxes), err)


# ------------------------------------------------------------------- the notes' example


@dataclass(frozen=True)
class Example:
    """A worked example: boxes on an image, a grid and anchors, and what the target must hold."""
    title: str
    class_names: tuple[str, ...]
    image_size: tuple[int, int]   # (width, height) pixels
    grid: int
    anchors: tuple[tuple[float, float], ...]      # (h, w) in cells
    boxes_xyxy: tuple[tuple[float, float, float, float], ...]   # pixels
    classes: tuple[int, ...]

    def encode(self, on_conflict: Literal["keep_first", "overwrite"] = "keep_first") -> YoloTarget:
        return encode(self.boxes_xyxy, self.classes, len(self.class_names), self.anchors,
                      self.grid, box_format="xyxy", image_size=self.image_size,
                      on_conflict=on_conflict)


#: The notes' anchor-box example, with numbers: a 300×300 image, 3×3 grid (100-px cells),
#: classes c_1 pedestrian, c_2 car, c_3 motorcycle, anchor 1 tall (h 1.5, w 0.5 cells), anchor 2
#: wide (h 0.5, w 1.5).  A pedestrian and a car both have their centre in the bottom-middle cell
#: (row 2, col 1): the pedestrian (shape IoU 0.747 with anchor 1, 0.180 with anchor 2) takes
#: anchor 1, the car (0.256 / 0.690) anchor 2, and that cell's 16 values are
#: y = [1, 0.5, 0.2, 1.4, 0.4, 1, 0, 0,   1, 0.5, 0.4, 0.6, 1.2, 0, 1, 0]; every other cell has p_c = 0.
NOTES_EXAMPLE = Example(
    "A pedestrian and a car in one cell", ("pedestrian", "car", "motorcycle"), (300, 300), 3,
    ((1.5, 0.5), (0.5, 1.5)),
    ((130, 150, 170, 290), (90, 210, 210, 270)), (0, 1))

#: The notes' failure case: add a motorcycle (wide, centre in the same cell) to the example.
#: It also fits anchor 2 best, so the cell has 3 objects for 2 anchors and the motorcycle is
#: dropped (or, with ``on_conflict="overwrite"``, replaces the car).
NOTES_FAILURE = Example(
    "Three objects in one cell, two anchors", NOTES_EXAMPLE.class_names, (300, 300), 3,
    NOTES_EXAMPLE.anchors, NOTES_EXAMPLE.boxes_xyxy + ((120, 225, 200, 265),), (0, 1, 2))
