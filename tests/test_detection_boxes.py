"""core.detection.boxes: formats, IoU, NMS (against torchvision), the notes' NMS steps, AP/mAP
(a hand-worked case and pycocotools)."""
from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
import torch
import torchvision
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from core.detection import boxes as bx
from core.detection.boxes import (
    NMSDone, ScoreDrop, SuppressRound, average_precision, batched_nms, convert, evaluate_map,
    iou, nms, nms_steps, precision_recall,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def random_boxes(rng, n, *, span=500.0, size=(5.0, 120.0), integer=False, dtype=np.float32):
    """n xyxy boxes inside a span×span image; ``integer``: whole-pixel corners (exact IoU ties)."""
    ctr = rng.uniform(0, span, (n, 2))
    wh = rng.uniform(*size, (n, 2))
    b = np.concatenate([ctr - wh / 2, ctr + wh / 2], axis=1)
    return (np.round(b) if integer else b).astype(dtype)


def with_duplicates_and_ties(rng, b, s):
    """Repeat a third of the boxes exactly (some with the same score) and quantise the scores."""
    k = rng.choice(len(b), len(b) // 3, replace=False)
    b = np.concatenate([b, b[k]])
    s = np.concatenate([s, np.where(rng.random(len(k)) < 0.5, s[k], rng.random(len(k)))])
    return b, (np.round(s * 8) / 8).astype(b.dtype)        # 9 score levels: many ties


def tv_nms(b, s, thr):
    return torchvision.ops.nms(torch.from_numpy(b), torch.from_numpy(s), thr).numpy()


# ------------------------------------------------------------------------------ formats


def test_conversions_known_values():
    xyxy = np.array([[10, 20, 50, 80]])
    np.testing.assert_array_equal(convert(xyxy, "xyxy", "xywh"), [[10, 20, 40, 60]])
    np.testing.assert_array_equal(convert(xyxy, "xyxy", "cxcywh"), [[30, 50, 40, 60]])
    np.testing.assert_array_equal(convert([[30, 50, 40, 60]], "cxcywh", "xywh"), [[10, 20, 40, 60]])
    np.testing.assert_array_equal(bx.normalize(xyxy, (100, 200)), [[0.1, 0.1, 0.5, 0.4]])
    np.testing.assert_array_equal(bx.denormalize([[0.1, 0.1, 0.5, 0.4]], (100, 200)), xyxy)
    with pytest.raises(ValueError, match="format"):
        convert(xyxy, "xyxy", "yolo")
    with pytest.raises(ValueError, match="4 numbers"):
        convert(np.zeros((3, 5)), "xyxy", "xywh")


@pytest.mark.parametrize("src", bx.FORMATS)
@pytest.mark.parametrize("dst", bx.FORMATS)
def test_conversions_round_trip_and_match_torchvision(src, dst):
    rng = np.random.default_rng(1)
    b = convert(random_boxes(rng, 200, dtype=np.float64), "xyxy", src)
    out = convert(torch.from_numpy(b), src, dst)                # torch in, numpy out
    assert isinstance(out, np.ndarray) and out.shape == (200, 4)
    np.testing.assert_allclose(convert(out, dst, src), b, rtol=0, atol=1e-9)
    ref = torchvision.ops.box_convert(torch.from_numpy(b), src, dst).numpy()
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-9)
    img = (640, 480)
    np.testing.assert_allclose(bx.denormalize(bx.normalize(out, img), img), out, atol=1e-9)


# ----------------------------------------------------------------------------------- IoU


def test_iou_worked_numbers():
    a = [[0, 0, 2, 1]]                                            # area 2
    b = [[0, 0, 1, 1], [1, 0, 3, 1], [5, 5, 6, 6], [0, 0, 2, 1]]
    np.testing.assert_array_equal(iou(a, b), [[0.5, 1 / 3, 0.0, 1.0]])
    assert iou(a, b).dtype == np.float64 and iou(a, b).shape == (1, 4)
    np.testing.assert_array_equal(bx.area(b + [[4, 4, 0, 0]]), [1, 2, 1, 2, 0])  # inverted: 0
    assert iou(np.zeros((0, 4)), b).shape == (0, 4) and iou(a, []).shape == (1, 0)


def test_zero_area_boxes_give_zero_not_nan():
    pts = [[3, 3, 3, 3], [3, 3, 3, 3], [0, 0, 4, 0]]             # two points, one segment
    out = iou(pts, pts)
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out, np.zeros((3, 3)))
    tv = torchvision.ops.box_iou(torch.tensor(pts, dtype=torch.float64), torch.tensor(pts, dtype=torch.float64))
    assert torch.isnan(tv).all()                                 # torchvision: 0/0


@pytest.mark.parametrize("integer", [False, True])
def test_iou_equals_torchvision_box_iou(integer):
    rng = np.random.default_rng(2)
    a = random_boxes(rng, 700, integer=integer, dtype=np.float64)
    b = random_boxes(rng, 1500, integer=integer, dtype=np.float64)   # > one chunk of rows
    ours = iou(torch.from_numpy(a), b)
    ref = torchvision.ops.box_iou(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    np.testing.assert_array_equal(ours, ref)
    assert (ours > 0).sum() > 1000                               # the boxes really overlap


# ----------------------------------------------------------------------------------- NMS


def test_nms_worked_example_and_threshold_equality():
    boxes = [[0, 0, 2, 1], [0, 0, 1, 1], [0.1, 0, 2.1, 1], [5, 5, 6, 6]]
    scores = [0.9, 0.8, 0.7, 0.95]
    # box 1 is the left half of box 0: IoU exactly 0.5 — not "> 0.5", so torchvision keeps it.
    np.testing.assert_array_equal(nms(boxes, scores, 0.5), [3, 0, 1])
    np.testing.assert_array_equal(tv_nms(np.float32(boxes), np.float32(scores), 0.5), [3, 0, 1])
    # the notes' rule (IoU ≥ 0.5) suppresses it
    assert nms_steps(boxes, scores, None, 0.5, inclusive=True)[-1].kept.tolist() == [3, 0]
    assert nms_steps(boxes, scores, None, 0.5, inclusive=False)[-1].kept.tolist() == [3, 0, 1]
    out = nms(torch.tensor(boxes), torch.tensor(scores), 0.5)
    assert isinstance(out, np.ndarray) and out.dtype == np.int64
    assert nms(np.zeros((0, 4)), [], 0.5).dtype == np.int64 and len(nms([], [], 0.5)) == 0


def test_nms_equal_scores_keep_input_order():
    # torchvision sorts with a stable sort: among equal scores the lower index comes first
    b = np.float32([[0, 0, 10, 10], [0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 60, 60]])
    s = np.float32([0.5, 0.5, 0.5, 0.5])
    assert nms(b, s, 0.5).tolist() == tv_nms(b, s, 0.5).tolist() == [0, 3]
    s = np.float32([0.5, np.nan, 0.9, 0.5])                       # NaN counts as highest
    assert nms(b, s, 0.5).tolist() == tv_nms(b, s, 0.5).tolist()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ["float", "integer", "ties+duplicates", "clustered"])
def test_nms_equals_torchvision(case, dtype):
    rng = np.random.default_rng(["float", "integer", "ties+duplicates", "clustered"].index(case)
                                + 10 * (dtype == np.float64))
    n = 2000
    if case == "clustered":                                      # a detector's raw output
        centres = rng.uniform(50, 450, (40, 2))
        k = rng.integers(0, 40, n)
        ctr = centres[k] + rng.normal(0, 6, (n, 2))
        wh = rng.uniform(30, 80, (40, 2))[k] * rng.uniform(0.85, 1.15, (n, 2))
        b = np.concatenate([ctr - wh / 2, ctr + wh / 2], axis=1).astype(dtype)
    else:
        b = random_boxes(rng, n, integer=case != "float", dtype=dtype)
    s = rng.random(len(b)).astype(dtype)
    if case in ("integer", "ties+duplicates"):
        b, s = with_duplicates_and_ties(rng, b, s)
    b[:5, 2:] = b[:5, :2]                                        # a few zero-area boxes
    tb, ts = torch.from_numpy(b), torch.from_numpy(s)
    kept_counts = []
    for thr in (0.0, 0.3, 1 / 3, 0.5, 0.7, 1.0):
        ref = torchvision.ops.nms(tb, ts, thr).numpy()
        np.testing.assert_array_equal(nms(b, s, thr), ref, err_msg=f"threshold {thr}")
        kept_counts.append(len(ref))
    assert len(set(kept_counts)) > 3 and 0 < kept_counts[0] < kept_counts[-1] <= len(b)


def test_nms_threshold_ties_really_occur():
    """The integer case above only tests the IoU == threshold rule if such pairs exist."""
    rng = np.random.default_rng(3)
    b = random_boxes(rng, 1500, integer=True, dtype=np.float64)
    table = iou(b, b)
    assert ((table == 0.5).sum() + (table == 1 / 3).sum()) > 2


def test_batched_nms_equals_torchvision():
    rng = np.random.default_rng(4)
    # > 1000 boxes: torchvision runs nms per class ("vanilla"); distinct scores, exact order
    b = random_boxes(rng, 2500)
    s = rng.random(2500).astype(np.float32)
    c = rng.integers(0, 5, 2500)
    ref = torchvision.ops.batched_nms(torch.from_numpy(b), torch.from_numpy(s), torch.from_numpy(c), 0.4)
    np.testing.assert_array_equal(batched_nms(b, s, c, 0.4), ref.numpy())
    assert len(np.unique(c[ref.numpy()])) == 5 and len(ref) > len(nms(b, s, 0.4))
    # ≤ 1000 boxes: torchvision offsets each class's coordinates (exact for whole pixels)
    b = random_boxes(rng, 700, integer=True)
    b, s = with_duplicates_and_ties(rng, b, rng.random(700).astype(np.float32))
    assert len(b) <= 1000
    c = rng.integers(0, 3, len(b))
    for thr in (0.3, 0.5):
        ref = torchvision.ops.batched_nms(torch.from_numpy(b), torch.from_numpy(s), torch.from_numpy(c), thr)
        np.testing.assert_array_equal(batched_nms(b, s, c, thr), ref.numpy())
    # tied scores above 1000 boxes: the same set and score sequence (torchvision's final sort
    # is not stable there, so the order among equal scores is arbitrary)
    b = random_boxes(rng, 1800)
    s = (rng.integers(0, 6, 1800) / 5).astype(np.float32)
    c = rng.integers(0, 4, 1800)
    ref = torchvision.ops.batched_nms(torch.from_numpy(b), torch.from_numpy(s), torch.from_numpy(c), 0.5).numpy()
    ours = batched_nms(b, s, c, 0.5)
    assert sorted(ours.tolist()) == sorted(ref.tolist())
    np.testing.assert_array_equal(s[ours], s[ref])


# ------------------------------------------------------------------------ the notes' steps


def test_nms_steps_notes_example():
    """Two cars, each detected three times, plus two weak boxes: p_c ≤ 0.6 goes, then IoU ≥ 0.5."""
    boxes = [[10, 10, 50, 40], [12, 11, 52, 42], [8, 9, 48, 38],      # car A
             [100, 20, 160, 60], [104, 22, 162, 63], [98, 18, 150, 58],  # car B
             [200, 100, 220, 120], [11, 10, 49, 41]]
    scores = [0.9, 0.6, 0.7, 0.8, 0.75, 0.65, 0.3, 0.55]
    steps = nms_steps(boxes, scores, score_threshold=0.6, iou_threshold=0.5)
    assert [st.kind for st in steps] == ["drop", "round", "round", "done"]
    drop = steps[0]
    assert isinstance(drop, ScoreDrop)
    assert drop.dropped.tolist() == [1, 6, 7]                    # 0.6 (≤ 0.6), 0.3, 0.55
    assert drop.survivors.tolist() == [0, 3, 4, 2, 5]            # by score
    r1, r2 = steps[1], steps[2]
    assert isinstance(r1, SuppressRound) and (r1.chosen, r1.round) == (0, 1)
    assert r1.compared.tolist() == [3, 4, 2, 5] and r1.suppressed.tolist() == [2]
    np.testing.assert_allclose(r1.suppressed_iou, iou([boxes[0]], [boxes[2]])[0], rtol=1e-6)
    assert r1.remaining.tolist() == [3, 4, 5]
    assert (r2.chosen, r2.suppressed.tolist(), r2.remaining.tolist()) == (3, [4, 5], [])
    assert isinstance(steps[-1], NMSDone) and steps[-1].kept.tolist() == [0, 3]
    assert all(v >= 0.5 for v in r2.suppressed_iou)


@pytest.mark.parametrize("integer", [False, True])
def test_nms_steps_agree_with_nms(integer):
    rng = np.random.default_rng(5 + integer)
    b = random_boxes(rng, 400, integer=integer)
    b, s = with_duplicates_and_ties(rng, b, rng.random(400).astype(np.float32))
    # far from the rest: a box (index n) and its left half (n + 1), IoU exactly 0.5
    n = len(b)
    b = np.concatenate([b, np.float32([[1000, 1000, 1040, 1010], [1000, 1000, 1020, 1010]])])
    s = np.concatenate([s, np.float32([0.99, 0.98])])
    for thr in (0.3, 0.5, 0.7):
        steps = nms_steps(b, s, score_threshold=0.25, iou_threshold=thr, inclusive=False)
        surv = np.flatnonzero(s > np.float32(0.25))
        np.testing.assert_array_equal(steps[-1].kept, surv[nms(b[surv], s[surv], thr)])
        np.testing.assert_array_equal(steps[-1].kept, [st.chosen for st in steps[1:-1]])
        # every box is accounted for exactly once: dropped, kept or suppressed
        seen = np.concatenate([steps[0].dropped, steps[-1].kept] + [st.suppressed for st in steps[1:-1]])
        assert sorted(seen.tolist()) == list(range(len(b)))
        for st in steps[1:-1]:
            assert (st.suppressed_iou > thr).all()
            assert (st.compared_iou[~np.isin(st.compared, st.suppressed)] <= thr).all()
        incl = nms_steps(b, s, score_threshold=0.25, iou_threshold=thr, inclusive=True)
        for st in incl[1:-1]:
            assert (st.suppressed_iou >= thr).all()
        # at 0.5 the half box survives "IoU > 0.5" but not the notes' "IoU ≥ 0.5"
        assert (n + 1 in steps[-1].kept) == (thr >= 0.5) and (n + 1 in incl[-1].kept) == (thr > 0.5)
        if thr != 0.5:
            np.testing.assert_array_equal(incl[-1].kept, steps[-1].kept)


# ------------------------------------------------------------------------ average precision

# One class, two images.  Image 1 has true boxes A, B; image 2 has C.  By score:
#   0.9 → A (TP)   0.8 → nothing (FP)   0.7 → C (TP)   0.6 → A again (FP)   0.5 → B (TP)
# cumulative TP 1 1 2 2 3, FP 0 1 1 2 2: precision 1, 1/2, 2/3, 1/2, 3/5; recall 1/3, 1/3, 2/3, 2/3, 1
# envelope (max precision at ≥ this recall): 1, 2/3, 2/3, 3/5, 3/5
# VOC all-point: 1/3·1 + 1/3·2/3 + 1/3·3/5 = 34/45 = 0.7556
# COCO: recall points 0.00..0.33 (34 of them) read 1, 0.34..0.66 (33) read 2/3, 0.67..1.00 (34)
#   read 3/5: AP = (34 + 22 + 20.4) / 101 = 76.4/101 = 0.7564
A, B_, C_ = [0, 0, 10, 10], [20, 20, 30, 30], [5, 5, 15, 15]
HAND_GT = [np.array([A, B_]), np.array([C_])]
HAND_PRED = [np.array([[0, 0, 10, 11], [40, 40, 50, 50], [1, 0, 10, 10], [20, 21, 30, 30]]),
             np.array([[5, 5, 15, 14]])]
HAND_SCORES = [np.array([0.9, 0.8, 0.6, 0.5]), np.array([0.7])]


def test_average_precision_hand_worked():
    c = precision_recall(HAND_PRED, HAND_SCORES, HAND_GT, 0.5)
    assert c.tp.tolist() == [True, False, True, False, True]
    np.testing.assert_allclose(c.precision, [1, 1 / 2, 2 / 3, 1 / 2, 3 / 5])
    np.testing.assert_allclose(c.recall, [1 / 3, 1 / 3, 2 / 3, 2 / 3, 1])
    np.testing.assert_allclose(c.envelope, [1, 2 / 3, 2 / 3, 3 / 5, 3 / 5])
    assert average_precision(HAND_PRED, HAND_SCORES, HAND_GT, 0.5, "voc") == pytest.approx(34 / 45)
    assert average_precision(HAND_PRED, HAND_SCORES, HAND_GT, 0.5) == pytest.approx(76.4 / 101)
    # at IoU 0.95 only the exact-size hits count: 0.9 → A (IoU 100/110 = 0.909) fails too
    assert average_precision(HAND_PRED, HAND_SCORES, HAND_GT, 0.95) == 0.0
    # no true box: undefined; no prediction: 0
    assert np.isnan(average_precision(HAND_PRED, HAND_SCORES, [np.zeros((0, 4))] * 2))
    assert average_precision([np.zeros((0, 4))] * 2, [[], []], HAND_GT) == 0.0
    with pytest.raises(ValueError, match="method"):
        average_precision(HAND_PRED, HAND_SCORES, HAND_GT, method="11-point")


def test_evaluate_map_hand_worked():
    preds = [{"boxes": p, "scores": s, "labels": np.zeros(len(p), int)} for p, s in zip(HAND_PRED, HAND_SCORES)]
    gts = [(g, np.zeros(len(g), int)) for g in HAND_GT]
    res = evaluate_map(preds, gts, num_classes=2)                 # class 1 has no boxes at all
    assert res.ap.shape == (2, 10) and np.isnan(res.ap[1]).all()
    assert res.map50 == pytest.approx(76.4 / 101)
    assert res.per_class_ap50[0] == pytest.approx(76.4 / 101)
    assert res.map == pytest.approx(np.mean(res.ap[0]))
    assert res.map < res.map50 and res.num_gt.tolist() == [3, 0]
    curve = res.curve(0, 0.5)
    assert len(curve.recall) == 5 and curve.interpolated.shape == (101,)


def _coco_eval(preds, gts, num_classes):
    """pycocotools' bbox evaluation of the same data (its limit of 100 detections per image is
    no limit here)."""
    images = [{"id": i + 1} for i in range(len(gts))]
    anns = []
    for i, (g, lab) in enumerate(gts):
        for box, c in zip(g, lab):
            w, h = box[2] - box[0], box[3] - box[1]
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": int(c) + 1,
                         "bbox": [float(box[0]), float(box[1]), float(w), float(h)],
                         "area": float(w * h), "iscrowd": 0})
    dets = [{"image_id": i + 1, "category_id": int(c) + 1, "score": float(s),
             "bbox": [float(x1), float(y1), float(x2 - x1), float(y2 - y1)]}
            for i, (p, sc, lab) in enumerate(preds) for (x1, y1, x2, y2), s, c in zip(p, sc, lab)]
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "annotations": anns,
                      "categories": [{"id": c + 1} for c in range(num_classes)]}
        gt.createIndex()
        ev = COCOeval(gt, gt.loadRes(dets), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


@pytest.mark.parametrize("integer", [False, True])
def test_evaluate_map_equals_pycocotools(integer):
    rng = np.random.default_rng(7 + integer)
    nc, preds, gts = 4, [], []
    for _ in range(25):
        g = random_boxes(rng, int(rng.integers(0, 7)), span=200, size=(8, 60), integer=integer,
                         dtype=np.float64)
        gl = rng.integers(0, nc - 1, len(g))                     # the last class never occurs
        hit = rng.random(len(g)) < 0.8                           # found, a bit off
        found, lab = g[hit] + rng.normal(0, 2, (hit.sum(), 4)), gl[hit]
        half = len(found) // 2                                   # duplicates of some
        dup, dup_lab = found[:half] + rng.normal(0, 1.5, (half, 4)), lab[:half]
        n_false = int(rng.integers(0, 4))                        # false alarms
        false = random_boxes(rng, n_false, span=200, size=(8, 60), dtype=np.float64)
        p = np.concatenate([found, dup, false])
        p[:, 2:] = np.maximum(p[:, 2:], p[:, :2] + 2)             # keep them proper boxes
        p = np.round(p) if integer else p
        pl = np.concatenate([lab, dup_lab, rng.integers(0, nc, n_false)])
        wrong = rng.random(len(p)) < 0.1                         # some wrong classes
        pl[wrong] = rng.integers(0, nc, wrong.sum())
        s = np.round(rng.random(len(p)), 1)                       # tied scores
        preds.append((p, s, pl))
        gts.append((g, gl))
    ours = evaluate_map(preds, gts, nc)
    ev = _coco_eval(preds, gts, nc)
    prec = ev.eval["precision"][:, :, :, 0, -1]                   # T × R × K, area "all"
    for k in range(nc):
        for t in range(10):
            want = prec[t, :, k]
            if want[0] == -1:
                assert np.isnan(ours.ap[k, t])
            else:
                np.testing.assert_allclose(ours.curves[k][t].interpolated, want, atol=1e-12)
    assert ours.map == pytest.approx(ev.stats[0], abs=1e-12)
    assert ours.map50 == pytest.approx(ev.stats[1], abs=1e-12)
    assert ours.map75 == pytest.approx(ev.stats[2], abs=1e-12)
    assert 0.1 < ours.map < ours.map50 < 1 and np.isnan(ours.per_class_ap[nc - 1])
    # the one-class function gives the same AP
    one = [(p[lab == 0], s[lab == 0]) for p, s, lab in preds]
    ap0 = average_precision([o[0] for o in one], [o[1] for o in one],
                            [g[gl == 0] for g, gl in gts], 0.5)
    assert ap0 == pytest.approx(ours.ap[0, 0])


def test_equal_iou_goes_to_the_later_true_box_as_pycocotools():
    # Two true boxes; the first prediction overlaps both equally (IoU 90/110 = 0.818), the second
    # is exactly the first true box (IoU 1 with it, 80/120 = 0.667 with the other).  pycocotools
    # gives the tie to the later true box, so both predictions are hits at IoU 0.75.
    gts = [(np.array([[0, 0, 10, 10], [2, 0, 12, 10]]), np.array([0, 0]))]
    preds = [(np.array([[1, 0, 11, 10], [0, 0, 10, 10]]), np.array([0.9, 0.8]), np.array([0, 0]))]
    ours = evaluate_map(preds, gts, 1)
    assert ours.curve(0, 0.75).tp.tolist() == [True, True] and ours.ap[0, 5] == 1.0
    assert ours.curve(0, 0.85).tp.tolist() == [False, True]
    assert ours.map == pytest.approx(_coco_eval(preds, gts, 1).stats[0], abs=1e-12)


# ------------------------------------------------------ the page's pieces: IoU parts, status, check


def test_iou_parts_worked_numbers():
    p = bx.iou_parts([20, 20, 70, 60], [28, 26, 78, 66])      # 50×40 each, shifted by (8, 6)
    np.testing.assert_array_equal(p.intersection_box, [28, 26, 70, 60])
    assert (p.area_a, p.area_b, p.intersection) == (2000, 2000, 42 * 34)
    assert p.union == 4000 - 42 * 34 and p.overlaps
    assert p.iou == pytest.approx(42 * 34 / (4000 - 42 * 34))
    apart = bx.iou_parts([[10, 10, 50, 50]], [[50, 10, 90, 50]])  # just touching
    assert apart.intersection == 0 and not apart.overlaps and apart.union == 3200 and apart.iou == 0
    with pytest.raises(ValueError, match="one box"):
        bx.iou_parts([[0, 0, 1, 1], [0, 0, 2, 2]], [0, 0, 1, 1])


@pytest.mark.parametrize("integer", [False, True])
def test_iou_parts_equal_iou(integer):
    rng = np.random.default_rng(11 + integer)
    a = random_boxes(rng, 300, span=100, size=(1, 60), integer=integer, dtype=np.float64)
    b = random_boxes(rng, 300, span=100, size=(1, 60), integer=integer, dtype=np.float64)
    for x, y in zip(a, b):
        p = bx.iou_parts(x, y)
        assert p.iou == iou([x], [y])[0, 0]
        assert p.union == pytest.approx(p.area_a + p.area_b - p.intersection)
        if p.union > 0:
            assert p.intersection / p.union == pytest.approx(p.iou, rel=1e-12, abs=1e-15)
        if p.overlaps:                                          # the box is A ∩ B
            assert bx.area(p.intersection_box)[0] == pytest.approx(p.intersection)
            assert iou([p.intersection_box], [x])[0, 0] == pytest.approx(p.intersection / p.area_a)


def test_step_status_follows_the_notes_example():
    boxes = [[10, 10, 50, 40], [12, 11, 52, 42], [8, 9, 48, 38],
             [100, 20, 160, 60], [104, 22, 162, 63], [98, 18, 150, 58],
             [200, 100, 220, 120], [11, 10, 49, 41]]
    scores = [0.9, 0.6, 0.7, 0.8, 0.75, 0.65, 0.3, 0.55]
    steps = nms_steps(boxes, scores, score_threshold=0.6, iou_threshold=0.5)
    s0, s1, s2, s3 = (bx.step_status(steps, 8, k).tolist() for k in range(4))
    assert s0 == ["live", "dropped", "live", "live", "live", "live", "dropped", "dropped"]
    assert s1 == ["chosen", "dropped", "suppressed", "live", "live", "live", "dropped", "dropped"]
    assert s2 == ["kept", "dropped", "gone", "chosen", "suppressed", "suppressed", "dropped", "dropped"]
    assert s3 == ["kept", "dropped", "gone", "kept", "gone", "gone", "dropped", "dropped"]
    assert set(s3) <= set(bx.STEP_STATUSES)
    with pytest.raises(ValueError, match="Step 4"):
        bx.step_status(steps, 8, 4)


def test_check_nms_agrees_with_torchvision_and_reports_ties():
    rng = np.random.default_rng(9)
    b = random_boxes(rng, 150)
    b, s = with_duplicates_and_ties(rng, b, rng.random(150).astype(np.float32))
    c = bx.check_nms(b, s, 0.3, 0.5)
    surv = np.flatnonzero(s > np.float32(0.3))
    np.testing.assert_array_equal(c.torchvision, surv[tv_nms(b[surv], s[surv], 0.5)])
    np.testing.assert_array_equal(c.ours, c.torchvision)
    assert c.same
    # a box and its left half: IoU exactly 0.5, which the notes' ≥ suppresses and torchvision keeps
    half = bx.check_nms(np.float32([[0, 0, 40, 10], [0, 0, 20, 10]]), np.float32([0.9, 0.8]), 0.6, 0.5)
    assert half.same and half.ties_differ
    assert half.ours.tolist() == [0, 1] and half.stepped.tolist() == [0]
    empty = bx.check_nms(b, s, 1.0, 0.5)                       # nothing passes the score threshold
    assert empty.same and len(empty.ours) == len(empty.torchvision) == len(empty.stepped) == 0
