"""DeepDream in a real browser: a one-step dream through the UI shows a picture, no exception."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.e2e.browser import ROOT, browser_page, exceptions_on, streamlit_server, wait_rendered

pytestmark = pytest.mark.e2e
SHOTS = ROOT / "artifacts" / "screenshots"


def _slider_to_minimum(page, label: str) -> None:
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider")
    thumb.focus()
    page.keyboard.press("Home")
    page.wait_for_function(
        "el => el.getAttribute('aria-valuenow') === el.getAttribute('aria-valuemin')",
        arg=thumb.element_handle(), timeout=10_000)
    wait_rendered(page)


def test_tiny_dream_through_the_ui():
    (ROOT / "artifacts").mkdir(exist_ok=True)
    with streamlit_server(env={"CNNLAB_OFFLINE": "1"}) as url, browser_page() as page:
        page.goto(f"{url}/deepdream")
        wait_rendered(page)
        assert page.locator("h1", has_text="DeepDream").is_visible()
        assert page.get_by_text("bundled fallback", exact=False).count() >= 1
        _slider_to_minimum(page, "Octaves")
        _slider_to_minimum(page, "Steps per octave")
        page.get_by_text("1 step in all", exact=False).wait_for(timeout=10_000)
        page.get_by_role("button", name="Dream", exact=True).click()
        page.get_by_text("blocks[4] · 1 step in ", exact=False).first.wait_for(timeout=60_000)
        wait_rendered(page)
        result = page.locator('[data-testid="stImage"]').filter(has_text="blocks[4] · 1 step in ")
        assert result.count() == 1
        assert result.locator("img").evaluate("img => img.complete && img.naturalWidth") == 384
        assert page.get_by_role("button", name="Download PNG").count() == 1
        assert not exceptions_on(page), exceptions_on(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "deepdream-dream.png"))
        # Downloads are encoded when clicked (Streamlit's deferred data), not on every rerun:
        # the click still gives the result's own bytes.
        for label, magic, fmt in (("Download PNG", b"\x89PNG", "PNG"), ("Download GIF", b"GIF8", "GIF")):
            with page.expect_download(timeout=60_000) as got:
                page.locator('[data-testid="stMain"] button', has_text=label).first.click()
            data = open(got.value.path(), "rb").read()
            assert data.startswith(magic), (label, data[:8])
            pic = Image.open(io.BytesIO(data))
            assert pic.format == fmt and pic.size[0] == 384, (label, pic.format, pic.size)
