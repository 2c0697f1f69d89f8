"""The Segmentation page in Streamlit's AppTest: the Segment tab offline (generated scene first,
working size from the picture), the Train tab (ends without a Stop button), Diagram and Skips."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from tests.pageapp import open_tab, page_app

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def at() -> AppTest:
    app = page_app("segmentation", default_timeout=300).run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def _open(app: AppTest, tab: str) -> AppTest:
    return open_tab(app, "seg-", tab)


def _metric(app: AppTest, label: str) -> float:
    return float(next(m.value for m in app.metric if m.label == label))


def test_segment_tab_offline_opens_on_a_scene_and_says_what_the_shapes_model_cannot_do(at):
    _open(at, "Segment images")
    assert at.selectbox(key="seg-pred-model").value == "lraspp-mobilenet-v3"
    info = " ".join(i.value for i in at.info)
    assert "stands in" in info and "cannot find people" in info
    assert at.radio(key="seg-pred-source").value.startswith("Generated")
    assert any("Working size" in c.value for c in at.caption)
    assert _metric(at, "mean IoU") >= 0.7                 # a 128 px scene, segmented at its chosen size


def test_segment_tab_on_coins_paints_circles_and_warns(at):
    _open(at, "Segment images")
    at.radio(key="seg-pred-source").set_value("Sample, upload or camera").run()
    assert not at.exception
    assert at.selectbox(key="seg-pred-img-sample").value == "coins"
    assert any("shapes model on a photo" in w.value for w in at.warning)
    assert not at.metric or all(m.label != "mean IoU" for m in at.metric)
    at.toggle(key="seg-pred-auto").set_value(False).run()   # the manual slider instead
    assert not at.exception and at.slider(key="seg-pred-work").value == 128
    at.toggle(key="seg-pred-auto").set_value(True)
    at.radio(key="seg-pred-source").set_value("Generated scene (with ground truth)").run()


def test_a_model_that_cannot_be_had_says_so(at):
    _open(at, "Segment images")
    at.selectbox(key="seg-pred-model").set_value("yolo11n-seg").run()
    assert not at.exception
    assert any("cannot be loaded here" in i.value and "prefetch" in i.value for i in at.info)
    at.selectbox(key="seg-pred-model").set_value("lraspp-mobilenet-v3").run()


def test_train_tab_ends_with_its_result_and_no_stop_button(at):
    _open(at, "Train it yourself")
    assert at.radio(key="seg-train-start").value == "encoder"
    at.number_input(key="seg-train-steps").set_value(20)
    at.button(key="seg-train-go").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert not [b for b in at.button if (b.key or "").endswith("-stop")]
    done = [s.value for s in at.success if s.value.startswith("Done at step 20/20")]
    assert done and "validation mIoU" in done[0] and "encoder" in done[0]
    # a rerun (any widget) keeps the finished run's result on the page
    at.run()
    assert any(s.value.startswith("Done at step 20/20") for s in at.success)


def test_diagram_and_skips_tabs_render(at):
    _open(at, "U-Net diagram")
    assert any(m.label == "parameters" for m in at.metric)
    _open(at, "What the skips carry")
    assert not at.error
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["mIoU, every skip", "without skip 1", "without skip 2", "without skip 3"]


def test_segment_tab_with_a_cached_voc_model_segments_photos(caches):
    """With DeepLabV3's file in the torch hub cache (random weights made here stand in for the
    download) the tab uses it: a pretrained badge, no shapes warning, photos only, 520 px."""
    from dashboard.cache import free_models
    from tests.test_zoo_segmentation import voc_weights

    voc_weights("deeplabv3-mobilenet-v3")
    free_models()
    try:
        app = page_app("segmentation", default_timeout=300)
        app.session_state["seg-tab"] = "Segment images"
        app.session_state["seg-pred-model"] = "deeplabv3-mobilenet-v3"
        app.run()
        assert not app.exception, [e.message for e in app.exception]
        assert not [r for r in app.radio if r.key == "seg-pred-source"]       # no generated scenes
        assert app.selectbox(key="seg-pred-img-sample").value == "bus"
        assert any("520 px" in c.value for c in app.caption)
        assert not app.warning and not any("stands in" in i.value for i in app.info)
        known = [c.value for c in app.caption if c.value.startswith("No ground truth")]
        assert known and "person" in known[0] and "aeroplane" in known[0] and "circle" not in known[0]
        assert any("pretrained DeepLabV3" in c.value for c in app.caption)
    finally:
        free_models()
