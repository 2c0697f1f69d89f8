"""Sliding windows, naive and convolutional (core.detection.sliding)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from core.detection import sliding as sl

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="session")
def lenet():
    """A LeNet-5 (the zoo's variant and recipe, shorter: 5 epochs of 64, ~2 s on one thread;
    the zoo's 8 epochs of 32 take ~10 s here) trained on the digits, frozen like a zoo model."""
    from core.architectures.lenet import train_lenet_digits

    last = None
    for last in train_lenet_digits(epochs=5, batch_size=64, lr=1e-2, seed=0, threads=1):
        pass
    assert last.accuracy > 0.93, last.accuracy
    model = last.model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


@pytest.fixture(scope="module")
def conv_lenet(lenet):
    return sl.fc_to_conv(lenet)


def _iou(a, b) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def test_converted_lenet_equals_original_on_single_windows(lenet, conv_lenet):
    from core.architectures.lenet import digits_dataset

    before = {k: v.clone() for k, v in lenet.state_dict().items()}
    rng_before = torch.get_rng_state()
    conv = sl.fc_to_conv(lenet)
    assert torch.equal(torch.get_rng_state(), rng_before)          # no random init used
    for k, v in lenet.state_dict().items():                       # the model is untouched
        assert torch.equal(v, before[k])
    assert all(not p.requires_grad for p in lenet.parameters())
    assert isinstance(lenet.classifier[1], nn.Linear)

    kernels = [m.kernel_size for m in conv.modules() if isinstance(m, nn.Conv2d)]
    assert kernels == [(5, 5), (5, 5), (5, 5), (1, 1), (1, 1)]    # FC 400→120 is a 5×5×16 conv
    assert conv.stride == 4 and conv.window == (32, 32) and conv.feature_shape == (16, 5, 5)
    fc1 = conv.body[6]
    assert torch.equal(fc1.weight.reshape(120, -1), lenet.classifier[1].weight)

    x = digits_dataset().x_test[:64]
    with torch.no_grad():
        ref = lenet(x)
        out = conv(x)
    assert out.shape == (64, 10, 1, 1)
    assert torch.allclose(out[:, :, 0, 0], ref, atol=1e-4)
    assert (out[:, :, 0, 0].argmax(1) == ref.argmax(1)).all()


def test_maps_identical_on_a_digit_canvas(lenet, conv_lenet):
    canvas = sl.digit_canvas(6, (128, 128), seed=0)
    r = sl.compare(lenet, canvas.image, batch_size=256, repeat=1, conv_model=conv_lenet)
    assert r.shape == (25, 25, 10) and r.n_windows == 625 and r.stride == 4
    assert r.max_abs_diff < 1e-5
    assert np.allclose(r.conv.sum(-1), 1, atol=1e-5)              # probabilities
    assert r.detected.shape == (25, 25) and r.detected.any()
    # the truly naive loop (one window at a time) gives the same numbers (speed: bench/bench_sliding.py)
    small = canvas.image[:60, :76]                                 # 8×12 windows
    one = sl.sliding_window_scores(lenet, small, stride=4, batch_size=1)
    assert one.shape == (8, 12, 10)
    assert np.abs(one - sl.convolutional_scores(conv_lenet, small)).max() < 1e-5
    # a stride the network does not imply is fine for crops: the map just has another shape
    assert sl.sliding_window_scores(lenet, small, stride=8).shape == (4, 6, 10)
    timed = sl.compare(lenet, canvas.image, batch_size=1, repeat=1, conv_model=conv_lenet)
    assert timed.max_abs_diff < 1e-5 and timed.naive_seconds > 0 and timed.conv_seconds > 0


def test_window_boxes_map_cells_to_image_coordinates():
    b = sl.window_boxes(25, 25, 4, 32)
    assert b.shape == (25, 25, 4)
    assert tuple(b[0, 0]) == (0, 0, 32, 32)
    assert tuple(b[3, 7]) == (28, 12, 60, 44)                     # (x, y) = (4·col, 4·row)
    assert tuple(b[24, 24]) == (96, 96, 128, 128)                  # the last window ends at the edge


def test_detections_land_on_the_canvas_digits(lenet, conv_lenet):
    """For most digits, a confident window with the right label lies within a few pixels
    (IoU >= 0.6 with the digit's 32×32 patch: at most about 4 px off)."""
    found = total = 0
    for seed in range(5):
        canvas = sl.digit_canvas(6, (128, 128), seed=seed)
        probs = sl.convolutional_scores(conv_lenet, canvas.image)
        dets = sl.detections(probs, conv_lenet.stride, conv_lenet.window, 0.9, peak_radius=0)
        assert all(d.score > 0.9 for d in dets)
        assert [d.score for d in dets] == sorted((d.score for d in dets), reverse=True)
        for box, label in zip(canvas.boxes, canvas.labels):
            total += 1
            found += any(d.label == label and _iou(d.box, box) >= 0.6 for d in dets)
    assert found >= 0.8 * total, f"{found}/{total} digits found"
    # grid non-maximum suppression keeps fewer windows, each a local maximum
    kept = sl.detections(probs, 4, 32, 0.9, peak_radius=1)
    assert 0 < len(kept) < len(dets)
    top = probs.max(-1)
    for d in kept:
        r, c = d.cell
        assert d.score == top[max(r - 1, 0):r + 2, max(c - 1, 0):c + 2].max()


def test_notes_example_shapes_and_equality():
    # 14×14×3 → CONV 5×5 16 → 10×10×16 → POOL 2×2 → 5×5×16 → FC as CONV 5×5 400 → 1×1×400
    # → CONV 1×1 400 → CONV 1×1 4
    shapes = [s for _name, s in sl.output_shapes(14)]
    assert shapes == [(14, 14, 3), (10, 10, 16), (5, 5, 16), (1, 1, 400), (1, 1, 400), (1, 1, 4)]
    assert [s for _n, s in sl.output_shapes(16)][1:4] == [(12, 12, 16), (6, 6, 16), (2, 2, 400)]
    assert [s for _n, s in sl.output_shapes(28)][1:4] == [(24, 24, 16), (12, 12, 16), (8, 8, 400)]
    assert sl.output_shape(14) == (1, 1, 4)
    assert sl.output_shape(16) == (2, 2, 4)
    assert sl.output_shape(28) == (8, 8, 4)

    net = sl.notes_example_classifier()
    conv = sl.fc_to_conv(net, window=14)
    assert [m.kernel_size for m in conv.modules() if isinstance(m, nn.Conv2d)] == \
        [(5, 5), (5, 5), (1, 1), (1, 1)]
    assert conv.stride == 2
    results = sl.verify_notes_example((14, 16, 28))
    assert [r["shape"] for r in results] == [(1, 1, 4), (2, 2, 4), (8, 8, 4)]
    for r in results:
        assert r["shape"] == r["expected"] and r["stride"] == 2
        assert r["max_abs_diff"] < 1e-6
    assert [r["windows"] for r in results] == [1, 4, 64]


def test_lenet_1998_variant_converts_too():
    from core.architectures import build

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = build("lenet5").eval()
    conv = sl.fc_to_conv(net)
    assert conv.stride == 4 and isinstance(conv.body[-1], sl.RBFConv)
    x = torch.randn(3, 1, 32, 32)
    with torch.no_grad():
        assert torch.allclose(conv(x)[:, :, 0, 0], net(x), atol=1e-4)
    image = np.random.default_rng(0).normal(size=(48, 52)).astype(np.float32)
    a = sl.sliding_window_scores(net, image, stride=4)
    b = sl.convolutional_scores(conv, image)
    assert a.shape == b.shape == (5, 6, 10) and np.abs(a - b).max() < 1e-5


def test_digit_canvas_places_digits_without_overlap():
    c = sl.digit_canvas(8, (128, 160), seed=3)
    assert c.image.shape == (128, 160) and c.image.dtype == np.float32
    assert len(c.labels) == len(c.boxes) == 8
    assert (c.boxes[:, 2] - c.boxes[:, 0] == 32).all() and (c.boxes[:, 3] - c.boxes[:, 1] == 32).all()
    for i in range(8):
        for j in range(i):
            assert _iou(c.boxes[i], c.boxes[j]) == 0
    assert c.image.min() == pytest.approx(-0.1) and c.image.max() > 1.0
    mask = np.ones(c.image.shape, bool)
    for x0, y0, x1, y1 in c.boxes:
        mask[y0:y1, x0:x1] = False
    assert np.all(c.image[mask] == np.float32(-0.1))               # background outside the digits
    assert np.array_equal(c.image, sl.digit_canvas(8, (128, 160), seed=3).image)
    assert c.to_uint8().dtype == np.uint8 and c.to_uint8().max() > 200
    assert list(sl.digit_canvas(labels=[3, 1, 4], seed=0).labels) == [3, 1, 4]


def test_bad_inputs_raise_clear_errors(lenet, conv_lenet):
    tiny = np.zeros((20, 40), np.float32)
    with pytest.raises(ValueError, match="smaller than the window"):
        sl.sliding_window_scores(lenet, tiny)
    with pytest.raises(ValueError, match="smaller than the window"):
        sl.convolutional_scores(conv_lenet, tiny)
    with pytest.raises(ValueError, match="smaller than the window"):
        sl.compare(lenet, tiny)
    ok = np.zeros((40, 40), np.float32)
    with pytest.raises(ValueError, match="stride"):
        sl.sliding_window_scores(lenet, ok, stride=0)
    with pytest.raises(ValueError, match="1-channel"):
        sl.convolutional_scores(conv_lenet, np.zeros((40, 40, 3), np.float32))
    with pytest.raises(ValueError, match="do not fit"):
        sl.digit_canvas(10, (64, 64))
    with pytest.raises(ValueError, match="at least 32"):
        sl.digit_canvas(1, (16, 64))
    with pytest.raises(ValueError, match="window"):                # unknown input size
        sl.fc_to_conv(sl.notes_example_classifier())
    padded = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Flatten(), nn.Linear(4 * 8 * 8, 2))
    with pytest.raises(ValueError, match="pads"):
        sl.fc_to_conv(padded, window=8)
    with pytest.raises(ValueError, match="already fully convolutional"):
        sl.fc_to_conv(conv_lenet)


# --------------------------------------------------------------------------- a "no digit" class

@pytest.fixture(scope="module")
def conv_windows(lenet_windows):
    return sl.fc_to_conv(lenet_windows.model)


def test_window_data_labels_centred_digits_and_no_digit():
    d = sl.window_data(n_canvases=8, seed=1, test_canvases=2)
    assert d.x_train.shape[1:] == (1, 32, 32) and d.x_train.dtype == torch.float32
    assert len(d.x_train) == len(d.y_train) and len(d.x_test) == len(d.y_test) > 0
    assert d.images_test.shape == (len(d.y_test), 32, 32)
    y = d.y_train.numpy()
    assert set(np.unique(y)) <= set(range(11)) and (y == sl.NO_DIGIT).sum() >= (y < 10).sum()
    pos = d.x_train[y < 10, 0].numpy()
    assert (pos[:, 4:28, 4:28] > 0.5).any(axis=(1, 2)).all()       # ink near the middle
    assert (d.x_train[y == sl.NO_DIGIT].amax((1, 2, 3)) < 0).any()  # some are empty background
    assert torch.equal(sl.window_data(n_canvases=8, seed=1, test_canvases=2).x_train, d.x_train)
    with pytest.raises(ValueError, match="jitter"):
        sl.window_data(n_canvases=1, jitter=3, min_offset=3)


def test_clean_detections_threshold_and_suppress():
    probs = np.zeros((5, 6, 11), np.float32)
    probs[..., sl.NO_DIGIT] = 1.0                                  # "no digit" everywhere …
    probs[0, 0, [7, 10]] = 0.8, 0.2                                # … but a 7 at (0, 0)
    probs[0, 1, [7, 10]] = 0.6, 0.4                                # its neighbour, 4 px right
    probs[4, 5, [3, 10]] = 0.55, 0.45                              # a 3 far away
    probs[1, 3, [2, 10]] = 0.3, 0.7                                # below the threshold
    dets = sl.clean_detections(probs, 4, 32, threshold=0.5, iou_threshold=0.3)
    assert [(d.label, d.cell, d.box) for d in dets] == [(7, (0, 0), (0, 0, 32, 32)),
                                                         (3, (4, 5), (20, 16, 52, 48))]
    assert dets[0].score == pytest.approx(0.8)
    # IoU of windows 4 px apart is 28/36 = 0.78: a looser NMS keeps both
    assert len(sl.clean_detections(probs, 4, 32, 0.5, iou_threshold=0.8)) == 3
    # no background class: "no digit" (index 10) is a class like the others
    assert {d.label for d in sl.clean_detections(probs, 4, 32, 0.5, 0.3, background=None)} >= {10}
    with pytest.raises(ValueError, match="rows, cols, classes"):
        sl.clean_detections(probs[0], 4)


def test_score_detections_counts_found_and_false_alarms():
    c = sl.digit_canvas(labels=[3, 1], size=(64, 128), seed=0)
    (x0, y0, *_), (x1, y1, *_) = c.boxes

    def det(x, y, label, score):
        return sl.Detection((x, y, x + 32, y + 32), label, score, (0, 0))

    s = sl.score_detections([det(x0 + 2, y0 - 3, 3, 0.9),           # found (3 px off)
                             det(x0, y0, 3, 0.8),                    # a second one: false alarm
                             det(x1, y1, 7, 0.95),                   # wrong label
                             det(x1 + 9, y1, 1, 0.7)], c)            # too far off
    assert (s.digits, s.detections, s.found, s.false_alarms) == (2, 4, 1, 3)
    assert s.recall == 0.5 and s.precision == 0.25
    assert sl.score_detections([], c).recall == 0 and sl.score_detections([], c).precision == 1


def test_window_classifier_maps_identical(lenet_windows, conv_windows):
    canvas = sl.digit_canvas(6, (128, 128), seed=0)
    r = sl.compare(lenet_windows.model, canvas.image, batch_size=256, repeat=1,
                   conv_model=conv_windows)
    assert r.shape == (25, 25, 11) and conv_windows.stride == 4 and conv_windows.window == (32, 32)
    assert r.max_abs_diff < 1e-5


def test_no_digit_class_finds_each_digit_once(lenet_windows, conv_windows, conv_lenet):
    """Held-out canvases (seeds 0-9, 60 digits). Measured: 57/60 digits found with the right
    label within 4 px, 3 false alarms in all (0.3 a canvas); the 10-class LeNet with the same
    threshold-and-NMS: 16/60 found, 26 false alarms a canvas."""
    ours, theirs = [], []
    for seed in range(10):
        canvas = sl.digit_canvas(6, (128, 128), seed=seed)
        dets = sl.clean_detections(sl.convolutional_scores(conv_windows, canvas.image), 4, 32)
        assert all(d.label != sl.NO_DIGIT and d.score > 0.5 for d in dets)
        ours.append(sl.score_detections(dets, canvas))
        ten = sl.convolutional_scores(conv_lenet, canvas.image)
        theirs.append(sl.score_detections(
            sl.clean_detections(ten, 4, 32, 0.9, 0.3, background=None), canvas))
    found, total = sum(s.found for s in ours), sum(s.digits for s in ours)
    false_alarms = sum(s.false_alarms for s in ours)
    assert found >= 0.85 * total, f"{found}/{total} digits found"
    assert false_alarms <= 10, f"{false_alarms} false alarms on 10 canvases"
    assert sum(s.false_alarms for s in theirs) >= 5 * false_alarms + 50


# --------------------------------------------------------------------------- the image pyramid


def test_multiscale_canvas_places_digits_of_each_size_apart():
    c = sl.multiscale_canvas((32, 48, 64), (192, 192), seed=3)
    sides = c.boxes[:, 2] - c.boxes[:, 0]
    assert sides.tolist() == [32, 48, 64] and (c.boxes[:, 3] - c.boxes[:, 1] == sides).all()
    assert c.image.shape == (192, 192) and c.boxes.min() >= 0 and c.boxes.max() <= 192
    assert _iou(c.boxes[0], c.boxes[1]) == _iou(c.boxes[1], c.boxes[2]) == _iou(c.boxes[0], c.boxes[2]) == 0
    x0, y0, x1, y1 = c.boxes[2]                    # the 64 px digit is inked, its surround is not
    assert c.image[y0:y1, x0:x1].max() > 0.5 and (c.digit_boxes[2] == c.boxes[2] + [4, 4, -4, -4]).all()
    with pytest.raises(ValueError, match="between 8 px and the canvas side"):
        sl.multiscale_canvas((32, 300), (192, 192))


def test_pyramid_slides_each_window_size_and_finds_digits_of_that_size(lenet_windows, conv_windows):
    """The notes' "then a larger window". On a 192 px canvas: 41² + 25² + 17² windows (32, 48 and
    64 px at strides 4, 6 and 8), the crops and the one pass agree at every size, and each size
    finds the digit of its own size. Measured on seeds 0-5: 18 of 18 digits found by the window
    of their size; all sizes together 15 of 18 after NMS across sizes (the small windows' false
    alarms on strokes of the large digits compete)."""
    own = total = 0
    for seed in range(6):
        canvas = sl.multiscale_canvas((32, 48, 64), (192, 192), seed=seed)
        res = sl.pyramid(lenet_windows.model, canvas, (32, 48, 64), conv_model=conv_windows,
                         batch_size=256)
        assert [lv.n_windows for lv in res.levels] == [1681, 625, 289] and res.n_windows == 2595
        assert [lv.stride for lv in res.levels] == [4, 6, 8]
        assert all(lv.comparison.max_abs_diff < 1e-5 for lv in res.levels)
        assert res.naive_seconds > 0 and res.conv_seconds > 0
        for lv, box, label in zip(res.levels, canvas.boxes, canvas.labels):
            assert lv.best.box[2] - lv.best.box[0] == lv.window      # boxes in canvas pixels
            own += any(d.label == label and _iou(d.box, box) >= 0.5 for d in lv.detections)
            total += 1
        strict = res.with_thresholds(0.999999, 0.3)
        assert sum(len(lv.detections) for lv in strict.levels) <= sum(len(lv.detections) for lv in res.levels)
        assert [lv.best for lv in strict.levels] == [lv.best for lv in res.levels]
    assert own >= total - 1, f"{own}/{total} digits found by the window of their size"


def test_score_detections_by_iou_for_windows_of_several_sizes():
    c = sl.multiscale_canvas((32, 64), (160, 160), seed=1)
    (a, b) = c.boxes
    det = lambda box, label: sl.Detection(tuple(int(v) for v in box), int(label), 0.9, (0, 0))  # noqa: E731
    s = sl.score_detections([det(b + [4, 4, 4, 4], c.labels[1]), det(a, c.labels[0]),
                             det(b[:2].tolist() + (b[:2] + 32).tolist(), c.labels[1])], c, min_iou=0.5)
    assert (s.found, s.false_alarms) == (2, 1)     # a 32 px window on the 64 px digit: IoU 0.25
