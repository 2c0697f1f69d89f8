"""Transfer learning in a real browser, with Chromium's fake webcam: snapshots into one class,
bundled pictures in the other, train the head, classify a new snapshot."""
from __future__ import annotations

import re

import pytest

from tests.e2e.browser import ROOT, browser_page, exceptions_on, streamlit_server, wait_rendered

pytestmark = pytest.mark.e2e
SHOTS = ROOT / "artifacts" / "screenshots"


def _snapshot(page, which: str = "first") -> None:
    """Press a camera's Take Photo (the class's: first; the classifier's: last) and wait for the run."""
    button = getattr(page.get_by_role("button", name="Take Photo"), which)
    button.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)               # the fake camera's stream has started
    button.click()
    page.get_by_role("button", name="Clear photo").first.wait_for(timeout=30_000)
    page.wait_for_timeout(800)
    wait_rendered(page, 120_000)


def test_teach_your_own_classes_with_the_fake_webcam():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(env={"CNNLAB_OFFLINE": "1"}) as url, browser_page(1400, 3200) as page:
        page.goto(f"{url}/transfer")
        wait_rendered(page, 180_000)
        assert page.locator("h1", has_text="Transfer learning").is_visible()
        # class 1: emptied, renamed, then two webcam snapshots (the fake camera's picture moves)
        page.get_by_role("button", name="Empty").first.click()
        wait_rendered(page)
        page.get_by_label("Class 1 name").fill("me")
        page.keyboard.press("Enter")
        wait_rendered(page)
        page.get_by_text("Camera", exact=True).first.click()
        wait_rendered(page)
        for _ in range(2):
            _snapshot(page)
            page.get_by_role("button", name="Clear photo").first.click()
            wait_rendered(page)
        page.get_by_text("me: 2 pictures", exact=False).wait_for(timeout=30_000)
        assert page.get_by_text("coffee: 6 pictures", exact=False).count() == 1   # class 2: bundled
        # train the head on both
        page.get_by_role("button", name="Train the head").click()
        page.get_by_text("Trained parameters").wait_for(timeout=180_000)
        wait_rendered(page, 180_000)
        body = page.inner_text("body")
        assert re.search(r"Training accuracy\s*100%", body), body[:2000]
        assert re.search(r"Features computed\s*8\b", body)     # 2 snapshots + 6 bundled, once each
        # classify a new snapshot with the classifier's own camera (the live view's Snapshot tab)
        page.get_by_role("tab", name="Snapshot").click()
        wait_rendered(page)
        _snapshot(page, "last")
        page.get_by_text("Most likely:", exact=False).wait_for(timeout=120_000)
        wait_rendered(page)
        page.screenshot(path=str(SHOTS / "transfer-teach.png"))
        m = re.search(r"Most likely:\s*(\S+)\s*\((\d+)%\)", page.inner_text("body"))
        assert m and m.group(1) == "me" and int(m.group(2)) >= 60, m and m.group(0)
        out = page.locator('[data-testid="stImage"]').filter(has_text="The same frame function on the snapshot")
        assert out.locator("img").evaluate("img => img.complete && img.naturalWidth") > 0
        assert not exceptions_on(page), exceptions_on(page)
