"""The lab in Korean in a real browser (issue 21): a prepared ``?lang=ko&present=1`` link opens
the translated pages in Korean, Hangul renders (a font with Hangul is installed: a box glyph
would be as wide as any other, so the check is the text itself plus a screenshot per page in
``artifacts/ko/`` to look at), and the choice made in the sidebar follows the visitor to
another page. Pages still untranslated are listed in README's language section."""
from __future__ import annotations

import re

import pytest

from tests.e2e import test_browser
from tests.e2e.browser import ROOT, browser_page, exceptions_on, wait_rendered

pytestmark = pytest.mark.e2e
app_url = test_browser.app_url
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _pages():
    """Every page, opened on its default tab; with CNNLAB_KO_EVERY_TAB=1 every tab too (a
    longer run, for looking at all the screenshots before a release)."""
    import os

    from dashboard import nav
    from tests import i18n_pages

    out = [("", "CNN Lab", None)]
    for t in nav.TOPICS:
        tabs = [i18n_pages.korean(x) for x in i18n_pages.tabs_of(t.package)]
        every = os.environ.get("CNNLAB_KO_EVERY_TAB", "") not in ("", "0")
        english = i18n_pages.tabs_of(t.package)
        done = [k for e, k in zip(english, tabs) if i18n_pages.translated(t.package, e)]
        for tab in (done if every else done[:1]):   # the pages translated so far (issue 21)
            out.append((t.url, i18n_pages.korean(t.title), tab))
    return out


TRANSLATED = _pages()


@pytest.fixture(scope="module")
def page():
    with browser_page(1400, 2400) as p:
        yield p


def test_fonts_have_hangul():
    import subprocess

    fonts = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True).stdout
    assert "Noto Sans CJK" in fonts or "Noto Sans KR" in fonts, fonts


@pytest.mark.parametrize("url,title,tab", TRANSLATED)
def test_prepared_korean_link_opens_in_korean(app_url, page, url, title, tab):
    out = ROOT / "artifacts" / "ko"
    out.mkdir(parents=True, exist_ok=True)
    page.goto(f"{app_url}/{url}?lang=ko&present=1")
    wait_rendered(page)
    tabs = page.get_by_role("tab")
    if tab and tabs.count() and tabs.first.inner_text().strip() != tab:   # the default tab is open
        page.get_by_role("tab", name=tab).click()
        wait_rendered(page)
    h1 = page.locator("h1").first.inner_text().strip()
    assert h1 == title or (title != "CNN Lab" and HANGUL.search(h1)), (h1, title)
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert len(HANGUL.findall(main)) > 100, main[:500]
    assert not exceptions_on(page)
    page.screenshot(path=str(out / f"{url or 'home'}-{tab or 'page'}.png"))


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
