"""core.detection.yolo_grid: the notes' YOLO target (3×3 grid, 3 classes, 2 anchors → 16 values
per cell), its failure case, and encode/decode round trips."""
from __future__ import annotations

import numpy as np
import pytest

from core.detection import boxes as bx
from core.detection import yolo_grid as yg
from core.detection.yolo_grid import NOTES_EXAMPLE, NOTES_FAILURE, decode, encode, shape_iou

#        p_c  b_x  b_y  b_h  b_w  c_1 c_2 c_3 | p_c  b_x  b_y  b_h  b_w  c_1 c_2 c_3
PEDESTRIAN = [1, 0.5, 0.2, 1.4, 0.4, 1, 0, 0]          # anchor 1 (tall)
CAR = [1, 0.5, 0.4, 0.6, 1.2, 0, 1, 0]                 # anchor 2 (wide)
MOTORCYCLE = [1, 0.6, 0.45, 0.4, 0.8, 0, 0, 1]


def test_notes_example_target():
    t = NOTES_EXAMPLE.encode()
    assert t.y.shape == (3, 3, 16) and t.num_anchors == 2 and t.grid == 3
    np.testing.assert_allclose(t.y[2, 1], PEDESTRIAN + CAR, atol=1e-12)
    others = np.ones((3, 3), bool)
    others[2, 1] = False
    assert (t.y[others] == 0).all()                     # p_c = 0 (and "don't care" written as 0)
    np.testing.assert_allclose(t.cell(2, 1), [PEDESTRIAN, CAR], atol=1e-12)
    assert t.conflicts == []
    ped, car = t.objects
    assert (ped.cell, ped.anchor, car.cell, car.anchor) == ((2, 1), 0, (2, 1), 1)
    # shape IoU: pedestrian 1.4×0.4 vs tall 1.5×0.5: 0.56/0.75; vs wide 0.5×1.5: 0.2/1.11
    np.testing.assert_allclose(ped.anchor_iou, [0.56 / 0.75, 0.2 / 1.11])
    np.testing.assert_allclose(car.anchor_iou, [0.3 / 1.17, 0.6 / 0.87])   # car 0.6×1.2
    np.testing.assert_allclose(ped.y, PEDESTRIAN, atol=1e-12)
    assert ped.slot == slice(0, 8) and car.slot == slice(8, 16) and ped.status == "assigned"
    labels = yg.y_labels(2, NOTES_EXAMPLE.class_names)
    assert len(labels) == 16 and labels[0] == "p_c (anchor 1)" and labels[14] == "c_2 car (anchor 2)"
    assert yg.y_labels(1, 3) == ["p_c", "b_x", "b_y", "b_h", "b_w", "c_1", "c_2", "c_3"]


def test_notes_failure_case_same_cell_same_anchor():
    keep = NOTES_FAILURE.encode()                       # motorcycle arrives third
    assert len(keep.conflicts) == 1
    cf = keep.conflicts[0]
    assert (cf.cell, cf.anchor, cf.kept, cf.lost, cf.objects_in_cell) == ((2, 1), 1, 1, 2, 3)
    assert "3 objects" in cf.reason and "2 anchor" in cf.reason
    np.testing.assert_allclose(keep.y[2, 1], PEDESTRIAN + CAR, atol=1e-12)
    assert [o.status for o in keep.objects] == ["assigned", "assigned", "dropped"]
    np.testing.assert_allclose(keep.objects[2].y, MOTORCYCLE, atol=1e-12)

    over = NOTES_FAILURE.encode(on_conflict="overwrite")
    assert (over.conflicts[0].kept, over.conflicts[0].lost) == (2, 1)
    np.testing.assert_allclose(over.y[2, 1], PEDESTRIAN + MOTORCYCLE, atol=1e-12)
    assert [o.status for o in over.objects] == ["assigned", "overwritten", "assigned"]
    assert len(decode(over.y, 3).boxes) == 2             # one object is lost either way

    # two cars in one cell with a free tall anchor: the other failure the notes name
    two = encode([[0.5, 0.5, 0.3, 0.1], [0.55, 0.45, 0.25, 0.1]], [1, 1], 3,
                 NOTES_EXAMPLE.anchors, grid=3)
    assert len(two.conflicts) == 1 and two.conflicts[0].objects_in_cell == 2
    assert "same anchor" in two.conflicts[0].reason
    with pytest.raises(ValueError, match="on_conflict"):
        NOTES_FAILURE.encode(on_conflict="merge")


def test_plain_yolo_without_anchors_and_big_objects():
    # one anchor: the per-cell y = [p_c, b_x, b_y, b_h, b_w, c_1, c_2, c_3] of the notes
    t = encode([[0.5, 0.5, 0.9, 0.6]], [2], 3)           # spans most of the image
    assert t.y.shape == (3, 3, 8)
    np.testing.assert_allclose(t.y[1, 1], [1, 0.5, 0.5, 1.8, 2.7, 0, 0, 1], atol=1e-12)  # b_h, b_w > 1
    # a centre on the right/bottom edge belongs to the last cell, b_x = b_y = 1
    t = encode([[1.0, 1.0, 0.2, 0.2]], [0], 1, grid=4)
    np.testing.assert_allclose(t.y[3, 3, :3], [1, 1, 1])
    with pytest.raises(ValueError, match="outside"):
        encode([[1.2, 0.5, 0.1, 0.1]], [0], 3)
    with pytest.raises(ValueError, match="Class ids"):
        encode([[0.5, 0.5, 0.1, 0.1]], [3], 3)


def test_shape_iou_and_anchor_units():
    np.testing.assert_allclose(shape_iou([[2, 1]], [[2, 1], [1, 2], [4, 2]]), [[1, 1 / 3, 0.25]])
    b = [[0.3, 0.7, 0.2, 0.5], [0.8, 0.2, 0.4, 0.1]]
    cells = encode(b, [0, 1], 2, [(1.5, 0.6), (0.3, 1.2)], grid=5)
    norm = encode(b, [0, 1], 2, [(0.3, 0.12), (0.06, 0.24)], grid=5, anchor_units="normalized")
    np.testing.assert_allclose(cells.y, norm.y)
    assert [o.anchor for o in cells.objects] == [0, 1]


def _distinct_slots(rng, n, grid, anchors, ncls):
    """n random objects (normalised cxcywh), no two on the same (cell, anchor)."""
    out, cls, taken = [], [], set()
    while len(out) < n:
        b = np.r_[rng.uniform(0, 1, 2), rng.uniform(0.02, 0.9, 2)]
        r, c = min(int(b[1] * grid), grid - 1), min(int(b[0] * grid), grid - 1)
        a = int(np.argmax(shape_iou(b[[3, 2]] * grid, anchors)))
        if (r, c, a) not in taken:
            taken.add((r, c, a))
            out.append(b)
            cls.append(int(rng.integers(0, ncls)))
    return np.array(out), np.array(cls)


@pytest.mark.parametrize("grid,n_anchors", [(3, 2), (7, 3), (13, 5)])
def test_encode_decode_round_trip(grid, n_anchors):
    rng = np.random.default_rng(grid)
    anchors = rng.uniform(0.3, 4.0, (n_anchors, 2))
    boxes, cls = _distinct_slots(rng, 3 * grid, grid, anchors, 4)
    t = encode(boxes, cls, 4, anchors, grid=grid)
    assert t.conflicts == [] and t.y.shape == (grid, grid, n_anchors * 9)
    assert int(t.y[..., 0::9].sum()) == len(boxes)                    # p_c of every group
    d = decode(t.y, 4)
    assert len(d.boxes) == len(boxes)
    back = {(int(r), int(c), int(a)): k for k, (r, c, a) in enumerate(zip(*d.cells.T, d.anchors))}
    for o in t.objects:
        k = back[(o.cell[0], o.cell[1], o.anchor)]
        np.testing.assert_allclose(d.boxes[k], boxes[o.index], rtol=0, atol=1e-12)
        assert d.classes[k] == cls[o.index] and d.scores[k] == 1
        np.testing.assert_allclose(t.y[o.cell][o.slot], o.y)
        assert 0 <= o.y[1] <= 1 and 0 <= o.y[2] <= 1


def test_round_trip_from_pixel_xyxy_on_a_wide_image():
    size = (640, 360)                                   # (width, height): cells are not square
    xyxy = np.array([[10, 20, 110, 300], [300, 100, 620, 200], [500, 300, 540, 350]], float)
    t = encode(xyxy, [0, 1, 2], 3, [(2.0, 0.5), (0.5, 2.0)], grid=4, box_format="xyxy",
               image_size=size)
    ped = t.objects[0]
    assert ped.cell == (1, 0)                           # centre (60, 160): col 60/160, row 160/90
    np.testing.assert_allclose(ped.y[:5], [1, 60 / 160, 160 / 90 - 1, 280 / 90, 100 / 160])
    d = decode(t.y, 3)
    order = np.lexsort((d.cells[:, 1], d.cells[:, 0]))
    np.testing.assert_allclose(d.xyxy(size)[order], xyxy[np.lexsort((
        [o.cell[1] for o in t.objects], [o.cell[0] for o in t.objects]))], atol=1e-9)
    np.testing.assert_allclose(bx.cxcywh_to_xyxy(d.boxes)[d.classes == 1],
                               bx.normalize([[300, 100, 620, 200]], size), atol=1e-12)


def test_decode_a_network_output():
    rng = np.random.default_rng(0)
    y = rng.uniform(0, 0.4, (3, 3, 16))                 # low p_c everywhere …
    y[0, 2, 8:16] = [0.9, 0.25, 0.75, 0.5, 1.5, 0.1, 0.7, 0.2]   # … but one confident wide box
    d = decode(y, 3, threshold=0.5)
    assert d.cells.tolist() == [[0, 2]] and d.anchors.tolist() == [1] and d.classes.tolist() == [1]
    np.testing.assert_allclose(d.boxes, [[(2 + 0.25) / 3, 0.75 / 3, 1.5 / 3, 0.5 / 3]])
    assert d.scores.tolist() == [0.9]
    with pytest.raises(ValueError, match="S×S"):
        decode(np.zeros((3, 3, 15)), 3)
    empty = decode(encode(np.zeros((0, 4)), [], 3, NOTES_EXAMPLE.anchors).y, 3)
    assert empty.boxes.shape == (0, 4) and len(empty.classes) == 0
