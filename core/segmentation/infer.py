"""Using a trained segmentation model: the bundled U-Net, masks, and the live-mode frame function.

- :func:`load_bundled_unet` reads ``assets/unet_shapes.pt`` (written by
  ``scripts/make_unet_assets.py``) and returns a :class:`core.zoo.LoadedModel` — eval mode,
  frozen, with its provenance, preprocessing and labels — like every model in the zoo.
- :func:`predict_mask` runs a U-Net on an RGB picture, optionally at a smaller working size
  (the bundled net was trained on 64–96 px scenes, where shapes are 5–30 px across), and
  returns the class of every pixel at the picture's own size.
- :func:`segment_frame` is the frame function of the live mode: RGB uint8 in, the overlay out
  plus the area of every class — the same function serves still images, camera snapshots and
  webcam frames.
- :func:`skip_study` predicts a scene with every skip connection and without each one in turn.
- :func:`yolo_semantic_mask` turns an ultralytics instance-segmentation result (YOLO11n-seg,
  when the zoo can load it) into a per-pixel class map so it can be drawn the same way.
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
    provenance = ("bundled: U-Net trained by this project on generated shapes "
                  f"(scripts/make_unet_assets.py, {meta.get('steps', '?')} steps, seed {meta.get('seed', '?')}"
                  + (f"; mIoU {miou:.3f} on held-out generated scenes" if miou is not None else "")
                  + ") — it knows circles, squares and triangles, not photos")

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


def segment_frame(frame: np.ndarray, model, alpha: float = 0.5, *, work_side: int | None = None,
                  labels: list[str] | None = None, outline: bool = True) -> FrameResult:
    """The frame function: RGB uint8 frame → overlay (class colours at opacity ``alpha``) and the
    fraction of the frame each class covers.  Pure: the model is only read."""
    t0 = time.perf_counter()
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"A frame is an RGB uint8 array (H, W, 3); got {frame.dtype} {frame.shape}.")
    mask = predict_mask(model, frame, work_side)
    names = labels or getattr(model, "labels", None) or list(data.CLASSES)
    areas = dict(zip(names, metrics.class_areas(mask, len(names)).tolist()))
    out = data.overlay(frame, mask, alpha, outline=outline)
    return FrameResult(out, mask, areas, time.perf_counter() - t0)


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


# --------------------------------------------------------------------------- ultralytics

def yolo_semantic_mask(result, shape: tuple[int, int], min_conf: float = 0.25) -> np.ndarray:
    """An ultralytics ``Results`` (instance masks) → per-pixel COCO class index + 1 (0 = nothing).

    Lower-confidence instances are painted first so higher-confidence ones end up on top.
    """
    h, w = shape
    out = np.zeros((h, w), np.int64)
    if result.masks is None or result.boxes is None or len(result.boxes) == 0:
        return out
    masks = result.masks.data.cpu().numpy()
    cls = result.boxes.cls.cpu().numpy().astype(int)
    conf = result.boxes.conf.cpu().numpy()
    for i in np.argsort(conf):
        if conf[i] < min_conf:
            continue
        m = cv2.resize(masks[i].astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) > 0.5
        out[m] = cls[i] + 1
    return out


def coco_palette(n: int = 81) -> np.ndarray:
    rng = np.random.default_rng(7)
    pal = rng.integers(40, 256, (n, 3)).astype(np.uint8)
    pal[0] = 0
    return pal


def yolo_segment_frame(frame: np.ndarray, lm, alpha: float = 0.5, conf: float = 0.25) -> FrameResult:
    """:func:`segment_frame` for an ultralytics segmentation model from the zoo."""
    t0 = time.perf_counter()
    with lm.lock:
        res = lm.model.predict(frame[..., ::-1].copy(), conf=conf, verbose=False)[0]
    mask = yolo_semantic_mask(res, frame.shape[:2], conf)
    names = ["background"] + list(lm.labels)
    areas = {names[k]: v for k, v in enumerate(metrics.class_areas(mask, len(names)).tolist()) if v > 0}
    pal = coco_palette(len(names))
    fg = mask > 0
    out = frame.astype(np.float32)
    out[fg] = out[fg] * (1 - alpha) + pal[mask[fg]] * alpha
    return FrameResult(out.clip(0, 255).astype(np.uint8), mask, areas, time.perf_counter() - t0)
