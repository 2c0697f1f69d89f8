"""Segmentation models that know photos: torchvision's VOC segmenters (LR-ASPP, DeepLabV3 on
MobileNetV3) and ultralytics' YOLO11n-seg, turned into the same thing the U-Net gives — a class
index per pixel at the picture's own size — so :func:`core.segmentation.infer.segment_frame`
draws all of them alike.

- :func:`torchvision_logits` — the model's own preprocessing (shorter side 520 px, ImageNet
  mean/std, from the weights enum via ``LoadedModel.transforms``), ``model(x)["out"]``, scores
  bilinearly enlarged back to the picture;
- :func:`yolo_semantic_mask` — instance masks painted into one class map (COCO class + 1),
  higher confidence on top;
- :func:`coco_palette` — one colour per COCO class for the YOLO masks.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch


def _scaled(image: np.ndarray, shorter: int | None, longer: int | None) -> np.ndarray:
    h, w = image.shape[:2]
    s = shorter / min(h, w) if shorter else longer / max(h, w) if longer else 1.0
    if abs(s - 1.0) < 1e-6:
        return image
    return cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))),
                      interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)


def torchvision_logits(lm, image: np.ndarray, work_side: int | None = None) -> torch.Tensor:
    """Class scores (21, H, W) of a torchvision segmentation model at the picture's own size.

    The picture is scaled as the weights' transforms say (shorter side ``transforms.resize``,
    520 px) or, when ``work_side`` is given, to that longer side (faster for live video)."""
    tf = lm.transforms
    if tf is None or tf.mean is None:
        raise ValueError(f"{lm.title} carries no preprocessing (mean/std); load it through core.zoo.")
    h, w = image.shape[:2]
    small = _scaled(image, None if work_side else tf.resize, work_side)
    device = next(lm.model.parameters()).device
    x = torch.from_numpy(np.ascontiguousarray(small)).to(device).permute(2, 0, 1)[None].float() / 255
    mean = torch.tensor(tf.mean, device=device).view(1, 3, 1, 1)
    std = torch.tensor(tf.std, device=device).view(1, 3, 1, 1)
    with torch.inference_mode():
        logits = lm.model((x - mean) / std)["out"]
        if logits.shape[-2:] != (h, w):
            logits = torch.nn.functional.interpolate(logits, size=(h, w), mode="bilinear",
                                                     align_corners=False)
    return logits[0]


def yolo_semantic_mask(result, shape: tuple[int, int], min_conf: float = 0.25) -> np.ndarray:
    """An ultralytics ``Results`` (instance masks) → per-pixel COCO class index + 1 (0 = nothing).

    The masks are expected at the picture's own size (``predict(..., retina_masks=True)``); any
    other size is resized. Lower-confidence instances are painted first so higher-confidence ones
    end up on top."""
    h, w = shape
    out = np.zeros((h, w), np.int64)
    if result.masks is None or result.boxes is None or len(result.boxes) == 0:
        return out
    masks = result.masks.data.cpu().numpy()
    cls = result.boxes.cls.cpu().numpy().astype(int)
    conf = result.boxes.conf.cpu().numpy()
    for i in np.argsort(conf, kind="stable"):
        if conf[i] < min_conf:
            continue
        m = masks[i].astype(np.float32)
        if m.shape != (h, w):
            m = cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR)
        out[m > 0.5] = cls[i] + 1
    return out


def yolo_mask(lm, image: np.ndarray, conf: float = 0.25) -> tuple[np.ndarray, int]:
    """YOLO11n-seg on an RGB picture → (class map, COCO class + 1 per pixel; number of instances)."""
    res = lm.model.predict(image[..., ::-1].copy(), conf=conf, retina_masks=True, verbose=False)[0]
    n = 0 if res.boxes is None else int((res.boxes.conf >= conf).sum())
    return yolo_semantic_mask(res, image.shape[:2], conf), n


def coco_palette(n: int = 81) -> np.ndarray:
    """``n`` fixed, well-lit colours (index 0, nothing, black)."""
    rng = np.random.default_rng(7)
    pal = rng.integers(40, 256, (n, 3)).astype(np.uint8)
    pal[0] = 0
    return pal
