"""core.detection.draw: the grid picture, the NMS step colours and the sliding-window pictures —
sizes, where the lines are, and which colour each box gets."""
from __future__ import annotations

import numpy as np
import pytest

from core.detection import boxes as bx
from core.detection import draw
from core.detection.detector import class_colour
from core.detection.sliding import Detection
from core.detection.yolo_grid import NOTES_EXAMPLE, NOTES_FAILURE, encode

GREY = draw.CANVAS_GREY


def _hue(pixel, colour) -> bool:
    """An anti-aliased thin line: the pixel is the colour scaled toward black (same direction)."""
    p, c = np.asarray(pixel, float), np.asarray(colour, float)
    return p.sum() > 0.5 * c.sum() and np.allclose(p / p.sum(), c / c.sum(), atol=0.02)


# --------------------------------------------------------------------------- the grid


def test_grid_lines_and_cells_positions():
    xs, ys = draw.grid_lines(3, 600, 300)
    assert xs == [100, 200] and ys == [200, 400]
    assert draw.cell_rect((2, 1), 3, 600, 300) == (100, 400, 200, 600)
    assert draw.grid_lines(1, 100, 100) == ([], [])


def test_grid_picture_draws_the_grid_dark_then_light_and_leaves_the_input():
    image = np.full((210, 210, 3), 128, np.uint8)
    target = encode(np.zeros((0, 4)), np.zeros(0, int), 3, grid=7, box_format="xyxy", image_size=(210, 210))
    out = draw.grid_picture(image, target, np.zeros((0, 4)), ("a", "b", "c"))
    assert out.shape == image.shape and out.dtype == np.uint8
    assert (image == 128).all()                                  # a new picture, the input untouched
    off_grid = np.ones(210, bool)
    off_grid[[30 * i + d for i in range(1, 7) for d in (0, 1)]] = False
    for i in range(1, 7):                                        # dark at 30·i, light just after
        p = 30 * i
        assert (out[off_grid, p] == 40).all() and (out[off_grid, p + 1] == 255).all()
        assert (out[p, off_grid] == 40).all() and (out[p + 1, off_grid] == 255).all()
    assert (out[np.ix_(off_grid, off_grid)] == 128).all()        # nothing else was drawn


def test_notes_example_picture_size_boxes_shading_and_anchors():
    target = NOTES_EXAMPLE.encode()
    pic = draw.notes_example_picture(NOTES_EXAMPLE, target, scale=2)
    assert pic.shape == (600, 600, 3)
    assert (pic[50, 50] == GREY).all()                           # an empty cell: the canvas
    # the responsible cell (row 2, col 1) holds both objects: shaded once per object, 35 % each
    ped, car = class_colour(0, 3), class_colour(1, 3)
    shade = np.full(3, GREY, np.uint8)
    for col in (ped, car):
        shade = (shade.astype(np.float32) * 0.65 + np.array(col) * 0.35).astype(np.uint8)
    assert (pic[590, 205] == shade).all()
    # each object's box in its class colour, 2 px: the pedestrian's left edge at x = 260
    assert (pic[450, 260] == ped).all() and (pic[450, 261] == ped).all()
    assert (pic[500, 180] == car).all()                          # the car's left edge at x = 180
    # grid lines of the 3×3 grid at 200 and 400 (dark, then light) in an untouched cell
    assert (pic[50, 200] == 40).all() and (pic[50, 201] == 255).all()
    assert (pic[200, 50] == 40).all() and (pic[201, 50] == 255).all()
    # the centre dot is white with a coloured ring; the anchor box is white over dark
    assert (pic[440, 300] == 255).all()                          # pedestrian centre (150, 220) × 2
    ah, aw = target.anchors[0] * (200, 200)                      # tall anchor: 300 × 100 px
    x_left = int(300 - aw / 2)
    assert (pic[440, x_left] == 255).all() and (pic[440, x_left - 1] == 30).all()


def test_a_lost_object_gets_a_red_anchor_box():
    target = NOTES_FAILURE.encode()
    lost = [o for o in target.objects if o.status != "assigned"]
    assert len(lost) == 1
    pic = draw.notes_example_picture(NOTES_FAILURE, target, scale=2)
    o = lost[0]                                                  # the motorcycle: wide anchor 2
    cx, cy = o.box[0] * 600, o.box[1] * 600                      # (320, 490)
    ah, aw = target.anchors[o.anchor] * (200, 200)               # 100 × 300 px
    top, left = int(cy - ah / 2), int(cx - aw / 2)
    assert (top, left) == (440, 170)
    for x in (left + 3, left + int(aw) - 3):                     # red over dark along its top edge
        assert (pic[top, x] == draw.ANCHOR_LOST).all() and (pic[top - 1, x] == draw.ANCHOR_UNDER).all()
    for y in (top + 10, int(cy), top + int(ah) - 10):            # ... and its left edge
        assert (pic[y, left] == draw.ANCHOR_LOST).all() and (pic[y, left - 1] == draw.ANCHOR_UNDER).all()
    # the same picture without the conflict has no red anchor outline at all
    ok = draw.notes_example_picture(NOTES_EXAMPLE, NOTES_EXAMPLE.encode(), scale=2)
    assert not (ok == draw.ANCHOR_LOST).all(axis=2).any()
    assert (pic == draw.ANCHOR_LOST).all(axis=2).sum() > 100


# --------------------------------------------------------------------------- NMS steps

BOXES = np.array([[10, 10, 50, 40], [12, 11, 52, 42], [8, 9, 48, 38],
                  [100, 20, 160, 60], [104, 22, 162, 63], [98, 18, 150, 58],
                  [200, 100, 220, 120], [11, 10, 49, 41]], float)
SCORES = np.array([0.9, 0.6, 0.7, 0.8, 0.75, 0.65, 0.3, 0.55])


def _step_picture(k):
    steps = bx.nms_steps(BOXES, SCORES, score_threshold=0.6, iou_threshold=0.5)
    status = bx.step_status(steps, len(BOXES), k)
    image = np.zeros((160, 260, 3), np.uint8)
    return draw.nms_step_picture(image, BOXES, SCORES, status), status, image


def test_nms_step_picture_colours_kept_chosen_and_suppressed():
    pic, status, image = _step_picture(2)                        # round 2: #3 chosen, #4 #5 suppressed
    assert pic.shape == image.shape and not image.any()
    assert status[0] == "kept" and status[3] == "chosen" and status[2] == "gone"
    # kept and chosen boxes: 3 px, exactly their colour on the bottom edge (the chosen one where
    # the dashes of the boxes it suppresses, drawn over it, leave it)
    assert (pic[40, 30] == draw.STEP_COLOURS["kept"]).all()     # box #0 bottom edge (y = 40)
    yellow = (pic == draw.STEP_COLOURS["chosen"]).all(axis=2)    # box #3, between the dashes
    assert yellow[59:62, 100:161].any(axis=0).mean() > 0.2 and yellow[20:61, 99:102].any(axis=1).mean() > 0.3
    # suppressed: dashed red; dropped: thin grey; the suppressed-earlier box #2 is not drawn
    assert _hue(pic[63, 161], draw.STEP_COLOURS["suppressed"])  # box #4 bottom edge (y = 63)
    assert _hue(pic[120, 210], draw.STEP_COLOURS["dropped"])    # box #6 bottom edge (y = 120)
    # a box suppressed in an earlier round ("gone", #2) is not drawn: moved to an empty corner,
    # it leaves that corner empty
    moved = BOXES.copy()
    moved[2] = [200, 10, 250, 50]
    again = draw.nms_step_picture(np.zeros_like(image), moved, SCORES, status)
    assert not again[5:55, 195:255].any()
    assert np.array_equal(np.delete(again, np.s_[195:255], axis=1), np.delete(pic, np.s_[195:255], axis=1))


def test_suppressed_boxes_are_dashed_on_top_of_the_chosen_box_and_tagged_beside_it():
    """The boxes a round suppresses overlap the chosen one (that is why they go): drawn under it
    they vanished. They are drawn last, dashed, and tagged "#k" under their bottom-right corner,
    so the chosen box's "#3 0.80" label stays whole."""
    pic, status, _ = _step_picture(2)                            # #3 chosen; #4, #5 suppressed
    red, yellow = draw.STEP_COLOURS["suppressed"], draw.STEP_COLOURS["chosen"]
    top = (pic[22, 104:163] == red).all(axis=1)                   # box #4's top edge, y = 22
    assert top[:6].all() and top[-6:].all()                      # dashes start and end at the corners
    assert 0.4 < top.mean() < 0.95                               # ... with gaps between them
    left = (pic[18:59, 98] == red).all(axis=1)                   # box #5's left edge crosses the
    assert left.mean() > 0.4                                     # chosen box's top line: red on top
    assert (pic[20, 98:101] == red).all(axis=1).any()
    # the chosen label (over its top-left corner) is untouched by the suppressed boxes' tags
    chosen_label = (pic[5:18, 100:140] == yellow).all(axis=2).mean()
    only_chosen = draw.nms_step_picture(np.zeros_like(pic), BOXES, SCORES,
                                        np.where(status == "suppressed", "gone", status))
    assert chosen_label > 0.3
    assert (only_chosen[5:18, 100:140] == yellow).all(axis=2).mean() == pytest.approx(chosen_label, abs=0.15)
    # the two tags sit side by side under the boxes, not on top of each other
    tags = (pic[64:80, 90:170] == red).all(axis=2)
    assert tags.any() and not (pic[80:, 90:170] == red).all(axis=2).any()


def test_pictures_scale_their_lines_and_labels_with_stroke():
    """Presentation mode passes stroke=1.5: thicker box lines and larger labels; stroke=1 is
    the picture as it always was."""
    steps = bx.nms_steps(BOXES, SCORES, score_threshold=0.6, iou_threshold=0.5)
    status = bx.step_status(steps, len(BOXES), 2)
    image = np.zeros((160, 260, 3), np.uint8)
    thin, thick = (draw.nms_step_picture(image, BOXES, SCORES, status, stroke=k) for k in (1, 1.5))
    green = draw.STEP_COLOURS["kept"]
    edge = lambda pic: (pic[34:46, 30] == green).all(axis=1).sum()  # box #0's bottom edge
    assert edge(thick) >= edge(thin) + 2                         # thickness 3 → 5 at 1.5
    assert (thick == green).all(axis=2).sum() > 1.3 * (thin == green).all(axis=2).sum()  # label too
    target = NOTES_EXAMPLE.encode()
    base = draw.notes_example_picture(NOTES_EXAMPLE, target, scale=2)
    assert np.array_equal(base, draw.notes_example_picture(NOTES_EXAMPLE, target, scale=2, stroke=1))
    big = draw.notes_example_picture(NOTES_EXAMPLE, target, scale=2, stroke=1.5)
    assert (big[50, 200:204] == 40).all(axis=1).sum() == 2       # grid: 2 px dark, then 2 px light
    assert (big[50, 202:204] == 255).all()
    assert (big == 255).all(axis=2).sum() > (base == 255).all(axis=2).sum()  # larger labels and dots
    ped = class_colour(0, 3)
    line = lambda pic: (pic[450, 254:268] == ped).all(axis=1).sum()  # the pedestrian's left edge
    assert line(big) > line(base)                                # the 2 px box line is 3 px now


def test_nms_step_picture_first_and_last_steps():
    first, status, _ = _step_picture(0)
    assert (status == "live").sum() == 5
    assert _hue(first[60, 130], draw.STEP_COLOURS["live"])      # box #3 still in play: thin blue
    last, status, _ = _step_picture(3)
    assert (status == "kept").sum() == 2
    assert (last[60, 130] == draw.STEP_COLOURS["kept"]).all()
    assert not (last == draw.STEP_COLOURS["chosen"]).all(axis=2).any()


# --------------------------------------------------------------------------- sliding windows


def test_enlarge_scales_picture_and_boxes():
    small = np.arange(64 * 64 * 3, dtype=np.uint8).reshape(64, 64, 3)
    d = Detection((4, 8, 36, 40), 3, 0.9, (2, 1))
    big, (ds,) = draw.enlarge(small, [d])
    assert draw.enlarge_factor(small.shape) == 6 and big.shape == (384, 384, 3)
    assert (big[6:12, 12:18] == small[1, 2]).all()              # pixel blocks, no smoothing
    assert ds[0].box == (24, 48, 216, 240) and (ds[0].label, ds[0].score, ds[0].cell) == (3, 0.9, (2, 1))
    same, (kept,) = draw.enlarge(np.zeros((256, 256, 3), np.uint8), [d])
    assert same.shape == (256, 256, 3) and kept == [d]


class _Canvas:                                                    # what a DigitCanvas gives draw
    def __init__(self, side):
        self.img = np.zeros((side, side), np.uint8)
        self.img[10:20, 10:20] = 200

    def to_uint8(self):
        return self.img


def test_sliding_pictures_sizes_and_amber_boxes():
    dets = [Detection((0, 0, 32, 32), 1, 0.95, (0, 0)), Detection((32, 32, 64, 64), 7, 0.8, (8, 8))]
    raw, kept = draw.sliding_pictures(_Canvas(96), dets, dets[:1], [str(i) for i in range(11)])
    assert raw.shape == kept.shape == (384, 384, 3)               # 96 px × 4
    assert (raw[200, 200] == 0).all() and (raw[60, 60] == 200).all()
    # the kept window is 2 px thick (exact colour inside the line), the raw ones 1 px
    assert (kept[128, 100] == draw.WINDOW_COLOUR).all()            # first window's bottom edge
    assert _hue(raw[200, 128], draw.WINDOW_COLOUR)                # second window's left edge x = 128
    assert not (kept[200, 126:131] == draw.WINDOW_COLOUR).all(axis=1).any()   # not kept: not drawn


@pytest.mark.parametrize("n", [0, 25])
def test_many_detections_are_drawn_without_labels(n):
    dets = [Detection((4 * i, 0, 4 * i + 32, 32), i % 10, 0.9, (0, i)) for i in range(n)]
    out = draw.detections_picture(np.zeros((64, 256, 3), np.uint8), dets, [str(i) for i in range(11)], 1)
    assert out.shape == (64, 256, 3)
    assert (out[40:, :] == 0).all()                               # no label boxes below the windows
    assert out.any() == bool(n)


# --------------------------------------------------------------------------- issue 16


def test_suppressed_boxes_are_tagged_with_their_iou_and_outlined_on_their_own_colour():
    """On a background of the suppressed colour itself the dashes still show (a dark outline),
    and each tag says the box's IoU with the box that suppressed it."""
    steps = bx.nms_steps(BOXES, SCORES, score_threshold=0.6, iou_threshold=0.5)
    status = bx.step_status(steps, len(BOXES), 2)                # #3 chosen; #4, #5 suppressed
    red = draw.STEP_COLOURS["suppressed"]
    image = np.full((160, 260, 3), red, np.uint8)
    rnd = steps[2]
    ious = dict(zip(map(int, rnd.suppressed), rnd.suppressed_iou))
    plain = draw.nms_step_picture(image, BOXES, SCORES, status)
    tagged = draw.nms_step_picture(image, BOXES, SCORES, status, suppressed_iou=ious)
    dark = plain.astype(int).sum(axis=2) < 3 * 80                # the outline, anti-aliased
    without = draw.nms_step_picture(image, BOXES, SCORES, np.where(status == "suppressed", "gone", status))
    dark_without = without.astype(int).sum(axis=2) < 3 * 80
    # box #4's top edge (y = 22, x 104..162) is outlined dark where the chosen box is not
    assert (dark[23:27, 110:150] & ~dark_without[23:27, 110:150]).any(axis=0).mean() > 0.4
    # the tags "#4 IoU 0.xx" are wider than "#4": more of the picture under the boxes changes
    assert (tagged != plain).any(axis=2)[60:90].sum() > 100
    assert set(ious) == {4, 5} and all(0.5 <= v <= 1 for v in ious.values())


def test_nms_step_picture_enlarges_a_small_picture_and_its_boxes():
    status = bx.step_status(bx.nms_steps(BOXES, SCORES, 0.6, 0.5), len(BOXES), 3)
    image = np.zeros((160, 260, 3), np.uint8)
    big = draw.nms_step_picture(image, BOXES, SCORES, status, side=520)
    assert big.shape == (320, 520, 3)
    green = draw.STEP_COLOURS["kept"]
    assert (big[80, 40:60] == green).all(axis=1).any()          # box #0's bottom edge y=40 → 80


def test_scene_truth_boxes_grow_with_the_picture():
    """Issue 16: 1 px ground-truth boxes vanished on a projector. Now 1/128 of the longer side
    (at least 2 px), over a dark outline."""
    from core.detection import scenes

    assert [scenes.line_width((s, s)) for s in (128, 256, 384, 1024)] == [2, 2, 3, 8]
    for size in (384, 1024):
        k = size // 384
        sc = scenes.Scene(np.full((size, size, 3), 128, np.uint8),
                          np.array([[100, 100, 200, 250]], np.float32) * k, np.array([1]))
        pic = scenes.draw(sc)
        row = pic[175 * k, 80 * k:120 * k]                       # across the box's left edge
        run = (row == scenes.COLOURS[1]).all(axis=1).sum()
        assert scenes.line_width(pic.shape) <= run <= scenes.line_width(pic.shape) + 2, (size, run)
        assert (row == 20).all(axis=1).sum() >= 2                # dark on either side
        assert scenes.draw(scenes.scene(7, size=size)).shape == (size, size, 3)


def test_grid_labels_never_cover_each_other():
    """Three objects in one cell: before, their tags were written over each other."""
    out = np.full((600, 600, 3), 245, np.uint8)
    placed: list = []
    for box in ([100, 100, 200, 200], [100, 110, 210, 200], [105, 100, 190, 205]):
        draw._label(out, "#0 anchor 1", box, (30, 136, 229), 0.7, 1, 2, placed)
    assert len(placed) == 3
    for i in range(3):
        for j in range(i + 1, 3):
            a, b = placed[i], placed[j]
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    pic = draw.notes_example_picture(NOTES_FAILURE, NOTES_FAILURE.encode(), scale=2)
    assert pic.shape == (600, 600, 3)


def test_grid_picture_enlarges_a_scene():
    from core.detection import scenes

    sc = scenes.scene(21, size=384)
    target = encode(sc.boxes, sc.classes, 3, grid=7, box_format="xyxy", image_size=(384, 384))
    pic = draw.grid_picture(sc.image, target, sc.boxes, scenes.CLASSES, side=768)
    assert pic.shape == (768, 768, 3)
    x1, y1, x2, y2 = (sc.boxes[0] * 2).astype(int)
    col = class_colour(int(sc.classes[0]), 3)
    assert (pic[(y1 + y2) // 2, x1 - 2:x1 + 3] == col).all(axis=1).any()


def test_pyramid_pictures_one_per_window_size_and_all_sizes():
    from core.detection import sliding as sl

    canvas = sl.multiscale_canvas((32, 48, 64), (192, 192), seed=0)
    det = lambda box, label: sl.Detection(box, label, 0.9, (0, 0))  # noqa: E731
    maps = [sl.PyramidLevel(w, 32 / w, None, [det(tuple(int(v) for v in b), int(lab))], det(tuple(int(v) for v in b), int(lab)))
            for w, b, lab in zip((32, 48, 64), canvas.boxes, canvas.labels)]
    res = sl.PyramidResult(maps, [lv.detections[0] for lv in maps])
    per_size, both = draw.pyramid_pictures(canvas, res, [str(i) for i in range(10)] + ["no digit"])
    assert len(per_size) == 3 and both.shape == (384, 384, 3)
    for lv, pic in zip(res.levels, per_size):
        col = draw.level_colour(lv.window, (32, 48, 64))
        assert (pic == col).all(axis=2).sum() > 50
        assert (both == col).all(axis=2).sum() > 50              # every size's window, in its colour
    assert ((both == draw.TRUTH_GREY).all(axis=2)).sum() > 50      # and the true patches, grey


def test_small_pictures_are_drawn_on_at_a_whole_multiple_and_boxes_scale_with_size():
    """The Detect tab's 384 px scenes were drawn with 1 px boxes and 0.35 labels, then shown at
    twice that size: blurred hairlines. Now drawn on a 768 px copy with 4 px boxes."""
    from core.detection.detector import draw_boxes

    small = np.zeros((384, 384, 3), np.uint8)
    shown, big = draw.for_display(small, 768)
    assert big == 2 and shown.shape == (768, 768, 3)
    assert draw.for_display(np.zeros((1280, 960, 3), np.uint8), 768)[1] == 1
    assert draw.for_display(small, None)[1] == 1
    pic = draw_boxes(shown, np.array([[100, 100, 300, 300]]), labels=False, colour=(255, 0, 0))
    assert 4 <= (pic[200, 80:120] == (255, 0, 0)).all(axis=1).sum() <= 6


def test_labels_grow_with_presentation_mode_but_stay_capped():
    """Presentation mode (stroke 1.5) on a 768 px picture made 1.44-scale tags that hid the boxes
    they named; tag text is capped at scale 1.1 (a 37 px tag at 768 px, 32 px at stroke 1)."""
    from core.detection.detector import draw_boxes

    def tag_height(stroke):
        pic = draw_boxes(np.zeros((768, 768, 3), np.uint8), np.array([[300, 300, 500, 500]]), np.array([0]),
                         np.array([0.9]), ["circle"], colour=(255, 0, 0), stroke=stroke, thickness=1)
        rows = (pic[:300, 300:320] == (255, 0, 0)).all(axis=2).any(axis=1)
        return int(rows.sum())

    normal, presenting = tag_height(1.0), tag_height(1.5)
    assert 24 <= normal < presenting <= 40, (normal, presenting)     # uncapped: 48 px
