"""The Detection page in Streamlit's AppTest: real detections, NMS steps, the grid, IoU, sliding windows."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from tests.pageapp import open_tab, page_app

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def at() -> AppTest:
    app = page_app("detection", default_timeout=300).run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def _open(app: AppTest, tab: str) -> AppTest:
    return open_tab(app, "det-", tab)


def _metric(app: AppTest, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def test_detect_tab_finds_the_shapes_of_a_generated_scene(at):
    # offline, YOLO11n falls back to the bundled shapes detector and the page says so
    assert any("bundled shapes detector" in i.value for i in at.info)
    assert int(_metric(at, "Detections")) >= 3
    assert int(_metric(at, "Candidates above the threshold")) >= int(_metric(at, "Detections"))
    assert any("AP50" in m.value for m in at.markdown)
    rows = at.dataframe[0].value
    assert set(rows["class"]) <= {"circle", "square", "triangle"} and (rows["confidence"] > 0.25).all()


def test_raising_the_confidence_threshold_keeps_fewer_boxes(at):
    _open(at, "Detect")
    before = int(_metric(at, "Detections"))
    at.slider(key="det-conf").set_value(0.9).run()
    assert not at.exception
    assert int(_metric(at, "Detections")) <= before
    at.slider(key="det-conf").set_value(0.25).run()


def test_nms_steps_end_with_the_torchvision_check(at):
    _open(at, "NMS step by step")
    step = next(s for s in at.slider if s.label == "Step")
    step.set_value(step.max).run()
    assert not at.exception
    ok = [s.value for s in at.success if "torchvision.ops.nms" in s.value]
    assert ok and "identical" in ok[0], [s.value for s in at.success] + [e.value for e in at.error]
    assert any(m.value.startswith("**Done:**") for m in at.markdown)


def test_grid_failure_case_is_reported(at):
    _open(at, "Grid & anchors")
    at.toggle(key="det-yolo-fail").set_value(True).run()
    assert not at.exception
    assert any("anchor" in e.value and "not in the target" in e.value for e in at.error)
    at.toggle(key="det-yolo-fail").set_value(False).run()


def test_iou_numbers_follow_the_sliders(at):
    _open(at, "IoU")
    key = next(s.key for s in at.slider if s.key and s.key.startswith("det-iou-Bx-"))
    at.slider(key=key).set_value(90).run()      # B moved right of A (A spans x 20..70)
    assert not at.exception
    assert _metric(at, "IoU") == "0.000"


def test_grid_of_three_on_a_scene_next_to_the_notes_example(at):
    """Both sub-tabs draw a 3×3 target table: their widget keys must differ."""
    _open(at, "Grid & anchors")
    at.slider(key="det-yolo-s").set_value(3).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("decode(encode(boxes))" in c.value for c in at.caption)


def test_sliding_windows_maps_are_identical(at):
    _open(at, "Sliding windows")
    diff = float(_metric(at, "Largest difference"))
    assert diff < 1e-5
    assert re.match(r"\d+×\d+ = \d+", _metric(at, "Windows"))


def test_nms_tab_quotes_the_detect_tabs_count(at):
    """Issue 16: the NMS tab said "ultralytics keeps 9 boxes; the Detect tab shows them" (its own
    conf 0.05) while the Detect tab showed 5 (conf 0.25). Both numbers now come from the Detect
    tab's thresholds, and pressing the button makes the steps keep exactly those boxes."""
    _open(at, "Detect")
    shown = int(_metric(at, "Detections"))
    _open(at, "NMS step by step")
    line = next(m.value for m in at.markdown if m.value.startswith("**The Detect tab**"))
    assert "confidence > 0.25, NMS IoU > 0.70" in line
    assert re.search(r"shows \*\*(\d+)\*\* boxes", line).group(1) == str(shown)
    next(b for b in at.button if b.label == "Use the Detect tab's thresholds").click().run()
    assert not at.exception
    assert at.slider(key="det-nms-pc").value == pytest.approx(0.25)
    line = next(m.value for m in at.markdown if m.value.startswith("**The Detect tab**"))
    ours = re.search(r"keep \*\*(\d+)\*\*", line).group(1)
    theirs = re.search(r"\*\*(\d+)\*\* of them", line).group(1)
    assert ours == theirs and line.endswith("The same boxes."), line


def test_iou_plot_fits_the_boxes():
    """Issue 16: the axes ran 0..200 whatever the boxes; now they hold both boxes with a margin."""
    from pages.detection.iou import view_range

    (x0, x1), (y0, y1) = view_range((20, 20, 70, 60), (28, 26, 78, 66))
    assert x0 < 20 and x1 > 78 and y0 < 20 and y1 > 66
    assert (x1 - x0) <= 1.4 * 58 and (y1 - y0) <= 1.4 * 58 + 10      # boxes fill the plot
    (x0, x1), _ = view_range((0, 0, 1, 1), (1, 1, 2, 2))
    assert x1 - x0 >= 10                                                # tiny boxes: a 5-unit margin


def test_sliding_windows_tab_computes_the_image_pyramid(at):
    _open(at, "Sliding windows")
    table = next(d.value for d in at.dataframe if "window" in d.value.columns and "stride (px)" in d.value.columns)
    assert list(table["window"]) == ["32×32", "48×48", "64×64"]
    assert list(table["windows"]) == ["41×41 = 1681", "25×25 = 625", "17×17 = 289"]
    assert (table["crops (ms)"] > 0).all() and (table["one pass (ms)"] > 0).all()
    found = _metric(at, "Digits found")
    assert re.fullmatch(r"[0-3] of 3", found)
    assert any("Cost: 2595 windows in all" in c.value for c in at.caption)
