"""The detector over ultralytics, the bundled shapes detector, frames and videos."""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest

from core import zoo
from core.detection import scenes
from core.detection.boxes import evaluate_map
from core.detection.detector import (BUNDLED_PATH, Detector, VideoError, detect_frame, detect_video,
                                     encode_mp4, read_video, ultralytics_nms, video_info)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

WEIGHTS = Path(os.environ.get("CNNLAB_TEST_DETECTOR", BUNDLED_PATH))


@pytest.fixture(scope="module")
def det() -> Detector:
    from core.detection.detector import load_bundled_detector

    return Detector(load_bundled_detector("cpu", WEIGHTS))


def test_yolo11n_falls_back_to_the_bundled_detector_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNLAB_HOME", str(tmp_path / "cnnlab"))
    lm = zoo.load("yolo11n")
    assert lm.fallback and lm.name == "detector-shapes" and lm.requested == "yolo11n"
    assert lm.provenance.startswith("bundled fallback") and "YOLO11n" in lm.provenance
    assert lm.labels == list(scenes.CLASSES) and lm.task == "detection"


def test_bundled_detector_finds_shapes_on_fresh_scenes(det):
    """mAP50 on scenes from a seed no training run used (the card's target is 0.85)."""
    preds, gts = [], []
    for sc in scenes.scenes(40, seed=9_000_000):
        r = det.detect(sc.image, conf=0.001, iou=0.6)
        preds.append((r.boxes, r.scores, r.classes))
        gts.append((sc.boxes, sc.classes))
    rep = evaluate_map(preds, gts, num_classes=3)
    assert rep.map50 >= 0.85, rep.map50


def test_candidates_reproduce_what_ultralytics_keeps(det):
    sc = scenes.scene(11)
    for conf, iou in ((0.25, 0.7), (0.05, 0.5), (0.01, 0.3)):
        r = det.detect(sc.image, conf, iou)
        h, w = r.input_shape        # one prediction per cell of the stride-8, -16 and -32 grids
        assert r.candidates.total_anchors == sum((h // s) * (w // s) for s in (8, 16, 32)) == 1344
        assert (r.candidates.scores[:-1] >= r.candidates.scores[1:]).all()
        kept = ultralytics_nms(r.candidates, conf, iou)
        assert np.array_equal(kept, r.kept)
        np.testing.assert_allclose(r.candidates.clipped(r.image_shape)[r.kept], r.boxes, atol=1e-3)
        np.testing.assert_array_equal(r.candidates.classes[r.kept], r.classes)
        assert len(r.candidates.scores) >= len(r)


def test_runs_on_coco8_and_content_photos(det, shared_data):
    from core.images import load_image

    paths = sorted((shared_data / "detection" / "coco8" / "images").rglob("*.jpg"))[:4]
    paths += sorted((shared_data / "content").glob("*"))[:2]
    assert len(paths) >= 5
    for p in paths:
        img = load_image(p, max_side=640)
        r = det.detect(img, conf=0.25, iou=0.7)
        assert r.image_shape == img.shape[:2] and max(r.input_shape) == det.default_imgsz()
        if len(r):
            assert (r.boxes[:, 2] <= img.shape[1] + 1e-3).all() and (r.boxes[:, 3] <= img.shape[0] + 1e-3).all()


def test_class_filter_and_bad_frames(det):
    sc = scenes.scene(3)
    r = det.detect(sc.image, conf=0.1, classes=[0])
    assert set(r.classes.tolist()) <= {0} and set(r.candidates.classes.tolist()) <= {0}
    for bad in (np.zeros((0, 0, 3), np.uint8), np.zeros((4, 4, 3), np.uint8),
                np.zeros((64, 64), np.uint8), np.zeros((64, 64, 3), np.float32)):
        with pytest.raises(ValueError):
            det.detect(bad)
    with pytest.raises(ValueError):
        det.detect(sc.image, conf=1.5)


def test_detect_frame_draws_on_a_copy(det):
    sc = scenes.scene(4)
    before = sc.image.copy()
    out = detect_frame(sc.image, det, conf=0.25)
    assert out.image.shape == sc.image.shape and np.array_equal(sc.image, before)
    assert out.n == sum(out.counts.values())
    if out.n:
        assert not np.array_equal(out.image, sc.image)


def test_video_round_trip_in_memory(det):
    frames = [s.image for s in scenes.scenes(6, seed=5)]
    data = encode_mp4(frames, fps=5)
    info = video_info(data)
    assert (info.width, info.height) == (256, 256) and info.frames == 6
    decoded = list(read_video(data, every=2))
    assert len(decoded) == 3 and decoded[0].shape == (256, 256, 3)
    assert np.abs(decoded[0].astype(int) - frames[0]).mean() < 12   # lossy H.264
    steps = list(detect_video(data, det, every=1, max_frames=4))
    assert [s.step for s in steps] == [1, 2, 3, 4] and steps[-1].total == 4
    assert len(steps[-1].frames) == 4 and steps[-1].image.shape == (256, 256, 3)


def test_bad_videos_give_messages():
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (32, 32)).save(png, "PNG")
    for bad, words in ((b"", "empty"), (b"not a video at all", "cannot be read"),
                       (png.getvalue(), "still image"), (b"\x00" * 5000, "cannot be read")):
        with pytest.raises(VideoError, match=words):
            video_info(bad)
    with pytest.raises(VideoError):
        list(read_video(b"garbage"))


def test_a_coco_yolo11n_in_the_cache_is_used_instead(tmp_path, monkeypatch):
    """With yolo11n.pt cached (an untrained one made here stands in for the download), the page's
    detector is the 80-class COCO model at 640 px, and its candidates still reproduce its NMS."""
    from core.images import load_sample

    monkeypatch.setenv("CNNLAB_HOME", str(tmp_path / "cnnlab"))
    zoo.configure_ultralytics()
    from ultralytics import YOLO

    path = zoo.weights_dir() / "yolo11n.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    YOLO("yolo11n.yaml").save(str(path))
    lm = zoo.load("yolo11n")
    assert not lm.fallback and len(lm.labels) == 80
    d = Detector(lm)
    assert not d.bundled and d.default_imgsz() == 640
    bus = load_sample("bus", max_side=None)
    r = d.detect(bus, conf=0.0005, iou=0.7, max_det=50)
    assert max(r.input_shape) == 640 and r.candidates.total_anchors > 0
    assert np.array_equal(ultralytics_nms(r.candidates, 0.0005, 0.7, max_det=50), r.kept)
    np.testing.assert_allclose(r.candidates.clipped(r.image_shape)[r.kept], r.boxes, atol=1e-2)


def test_two_sessions_detecting_at_once_get_their_own_results(det):
    """The model is shared: concurrent calls (two visitors) must not mix up candidates."""
    from concurrent.futures import ThreadPoolExecutor

    pics = [scenes.scene(s).image for s in (21, 22, 23, 24)]
    alone = [det.detect(p, 0.2) for p in pics]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(lambda p: det.detect(p, 0.2), pics * 2))
    for a, b in zip(alone * 2, together):
        np.testing.assert_array_equal(a.boxes, b.boxes)
        np.testing.assert_array_equal(a.candidates.boxes, b.candidates.boxes)
    assert not det.yolo.callbacks.get("on_predict_start") or all(
        "_Capture" not in getattr(cb, "__qualname__", "") for cb in det.yolo.callbacks["on_predict_start"])


def test_no_candidate_above_the_floor_is_not_an_error(det):
    r = det.detect(np.full((96, 96, 3), 127, np.uint8), conf=0.99, candidate_floor=0.99)
    assert len(r) == 0 and len(r.candidates.scores) == 0 and len(r.kept) == 0
