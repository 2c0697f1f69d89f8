"""The zoo's photo segmenters: torchvision's LR-ASPP / DeepLabV3 (MobileNetV3, 21 VOC classes) and
ultralytics' YOLO11n-seg, loaded from locally made weight files in temporary caches (no network),
and their offline fallback to the bundled U-Net."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core import zoo
from core.images import load_image
from core.segmentation.infer import class_names, model_kind, segment_frame

VOC = ["lraspp-mobilenet-v3", "deeplabv3-mobilenet-v3"]
pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def photo(shared_data):
    return load_image(shared_data / "content" / "person_dog_horse.jpg", max_side=320)


def voc_weights(name: str) -> dict:
    """The torchvision model built with no weights at all, its state dict saved under the exact
    file name the weights enum's URL gives (as a download would have left it)."""
    import torchvision.models.segmentation as tvs

    e = zoo.get_entry(name)
    torch.manual_seed(0)
    model = getattr(tvs, e.spec.builder)(weights=None, weights_backbone=None, num_classes=21,
                                         aux_loss=e.spec.aux_loss)
    path = e.weights_path()
    assert path.name == e.weights_url().rsplit("/", 1)[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    return model.state_dict()


@pytest.mark.parametrize("name", VOC)
def test_voc_entries_answer_from_their_weights_enum(name):
    e = zoo.get_entry(name)
    assert e.task == "segmentation" and e.fallback == "unet-shapes"
    labels = list(e.meta.labels)
    assert len(labels) == 21 and labels[0] == "__background__" and labels[15] == "person"
    tf = e.meta.transforms
    assert (tf.resize, tf.crop, tf.mean, tf.std) == (520, None, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    assert e.weights_url().startswith("https://download.pytorch.org/models/")
    assert e.meta.metrics["miou"] > 50


@pytest.mark.parametrize("name", VOC)
def test_voc_model_falls_back_to_the_bundled_unet_offline(caches, name):
    lm = zoo.load(name)
    assert lm.fallback and lm.name == "unet-shapes" and lm.requested == name
    assert zoo.get_entry(name).title in lm.provenance and "CNNLAB_OFFLINE" in lm.reason
    assert model_kind(lm) == "unet"


@pytest.mark.parametrize("name", VOC)
def test_voc_weights_in_the_torch_hub_cache_are_loaded_and_segment_a_photo(caches, photo, name):
    import torchvision.models.segmentation as tvs

    sd = voc_weights(name)
    lm = zoo.load(name)
    assert not lm.fallback and lm.name == name and "from cache" in lm.provenance
    assert "VOC" in lm.provenance
    # only the file we placed: nothing else (an ImageNet backbone) was fetched or looked for
    assert [p.name for p in (caches / "torch" / "hub" / "checkpoints").iterdir()] == [zoo.get_entry(name).weights_path().name]
    first = next(iter(sd))
    assert torch.equal(lm.model.state_dict()[first], sd[first])
    assert len(lm.labels) == 21 and class_names(lm)[0] == "background" and model_kind(lm) == "torchvision"
    assert not any(p.requires_grad for p in lm.model.parameters()) and not lm.model.training

    r = segment_frame(photo, lm, alpha=0.5)
    assert r.mask.shape == photo.shape[:2] and r.image.shape == photo.shape and r.image.dtype == np.uint8
    assert sum(r.areas.values()) == pytest.approx(1.0) and set(r.areas) <= set(class_names(lm))
    assert r.palette.shape == (21, 3) and tuple(r.palette[15]) == (192, 128, 128)   # VOC person pink
    # the same classes as torchvision's own pipeline: weights.transforms() on the tensor, ["out"]
    weights = getattr(tvs, zoo.get_entry(name).spec.weights.split(".")[0]).COCO_WITH_VOC_LABELS_V1
    x = weights.transforms()(torch.from_numpy(photo.copy()).permute(2, 0, 1))
    with torch.inference_mode():
        out = lm.model(x[None])["out"]
        ref = torch.nn.functional.interpolate(out, size=photo.shape[:2], mode="bilinear").argmax(1)[0].numpy()
    assert x.shape[-2:][0] == 520 or min(x.shape[-2:]) == 520
    assert (ref == r.mask).mean() > 0.97


def test_a_damaged_voc_file_falls_back_and_says_so(caches):
    path = zoo.get_entry("lraspp-mobilenet-v3").weights_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a checkpoint")
    lm = zoo.load("lraspp-mobilenet-v3")
    assert lm.fallback and lm.name == "unet-shapes" and "damaged" in lm.reason


def test_yolo11n_seg_from_the_cache_segments_a_photo(caches, photo):
    """An untrained YOLO11n-seg built from its yaml stands in for the download; at a very low
    confidence it returns instances, and every painted pixel lies inside its instance's box
    (masks at the picture's own size, not the letterboxed one)."""
    zoo.configure_ultralytics()
    from ultralytics import YOLO

    path = zoo.weights_dir() / "yolo11n-seg.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    YOLO("yolo11n-seg.yaml").save(str(path))
    lm = zoo.load("yolo11n-seg")
    assert not lm.fallback and lm.name == "yolo11n-seg" and len(lm.labels) == 80
    assert model_kind(lm) == "yolo" and class_names(lm)[0] == "background"
    with lm.lock:
        none = segment_frame(photo, lm, 0.5)           # untrained: nothing at the default 0.25
        some = segment_frame(photo, lm, 0.5, conf=1e-9)
    assert none.instances == 0 and (none.mask == 0).all() and list(none.areas) == ["background"]
    assert some.instances > 0 and (some.mask > 0).any()
    assert some.mask.shape == photo.shape[:2] and some.image.shape == photo.shape
    assert len(class_names(lm)) == 81 and some.palette.shape == (81, 3)
    res = lm.model.predict(photo[..., ::-1].copy(), conf=1e-9, retina_masks=True, verbose=False)[0]
    assert tuple(res.masks.data.shape[1:]) == photo.shape[:2]
    inside = np.zeros(photo.shape[:2], bool)
    for x0, y0, x1, y1 in res.boxes.xyxy.cpu().numpy():
        inside[int(y0):int(np.ceil(y1)) + 1, int(x0):int(np.ceil(x1)) + 1] = True
    assert inside[some.mask > 0].all()


def test_cli_lists_and_prefetches_the_photo_segmenters(caches, capsys):
    from core.cli import main

    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for name in VOC + ["yolo11n-seg"]:
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(name))
        assert "segmentation" in line and "not cached" in line, line
    # offline, prefetch of these entries is attempted and reported, never waited on
    res = zoo.prefetch(VOC)
    assert set(res) == set(VOC) and all(v.startswith("failed: offline") for v in res.values()), res
    voc_weights("lraspp-mobilenet-v3")
    assert zoo.prefetch(["lraspp-mobilenet-v3"]) == {"lraspp-mobilenet-v3": "from cache"}
