"""Region proposals and R-CNN (the notes' "Region Proposal (R-CNN)"): run the classifier only
where an object is likely, instead of at every window.

1. **Selective search** proposes regions: Felzenszwalb's graph segmentation cuts the picture
   into small regions, which are merged greedily, most similar neighbours first (colour,
   texture, size, fill); the box of every region formed on the way is a proposal. The
   ``selective-search`` package (Chenjie Xu) does the work; :func:`propose_steps` drives it one
   strategy at a time (progress, no process pool) and builds its first regions itself, because
   the package's own first step fails on a boolean array with current SciPy and gives every
   starting region the size of region 1.
2. Every proposal is **cropped, warped** to the classifier's input and **classified**, one
   network call per region (:func:`score_steps`): the bundled localiser on generated scenes
   (p_c says "no object", c₁..c₃ which shape, and its box head moves the box, R-CNN's
   bounding-box regression), an ImageNet classifier on photos.
3. Class-wise **non-max suppression** (:func:`core.detection.boxes.batched_nms`) keeps one box
   per object (:func:`finish`).

:func:`rcnn` is all three as one iterator of :class:`RCNNStep` snapshots; :func:`fast_rcnn`
is the shared-features variant (the trunk runs once, ``torchvision.ops.roi_align`` cuts each
proposal's features); :func:`recall` measures how well proposals cover the true boxes.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Iterator

from core.i18n import _

import cv2
import numpy as np
import torch

from ..devices import torch_threads
from ..snapshots import Snapshot
from .boxes import batched_nms, iou

__all__ = ["MODES", "strategies", "Proposals", "propose_steps", "propose", "recall",
           "recall_at", "crop", "Scored", "score_steps", "RCNNResult", "finish", "RCNNStep",
           "rcnn", "FastRCNN", "fast_rcnn", "found", "LOCALIZER_PAD", "SHAPES"]

#: selective search's strategies (the package's ``load_strategy``): colour spaces × Felzenszwalb
#: scales k × similarity mixes (C colour, T texture, S size, F fill)
MODES = ("single", "fast")
#: context around a proposal before it is warped, as a share of its side on each side: the
#: localiser was trained on shapes 20–60 % as wide as its picture, so a tight box is widened
#: until the shape fills about 60 % (R-CNN adds 16 px of context at 227 px for the same reason)
LOCALIZER_PAD = 1 / 3
#: the localiser's c₁..c₃
SHAPES = ("circle", "square", "triangle")


def strategies(mode: str) -> list[tuple[str, int, str]]:
    from selective_search.util import load_strategy

    if mode not in MODES:
        raise ValueError(f"Selective search mode must be one of {MODES}; got {mode!r}.")
    return [tuple(s) for s in load_strategy(mode)]  # type: ignore[misc]


def _one_strategy(img: np.ndarray, colour: str, k: int, sim: str) -> list[tuple[int, int, int, int]]:
    """The package's ``selective_search_one`` with its first regions built here (see the module
    docstring); boxes (x0, y0, x1, y1), x1/y1 exclusive, the last merges (largest) first."""
    from scipy.ndimage import find_objects
    from selective_search import measure
    from selective_search.structure import HierarchicalGrouping
    from selective_search.util import oversegmentation, switch_color_space

    im = switch_color_space(img, colour)
    seg = oversegmentation(im, k)
    grouping = HierarchicalGrouping(im, seg, sim)
    with warnings.catch_warnings():   # LBP on float colour spaces: the package's choice
        warnings.simplefilter("ignore")
        lbp = measure.generate_lbp_image(im)
    grouping.regions = {}
    for label, sl in enumerate(find_objects(seg + 1)):   # labels 0..n-1 → slices, in one pass
        if sl is None:
            continue
        mask = seg == label
        grouping.regions[label] = {"size": int(mask.sum()), "box": (sl[1].start, sl[0].start, sl[1].stop, sl[0].stop),
                                   "color_hist": measure.calculate_color_hist(mask, im),
                                   "texture_hist": measure.calculate_texture_hist(mask, lbp)}
    grouping.build_region_pairs()
    while not grouping.is_empty():
        i, j = grouping.get_highest_similarity()
        grouping.merge_region(i, j)
        grouping.remove_similarities(i, j)
        grouping.calculate_similarity_for_new_region()
    return list(dict.fromkeys(r["box"] for r in reversed(list(grouping.regions.values()))))


@dataclass
class Proposals:
    """Selective search's boxes on one picture, in its pixels (float32 xyxy)."""

    boxes: np.ndarray            # (N, 4) after dropping tiny boxes, in the order found
    found: int                   # boxes before the size filter
    seconds: float
    mode: str
    scale: float                 # the picture was resized by this for the search (1: not)
    min_side: int                # boxes narrower or lower than this (px) were dropped

    def __len__(self) -> int:
        return len(self.boxes)


@dataclass
class ProposalStep(Snapshot):
    proposals: Proposals | None = None


def propose_steps(image: np.ndarray, mode: str = "single", max_side: int | None = 384,
                  min_side: int = 8) -> Iterator[ProposalStep]:
    """Selective search on an RGB uint8 picture, one strategy per snapshot; the last carries
    :class:`Proposals`. ``max_side``: shrink the picture first so its longer side is at most
    this (the search is pure Python: about 1 s per strategy at 384 px, and the "fast" mode's
    k = 50 strategies take 10–40 s); boxes are scaled back to the picture's pixels."""
    image = _rgb(image)
    todo = strategies(mode)
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w)) if max_side else 1.0
    small = image if scale == 1.0 else cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                                                  interpolation=cv2.INTER_AREA)
    t0 = time.perf_counter()
    found: list[tuple[int, int, int, int]] = []
    for i, (colour, k, sim) in enumerate(todo, start=1):
        found += _one_strategy(small, colour, k, sim)
        if i < len(todo):
            yield ProposalStep(i, len(todo), info={"proposals so far": len(set(found))})
    unique = np.asarray(list(dict.fromkeys(found)), np.float32).reshape(-1, 4) / scale
    sides = np.minimum(unique[:, 2] - unique[:, 0], unique[:, 3] - unique[:, 1])
    boxes = np.clip(unique[sides >= min_side], 0, [w, h, w, h]).astype(np.float32)
    props = Proposals(boxes, len(unique), time.perf_counter() - t0, mode, scale, min_side)
    yield ProposalStep(len(todo), len(todo), info={"proposals": len(boxes)}, proposals=props)


def propose(image: np.ndarray, mode: str = "single", max_side: int | None = 384, min_side: int = 8) -> Proposals:
    """:func:`propose_steps` run to the end."""
    last = None
    for last in propose_steps(image, mode, max_side, min_side):
        pass
    return last.proposals  # type: ignore[union-attr]


def recall(gt_boxes, proposals, iou_threshold: float = 0.5) -> tuple[float, np.ndarray]:
    """Share of true boxes that some proposal overlaps with IoU ≥ ``iou_threshold``, and each
    true box's best IoU (the proposals' "coverage"; 1.0 when there are no true boxes)."""
    gt = np.asarray(gt_boxes, np.float64).reshape(-1, 4)
    p = np.asarray(proposals, np.float64).reshape(-1, 4)
    if not len(gt):
        return 1.0, np.zeros(0)
    best = iou(gt, p).max(1) if len(p) else np.zeros(len(gt))
    return float((best >= iou_threshold).mean()), best


def recall_at(gt_boxes, proposals, counts, iou_threshold: float = 0.5) -> list[float]:
    """:func:`recall` with only the first ``n`` proposals, for each ``n`` in ``counts``."""
    return [recall(gt_boxes, np.asarray(proposals)[:n], iou_threshold)[0] for n in counts]


# --------------------------------------------------------------------------- scoring

def _rgb(image) -> np.ndarray:
    a = np.asarray(image)
    if a.ndim != 3 or a.shape[2] < 3 or a.dtype != np.uint8 or min(a.shape[:2]) < 8:
        raise ValueError(_("Need an RGB uint8 picture of at least 8×8 px; got {dtype} {shape}.", dtype=a.dtype, shape=a.shape))
    return np.ascontiguousarray(a[..., :3])


def _padded(box, pad: float) -> np.ndarray:
    x0, y0, x1, y1 = (float(v) for v in box)
    dx, dy = (x1 - x0) * pad, (y1 - y0) * pad
    return np.array([x0 - dx, y0 - dy, x1 + dx, y1 + dy])


def crop(image: np.ndarray, box, size: int, pad: float = 0.0) -> np.ndarray:
    """R-CNN's warp: the box (which must overlap the picture) widened by ``pad`` × its side on
    every side (outside the picture: the border repeated), resized to ``size``×``size`` whatever
    its aspect."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in _padded(box, pad))
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
    cut = image[max(0, y0):max(0, min(h, y1)), max(0, x0):max(0, min(w, x1))]
    cut = cv2.copyMakeBorder(cut, max(0, -y0), max(0, y1 - h), max(0, -x0), max(0, x1 - w), cv2.BORDER_REPLICATE) \
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h else cut
    shrink = cut.shape[0] > size or cut.shape[1] > size
    return cv2.resize(np.ascontiguousarray(cut), (size, size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def _kind(lm) -> str:
    """"localizer" for the shapes localiser and its R-CNN fine-tuned copy, else "imagenet"."""
    from .localization import Localizer
    return "localizer" if isinstance(lm.model, Localizer) else "imagenet"


def _input_side(lm) -> int:
    if _kind(lm) == "localizer":
        from .localization import SIZE
        return SIZE
    t = getattr(lm, "transforms", None)
    # warped to the side the model's preprocessing resizes to, so its centre crop keeps most of it
    return int(getattr(t, "resize", None) or getattr(t, "crop", None) or 224)


@dataclass
class Scored:
    """Every proposal after the classifier: its (refined) box, score and class."""

    boxes: np.ndarray            # (N, 4) boxes to keep (the localiser's box head moved them)
    proposal_boxes: np.ndarray   # (N, 4) the proposals themselves
    scores: np.ndarray           # (N,) p_c · max c (localiser) or top softmax probability
    classes: np.ndarray          # (N,) class index into labels
    labels: list[str]
    calls: int                   # classifier forward passes
    seconds: float               # crops + calls together
    crop_seconds: float          # of which cutting and warping
    #: localiser only: IoU of each proposal with the box its box head puts in the crop (1: the
    #: shape fills the proposal as a tight box should; low: a part of a shape, or much more)
    agreement: np.ndarray | None = None


@dataclass
class ScoreStep(Snapshot):
    scored: Scored | None = None


def _classify(lm, crops: list[np.ndarray]) -> np.ndarray:
    """(n, 8) ŷ for the localiser, (n, classes) probabilities for an ImageNet model."""
    if _kind(lm) == "localizer":
        from .localization import predict
        return predict(lm.model, crops)
    x = torch.cat([t if t.ndim == 4 else t[None] for t in (lm.preprocess(c) for c in crops)])
    with torch.no_grad():
        return torch.softmax(lm.model(x.to(lm.device)).float(), 1).cpu().numpy()


def _read(lm, out: np.ndarray, boxes: np.ndarray, pad: float, refine: bool):
    """(boxes, scores, classes, agreement) from the classifier's outputs."""
    if _kind(lm) != "localizer":
        return boxes, out.max(1), out.argmax(1), None
    scores = out[:, 0] * out[:, 1:4].max(1)
    classes = out[:, 1:4].argmax(1)
    if not len(boxes):
        return boxes, scores, classes, np.zeros(0)
    pb = np.stack([_padded(b, pad) for b in boxes])     # the crop the localiser saw
    pw, ph = pb[:, 2] - pb[:, 0], pb[:, 3] - pb[:, 1]
    cx, cy = pb[:, 0] + out[:, 4] * pw, pb[:, 1] + out[:, 5] * ph
    bh, bw = out[:, 6] * ph, out[:, 7] * pw
    moved = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1)
    agreement = np.diag(iou(boxes.astype(np.float64), moved))
    return (moved if refine else boxes), scores, classes, agreement


def score_steps(lm, image: np.ndarray, boxes, *, batch_size: int = 1, refine: bool = False,
                pad: float | None = None, every: int = 16) -> Iterator[ScoreStep]:
    """Crop, warp and classify every box with the zoo model ``lm`` (the localiser
    ``localizer-shapes``, or an ImageNet classifier), ``batch_size`` regions per forward pass
    (1: R-CNN's one call per region). A snapshot every ``every`` regions; the last carries
    :class:`Scored`. ``refine``: move each box by the localiser's box head."""
    image = _rgb(image)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    pad = (LOCALIZER_PAD if _kind(lm) == "localizer" else 0.0) if pad is None else pad
    side, n, bs = _input_side(lm), len(boxes), max(1, int(batch_size))
    outs, calls, crop_s = [], 0, 0.0
    t0 = time.perf_counter()
    with lm.lock, torch_threads(1):   # one small call after another: threads only hand off
        for start in range(0, n, bs):
            tc = time.perf_counter()
            crops = [crop(image, b, side, pad) for b in boxes[start:start + bs]]
            crop_s += time.perf_counter() - tc
            outs.append(_classify(lm, crops))
            calls += 1
            done = min(n, start + bs)
            if done < n and (done // every) != ((done - bs) // every):
                yield ScoreStep(done, n, info={"classifier calls": calls})
    seconds = time.perf_counter() - t0
    width = 8 if _kind(lm) == "localizer" else len(lm.labels)
    out = np.concatenate(outs) if outs else np.zeros((0, width), np.float32)
    labels = list(SHAPES) if _kind(lm) == "localizer" else list(lm.labels)
    kept_boxes, scores, classes, agreement = _read(lm, out, boxes, pad, refine)
    h, w = image.shape[:2]
    scored = Scored(np.clip(kept_boxes, 0, [w, h, w, h]).astype(np.float32), boxes,
                    scores.astype(np.float32), classes.astype(np.int64), labels, calls, seconds, crop_s,
                    agreement)
    yield ScoreStep(n, n, info={"classifier calls": calls}, scored=scored)


@dataclass
class RCNNResult:
    """Proposals, their scores, and what survived the threshold and NMS."""

    proposals: Proposals
    scored: Scored
    threshold: float
    iou_threshold: float
    keep: np.ndarray             # indices into scored, highest score first
    weights: np.ndarray          # (N,) the scores the threshold and NMS used
    all_boxes: np.ndarray        # (N, 4) the boxes they used (moved by the box head, or not)

    @property
    def boxes(self) -> np.ndarray:
        return self.all_boxes[self.keep]

    @property
    def scores(self) -> np.ndarray:
        return self.weights[self.keep]

    @property
    def classes(self) -> np.ndarray:
        return self.scored.classes[self.keep]

    @property
    def over_threshold(self) -> int:
        return int((self.weights > self.threshold).sum())

    @property
    def seconds(self) -> float:
        return self.proposals.seconds + self.scored.seconds


def finish(proposals: Proposals, scored: Scored, threshold: float = 0.5, iou_threshold: float = 0.5,
           agreement: bool = False, regress: bool = True) -> RCNNResult:
    """Keep regions scoring above ``threshold``, then class-wise NMS at ``iou_threshold`` (cheap:
    no network runs; a page calls it again for every slider move). ``agreement``: weigh each
    score by :attr:`Scored.agreement` first (localiser only), so parts of shapes and boxes
    around several shapes, which the localiser was never shown as "no object", count less.
    ``regress=False``: keep the proposals' own boxes even where :func:`score_steps` moved them."""
    boxes = scored.boxes if regress else scored.proposal_boxes
    weights = scored.scores * scored.agreement if agreement and scored.agreement is not None else scored.scores
    weights = np.asarray(weights, np.float32)
    live = np.flatnonzero(weights > threshold)
    keep = live[batched_nms(boxes[live], weights[live], scored.classes[live], iou_threshold)] \
        if len(live) else np.zeros(0, np.int64)
    return RCNNResult(proposals, scored, float(threshold), float(iou_threshold), keep.astype(np.int64),
                      weights, boxes)


@dataclass
class RCNNStep(Snapshot):
    """One step of :func:`rcnn`: ``phase`` "proposals" (step/total: strategies) or "scoring"
    (step/total: regions); the last one carries ``result``."""

    phase: str = "proposals"
    result: RCNNResult | None = None
    proposal_share: float = field(default=0.5, repr=False)

    @property
    def fraction(self) -> float:
        f = super().fraction
        return f * self.proposal_share if self.phase == "proposals" else self.proposal_share + f * (1 - self.proposal_share)

    def describe(self) -> str:
        if self.phase == "proposals":
            return _("selective search: strategy {step} of {total}", step=self.step, total=self.total)
        return _("classifier: region {step} of {total}", step=self.step, total=self.total)


def rcnn(lm, image: np.ndarray, *, mode: str = "single", max_side: int | None = 384,
         max_proposals: int | None = 2000, batch_size: int = 1, refine: bool = False,
         threshold: float = 0.5, iou_threshold: float = 0.5, agreement: bool = False) -> Iterator[RCNNStep]:
    """R-CNN on one picture as snapshots: selective search, then the first ``max_proposals``
    proposals (R-CNN used about 2000) classified one call each, then :func:`finish` (``refine``: use the boxes the
    localiser's box head moved; both kinds are kept in ``result.scored``). The last snapshot has
    ``step == total`` and ``result``."""
    props = None
    for snap in propose_steps(image, mode, max_side):
        props = snap.proposals
        if props is None:
            yield RCNNStep(snap.step, snap.total, info=snap.info)
    assert props is not None
    if max_proposals is not None:
        props = Proposals(props.boxes[:max_proposals], props.found, props.seconds, props.mode,
                          props.scale, props.min_side)
    share = 0.5 if mode == "single" else 0.85
    for snap in score_steps(lm, image, props.boxes, batch_size=batch_size, refine=True):
        if snap.scored is None:
            yield RCNNStep(snap.step, snap.total, info=snap.info, phase="scoring", proposal_share=share)
        else:
            yield RCNNStep(snap.step, snap.total, info=snap.info, phase="scoring", proposal_share=share,
                           result=finish(props, snap.scored, threshold, iou_threshold, agreement, refine))


# --------------------------------------------------------------------------- Fast R-CNN

@dataclass
class FastRCNN:
    """The localiser run the Fast R-CNN way: its trunk once on the whole picture, then each
    proposal's features cut out of that map (RoI align to the 4×4 grid its heads take)."""

    scored: Scored
    trunk_seconds: float         # the one pass over the picture
    head_seconds: float          # RoI align + the heads, all proposals
    stride: int                  # pixels per cell of the shared map

    @property
    def seconds(self) -> float:
        return self.trunk_seconds + self.head_seconds


def fast_rcnn(lm, image: np.ndarray, boxes, *, pad: float = LOCALIZER_PAD, refine: bool = True) -> FastRCNN:
    """Fast R-CNN with the localiser (``localizer-shapes``): the conv trunk (four conv/pool
    blocks, stride 16) runs once on the picture, ``torchvision.ops.roi_align`` pools each padded
    proposal to 4×4×64, and the class and box heads (no retraining: the heads were trained on
    warped 64 px crops, so the answers differ somewhat from R-CNN's) score all proposals in one
    batch."""
    from torchvision.ops import roi_align

    from core.segmentation import data as _seg

    if _kind(lm) != "localizer":
        raise ValueError("Fast R-CNN here needs the shapes localiser (its trunk and heads are separate).")
    image = _rgb(image)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    net = lm.model
    conv = net.trunk[:-2]                          # without AdaptiveAvgPool2d(4) and Flatten
    stride = 2 ** sum(isinstance(m, torch.nn.MaxPool2d) for m in conv)
    with lm.lock, torch.no_grad():
        t0 = time.perf_counter()
        fmap = conv(_seg.to_tensor(image[None]))
        t1 = time.perf_counter()
        pb = torch.from_numpy(np.stack([_padded(b, pad) for b in boxes]).astype(np.float32)) \
            if len(boxes) else torch.zeros(0, 4)
        rois = torch.cat([torch.zeros(len(pb), 1), pb], 1)
        feats = roi_align(fmap, rois, output_size=4, spatial_scale=1 / stride, sampling_ratio=2, aligned=True)
        f = feats.flatten(1)
        c = net.class_head(f)
        out = torch.cat([torch.sigmoid(c[:, :1]), torch.softmax(c[:, 1:], 1), torch.sigmoid(net.box_head(f))], 1).numpy()
        t2 = time.perf_counter()
    kept, scores, classes, agree = _read(lm, out, boxes, pad, refine)
    h, w = image.shape[:2]
    scored = Scored(np.clip(kept, 0, [w, h, w, h]).astype(np.float32), boxes, scores.astype(np.float32),
                    classes.astype(np.int64), list(SHAPES), 1, t2 - t0, 0.0, agree)
    return FastRCNN(scored, t1 - t0, t2 - t1, stride)


def found(boxes, classes, gt_boxes, gt_classes, iou_threshold: float = 0.5) -> int:
    """True objects matched by a kept box of the right class with IoU ≥ ``iou_threshold``
    (each box matches at most one object, in the given order: highest score first)."""
    gt = np.asarray(gt_boxes, np.float64).reshape(-1, 4)
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    if not len(gt) or not len(b):
        return 0
    m = iou(b, gt)
    free = np.ones(len(gt), bool)
    for k in range(len(b)):
        ok = np.flatnonzero(free & (np.asarray(gt_classes) == classes[k]) & (m[k] >= iou_threshold))
        if len(ok):
            free[ok[np.argmax(m[k, ok])]] = False
    return int((~free).sum())
