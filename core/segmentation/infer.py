"""Using a trained segmentation model: the bundled U-Net, masks, and the live-mode frame function.

- :func:`load_bundled_unet` reads ``assets/unet_shapes.pt`` (written by
  ``scripts/make_unet_assets.py``) and returns a :class:`core.zoo.LoadedModel` — eval mode,
  frozen, with its provenance, preprocessing and labels — like every model in the zoo.
- :func:`predict_mask` runs a U-Net on an RGB picture, optionally at a smaller working size
  (the bundled net was trained on 64–96 px scenes, where shapes are 5–30 px across), and
  returns the class of every pixel at the picture's own size.
- :func:`segment_frame` is the frame function of the live mode: RGB uint8 in, the overlay out
  plus the area of every class — the same function serves still images, camera snapshots and
  webcam frames, for the U-Net and for the photo models.
- :func:`skip_study` predicts a scene with every skip connection and without each one in turn.
- :func:`choose_work_side` picks the working size from the picture: the one at which the
  U-Net's regions are about as large as the shapes it learned.
- The photo models (torchvision's VOC segmenters, YOLO11n-seg) are in :mod:`.photo`;
  :func:`segment_frame` draws every kind alike.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from core.i18n import _

from . import data, metrics
from .unet import UNet

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_PATH = ROOT / "assets" / "unet_shapes.pt"
BUNDLED_CARD = ROOT / "assets" / "unet_shapes.md"

_lock = threading.Lock()


def save_unet(model: UNet, path: Path, meta: dict[str, Any], half: bool = True) -> None:
    """Write a U-Net checkpoint: its configuration, weights (float16 by default) and metadata."""
    state = {k: (v.half() if half and v.is_floating_point() else v).clone().contiguous()
             for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"format": "cnnlab-unet/1", "config": model.config(), "state_dict": state,
                "classes": list(data.CLASSES), "meta_json": json.dumps(meta)}, path)


def read_unet(path: Path | str, device: str = "cpu") -> tuple[UNet, dict[str, Any]]:
    """A U-Net checkpoint written by :func:`save_unet` → (model in eval mode, metadata)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; run `make assets` to train the bundled U-Net.")
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    if ckpt.get("format") != "cnnlab-unet/1":
        raise ValueError(f"{path.name} is not a CNN Lab U-Net checkpoint.")
    model = UNet(**ckpt["config"])
    model.load_state_dict({k: v.float() if v.is_floating_point() else v
                           for k, v in ckpt["state_dict"].items()})
    meta = json.loads(ckpt.get("meta_json", "{}"))
    meta["classes"] = ckpt.get("classes", list(data.CLASSES))
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(device), meta


def load_bundled_unet(device: str = "cpu", path: Path | str | None = None):
    """The U-Net this project trained itself on generated shapes, as a zoo ``LoadedModel``."""
    from .. import zoo

    t0 = time.perf_counter()
    path = Path(path) if path is not None else BUNDLED_PATH
    try:
        model, meta = read_unet(path, device)
    except (FileNotFoundError, ValueError, RuntimeError) as e:
        raise zoo.ModelUnavailable(str(e)) from e
    miou = meta.get("heldout_miou")
    facts = dict(file=path.name, steps=meta.get('steps', '?'), seed=meta.get('seed', '?'))
    provenance = (_("U-Net trained by this project on generated shapes, bundled (assets/{file}, "
                    "scripts/make_unet_assets.py, {steps} steps, seed {seed}; mIoU {miou:.3f} on "
                    "held-out generated scenes) — it knows circles, squares and triangles, not "
                    "photos", miou=miou, **facts) if miou is not None else
                  _("U-Net trained by this project on generated shapes, bundled (assets/{file}, "
                    "scripts/make_unet_assets.py, {steps} steps, seed {seed}) — it knows circles, "
                    "squares and triangles, not photos", **facts))

    def preprocess(image: Any) -> torch.Tensor:
        """RGB array (or PIL image) → normalised (1, 3, H, W) tensor on the model's device."""
        from ..images import load_image

        return data.to_tensor(load_image(np.asarray(image), max_side=None), device)

    return zoo.LoadedModel(
        name="unet-shapes", requested="unet-shapes", title="U-Net (shapes)", task="segmentation",
        model=model, provenance=provenance, preprocess=preprocess, labels=list(meta["classes"]),
        device=device, pretrained=True, fallback=False, meta=meta,
        load_seconds=time.perf_counter() - t0)


def _model_of(model) -> UNet:
    return getattr(model, "model", model)          # a LoadedModel or a bare UNet


def _device_of(net: torch.nn.Module) -> torch.device:
    try:
        return next(net.parameters()).device
    except StopIteration:
        return torch.device("cpu")


def predict_logits(model, image: np.ndarray, work_side: int | None = None) -> torch.Tensor:
    """Class scores (num_classes, H, W) at the picture's own size."""
    net = _model_of(model)
    h, w = image.shape[:2]
    small = image
    if work_side is not None and max(h, w) != work_side:
        s = work_side / max(h, w)
        small = cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))),
                           interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    with torch.inference_mode():
        logits = net(data.to_tensor(small, str(_device_of(net))))
        if logits.shape[-2:] != (h, w):
            logits = torch.nn.functional.interpolate(logits, size=(h, w), mode="bilinear",
                                                     align_corners=False)
    return logits[0]


def predict_mask(model, image: np.ndarray, work_side: int | None = None) -> np.ndarray:
    """Class index (int64) of every pixel of an RGB uint8 picture, at its own size."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"Expected an RGB picture (H, W, 3); got shape {image.shape}.")
    return predict_logits(model, image, work_side).argmax(0).cpu().numpy().astype(np.int64)


@dataclass
class FrameResult:
    image: np.ndarray               # RGB uint8 overlay
    mask: np.ndarray                # class per pixel
    areas: dict[str, float]         # fraction of the frame per class
    seconds: float
    palette: np.ndarray | None = None   # the colour of each class index in ``image``
    labels: list[str] | None = None     # the name of each class index in ``mask``
    instances: int | None = None        # YOLO: instances painted (None for semantic models)


def model_kind(model) -> str:
    """"unet" (the lab's U-Nets), "torchvision" (VOC segmenters) or "yolo" (ultralytics)."""
    net = _model_of(model)
    if isinstance(net, UNet):
        return "unet"
    if type(net).__module__.startswith("ultralytics"):
        return "yolo"
    return "torchvision"


def class_names(model) -> list[str]:
    """The name of every class index the model's masks hold (YOLO: "background" + COCO names)."""
    kind = model_kind(model)
    labels = list(getattr(model, "labels", None) or data.CLASSES)
    return ["background"] + labels if kind == "yolo" else \
        ["background" if n == "__background__" else n for n in labels]


def palette(model) -> np.ndarray:
    """The colours a model's classes are drawn in: the shapes' palette, the VOC colour map, or
    one fixed colour per COCO class."""
    from .photo import coco_palette

    kind, n = model_kind(model), len(class_names(model))
    if kind == "unet":
        return data.PALETTE if n <= len(data.PALETTE) else coco_palette(n)
    return data.voc_palette(n) if kind == "torchvision" else coco_palette(n)


def segment_frame(frame: np.ndarray, model, alpha: float = 0.5, *, work_side: int | None = None,
                  labels: list[str] | None = None, outline: bool = True, conf: float = 0.25
                  ) -> FrameResult:
    """The frame function: RGB uint8 frame → overlay (class colours at opacity ``alpha``) and the
    fraction of the frame each class covers, for every kind of segmentation model the zoo loads
    (the U-Net at ``work_side``; torchvision's VOC models; YOLO11n-seg at confidence ``conf``).
    Pure: the model is only read. Hold ``model.lock`` when it is shared."""
    t0 = time.perf_counter()
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"A frame is an RGB uint8 array (H, W, 3); got {frame.dtype} {frame.shape}.")
    kind, instances = model_kind(model), None
    if kind == "unet":
        mask = predict_mask(model, frame, work_side)
    elif kind == "torchvision":
        from .photo import torchvision_logits

        mask = torchvision_logits(model, frame, work_side).argmax(0).cpu().numpy().astype(np.int64)
    else:
        from .photo import yolo_mask

        mask, instances = yolo_mask(model, frame, conf)
    names = labels or class_names(model)
    pal = palette(model)
    fractions = metrics.class_areas(mask, len(names)).tolist()
    # a few classes: all of them, in order; many (VOC, COCO): the ones present, largest first
    areas = dict(zip(names, fractions)) if len(names) <= 8 else \
        {names[k]: fractions[k] for k in sorted(range(len(names)), key=lambda k: -fractions[k])
         if fractions[k] > 0}
    out = data.overlay(frame, mask, alpha, outline=outline, palette=pal)
    return FrameResult(out, mask, areas, time.perf_counter() - t0, pal, names, instances)


def skip_importance(model, n: int = 16, size: int = 64, seed: int = 300_000) -> dict[int | None, float]:
    """Mean IoU over ``n`` generated scenes (one confusion matrix) with every skip (key None) and
    with each level's skip replaced by zeros (keys 1 … depth): how much the net relies on each
    level's detail on average, not on one scene. The model is only read."""
    from ..devices import torch_threads

    net = _model_of(model)
    k = net.num_classes
    cms: dict[int | None, np.ndarray] = {}
    rng = np.random.default_rng(seed)
    imgs, truths = data.batch(rng, n, size)
    x = data.to_tensor(imgs, str(_device_of(net)))
    with torch.inference_mode(), torch_threads(1):      # small tensors: one thread is fastest
        for drop in [None, *range(1, net.depth + 1)]:
            pred = net.forward_features(x, drop_skips=() if drop is None else (drop,))["output"].argmax(1)
            cms[drop] = metrics.confusion_matrix(truths, pred.cpu().numpy(), k)
    return {d: metrics.mean_iou(cm) for d, cm in cms.items()}


# --------------------------------------------------------------------------- the working size

#: what the bundled U-Net saw: shapes 0.32–0.64 of a 64 px scene across, i.e. about 20–41 px
TRAINED_DIAMETER = (20.0, 41.0)


@dataclass
class WorkSide:
    side: int                      # the longer side to segment at
    diameter: float | None         # median size (px across) of the regions found at that side
    tried: dict[int, float | None]  # every side tried → the median size found there
    why: str                       # in words, for a caption


def region_diameters(mask: np.ndarray, min_area: int = 12) -> np.ndarray:
    """Equivalent diameters 2·√(area/π) of the connected foreground regions of each class."""
    out = []
    for k in np.unique(mask):
        if k == 0:
            continue
        n, _labels, stats, _centroids = cv2.connectedComponentsWithStats((mask == k).astype(np.uint8), connectivity=8)
        areas = stats[1:, cv2.CC_STAT_AREA]
        out += [2 * np.sqrt(a / np.pi) for a in areas if a >= min_area]
    return np.array(out, np.float64)


def choose_work_side(model, image: np.ndarray, candidates: tuple[int, ...] | None = None,
                     target: tuple[float, float] = TRAINED_DIAMETER) -> WorkSide:
    """The working size at which the U-Net's regions are nearest the size it was trained on.

    The picture is segmented at every candidate longer side (48 px … its own size); at each, the
    median diameter of the regions found is compared with the trained range (20–41 px): the side
    whose median lies closest to the middle of that range (on a log scale) wins. A picture with
    shapes 40 px across at 256 px is thus segmented at about 128 px, where they are 20 px."""
    h, w = image.shape[:2]
    longest = max(h, w)
    sides = candidates or tuple(s for s in (48, 64, 96, 128, 192, 256, 384, 512) if s <= max(64, longest))
    mid = float(np.sqrt(target[0] * target[1]))
    tried: dict[int, float | None] = {}
    best, best_cost = None, np.inf
    for s in sides:
        scale = s / longest
        small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                           interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        d = region_diameters(predict_mask(model, small))
        tried[s] = float(np.median(d)) if d.size else None
        if d.size:
            cost = abs(np.log(tried[s] / mid))
            if cost < best_cost:
                best, best_cost = s, cost
    if best is None:
        side = min(sides, key=lambda s: abs(s - 128))
        return WorkSide(side, None, tried, _("no regions found at any size; {side} px used", side=side))
    d = tried[best]
    return WorkSide(best, d, tried, _("at {side} px its regions are about {d:.0f} px across "
                                      "(it learned shapes {lo:.0f}–{hi:.0f} px across)",
                                      side=best, d=d, lo=target[0], hi=target[1]))


@dataclass
class SkipLevel:
    """One level of the U-Net in :func:`skip_study`."""
    level: int                      # 1 = full resolution … depth
    enc: np.ndarray                 # (C, H, W) the encoder map copied across (the skip)
    up: np.ndarray                  # (C, H, W) what comes up from below (transposed conv)
    ablated: np.ndarray             # class per pixel with this skip replaced by zeros
    ablated_miou: float


@dataclass
class SkipStudy:
    """What each skip connection carries: the prediction, and the prediction without each skip."""
    pred: np.ndarray                # class per pixel, all skips in place
    miou: float
    levels: list[SkipLevel]


def skip_study(model, image: np.ndarray, truth: np.ndarray) -> SkipStudy:
    """Run a U-Net on ``image`` once with every skip and once per level with that skip replaced
    by zeros (``UNet.forward_features(x, drop_skips=(level,))``); mIoU against ``truth`` for each.
    The model is only read; hold its lock around the call when it is shared."""
    net = _model_of(model)
    k = net.num_classes
    x = data.to_tensor(image, str(_device_of(net)))
    with torch.inference_mode():
        feats = net.forward_features(x)
        pred = feats["output"].argmax(1)[0].cpu().numpy()
        levels = []
        for lvl in range(1, net.depth + 1):
            ablated = net.forward_features(x, drop_skips=(lvl,))["output"].argmax(1)[0].cpu().numpy()
            levels.append(SkipLevel(lvl, feats[f"enc{lvl}"][0].float().cpu().numpy(),
                                    feats[f"up{lvl}"][0].float().cpu().numpy(), ablated,
                                    metrics.scores(truth, ablated, k)["mean_iou"]))
    return SkipStudy(pred, metrics.scores(truth, pred, k)["mean_iou"], levels)
