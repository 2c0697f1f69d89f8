"""Every page runs without an exception in Streamlit's AppTest (no browser)."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from tests.pageapp import page_app

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(p.parent.name for p in (ROOT / "pages").glob("*/__init__.py"))


def test_every_topic_has_a_page():
    from dashboard import nav

    assert {t.package for t in nav.TOPICS} | {"home"} == set(PAGES)


def test_app_shell_renders_home_and_sidebar():
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "CNN Lab"
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Offline mode" in captions and "Device" in captions


@pytest.mark.parametrize("page", PAGES)
def test_page_runs(page):
    at = page_app(page, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "every page starts with a title"


def test_classifier_on_the_inside_page_is_real():
    at = page_app("inside", default_timeout=120).run()
    at.button(key="inside-classify-go").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["class"].iloc[0].split()[0] in {"281", "282", "283", "284", "285"}
    assert "bundled fallback" in " ".join(c.value for c in at.caption)


def test_image_input_switches_sources_without_errors():
    at = page_app("inside", default_timeout=120).run()
    at.radio(key="inside-classify-source").set_value("Upload").run()
    assert not at.exception and not at.error
    at.radio(key="inside-classify-source").set_value("Camera").run()
    assert not at.exception
    at.radio(key="inside-classify-source").set_value("Sample").run()
    at.selectbox(key="inside-classify-sample").set_value("zidane").run()
    assert not at.exception and at.image
