"""The lab in Korean in a real browser (issue 21): a font with Hangul is installed, and the
language chosen in the sidebar follows the visitor to another page. Every tab of every page
opened from the prepared ``?lang=ko&present=1`` link, measured and screenshotted in Korean, is
the presentation-mode run of tests/e2e/test_legibility.py (artifacts/screenshots/legibility/
present-*.png)."""
from __future__ import annotations

import re

import pytest

from tests.e2e import test_browser
from tests.e2e.browser import browser_page, wait_rendered

pytestmark = pytest.mark.e2e
app_url = test_browser.app_url
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def page():
    with browser_page(1400, 2400) as p:
        yield p


def test_fonts_have_hangul():
    import subprocess

    fonts = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True).stdout
    assert "Noto Sans CJK" in fonts or "Noto Sans KR" in fonts, fonts


def test_language_chosen_in_the_sidebar_follows_to_another_page(app_url, page):
    page.goto(f"{app_url}/convolution")
    wait_rendered(page)
    assert page.locator("h1").first.inner_text().strip() == "Convolution lab"
    page.locator('[data-testid="stSidebar"] button', has_text="한국어").click()
    page.wait_for_function("() => document.querySelector('h1').innerText.includes('합성곱')")
    page.wait_for_url(re.compile(r"[?&]lang=ko"), timeout=30_000)  # published after the run
    page.locator('[data-testid="stSidebarNav"] a').first.click()   # Home
    wait_rendered(page)
    assert "lang=ko" in page.url
    assert "주제를 고르세요" in page.locator('[data-testid="stMain"]').inner_text()
