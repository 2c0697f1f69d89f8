"""Your own model in a real browser (issue 18): upload a locally made ResNet-18 checkpoint with a
10-class head and its labels file on Inside the network, see its badge, run Grad-CAM on it."""
from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from tests.e2e.browser import ROOT, browser_page, exceptions_on, streamlit_server, wait_rendered

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("CNNLAB_OWN_SHOTS", ROOT / "artifacts" / "screenshots"))
LABELS = ["apple", "bus", "cat", "dog", "eel", "fox", "gull", "hen", "ibis", "jay"]


def make_checkpoint(folder: Path) -> tuple[Path, Path]:
    """A fine-tuned-looking ResNet-18 checkpoint (10 classes, DataParallel keys, fp16 to stay
    small) and its labels file."""
    import torch
    import torchvision

    torch.manual_seed(0)
    m = torchvision.models.resnet18(num_classes=len(LABELS))
    ckpt = {"epoch": 12, "state_dict": {f"module.{k}": v.half() if v.is_floating_point() else v
                                        for k, v in m.state_dict().items()}}
    b = io.BytesIO()
    torch.save(ckpt, b)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "my_resnet18.pt").write_bytes(b.getvalue())
    (folder / "labels.txt").write_text("\n".join(LABELS) + "\n")
    (folder / "broken.pt").write_bytes(b.getvalue()[:5000])
    return folder / "my_resnet18.pt", folder / "labels.txt"


def upload_model(page, model: Path, labels: Path | None, arch: str = "resnet18", small: bool = False) -> None:
    box = page.locator('[data-testid="stExpander"]').filter(has_text="Your model").first
    if box.locator("details").get_attribute("open") is None:
        page.get_by_text("Your model", exact=True).first.click()
    # Each upload finishes (its file name is listed under the uploader) before the next step: on
    # a slow machine "Load model" pressed while the labels were still uploading loaded no labels.
    box.locator('input[type="file"]').first.set_input_files(str(model))
    box.get_by_text(model.name, exact=True).first.wait_for(timeout=60_000)
    if labels is not None:
        box.locator('input[type="file"]').nth(1).set_input_files(str(labels))
        box.get_by_text(labels.name, exact=True).first.wait_for(timeout=60_000)
    field = box.get_by_label("Architecture (for a state dict)", exact=True).and_(box.locator("input"))
    field.fill(arch)
    field.press("Enter")
    if small:   # 64 px: every saliency method in seconds
        thumb = box.locator('[data-testid="stSlider"]').filter(has_text="Input size").get_by_role("slider")
        thumb.focus()
        page.keyboard.press("Home")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
    wait_rendered(page)
    page.get_by_role("button", name="Load model", exact=True).click()
    wait_rendered(page)


def test_upload_a_checkpoint_and_run_gradcam(tmp_path):
    (ROOT / "artifacts").mkdir(exist_ok=True)
    model, labels = make_checkpoint(tmp_path)
    with streamlit_server(env={"CNNLAB_OFFLINE": "1"}) as url, browser_page(1400, 3200) as page:
        page.goto(f"{url}/inside")
        wait_rendered(page)
        upload_model(page, tmp_path / "broken.pt", None)          # a bad file: a message, no traceback
        page.get_by_text("truncated or damaged", exact=False).first.wait_for(timeout=30_000)
        assert not exceptions_on(page), exceptions_on(page)
        upload_model(page, model, labels, small=True)
        page.get_by_text("my_resnet18 · your model", exact=False).first.wait_for(timeout=60_000)
        assert page.get_by_text("10 labels from your file", exact=False).count() >= 1
        page.get_by_role("tab", name="Saliency").click()
        wait_rendered(page)
        page.get_by_role("button", name="Explain").click()
        page.get_by_text("Grad-CAM ·", exact=False).first.wait_for(timeout=120_000)
        wait_rendered(page)
        assert page.locator('[data-testid="stImage"]').filter(has_text="Grad-CAM ·").count() == 1
        assert "input (64×64, the network's view)" in page.inner_text("body")
        target = re.search(r"· target (\d+) (\w+)", page.inner_text("body"))
        assert target and target.group(2) == LABELS[int(target.group(1))]   # its own labels name it
        assert not exceptions_on(page), exceptions_on(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "own-model-gradcam.png"))
