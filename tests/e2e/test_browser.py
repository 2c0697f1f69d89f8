"""The real thing: the app served by Streamlit, driven by Debian's Chromium through Playwright.

The home page (its screenshot also goes to docs/screenshots/home.png for the README), the image
input with a bad upload, the classifier with a real model, prepared links, video upload, tabs
that keep their place, a damaged weights file; no exception box anywhere. Every page and tab is
opened by tests/e2e/test_legibility.py, which shares this module's server.
"""
from __future__ import annotations

import shutil

import pytest

from dashboard import nav
from tests.e2e.browser import ROOT, browser_page, exceptions_on, streamlit_server, wait_rendered

pytestmark = pytest.mark.e2e
SHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def app_url():
    (ROOT / "artifacts").mkdir(exist_ok=True)
    with streamlit_server(env={"CNNLAB_OFFLINE": "1"}) as url:
        yield url


@pytest.fixture(scope="module")
def page():
    with browser_page() as p:
        yield p


def test_home_page(app_url, page):
    page.goto(app_url)
    wait_rendered(page)
    assert page.locator("h1", has_text="CNN Lab").is_visible()
    for topic in nav.TOPICS:  # a card and a sidebar entry per topic
        assert page.get_by_role("link", name=topic.title).count() >= 2
    page.get_by_text("Device:", exact=False).wait_for(timeout=60_000)
    assert not exceptions_on(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "home.png"))
    docs = ROOT / "docs" / "screenshots"
    docs.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SHOTS / "home.png", docs / "home.png")


# Every page and every tab opened without an exception: tests/e2e/test_legibility.py, which opens
# them all in both modes anyway.


def test_bad_upload_shows_a_message_and_the_app_keeps_serving(app_url, page, tmp_path):
    page.goto(f"{app_url}/inside")
    wait_rendered(page)
    page.get_by_role("radiogroup", name="Image").get_by_text("Upload", exact=True).click()
    fake = tmp_path / "holiday.png"
    fake.write_text("this is not a picture at all\n")
    # the picture's uploader, not the "Your model" expander's model and labels uploaders
    page.locator('[data-testid="stFileUploader"]:not([data-testid="stExpander"] *) input[type="file"]'
                 ).set_input_files(str(fake))
    page.get_by_text("This is a text file, not an image").wait_for(timeout=30_000)
    assert not exceptions_on(page)
    page.screenshot(path=str(SHOTS / "inside-bad-upload.png"))
    # The app is still alive: back to a sample and classify it with the real model.
    page.get_by_text("Sample", exact=True).click()
    wait_rendered(page)
    page.get_by_role("button", name="Classify").click()
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=120_000)
    wait_rendered(page)
    assert page.get_by_text("bundled fallback", exact=False).count() >= 1
    body = page.inner_text("body")
    assert "tabby" in body or "tiger cat" in body or "Egyptian cat" in body
    assert not exceptions_on(page)
    page.screenshot(path=str(SHOTS / "inside-classify.png"))


def test_a_prepared_link_opens_the_exact_demo(app_url, page):
    page.goto(f"{app_url}/inside?inside-classify-sample=coffee")
    wait_rendered(page)
    page.get_by_role("button", name="Classify").click()
    page.get_by_text("espresso").first.wait_for(timeout=120_000)
    assert not exceptions_on(page)


def test_detection_video_upload_and_a_bad_one(app_url, page, tmp_path):
    """A video file goes through the detector frame by frame and comes back as an MP4; a file
    that is not a video gets a message and the page keeps serving."""
    from core.detection import scenes
    from core.detection.detector import encode_mp4

    page.goto(f"{app_url}/detection")
    wait_rendered(page, 180_000)
    page.get_by_text("Detections", exact=True).first.wait_for(timeout=60_000)   # a generated scene, detected
    page.screenshot(path=str(SHOTS / "detection.png"))
    shutil.copyfile(SHOTS / "detection.png", ROOT / "docs" / "screenshots" / "detection.png")
    page.get_by_text("Video file", exact=True).click()
    wait_rendered(page)
    bad = tmp_path / "lecture.mp4"
    bad.write_text("not a video, just text\n")
    # the video's uploader, not the "Your detector" expander's
    uploader = page.locator('[data-testid="stFileUploader"]:not([data-testid="stExpander"] *) input[type="file"]')
    uploader.set_input_files(str(bad))
    page.get_by_text("cannot be read as a video").wait_for(timeout=30_000)
    assert not exceptions_on(page)
    clip = tmp_path / "shapes.mp4"
    clip.write_bytes(encode_mp4([s.image for s in scenes.scenes(8, seed=2)], fps=4))
    uploader.set_input_files(str(clip))
    page.get_by_role("button", name="Detect on the video").click()
    page.locator("video").first.wait_for(timeout=120_000)
    wait_rendered(page)
    assert not exceptions_on(page)
    assert page.get_by_role("button", name="Download annotated MP4").count() == 1
    page.screenshot(path=str(SHOTS / "detection-video.png"))


@pytest.mark.parametrize("path, tab, marker", [
    ("deepdream", "Low vs high layer", "Dream both"),
    ("inside", "Saliency", "Explain"),
], ids=["deepdream", "inside"])
def test_tabs_keep_their_place_when_the_picture_changes(app_url, page, tmp_path, path, tab, marker):
    """Switching the picture to Upload and uploading one keeps the user in the tab they were in."""
    from core import images

    page.goto(f"{app_url}/{path}")
    wait_rendered(page)
    page.get_by_role("tab", name=tab).click()
    wait_rendered(page)
    page.get_by_role("radiogroup", name="Image").get_by_text("Upload", exact=True).first.click()
    wait_rendered(page)
    picture = tmp_path / "mine.png"
    picture.write_bytes(images.to_png_bytes(images.load_sample("coffee", max_side=320)))
    page.locator('[data-testid="stFileUploader"]:not([data-testid="stExpander"] *) input[type="file"]'
                 ).first.set_input_files(str(picture))
    wait_rendered(page, 180_000)
    selected = page.get_by_role("tab", selected=True).first.inner_text()
    assert selected.strip() == tab, selected
    assert page.get_by_role("button", name=marker).first.is_visible()
    assert not exceptions_on(page), exceptions_on(page)
    page.screenshot(path=str(SHOTS / f"{path}-tab-kept-after-upload.png"))


def test_a_damaged_vgg16_file_shows_the_stand_in_and_why(page, tmp_path):
    """Issue 23: a VGG-16 file of random bytes in the torch hub cache (a copy interrupted by
    hand) — Inside the network opens on EfficientNet-Lite0 and says why; no exception."""
    import os

    from core import zoo

    torch_home = tmp_path / "torch"
    env = {"CNNLAB_OFFLINE": "1", "TORCH_HOME": str(torch_home), "CNNLAB_HOME": str(tmp_path / "lab")}
    name = os.path.basename(zoo.ENTRIES["vgg16"].weights_url())
    (torch_home / "hub" / "checkpoints").mkdir(parents=True)
    (torch_home / "hub" / "checkpoints" / name).write_bytes(os.urandom(100_000))
    with streamlit_server(env=env) as url:   # its own server, the module's browser
        page.goto(f"{url}/inside")
        wait_rendered(page, 180_000)
        main = page.locator('[data-testid="stMain"]')     # (the sidebar's model list has it too, folded)
        main.get_by_text("VGG-16 weights in the cache are damaged", exact=False).first.wait_for(timeout=60_000)
        assert main.get_by_text("EfficientNet-Lite0 · bundled fallback", exact=False).count() >= 1
        assert not exceptions_on(page), exceptions_on(page)
        page.screenshot(path=str(SHOTS / "inside-damaged-vgg16.png"))
