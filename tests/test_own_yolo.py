"""Your own YOLO detector (core.zoo.own.from_yolo_file): an ultralytics .pt through a temporary
file, checked to be a detector, usable by core.detection.detector.Detector unchanged."""
from __future__ import annotations

import glob
import io
import tempfile
from pathlib import Path

import pytest

from core.detection import boxes as B
from core.detection import scenes
from core.detection.detector import BUNDLED_PATH, Detector
from core.zoo import own

RAW = BUNDLED_PATH.read_bytes()      # a real ultralytics detection .pt (the bundled shapes detector)


def _temps() -> set[str]:
    return set(glob.glob(str(Path(tempfile.gettempdir()) / "cnnlab-yolo-*")))


def test_loads_detects_and_leaves_no_file():
    before = _temps()
    lm = own.from_yolo_file(RAW, filename="best.pt")
    assert _temps() == before                         # the temporary file is gone ...
    assert lm.task == "detection" and lm.labels == ["circle", "square", "triangle"]
    assert lm.provenance == ("your detector: best.pt (ultralytics, 3 classes) — a pickle, "
                             "loaded because this is a local lab")
    assert lm.meta["imgsz"] == 256 and lm.name.startswith(own.PREFIX)
    sc = scenes.scene(7, size=384)
    res = Detector(lm).detect(sc.image, 0.25, 0.7)    # ... and the model still predicts after it
    rep = B.evaluate_map([(res.boxes, res.scores, res.classes)], [(sc.boxes, sc.classes)],
                         num_classes=len(scenes.CLASSES))
    assert len(res) >= 1 and rep.map50 > 0.5, (len(res), rep.map50)


def test_hosted_refuses(monkeypatch):
    monkeypatch.setenv("CNNLAB_HOSTED", "1")
    with pytest.raises(ValueError, match="hosted"):
        own.from_yolo_file(RAW)


def test_size_cap(monkeypatch):
    monkeypatch.setenv("CNNLAB_MAX_MODEL_MB", "1")
    with pytest.raises(ValueError, match="limit"):
        own.from_yolo_file(RAW + b"\0" * 2**20)


@pytest.mark.parametrize("data, words", [
    (b"hello, not a model", "not an ultralytics YOLO .pt"),
    (RAW[:5000], "truncated"),
])
def test_wrong_files(data, words):
    with pytest.raises(ValueError, match=words):
        own.from_yolo_file(data, filename="x.pt")


def test_state_dict_is_not_a_detector():
    import torch

    buf = io.BytesIO()
    torch.save({"conv.weight": torch.zeros(3, 3)}, buf)
    with pytest.raises(ValueError, match="not an ultralytics YOLO model file") as e:
        own.from_yolo_file(buf.getvalue(), filename="weights.pt")
    assert "cnnlab-yolo-" not in str(e.value)         # names the user's file, not the temp file


def test_classification_model_named_by_task(tmp_path):
    own.from_yolo_file(RAW)          # ultralytics configured offline before it builds anything
    from ultralytics import YOLO

    path = tmp_path / "cls.pt"
    YOLO("yolo11n-cls.yaml").save(str(path))          # random weights from the bundled yaml
    with pytest.raises(ValueError, match="classification model"):
        own.from_yolo_file(path)


def test_detect_tab_uses_the_chosen_own_detector_and_goes_back():
    from tests.pageapp import open_tab, page_app

    lm = own.from_yolo_file(RAW, filename="mine.pt")
    app = page_app("detection", default_timeout=120)
    app.session_state["own-models"] = {lm.name: lm}
    app.session_state["det-model"] = lm.name
    app.session_state["det-source"] = "Generated scene"
    open_tab(app, "det-", "Detect")
    assert app.selectbox(key="det-model").value == lm.name
    assert any("your detector: mine.pt (ultralytics, 3 classes)" in c.value for c in app.caption)
    assert not any("bundled shapes detector" in i.value for i in app.info)
    assert int(next(m.value for m in app.metric if m.label == "Detections")) >= 1
    app.selectbox(key="det-model").set_value("yolo11n").run()   # back to the lab's detector
    assert not app.exception, [e.message for e in app.exception]
    assert any("bundled shapes detector" in i.value for i in app.info)
