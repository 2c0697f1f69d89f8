"""The records of the zoo: what an entry knows before anything is loaded (:class:`EntryMeta`:
labels, :class:`Transforms`, :class:`LayerGroups`, CAM layer, metrics — torchvision's
``Weights.meta`` / ``Weights.transforms()`` idea) and what :func:`core.zoo.load` returns
(:class:`LoadedModel`). Nothing here imports torch."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from core.i18n import _


class ModelUnavailable(RuntimeError):
    """Neither the pretrained weights nor a bundled fallback can be loaded."""


# --------------------------------------------------------------------------- metadata records

@dataclass(frozen=True)
class Transforms:
    """The preprocessing a model expects, as data (torchvision's ``weights.transforms()``)."""
    resize: int | None = None                      # shorter side scaled to this many px ...
    crop: int | None = None                        # ... then a centre crop of crop × crop
    mean: tuple[float, ...] | None = None          # per-channel normalisation of [0, 1] pixels
    std: tuple[float, ...] | None = None
    imgsz: int | None = None                       # detectors: the square side they predict at

    def prepare(self, image: Any) -> np.ndarray:
        """The picture as the model sees it (RGB uint8): resized and cropped as these transforms
        say, before normalisation. Every method of the lab that asks the model about a picture
        starts from this, so one picture gives one prediction everywhere."""
        from ..images import load_image, resize_and_crop

        a = load_image(np.asarray(image), max_side=None) if not isinstance(image, np.ndarray) \
            or image.dtype != np.uint8 or image.ndim != 3 else image
        if self.resize is None:
            return a
        return resize_and_crop(a, self.resize, self.crop)

    def describe(self) -> str:
        """In words, for captions: where the numbers were computed."""
        if self.resize is None:
            return _("the picture as given")
        if self.crop is None:
            return _("the picture with its shorter side scaled to {resize} px", resize=self.resize)
        return _("a {crop}×{crop} centre crop of the picture scaled to {resize} px on its shorter "
                 "side (the model's own preprocessing)", crop=self.crop, resize=self.resize)

    def as_dict(self) -> dict[str, Any]:
        """The fields that are set (the keys ``LoadedModel.meta`` has always carried)."""
        return {k: v for k, v in (("resize", self.resize), ("crop", self.crop), ("mean", self.mean),
                                  ("std", self.std), ("imgsz", self.imgsz)) if v is not None}


IMAGENET = Transforms(resize=256, crop=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))


@dataclass(frozen=True)
class LayerInfo:
    name: str      # as shown to people: "blocks[4]", "block5_conv3"
    module: str    # the module path in the network: "blocks.4", "features.29"
    stride: int    # pixels of input per position of the feature map
    hint: str      # what amplifying this layer tends to paint


@dataclass(frozen=True)
class LayerGroups:
    """The layers worth looking at in one network, shallow to deep, and two picks among them."""
    layers: tuple[LayerInfo, ...]
    high: str      # the layer the classic DeepDream preset dreams on
    low: str       # a low layer, for comparisons

    def __post_init__(self) -> None:
        names = [i.name for i in self.layers]
        missing = [n for n in (self.high, self.low) if n not in names]
        if missing:
            raise ValueError(f"Layer group picks {missing} are not among {names}.")

    def __iter__(self) -> Iterator[LayerInfo]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def names(self) -> list[str]:
        return [i.name for i in self.layers]


class Labels(Sequence[str]):
    """Class names, read on first use from ``source`` (a list, or a function returning one —
    e.g. a torchvision weights enum's ``meta["categories"]``, which needs no download)."""

    def __init__(self, source: Sequence[str] | Callable[[], Sequence[str]] = ()):
        self._source = source

    @cached_property
    def _items(self) -> tuple[str, ...]:
        src = self._source
        return tuple(src() if callable(src) else src)

    def __getitem__(self, i):  # type: ignore[override]
        return self._items[i]

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Labels, list, tuple)):
            return list(self._items) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Labels({len(self)} classes)" if "_items" in self.__dict__ else "Labels(not read yet)"


class EntryMeta:
    """What a zoo entry knows before any weights are loaded or any model is built.

    ``labels`` and ``transforms`` may be given as values or as functions (called once, on first
    use); ``layers`` (:class:`LayerGroups`) and ``cam_layer`` (the module Grad-CAM reads, a
    ``layers`` name or a module path) are plain data.
    """

    def __init__(self, *, labels: Sequence[str] | Callable[[], Sequence[str]] = (),
                 transforms: Transforms | Callable[[], Transforms | None] | None = None,
                 layers: LayerGroups | None = None, cam_layer: str | None = None,
                 metrics: Mapping[str, float] | Callable[[], Mapping[str, float]] | None = None):
        self.labels: Labels = labels if isinstance(labels, Labels) else Labels(labels)
        self._transforms = transforms
        self._metrics = metrics
        self.layers = layers
        self.cam_layer = cam_layer

    @cached_property
    def transforms(self) -> Transforms | None:
        t = self._transforms
        return t() if callable(t) else t

    @cached_property
    def metrics(self) -> dict[str, float]:
        m = self._metrics
        return dict((m() if callable(m) else m) or {})

    def __repr__(self) -> str:
        return (f"EntryMeta(labels={self.labels!r}, layers={len(self.layers) if self.layers else 0}, "
                f"cam_layer={self.cam_layer!r})")


# --------------------------------------------------------------------------- the result

@dataclass
class LoadedModel:
    name: str                      # the entry actually loaded
    requested: str                 # what the caller asked for (differs when a fallback stood in)
    title: str
    task: str                      # "classification" | "detection" | "segmentation" | ...
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
    transforms: Transforms | None = None   # what ``preprocess`` does, as data (None: not a classifier)

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

    def prepare(self, image: Any) -> np.ndarray:
        """The picture as this model sees it (RGB uint8, e.g. 224×224): see :meth:`Transforms.prepare`."""
        return (self.transforms or Transforms()).prepare(image)

    @property
    def input_note(self) -> str:
        """Where this model's numbers were computed, for captions."""
        return (self.transforms or Transforms()).describe()

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
