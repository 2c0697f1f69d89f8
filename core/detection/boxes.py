"""Boxes: formats, IoU, non-max suppression and average precision, in numpy.

Every function accepts numpy arrays, lists or torch tensors (any device) and returns numpy.
Boxes are rows of four numbers; the format says what the four mean:

- ``"xyxy"``   — corners (x1, y1, x2, y2), x1 ≤ x2, y1 ≤ y2 (torchvision's and COCO results' own);
- ``"xywh"``   — top-left corner and size (x1, y1, w, h), as COCO annotations store them;
- ``"cxcywh"`` — centre and size (cx, cy, w, h), as YOLO labels store them (normalised).

:func:`normalize` / :func:`denormalize` divide / multiply by the image size ``(width, height)``
and work for every format (x-like columns by the width, y-like by the height).

The notes' two tools of detection:

- **IoU** (intersection over union) = area(A ∩ B) / area(A ∪ B): how well a predicted box
  matches a true one; 0.5 or more is usually "correct".  :func:`iou` gives the N×M table.
- **Non-max suppression** keeps one box per object: (1) drop every box with p_c ≤ 0.6, (2) take
  the most confident remaining box, drop those that overlap it with IoU ≥ 0.5, repeat.
  :func:`nms` is step (2) exactly as ``torchvision.ops.nms`` does it (same kept indices, same
  order, ties included); :func:`nms_steps` records both steps for teaching, :func:`step_status`
  says where every box stands at one of them, and :func:`check_nms` compares :func:`nms`,
  ``torchvision.ops.nms`` and the steps on the same boxes.  :func:`iou_parts` spells one pair's
  IoU out (intersection box, areas, union).

One difference to know: the notes suppress when IoU **≥** the threshold, torchvision when IoU
**>** it.  They differ only for a pair whose IoU equals the threshold exactly (e.g. a box and
its left half: IoU = 0.5).  :func:`nms` follows torchvision; :func:`nms_steps` takes
``inclusive=True`` (the notes, default) or ``False`` (torchvision).

Average precision (:func:`average_precision`, :func:`evaluate_map`) follows COCO's evaluation
(pycocotools): predictions are matched greedily by score, each true box at most once, and the
precision envelope is read at 101 recall points; ``method="voc"`` gives the all-point area.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Literal, Sequence

import numpy as np

BoxFormat = Literal["xyxy", "xywh", "cxcywh"]
FORMATS: tuple[str, ...] = ("xyxy", "xywh", "cxcywh")

#: COCO's IoU thresholds 0.50, 0.55, …, 0.95 (the same as ``np.arange(0.5, 0.96, 0.05)`` up to
#: rounding; built as pycocotools builds them, so a threshold of 0.6 is exactly 0.6).
COCO_IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
#: COCO's 101 recall points 0, 0.01, …, 1 at which the precision envelope is read.
COCO_RECALL_POINTS = np.linspace(0.0, 1.0, 101)


# ------------------------------------------------------------------------------------ input


def _numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):                        # a torch tensor, on any device
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def as_boxes(boxes, dtype=np.float64) -> np.ndarray:
    """``boxes`` as a (N, 4) array of ``dtype`` (``None``: keep a floating dtype, else float64).

    Accepts a (4,) single box, (N, 4), an empty list, lists of lists or a torch tensor.
    """
    b = _numpy(boxes)
    if dtype is None:
        dtype = b.dtype if np.issubdtype(b.dtype, np.floating) else np.float64
    b = b.astype(dtype, copy=False)
    if b.size == 0:
        return b.reshape(0, 4)
    if b.shape[-1] != 4:
        raise ValueError(f"Boxes need 4 numbers each; got an array of shape {b.shape}.")
    return b.reshape(-1, 4)


def _scores(scores, n: int) -> np.ndarray:
    s = _numpy(scores).reshape(-1)
    if not np.issubdtype(s.dtype, np.floating):
        s = s.astype(np.float64)
    if len(s) != n:
        raise ValueError(f"{n} boxes but {len(s)} scores.")
    return s


# ---------------------------------------------------------------------------- conversions


def xyxy_to_xywh(boxes) -> np.ndarray:
    b = as_boxes(boxes, None)
    return np.concatenate([b[:, :2], b[:, 2:] - b[:, :2]], axis=1)


def xywh_to_xyxy(boxes) -> np.ndarray:
    b = as_boxes(boxes, None)
    return np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], axis=1)


def xyxy_to_cxcywh(boxes) -> np.ndarray:
    b = as_boxes(boxes, None)
    return np.concatenate([(b[:, :2] + b[:, 2:]) / 2, b[:, 2:] - b[:, :2]], axis=1)


def cxcywh_to_xyxy(boxes) -> np.ndarray:
    b = as_boxes(boxes, None)
    half = b[:, 2:] / 2
    return np.concatenate([b[:, :2] - half, b[:, :2] + half], axis=1)


_TO_XYXY = {"xyxy": lambda b: as_boxes(b, None), "xywh": xywh_to_xyxy, "cxcywh": cxcywh_to_xyxy}
_FROM_XYXY = {"xyxy": lambda b: b, "xywh": xyxy_to_xywh, "cxcywh": xyxy_to_cxcywh}


def convert(boxes, src: BoxFormat, dst: BoxFormat) -> np.ndarray:
    """Convert (N, 4) boxes from format ``src`` to ``dst`` (``"xyxy"``, ``"xywh"``, ``"cxcywh"``)."""
    for f in (src, dst):
        if f not in FORMATS:
            raise ValueError(f"Unknown box format {f!r}: use one of {', '.join(FORMATS)}.")
    b = as_boxes(boxes, None)
    if src == dst:
        return b.copy()
    if {src, dst} == {"xywh", "cxcywh"}:           # only the corner/centre moves: skip xyxy
        shift = b[:, 2:] / 2 if src == "xywh" else -b[:, 2:] / 2
        return np.concatenate([b[:, :2] + shift, b[:, 2:]], axis=1)
    return _FROM_XYXY[dst](_TO_XYXY[src](b))


def _image_scale(image_size) -> np.ndarray:
    w, h = (float(v) for v in image_size)
    if w <= 0 or h <= 0:
        raise ValueError(f"The image size (width, height) must be positive; got {image_size}.")
    return np.array([w, h, w, h])


def normalize(boxes, image_size) -> np.ndarray:
    """Pixel boxes (any format) → fractions of the image; ``image_size`` is (width, height)."""
    return as_boxes(boxes) / _image_scale(image_size)


def denormalize(boxes, image_size) -> np.ndarray:
    """Normalised boxes (any format) → pixels; ``image_size`` is (width, height)."""
    return as_boxes(boxes) * _image_scale(image_size)


# ----------------------------------------------------------------------------------- IoU


def area(boxes) -> np.ndarray:
    """Areas of (N, 4) xyxy boxes, float64; a box with x2 < x1 or y2 < y1 has area 0."""
    b = as_boxes(boxes)
    return np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)


def _inter_union(a: np.ndarray, a_area: np.ndarray, b: np.ndarray, b_area: np.ndarray):
    """Intersection and union of every row box with every column box (``a`` (n, 4) against
    ``b`` given as four contiguous coordinate columns).  torchvision's arithmetic, in the
    inputs' dtype: w = max(0, min(x2) − max(x1)), inter = w·h, union = (area_a + area_b) − inter.
    """
    bx1, by1, bx2, by2 = b
    w = np.minimum(a[:, 2:3], bx2)
    w -= np.maximum(a[:, 0:1], bx1)
    np.maximum(w, 0, out=w)
    h = np.minimum(a[:, 3:4], by2)
    h -= np.maximum(a[:, 1:2], by1)
    np.maximum(h, 0, out=h)
    w *= h                                          # w is now the intersection
    union = np.add(a_area[:, None], b_area[None, :])
    union -= w
    return w, union


def _columns(b: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(np.ascontiguousarray(b[:, k]) for k in range(4))


def iou(a, b) -> np.ndarray:
    """IoU of every box in ``a`` (N×4 xyxy) with every box in ``b`` (M×4 xyxy): N×M float64.

    IoU = area(A ∩ B) / area(A ∪ B).  Two boxes with no area between them (zero union) have
    IoU 0 rather than NaN.  Equal to ``torchvision.ops.box_iou`` on float64 inputs.
    """
    a, b = as_boxes(a), as_boxes(b)
    out = np.zeros((len(a), len(b)))
    if out.size == 0:
        return out
    a_area, b_area, cols = area(a), area(b), _columns(b)
    step = max(1, (1 << 20) // len(b))              # rows per chunk: ~8 MB temporaries
    for s in range(0, len(a), step):
        inter, union = _inter_union(a[s:s + step], a_area[s:s + step], cols, b_area)
        np.divide(inter, union, out=out[s:s + step], where=union > 0)
    return out


@dataclass
class IoUParts:
    """The pieces of one pair's IoU, as the notes write it out: |A∩B| / (|A| + |B| − |A∩B|)."""
    intersection_box: np.ndarray  # (4,) xyxy of A ∩ B; empty (x2 ≤ x1 or y2 ≤ y1) without overlap
    intersection: float           # |A ∩ B|
    area_a: float                 # |A|
    area_b: float                 # |B|
    union: float                  # |A ∪ B| = |A| + |B| − |A ∩ B|
    iou: float                    # :func:`iou` of the pair

    @property
    def overlaps(self) -> bool:
        return self.intersection > 0


def iou_parts(a, b) -> IoUParts:
    """Intersection box, intersection, both areas, union and IoU of two xyxy boxes (each one
    box: (4,) or (1, 4)).  ``iou`` is :func:`iou` itself; the rest show how it is made."""
    a, b = as_boxes(a), as_boxes(b)
    if len(a) != 1 or len(b) != 1:
        raise ValueError(f"iou_parts takes one box each; got {len(a)} and {len(b)}.")
    a, b = a[0], b[0]
    box = np.concatenate([np.maximum(a[:2], b[:2]), np.minimum(a[2:], b[2:])])
    inter = float(max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1]))
    area_a, area_b = float(area(a)[0]), float(area(b)[0])
    return IoUParts(box, inter, area_a, area_b, area_a + area_b - inter, float(iou(a, b)[0, 0]))


# ----------------------------------------------------------------------------------- NMS


def _compute_dtype(boxes: np.ndarray) -> np.dtype:
    """float64 boxes are compared in float64, everything else in float32 (as torchvision does
    for float32 tensors), so that ties at the threshold fall the same way."""
    return np.dtype(np.float64 if boxes.dtype == np.float64 else np.float32)


def _cutoff(threshold: float, dtype: np.dtype, inclusive: bool):
    """A threshold ``t`` of ``dtype`` with ``(x > t) == (float(x) > threshold)`` for every ``x``
    of ``dtype`` (``>=`` when ``inclusive``): torchvision compares its float IoU with the
    double threshold, and comparing in ``dtype`` saves a conversion of the whole table."""
    t = dtype.type(threshold)
    if inclusive and float(t) < threshold:
        t = np.nextafter(t, dtype.type(np.inf))
    elif not inclusive and float(t) > threshold:
        t = np.nextafter(t, dtype.type(-np.inf))
    return t


def _score_order(scores: np.ndarray) -> np.ndarray:
    """Indices by score, highest first; equal scores keep their input order (a stable sort, as
    torchvision's ``scores.sort(stable=True, descending=True)``); NaN counts as the highest."""
    nan = np.isnan(scores)
    if nan.any():
        return np.lexsort((-scores, ~nan))
    return np.argsort(-scores, kind="stable")


def _prepare(boxes, scores):
    b = as_boxes(boxes, None)
    b = b.astype(_compute_dtype(b), copy=False)
    s = _scores(scores, len(b))
    order = _score_order(s)
    sb = np.ascontiguousarray(b[order])
    sarea = (sb[:, 2] - sb[:, 0]) * (sb[:, 3] - sb[:, 1])   # torchvision's area, unclipped
    return s, order, sb, sarea


def nms(boxes, scores, iou_threshold: float, block: int = 32) -> np.ndarray:
    """Greedy non-max suppression: the kept indices (int64), highest score first.

    Repeatedly keep the highest-scoring box left and discard every later box whose IoU with it
    is **greater than** ``iou_threshold``.  Returns the same indices in the same order as
    ``torchvision.ops.nms``: equal scores keep their input order, IoU equal to the threshold
    does not suppress, and the IoU is computed in the boxes' precision (float64 boxes in
    float64, all others in float32) with torchvision's formula.

    Vectorised in blocks: the IoU of the next ``block`` candidate boxes with every box still
    alive is computed in one numpy pass, then the block is resolved in order — each kept box
    strikes out the later boxes it overlaps.
    """
    _, order, sb, sarea = _prepare(boxes, scores)
    n = len(sb)
    if n == 0:
        return np.zeros(0, np.int64)
    t = _cutoff(iou_threshold, sb.dtype, inclusive=False)
    cols_all = _columns(sb)
    keep: list[int] = []
    alive_idx = np.arange(n)                         # positions in score order, still alive
    with np.errstate(invalid="ignore", divide="ignore"):
        while len(alive_idx):
            m = min(block, len(alive_idx))
            rows = alive_idx[:m]
            cols = tuple(c[alive_idx] for c in cols_all)
            inter, union = _inter_union(sb[rows], sarea[rows], cols, sarea[alive_idx])
            inter /= union
            ok = inter > t                          # NaN (0/0) does not suppress, as in C++
            np.logical_not(ok, out=ok)
            alive = np.ones(len(alive_idx), bool)
            for k in range(m):
                if alive[k]:
                    keep.append(int(rows[k]))
                    alive[k + 1:] &= ok[k, k + 1:]
            alive_idx = alive_idx[m:][alive[m:]]
    return order[np.asarray(keep, np.int64)]


def batched_nms(boxes, scores, classes, iou_threshold: float) -> np.ndarray:
    """Class-aware NMS: boxes of different classes never suppress each other.

    :func:`nms` within each class; the kept indices of all classes together, highest score
    first (equal scores: lower index first).  The same set as ``torchvision.ops.batched_nms``,
    in the same order when the kept scores are distinct (torchvision's final sort is not stable,
    so its order among equal scores of different classes is arbitrary).
    """
    b = as_boxes(boxes, None)
    s = _scores(scores, len(b))
    c = _numpy(classes).reshape(-1)
    if len(c) != len(b):
        raise ValueError(f"{len(b)} boxes but {len(c)} class ids.")
    kept = [np.flatnonzero(c == k)[nms(b[c == k], s[c == k], iou_threshold)] for k in np.unique(c)]
    kept = np.sort(np.concatenate(kept)) if kept else np.zeros(0, np.int64)
    return kept[_score_order(s[kept])].astype(np.int64)


@dataclass
class ScoreDrop:
    """Step 1: boxes whose confidence p_c is at most ``score_threshold`` are discarded."""
    score_threshold: float
    dropped: np.ndarray           # indices dropped (input order)
    dropped_scores: np.ndarray
    survivors: np.ndarray         # indices left, highest score first
    kind: str = "drop"


@dataclass
class SuppressRound:
    """Step 2, one round: the best box left is kept and its overlapping neighbours removed."""
    round: int                    # 1, 2, …
    chosen: int                   # index of the box kept this round
    chosen_score: float
    compared: np.ndarray          # the other boxes still in play, highest score first
    compared_iou: np.ndarray      # their IoU with the chosen box
    suppressed: np.ndarray        # those removed this round (IoU ≥ or > the threshold)
    suppressed_iou: np.ndarray
    remaining: np.ndarray         # the boxes still in play after this round
    kind: str = "round"


@dataclass
class NMSDone:
    """The end: the boxes kept, highest score first."""
    kept: np.ndarray
    kind: str = "done"


NMSStep = ScoreDrop | SuppressRound | NMSDone


def nms_steps(boxes, scores, score_threshold: float | None = 0.6, iou_threshold: float = 0.5,
              inclusive: bool = True) -> list[NMSStep]:
    """The notes' non-max suppression, one record per step, for showing it happen.

    1. :class:`ScoreDrop` — every box with p_c ≤ ``score_threshold`` goes (``None``: none go).
       The threshold is compared in the scores' own precision, so a float32 score of 0.6 is
       "≤ 0.6".
    2. :class:`SuppressRound` per kept box — the highest-scoring box left is kept, every other
       box left with IoU ≥ ``iou_threshold`` (``inclusive=True``, the notes) or > it
       (``inclusive=False``, torchvision) is suppressed.
    3. :class:`NMSDone` with the kept indices.

    With ``inclusive=False`` the kept list equals :func:`nms` applied to the boxes that survive
    step 1 (the same arithmetic and tie order); ``inclusive=True`` differs only where an IoU
    equals the threshold exactly.
    """
    s, order, sb, sarea = _prepare(boxes, scores)
    steps: list[NMSStep] = []
    live = np.arange(len(sb))                       # positions in score order
    if score_threshold is not None:
        gone = s[order] <= s.dtype.type(score_threshold)
        dropped = np.sort(order[gone])
        steps.append(ScoreDrop(float(score_threshold), dropped, s[dropped].astype(np.float64),
                               order[~gone]))
        live = live[~gone]
    t = _cutoff(iou_threshold, sb.dtype, inclusive)
    cols_all = _columns(sb)
    kept: list[int] = []
    with np.errstate(invalid="ignore", divide="ignore"):
        while len(live):
            i, rest = live[0], live[1:]
            inter, union = _inter_union(sb[i:i + 1], sarea[i:i + 1],
                                        tuple(c[rest] for c in cols_all), sarea[rest])
            ov = (inter / union)[0]
            hit = ov >= t if inclusive else ov > t
            kept.append(int(order[i]))
            steps.append(SuppressRound(len(kept), int(order[i]), float(s[order[i]]), order[rest],
                                       ov.astype(np.float64), order[rest[hit]],
                                       ov[hit].astype(np.float64), order[rest[~hit]]))
            live = rest[~hit]
    steps.append(NMSDone(np.asarray(kept, np.int64)))
    return steps


#: What a box is at one step of :func:`nms_steps` (:func:`step_status`).
STEP_STATUSES = ("live", "dropped", "gone", "kept", "chosen", "suppressed")


def step_status(steps: Sequence[NMSStep], n: int, k: int) -> np.ndarray:
    """Where each of the ``n`` input boxes stands after step ``k`` of ``steps`` (from
    :func:`nms_steps`): an object array of ``"dropped"`` (by the score threshold), ``"gone"``
    (suppressed in an earlier round), ``"kept"`` (chosen in an earlier round), ``"chosen"`` and
    ``"suppressed"`` (this round, when step ``k`` is a round) or ``"live"`` (still in play)."""
    if not 0 <= k < len(steps):
        raise ValueError(f"Step {k} does not exist: there are {len(steps)} steps.")
    status = np.array(["live"] * n, dtype=object)
    kept: list[int] = []
    for s in steps[:k + 1]:
        if s.kind == "drop":
            status[s.dropped] = "dropped"
        elif s.kind == "round":
            status[s.suppressed] = "gone"
            kept.append(s.chosen)
    status[kept] = "kept"
    step = steps[k]
    if step.kind == "round":
        status[step.chosen] = "chosen"
        status[step.suppressed] = "suppressed"
    return status


@dataclass
class NMSCheck:
    """:func:`nms` against ``torchvision.ops.nms`` on the boxes that pass the score threshold,
    and the notes' steps (:func:`nms_steps`) with ≥ and with >."""
    ours: np.ndarray              # :func:`nms` (indices into the input, highest score first)
    torchvision: np.ndarray       # ``torchvision.ops.nms``
    stepped: np.ndarray           # :func:`nms_steps`, the notes' ≥ (``inclusive=True``)
    strict: np.ndarray            # :func:`nms_steps` with > (``inclusive=False``)

    @property
    def same(self) -> bool:
        """ours = torchvision = the steps with >: the implementations agree."""
        return bool(np.array_equal(self.ours, self.torchvision) and np.array_equal(self.strict, self.ours))

    @property
    def ties_differ(self) -> bool:
        """The notes' ≥ keeps other boxes (an IoU equals the threshold exactly)."""
        return not np.array_equal(self.stepped, self.ours)


def check_nms(boxes, scores, score_threshold: float, iou_threshold: float) -> NMSCheck:
    """Run :func:`nms`, ``torchvision.ops.nms`` and both forms of :func:`nms_steps` on the same
    boxes (those scoring above ``score_threshold``, compared in float32 as the steps do)."""
    import torch
    import torchvision

    b = as_boxes(boxes, None)
    s = _scores(scores, len(b))
    survivors = np.flatnonzero(s > np.float32(score_threshold))
    if len(survivors):
        ours = survivors[nms(b[survivors], s[survivors], iou_threshold)]
        tv = survivors[torchvision.ops.nms(torch.as_tensor(b[survivors]), torch.as_tensor(s[survivors]),
                                           iou_threshold).numpy()]
    else:
        ours = tv = survivors
    stepped = nms_steps(b, s, score_threshold=score_threshold, iou_threshold=iou_threshold,
                        inclusive=True)[-1].kept
    strict = nms_steps(b, s, score_threshold=score_threshold, iou_threshold=iou_threshold,
                       inclusive=False)[-1].kept
    return NMSCheck(ours, tv, stepped, strict)


# ------------------------------------------------------------------------ average precision


@dataclass
class PRCurve:
    """Precision and recall of one class at one IoU threshold, predictions by falling score."""
    iou_threshold: float
    scores: np.ndarray            # (K,) the predictions' scores, highest first
    tp: np.ndarray                # (K,) bool: did prediction k match a true box
    recall: np.ndarray            # (K,) cumulative TP / number of true boxes
    precision: np.ndarray         # (K,) cumulative TP / (TP + FP)
    num_gt: int
    ap: float                     # COCO 101-point AP (NaN when the class has no true box)
    ap_voc: float                 # all-point (area under the precision envelope)
    recall_points: np.ndarray = field(default_factory=lambda: COCO_RECALL_POINTS.copy())
    interpolated: np.ndarray = field(default_factory=lambda: np.zeros(101))  # envelope at them

    @property
    def envelope(self) -> np.ndarray:
        """max precision at this or any higher recall (the "interpolated" precision)."""
        return np.maximum.accumulate(self.precision[::-1])[::-1]


def _match_image(p_boxes, p_scores, g_boxes, thresholds: np.ndarray):
    """Greedy COCO matching in one image: (dets sorted by score, stable) → scores (K,) and a
    (T, K) bool table of true positives.  Each det takes, among the true boxes not yet taken
    at that threshold, the one with the highest IoU ≥ the threshold; equal IoUs go to the later
    true box, as in pycocotools."""
    pb, gb = as_boxes(p_boxes), as_boxes(g_boxes)
    ps = _scores(p_scores, len(pb)).astype(np.float64)
    order = np.argsort(-ps, kind="stable")
    tp = np.zeros((len(thresholds), len(order)), bool)
    if len(gb) and len(order):
        ious = iou(pb[order], gb)
        taken = np.zeros((len(thresholds), len(gb)), bool)
        rev = np.arange(len(gb))[::-1]
        t_rows = np.arange(len(thresholds))
        for k in range(len(order)):
            cand = np.where(~taken & (ious[k] >= thresholds[:, None]), ious[k], -1.0)
            m = rev[np.argmax(cand[:, ::-1], axis=1)]       # last index of the maximum
            hit = cand[t_rows, m] >= 0
            taken[t_rows[hit], m[hit]] = True
            tp[:, k] = hit
    return ps[order], tp


def _curve(scores: np.ndarray, tp: np.ndarray, num_gt: int, threshold: float) -> PRCurve:
    order = np.argsort(-scores, kind="stable")
    scores, tp = scores[order], tp[order]
    ctp = np.cumsum(tp, dtype=np.float64)
    cfp = np.cumsum(~tp, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = ctp / num_gt if num_gt else np.full(len(tp), np.nan)
        precision = ctp / np.maximum(ctp + cfp, 1)
    curve = PRCurve(float(threshold), scores, tp, recall, precision, int(num_gt), np.nan, np.nan)
    if num_gt == 0:
        return curve
    env = curve.envelope
    idx = np.searchsorted(recall, COCO_RECALL_POINTS, side="left")
    ok = idx < len(env)
    curve.interpolated[ok] = env[idx[ok]]
    curve.ap = float(curve.interpolated.mean())
    steps = np.diff(np.concatenate([[0.0], recall]))
    curve.ap_voc = float(np.sum(steps * env)) if len(env) else 0.0
    return curve


def _per_image(x, n_images: int | None, what: str) -> list:
    x = list(x)
    if n_images is not None and len(x) != n_images:
        raise ValueError(f"{what}: {len(x)} images, expected {n_images}.")
    return x


def precision_recall(pred_boxes: Sequence, pred_scores: Sequence, gt_boxes: Sequence,
                     iou_threshold: float = 0.5) -> PRCurve:
    """The precision–recall curve of one class over a set of images.

    ``pred_boxes[i]`` (K_i×4 xyxy), ``pred_scores[i]`` (K_i,) and ``gt_boxes[i]`` (G_i×4 xyxy)
    belong to image ``i``.  Predictions are matched per image, greedily by score, each true box
    at most once (IoU ≥ ``iou_threshold``), then pooled over images and sorted by score.
    """
    gts = _per_image(gt_boxes, None, "gt_boxes")
    preds = _per_image(pred_boxes, len(gts), "pred_boxes")
    scs = _per_image(pred_scores, len(gts), "pred_scores")
    thr = np.array([float(iou_threshold)])
    parts = [_match_image(p, s, g, thr) for p, s, g in zip(preds, scs, gts)]
    scores = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0)
    tp = np.concatenate([p[1][0] for p in parts]) if parts else np.zeros(0, bool)
    return _curve(scores, tp, sum(len(as_boxes(g)) for g in gts), iou_threshold)


def average_precision(pred_boxes: Sequence, pred_scores: Sequence, gt_boxes: Sequence,
                      iou_threshold: float = 0.5, method: Literal["coco", "voc"] = "coco") -> float:
    """AP of one class over a set of images (lists with one array per image, xyxy boxes).

    ``method="coco"``: the mean of the precision envelope at recall 0, 0.01, …, 1 (101 points;
    recall beyond the highest reached counts precision 0), as pycocotools.  ``"voc"``: the
    area under the envelope at every recall step (VOC2010+ "all-point").  NaN when there is no
    true box at all.
    """
    if method not in ("coco", "voc"):
        raise ValueError(f"Unknown AP method {method!r}: use 'coco' or 'voc'.")
    c = precision_recall(pred_boxes, pred_scores, gt_boxes, iou_threshold)
    return c.ap if method == "coco" else c.ap_voc


@dataclass
class MAPResult:
    """Detection quality over a data set, COCO style."""
    iou_thresholds: np.ndarray    # (T,)
    ap: np.ndarray                # (C, T) AP per class and threshold; NaN: class has no true box
    curves: list[list[PRCurve]]   # curves[c][t]
    num_gt: np.ndarray            # (C,) true boxes per class

    def _col(self, thr: float) -> int:
        hit = np.flatnonzero(np.isclose(self.iou_thresholds, thr))
        if not len(hit):
            raise KeyError(f"IoU threshold {thr} was not evaluated.")
        return int(hit[0])

    @staticmethod
    def _mean(v: np.ndarray) -> float:
        return float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")

    @property
    def map50(self) -> float:
        """mAP at IoU 0.5 (PASCAL VOC's measure, COCO's AP50)."""
        return self._mean(self.ap[:, self._col(0.5)])

    @property
    def map75(self) -> float:
        return self._mean(self.ap[:, self._col(0.75)])

    @property
    def map(self) -> float:
        """mAP averaged over classes and all thresholds (COCO's AP, "mAP50-95")."""
        return self._mean(self.ap)

    map50_95 = map

    @property
    def per_class_ap(self) -> np.ndarray:
        """(C,) AP of each class averaged over the thresholds (NaN: no true box)."""
        return self.ap.mean(axis=1)

    @property
    def per_class_ap50(self) -> np.ndarray:
        return self.ap[:, self._col(0.5)]

    def curve(self, cls: int, iou_threshold: float = 0.5) -> PRCurve:
        return self.curves[cls][self._col(iou_threshold)]


def _unpack(item, with_scores: bool):
    if isinstance(item, dict):
        boxes, labels = item["boxes"], item["labels"]
        scores = item["scores"] if with_scores else None
    elif with_scores:
        boxes, scores, labels = item
    else:
        boxes, labels = item
        scores = None
    boxes = as_boxes(boxes)
    labels = _numpy(labels).reshape(-1).astype(np.int64)
    if len(labels) != len(boxes):
        raise ValueError(f"{len(boxes)} boxes but {len(labels)} labels.")
    scores = None if scores is None else _scores(scores, len(boxes)).astype(np.float64)
    return boxes, scores, labels


def evaluate_map(predictions: Sequence, ground_truths: Sequence, num_classes: int,
                 iou_thresholds: Iterable[float] | None = None) -> MAPResult:
    """mAP of a detector over a set of images, per class and IoU threshold, as COCO computes it.

    ``predictions[i]``: image ``i``'s detections, a dict with ``"boxes"`` (K×4 xyxy),
    ``"scores"`` (K,) and ``"labels"`` (K,) — torchvision's detection output — or a tuple
    ``(boxes, scores, labels)``.  ``ground_truths[i]``: ``{"boxes", "labels"}`` or
    ``(boxes, labels)``.  Labels are 0 … ``num_classes`` − 1.  ``iou_thresholds`` default to
    COCO's 0.50:0.05:0.95.  No crowd boxes, no area ranges, no limit on detections per image.

    Returns :class:`MAPResult` (``.map50``, ``.map`` = mAP50-95, ``.per_class_ap``,
    ``.curve(c, 0.5)`` for a precision–recall plot).
    """
    thr = COCO_IOU_THRESHOLDS.copy() if iou_thresholds is None else np.asarray(
        list(iou_thresholds), np.float64).reshape(-1)
    gts = [_unpack(g, False) for g in ground_truths]
    preds = [_unpack(p, True) for p in _per_image(predictions, len(gts), "predictions")]
    scores: list[list[np.ndarray]] = [[] for _ in range(num_classes)]
    tps: list[list[np.ndarray]] = [[] for _ in range(num_classes)]
    num_gt = np.zeros(num_classes, np.int64)
    for (pb, ps, pl), (gb, _, gl) in zip(preds, gts):
        if (len(pl) and (pl.min() < 0 or pl.max() >= num_classes)) or \
                (len(gl) and (gl.min() < 0 or gl.max() >= num_classes)):
            raise ValueError(f"Class labels must lie in 0..{num_classes - 1}.")
        num_gt += np.bincount(gl, minlength=num_classes)
        for c in np.union1d(pl, gl):
            s, tp = _match_image(pb[pl == c], ps[pl == c], gb[gl == c], thr)
            scores[c].append(s)
            tps[c].append(tp)
    ap = np.full((num_classes, len(thr)), np.nan)
    curves: list[list[PRCurve]] = []
    for c in range(num_classes):
        s = np.concatenate(scores[c]) if scores[c] else np.zeros(0)
        tp = np.concatenate(tps[c], axis=1) if tps[c] else np.zeros((len(thr), 0), bool)
        curves.append([_curve(s, tp[t], int(num_gt[c]), thr[t]) for t in range(len(thr))])
        ap[c] = [cv.ap for cv in curves[c]]
    return MAPResult(thr, ap, curves, num_gt)
