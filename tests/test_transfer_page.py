"""The Transfer learning page under AppTest: the Teach tab opens with two bundled classes and
trains; bad class sets give clear messages; the regimes tab shows the prepared sweep and reruns a
point live."""
from __future__ import annotations

import pytest

from tests.pageapp import open_tab, page_app


@pytest.fixture(scope="module")
def app():
    a = page_app("transfer")
    a.run()
    assert not a.exception, [e.message for e in a.exception]
    return a


def _metric(app, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def test_teach_tab_opens_light_and_trains_the_defaults(app):
    assert any("Train the head" in i.value for i in app.info)          # nothing trained on load
    assert "tl-teach-result" not in app.session_state
    app.button(key="tl-train-go").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert _metric(app, "Training accuracy") == "100%"
    assert _metric(app, "Features computed") == "12"
    assert _metric(app, "Trained parameters") == "2,562"
    unseen = next(m.value for m in app.markdown if "not trained on" in m.value)
    assert "8 of 8 right" in unseen, unseen
    # retraining computes no feature again: every picture is in the cache
    app.button(key="tl-train-go").click().run()
    assert _metric(app, "Features computed") == "0"


def test_teach_tab_bad_class_sets_are_messages(app):
    app.text_input(key="tl-name-1").set_value("cat").run()
    app.button(key="tl-train-go").click().run()
    assert any("same name" in e.value for e in app.error), [e.value for e in app.error]
    app.text_input(key="tl-name-1").set_value("coffee").run()
    app.slider(key="tl-k").set_value(3).run()                          # class 3 starts empty
    app.button(key="tl-train-go").click().run()
    assert any("empty: brick" in e.value for e in app.error), [e.value for e in app.error]
    assert not app.exception
    app.slider(key="tl-k").set_value(2).run()


def test_regimes_tab_shows_the_prepared_sweep_and_reruns_a_point(app):
    open_tab(app, "tl-", "Three regimes, measured")
    assert any("prepared ahead" in m.value for m in app.markdown)
    assert any("With **2 pictures per class**" in m.value for m in app.markdown)
    app.selectbox(key="tl-reg-regime").set_value("scratch").run()
    app.button(key="tl-reg-go").click().run()
    assert not app.exception
    done = [s.value for s in app.success]
    assert done and "84.0%" in done[-1] and "same seed: 84.0%" in done[-1], done
