"""Your own model (issue 18): core.zoo.from_name / from_file on locally made files — a torchvision
ResNet-18 state dict, a 10-class-head checkpoint, a TorchScript small CNN, its ONNX export, a timm
model by name offline, pretrained weights placed where the caches look — each loads, classifies
and runs feature maps, saliency, Grad-CAM and a DeepDream step; every bad file gives its message."""
from __future__ import annotations

import io
import json
import pickle
import re
import warnings

import numpy as np
import pytest
import torch
import torch.nn as nn
import torchvision

from core import dream as dd
from core import style, zoo
from core.cli import main as cli
from core.vis import ascent as A
from core.vis import attribution as T
from core.vis import features as Fe
from core.zoo import own

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SIZE = 64
RESNET_LAYERS = ["relu", "layer1[0]", "layer1[1]", "layer2[0]", "layer2[1]", "layer3[0]", "layer3[1]",
                 "layer4[0]", "layer4[1]"]


@pytest.fixture(scope="module", autouse=True)
def _clean_zoo():
    """Entries made here leave the zoo afterwards (other tests list every entry)."""
    before = set(zoo.ENTRIES)
    yield
    for name in set(zoo.ENTRIES) - before:
        own.forget(name)


def _bytes(obj) -> bytes:
    b = io.BytesIO()
    torch.save(obj, b)
    return b.getvalue()


def _small_cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5)).eval()


@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.random((90, 110, 3)) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def r18_bytes() -> bytes:
    torch.manual_seed(1)
    return _bytes(torchvision.models.resnet18().state_dict())


@pytest.fixture(scope="module")
def r18(r18_bytes):
    return zoo.from_file(r18_bytes, arch="resnet18", input_size=SIZE, filename="resnet18-ft.pt")


@pytest.fixture(scope="module")
def cnn_files():
    m = _small_cnn()
    ts = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.script(m), ts)
        ox = io.BytesIO()
        torch.onnx.export(m, (torch.zeros(1, 3, SIZE, SIZE),), ox, dynamo=False)
    return m, ts.getvalue(), ox.getvalue()


def _methods(lm, picture, layer: str) -> None:
    """Classify, feature maps, vanilla gradient, Grad-CAM, one DeepDream step: real numbers."""
    top = lm.classify(picture, 3)
    assert len(top) == 3 and abs(sum(p for *_, p in lm.classify(picture, len(lm.labels))) - 1) < 1e-4
    crop = lm.prepare(picture)
    assert crop.shape == (SIZE, SIZE, 3)
    fm = Fe.activations(lm, crop, [layer])[layer]
    assert fm.maps.ndim == 3 and fm.maps.shape[0] == Fe.channels(lm, layer) and np.isfinite(fm.maps).all()
    for method in ("gradient", "gradcam"):
        heat = T.attribute(method, lm, crop)
        assert heat.shape == (SIZE, SIZE) and heat.max() == pytest.approx(1.0) and heat.min() >= 0
    before = A.to_tensor(picture, "cpu")
    snaps = list(dd.dream(picture, lm, steps=1, octaves=1, jitter=0))
    assert len(snaps) == 1 and snaps[-1].image.shape == picture.shape
    assert np.abs(snaps[-1].image.astype(int) - A.to_image(before).astype(int)).max() > 0  # it changed


def test_resnet18_state_dict_loads_with_derived_layers(r18, picture):
    assert r18.name.startswith("own-") and zoo.get_entry(r18.name).kind == "own"
    assert "resnet18-ft.pt" in r18.provenance and "resnet18" in r18.provenance
    assert len(r18.labels) == 1000 and r18.labels[0] == "tench"           # 1000 outputs: ImageNet's
    infos = Fe.layer_choices(r18)
    assert [i.name for i in infos] == RESNET_LAYERS
    assert [i.stride for i in infos] == [2, 4, 4, 8, 8, 16, 16, 32, 32]
    assert [i.module for i in infos][:2] == ["relu", "layer1.0"]
    assert T.cam_layer(r18) == "layer4[1]"
    assert dd.preset(r18)["layers"] == zoo.get_entry(r18.name).meta.layers.high == "layer3[1]"
    assert style.loss_layers(r18).content_label in RESNET_LAYERS
    assert not any(p.requires_grad for p in r18.model.parameters()) and not r18.model.training
    _methods(r18, picture, "layer2[1]")


def test_ten_class_checkpoint_keeps_its_head_and_labels(picture):
    torch.manual_seed(2)
    m = torchvision.models.resnet18(num_classes=10)
    names = [f"part {i}" for i in range(10)]
    ckpt = {"epoch": 3, "classes": names, "state_dict": {f"module.{k}": v for k, v in m.state_dict().items()}}
    lm = zoo.from_file(io.BytesIO(_bytes(ckpt)), arch="resnet18", input_size=SIZE)
    assert lm.labels == names and lm.meta["outputs"] == 10 and lm.model.fc.out_features == 10
    x = torch.rand(1, 3, SIZE, SIZE)
    with torch.no_grad():   # the very weights of the file
        assert torch.allclose(lm.model(x), m.eval()(x), atol=1e-5)
    txt = zoo.from_file(_bytes(m.state_dict()), arch="resnet18", input_size=SIZE,
                        labels="\n".join(f"kind {i}" for i in range(10)).encode())
    assert txt.labels[9] == "kind 9" and zoo.from_file(
        _bytes(m.state_dict()), arch="resnet18", input_size=SIZE).labels[3] == "class 3"
    with pytest.raises(ValueError, match="3 names but the model has 10 outputs"):
        zoo.from_file(_bytes(m.state_dict()), arch="resnet18", input_size=SIZE, labels=["a", "b", "c"])
    _methods(lm, picture, "layer3[0]")


def test_torchscript_and_onnx_become_hookable_modules(cnn_files, picture):
    m, ts, ox = cnn_files
    x = torch.rand(2, 3, SIZE, SIZE)
    for data, fname in ((ts, "small.ts"), (ox, "small.onnx")):
        lm = zoo.from_file(data, input_size=SIZE, filename=fname)
        assert [i.name for i in Fe.layer_choices(lm)] == ["1/Relu", "4/Relu", "7/Relu"]
        assert [i.stride for i in Fe.layer_choices(lm)] == [1, 2, 4]
        assert T.cam_layer(lm) == "7/Relu" and len(lm.labels) == 5 and lm.labels[4] == "class 4"
        with torch.no_grad():
            assert torch.allclose(lm.model(x), m(x), atol=1e-5)               # same network, batched
        assert fname in lm.provenance
        _methods(lm, picture, "4/Relu")
    assert zoo.from_file(ox).transforms.crop == SIZE      # the ONNX graph's own input size


def test_timm_by_name_offline_is_random_and_says_so(picture):
    lm = zoo.from_name("mobilenetv3_small_050", input_size=SIZE)
    assert not lm.pretrained and "random weights" in lm.provenance and "offline" in lm.provenance
    names = [i.name for i in Fe.layer_choices(lm)]
    assert names[0] == "bn1" and "blocks[2]" in names and T.cam_layer(lm) == "blocks[5]"
    again = zoo.from_name("mobilenetv3_small_050", input_size=SIZE)   # seed 0: the same random net
    assert torch.equal(next(again.model.parameters()), next(lm.model.parameters()))
    _methods(lm, picture, "blocks[1]")
    with pytest.raises(ValueError, match="Did you mean resnet18"):
        zoo.from_name("resnet-18")


def test_pretrained_weights_found_where_the_caches_look(tmp_path, monkeypatch):
    import huggingface_hub.constants as hfc
    import timm
    from safetensors.torch import save_file

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    w = torchvision.models.ResNet18_Weights.DEFAULT
    ckpt = zoo.torch_hub_checkpoints() / w.url.rsplit("/", 1)[1]
    ckpt.parent.mkdir(parents=True)
    torch.manual_seed(3)
    ref = torchvision.models.resnet18()
    torch.save(ref.state_dict(), ckpt)
    lm = zoo.from_name("resnet18")
    assert lm.pretrained and "ResNet18_Weights.IMAGENET1K_V1, from cache" in lm.provenance
    assert lm.transforms.crop == 224 and lm.transforms.resize == 256 and lm.labels[1] == "goldfish"
    assert torch.equal(lm.model.conv1.weight, ref.conv1.weight)
    ckpt.write_bytes(b"PK\x03\x04 cut")                      # damaged cache file: random, said so
    assert not zoo.from_name("resnet18", input_size=SIZE).pretrained

    monkeypatch.setattr(hfc, "HF_HUB_CACHE", str(tmp_path / "hf"))
    repo = tmp_path / "hf" / ("models--" + timm.models.get_pretrained_cfg("mobilenetv3_small_050").hf_hub_id
                              .replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0" * 40)
    (repo / "snapshots" / ("0" * 40)).mkdir(parents=True)
    t = timm.create_model("mobilenetv3_small_050")
    save_file(t.state_dict(), str(repo / "snapshots" / ("0" * 40) / "model.safetensors"))
    lm = zoo.from_name("mobilenetv3_small_050", input_size=SIZE)
    assert lm.pretrained and "Hugging Face cache" in lm.provenance
    assert torch.equal(lm.model.conv_stem.weight, t.conv_stem.weight)


def test_safetensors_with_its_metadata():
    from safetensors.torch import save

    torch.manual_seed(4)
    m = torchvision.models.resnet18(num_classes=3)
    data = save(m.state_dict(), metadata={"arch": "resnet18", "labels": json.dumps(["cat", "dog", "owl"])})
    lm = zoo.from_file(data, input_size=SIZE)
    assert lm.labels == ["cat", "dog", "owl"] and lm.meta["format"] == "safetensors"


def _onnx_unknown_op() -> bytes:
    import onnx
    from onnx import TensorProto, helper

    node = helper.make_node("WarpDrive", ["x"], ["y"], domain="lab.custom")
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("lab.custom", 1)]) \
        .SerializeToString() if onnx else b""


class _Evil:
    def __reduce__(self):
        return (print, ("this would have run",))


@pytest.mark.parametrize("case, message", [
    ("text", "not a model file the lab can read"),
    ("empty", "empty"),
    ("truncated", "truncated or damaged"),
    ("cut short", "truncated or damaged"),
    ("whole model", "pickle of Python objects"),
    ("raw pickle", "pickle of Python objects"),
    ("wrong arch", "do not fit resnet34: 96 tensors missing from the file, first layer1.2.conv1.weight"),
    ("wrong shapes", re.escape("shapes differ for conv1.weight (file (64, 1, 7, 7), resnet18 (64, 3, 7, 7))")),
    ("no arch", "weights only .* say which architecture"),
    ("not tensors", "does not hold model weights"),
    ("bad onnx", "not a readable ONNX model"),
    ("onnx op", "does not convert to PyTorch .*WarpDrive"),
    ("too big", "larger than the limit of 1 MB"),
])
def test_bad_files_say_what_is_wrong(case, message, r18_bytes, cnn_files, monkeypatch):
    _, _, ox = cnn_files
    arch = "resnet18"
    if case == "wrong shapes":
        sd = torchvision.models.resnet18().state_dict()
        sd["conv1.weight"] = torch.zeros(64, 1, 7, 7)
    data = {"text": b"hello, this is not a model", "empty": b"", "truncated": r18_bytes[: len(r18_bytes) // 2],
            "cut short": r18_bytes[:5000],
            "whole model": _bytes(_small_cnn()), "raw pickle": pickle.dumps({"x": _Evil()}),
            "wrong arch": r18_bytes, "wrong shapes": _bytes(sd) if case == "wrong shapes" else None,
            "no arch": r18_bytes, "not tensors": _bytes({"lr": 0.1, "epoch": 3}),
            "bad onnx": ox[: len(ox) // 2], "onnx op": _onnx_unknown_op(), "too big": r18_bytes}[case]
    if case == "wrong arch":
        arch = "resnet34"
    if case == "no arch":
        arch = None
    if case == "too big":
        monkeypatch.setenv("CNNLAB_MAX_MODEL_MB", "1")
    with pytest.raises(ValueError, match=message):
        zoo.from_file(data, arch=arch, input_size=SIZE, filename="model.onnx" if "onnx" in case else "model.pt")


def test_a_model_without_convolutions_says_why(picture):
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(3 * SIZE * SIZE, 4)).eval()
    ox = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(mlp, (torch.zeros(1, 3, SIZE, SIZE),), ox, dynamo=False)
    lm = zoo.from_file(ox.getvalue(), filename="mlp.onnx")
    assert Fe.layer_choices(lm) == [] and "feature maps, Grad-CAM" in lm.meta["layers_note"]
    assert len(lm.classify(picture, 2)) == 2 and T.attribute("gradient", lm, lm.prepare(picture)).shape == (SIZE, SIZE)
    with pytest.raises(ValueError, match="no convolution for Grad-CAM"):
        T.cam_layer(lm)
    seg = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(nn.Conv2d(3, 2, 3, padding=1), (torch.zeros(1, 3, SIZE, SIZE),), seg, dynamo=False)
    with pytest.raises(ValueError, match=re.escape("output is (1, 2, 64, 64), not one score per class")):
        zoo.from_file(seg.getvalue(), filename="segmenter.onnx")
    with pytest.raises(ValueError, match="neither a torchvision classification model .* mobilenet_v3_large"):
        zoo.from_name("lraspp_mobilenet_v3_large")


def test_run_time_entries_stay_bounded_and_come_back(r18, monkeypatch):
    monkeypatch.setattr(own, "MAX_ENTRIES", 1)
    zoo.from_file(_bytes(torchvision.models.resnet18(num_classes=2).state_dict()),
                  arch="resnet18", input_size=SIZE)
    assert r18.name not in zoo.ENTRIES and own.own_entries() and len(own.own_entries()) == 1
    assert dd.preset(r18)["layers"] == "blocks[4]"          # forgotten: the zoo no longer knows it
    own.ensure_registered(r18)                               # what the app does when it is picked again
    assert [i.name for i in Fe.layer_choices(r18)] == RESNET_LAYERS and dd.preset(r18)["layers"] == "layer3[1]"


def test_labels_files_and_the_hosted_switch(monkeypatch):
    assert own.read_labels(b"cat\n\ndog\n") == ["cat", "dog"]
    assert own.read_labels(b'{"0": ["n01440764", "tench"], "1": ["n0", "goldfish"]}') == ["tench", "goldfish"]
    assert own.read_labels(b'{"labels": ["a", "b"]}', 2) == ["a", "b"]
    with pytest.raises(ValueError, match="not valid JSON"):
        own.read_labels(b'{"a": ', filename="x.json")
    with pytest.raises(ValueError, match="not UTF-8"):
        own.read_labels(b"\xff\xfe\x00bad")
    monkeypatch.delenv("CNNLAB_HOSTED", raising=False)
    assert zoo.uploads_allowed()
    monkeypatch.setenv("CNNLAB_HOSTED", "1")
    assert not zoo.uploads_allowed()


def test_cli_classifies_with_your_model(tmp_path, r18_bytes, picture, capsys):
    from PIL import Image

    (tmp_path / "m.pt").write_bytes(r18_bytes)
    Image.fromarray(picture).save(tmp_path / "p.png")
    assert cli(["classify", str(tmp_path / "p.png"), "--model", str(tmp_path / "m.pt"), "--arch", "resnet18",
                "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "your own model: weights file m.pt for resnet18" in out and len(out.strip().splitlines()) == 3
    assert cli(["classify", str(tmp_path / "p.png"), "--model", str(tmp_path / "m.pt")]) == 2
    assert "say which architecture" in capsys.readouterr().err
