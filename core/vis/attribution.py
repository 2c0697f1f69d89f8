"""Saliency and attribution: which pixels made the network say what it said.

Every method has one call shape (as in Captum)::

    heat = attribute(method, model, image, target=None, **options)   # H×W float in [0, 1]

so a page draws a grid of methods from one loop over :data:`METHODS`. ``image`` is RGB uint8
(the crop the network should see, e.g. :func:`core.vis.features.prepare`), ``target`` a class
index (default: the model's top class for the image). The map has the image's size; 1 means
"most important" for the target class, 0 "not at all".

Methods (the notes' order):

* ``occlusion`` — grey square of ``window`` px slid with ``stride`` px; the map is the drop in
  the target's softmax probability when that square is hidden (Zeiler & Fergus).
* ``gradient`` — |∂ score / ∂ pixel|, max over colour channels (Simonyan et al.).
* ``guided_backprop`` — the gradient with only positive signals let back through every ReLU,
  computed on the method's **own deep copy** of the network (the cached model is untouched).
* ``gradcam`` — ReLU(Σ_k α_k A^k), α_k the spatial mean of ∂ score / ∂ A^k at the last
  convolutional stage (``conv_head`` for EfficientNet-Lite0, ``block5_conv3`` for VGG-16).
* ``smoothgrad`` — the gradient map averaged over noisy copies of the image.
* ``integrated_gradients`` — (x − x₀) · mean gradient along the straight path from a black
  image x₀ to x.

Scores are logits (pre-softmax) except for occlusion, which measures probability. Models are
read through :func:`core.vis.ascent.activations` (per-call hooks under the model's lock) and
gradients are taken with respect to the input only.
"""
from __future__ import annotations

import copy
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from . import ascent as A
from .features import overlay_map, prepare

METHODS: dict[str, str] = {
    "occlusion": "Occlusion",
    "gradient": "Vanilla gradient",
    "guided_backprop": "Guided backprop",
    "gradcam": "Grad-CAM",
    "smoothgrad": "SmoothGrad",
    "integrated_gradients": "Integrated gradients",
}

# The last convolutional stage of each catalogued network: where Grad-CAM looks.
CAM_LAYER = {"efficientnet_lite0": "conv_head", "vgg16": "block5_conv3"}


def cam_layer(model: Any) -> str:
    net = A.as_net(model)
    if net.name in CAM_LAYER:
        return CAM_LAYER[net.name]
    cat = A.layer_catalogue(net)
    if cat:
        return cat[-1].name
    convs = [n for n, m in net.module.named_modules() if isinstance(m, torch.nn.Conv2d)]
    if not convs:
        raise ValueError(f"{net.name} has no convolution for Grad-CAM.")
    return convs[-1]


# --------------------------------------------------------------------------- helpers

def _x(net: A.Net, image: np.ndarray | torch.Tensor) -> torch.Tensor:
    if isinstance(image, torch.Tensor):
        return image.detach().to(net.device).float()
    return A.to_tensor(image, net.device)


def logits(model: Any, image: np.ndarray | torch.Tensor) -> torch.Tensor:
    """The model's scores (1×classes) for an RGB uint8 image or 1×3×H×W tensor in [0, 1]."""
    net = A.as_net(model)
    with torch.no_grad():
        return A.activations(net, _x(net, image), [A.OUTPUT])[A.OUTPUT].float()


def probabilities(model: Any, image: np.ndarray | torch.Tensor) -> np.ndarray:
    return torch.softmax(logits(model, image), 1)[0].cpu().numpy()


def top_classes(model: Any, image: np.ndarray | torch.Tensor, k: int = 5) -> list[tuple[int, str, float]]:
    """(class, label, probability) of the k most likely classes, on exactly these pixels."""
    p = probabilities(model, image)
    labels = getattr(model, "labels", None) or []
    idx = np.argsort(-p)[:k]
    return [(int(i), labels[i] if i < len(labels) else str(int(i)), float(p[i])) for i in idx]


def _normalise(m: np.ndarray, percentile: float = 100.0) -> np.ndarray:
    """Negatives to 0, then scaled so the given percentile is 1 (pixel-level gradient maps use
    the 99th, so a few extreme pixels do not hide the rest), clipped to [0, 1]."""
    m = np.nan_to_num(np.asarray(m, np.float32))
    m = np.clip(m, 0, None)
    hi = float(np.percentile(m, percentile)) if percentile < 100 else float(m.max())
    if hi <= 0:
        hi = float(m.max())
    return np.clip(m / hi, 0, 1).astype(np.float32) if hi > 0 else np.zeros_like(m)


# pixel-level methods are scaled to their 99th percentile, region-level ones to their maximum
_PERCENTILE = {"gradient": 99.0, "guided_backprop": 99.0, "smoothgrad": 99.0,
               "integrated_gradients": 99.0}


def _input_grad(net: A.Net | torch.nn.Module, x: torch.Tensor, target: int,
                module: torch.nn.Module | None = None) -> torch.Tensor:
    """∂ logit[target] / ∂ x for a batch x (N×3×H×W in [0, 1])."""
    xi = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        if module is None:
            out = A.activations(net, xi, [A.OUTPUT])[A.OUTPUT]
        else:                                                  # a private copy: no lock needed
            out = module((xi - net.mean) / net.std)
        (g,) = torch.autograd.grad(out[:, target].sum(), xi)
    return g


# --------------------------------------------------------------------------- methods

def _gradient(net, x, target, **_):
    return _input_grad(net, x, target)[0].abs().amax(0).cpu().numpy()


def _smoothgrad(net, x, target, samples: int = 16, noise: float = 0.15, batch: int = 8,
                seed: int = 0, **_):
    gen = torch.Generator().manual_seed(seed)
    total = torch.zeros(x.shape[-2:])
    for i in range(0, samples, batch):
        n = min(batch, samples - i)
        xs = x.repeat(n, 1, 1, 1) + noise * torch.randn((n, *x.shape[1:]), generator=gen).to(x.device)
        g = _input_grad(net, xs, target)
        total += g.abs().amax(1).sum(0).cpu()
    return (total / samples).numpy()


def _integrated(net, x, target, steps: int = 24, batch: int = 8, **_):
    base = torch.zeros_like(x)
    alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps     # midpoint rule
    total = torch.zeros_like(x)
    for i in range(0, steps, batch):
        a = alphas[i:i + batch].view(-1, 1, 1, 1).to(x.device)
        g = _input_grad(net, base + a * (x - base), target)
        total += g.sum(0, keepdim=True)
    attr = (x - base) * total / steps
    return attr[0].sum(0).abs().cpu().numpy()


def _gradcam(net, x, target, layer: str | None = None, **_):
    layer = layer or cam_layer(net)
    xi = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        acts = A.activations(net, xi, [layer, A.OUTPUT])
        a, out = acts[layer], acts[A.OUTPUT]
        (g,) = torch.autograd.grad(out[:, target].sum(), a)
    w = g.mean((2, 3), keepdim=True)
    cam = F.relu((w * a.detach()).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)
    return cam[0, 0].cpu().numpy()


def _occlusion(net, x, target, window: int = 48, stride: int = 24, batch: int = 16,
               fill: str = "mean", **_):
    H, W = x.shape[-2:]
    with torch.no_grad():
        p0 = torch.softmax(A.activations(net, x, [A.OUTPUT])[A.OUTPUT], 1)[0, target]
    value = net.mean if fill == "mean" else torch.zeros_like(net.mean)
    ys = list(range(0, max(1, H - window) + 1, stride))
    xs = list(range(0, max(1, W - window) + 1, stride))
    if ys[-1] + window < H:
        ys.append(H - window)
    if xs[-1] + window < W:
        xs.append(W - window)
    boxes = [(y, xx) for y in ys for xx in xs]
    drop = torch.zeros(H, W)
    count = torch.zeros(H, W)
    with torch.no_grad():
        for i in range(0, len(boxes), batch):
            part = boxes[i:i + batch]
            xb = x.repeat(len(part), 1, 1, 1)
            for j, (y, xx) in enumerate(part):
                xb[j, :, y:y + window, xx:xx + window] = value[0]
            p = torch.softmax(A.activations(net, xb, [A.OUTPUT])[A.OUTPUT], 1)[:, target].cpu()
            for j, (y, xx) in enumerate(part):
                drop[y:y + window, xx:xx + window] += float(p0) - p[j]
                count[y:y + window, xx:xx + window] += 1
    return (drop / count.clamp(min=1)).numpy()


class _GuidedReLU(torch.autograd.Function):
    """ReLU / ReLU6 forward; backward passes only positive gradients where the input was in the
    active range (Springenberg et al.'s guided backpropagation)."""

    @staticmethod
    def forward(ctx, x, upper):
        ctx.save_for_backward(x)
        ctx.upper = upper
        return x.clamp(min=0) if upper is None else x.clamp(0, upper)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        active = x > 0
        if ctx.upper is not None:
            active = active & (x < ctx.upper)
        return g.clamp(min=0) * active, None


class GuidedReLU(torch.nn.Module):
    def __init__(self, upper: float | None = None):
        super().__init__()
        self.upper = upper

    def forward(self, x):
        return _GuidedReLU.apply(x, self.upper)


_COPIES: "weakref.WeakKeyDictionary[torch.nn.Module, tuple[torch.nn.Module, threading.Lock]]" = \
    weakref.WeakKeyDictionary()
_COPIES_GUARD = threading.Lock()


def guided_copy(model: Any) -> tuple[torch.nn.Module, threading.Lock]:
    """A private deep copy of the network with every ReLU/ReLU6 replaced by :class:`GuidedReLU`
    (made once per model and kept; the cached original is never modified)."""
    net = A.as_net(model)
    with _COPIES_GUARD:
        hit = _COPIES.get(net.module)
        if hit is not None:
            return hit
    with net.lock:
        twin = copy.deepcopy(net.module)
    twin.eval()
    for p in twin.parameters():
        p.requires_grad_(False)
    swaps = []
    for name, m in twin.named_modules():
        for child_name, child in m.named_children():
            if isinstance(child, torch.nn.ReLU6):
                swaps.append((m, child_name, GuidedReLU(6.0)))
            elif isinstance(child, torch.nn.ReLU):
                swaps.append((m, child_name, GuidedReLU(None)))
    for parent, child_name, new in swaps:
        setattr(parent, child_name, new)
    entry = (twin, threading.Lock())
    with _COPIES_GUARD:
        _COPIES[net.module] = entry
    return entry


def _guided_grad(net, x, target) -> torch.Tensor:
    twin, lock = guided_copy(net)
    with lock:
        return _input_grad(net, x, target, module=twin)


def _guided(net, x, target, **_):
    return _guided_grad(net, x, target)[0].abs().amax(0).cpu().numpy()


def guided_backprop_rgb(model: Any, image: np.ndarray, target: int | None = None) -> np.ndarray:
    """Guided backprop as the familiar colour picture: the signed gradient, centred on grey and
    scaled by its 99th percentile (RGB uint8)."""
    net = A.as_net(model)
    x = _x(net, image)
    target = _default_target(net, x, target)
    g = _guided_grad(net, x, target)[0].permute(1, 2, 0).cpu().numpy()
    s = np.percentile(np.abs(g), 99) + 1e-12
    return (np.clip(0.5 + 0.5 * g / s, 0, 1) * 255).round().astype(np.uint8)


_IMPL: dict[str, Callable[..., np.ndarray]] = {
    "occlusion": _occlusion, "gradient": _gradient, "guided_backprop": _guided,
    "gradcam": _gradcam, "smoothgrad": _smoothgrad, "integrated_gradients": _integrated,
}


def _default_target(net: A.Net, x: torch.Tensor, target: int | None) -> int:
    if target is None:
        with torch.no_grad():
            return int(A.activations(net, x, [A.OUTPUT])[A.OUTPUT][0].argmax())
    return int(target)


# --------------------------------------------------------------------------- the one call shape

@dataclass
class Attribution:
    method: str
    map: np.ndarray          # H×W float32 in [0, 1], 1 = most important for the target
    raw: np.ndarray          # H×W before clipping negatives and scaling (method's own units)
    target: int
    seconds: float


def explain(method: str, model: Any, image: np.ndarray | torch.Tensor, target: int | None = None,
            **options) -> Attribution:
    """Like :func:`attribute`, with the raw map, the target used and the time taken."""
    if method not in _IMPL:
        raise ValueError(f"Unknown attribution method {method!r}; choose one of: {', '.join(METHODS)}.")
    net = A.as_net(model)
    x = _x(net, image)
    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError("Attribution takes one image at a time.")
    n_classes = None
    t0 = time.perf_counter()
    target = _default_target(net, x, target)
    labels = getattr(model, "labels", None)
    n_classes = len(labels) if labels else None
    if target < 0 or (n_classes and target >= n_classes):
        raise ValueError(f"Class {target} is out of range (0 … {n_classes - 1 if n_classes else '?'}).")
    raw = np.asarray(_IMPL[method](net, x, target, **options), np.float32)
    return Attribution(method, _normalise(raw, _PERCENTILE.get(method, 100.0)), raw, target, time.perf_counter() - t0)


def attribute(method: str, model: Any, image: np.ndarray | torch.Tensor, target: int | None = None,
              **options) -> np.ndarray:
    """The one call shape: an H×W map in [0, 1] of how much each pixel mattered for ``target``."""
    return explain(method, model, image, target, **options).map


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Heat map (red = important) blended over the image."""
    return overlay_map(image, heat, alpha)


def mass_inside(heat: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Share of the map's total that falls inside box (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    total = float(heat.sum())
    return float(heat[y0:y1, x0:x1].sum()) / total if total > 0 else 0.0


# --------------------------------------------------------------------------- the notes' experiment

def occlude(model: Any, image: np.ndarray, box: tuple[int, int, int, int], target: int | None = None,
            fill: str = "mean") -> tuple[np.ndarray, float, float, int]:
    """Hide box (x0, y0, x1, y1) with a flat patch (the dataset mean colour, or black): returns
    (occluded image, p(target) before, p(target) after, target) — the notes' "cover the bird's
    beak and head" experiment."""
    net = A.as_net(model)
    x = _x(net, image)
    target = _default_target(net, x, target)
    x0, y0, x1, y1 = box
    xo = x.clone()
    value = net.mean[0] if fill == "mean" else torch.zeros_like(net.mean[0])
    xo[:, :, y0:y1, x0:x1] = value
    with torch.no_grad():
        both = torch.softmax(A.activations(net, torch.cat([x, xo]), [A.OUTPUT])[A.OUTPUT], 1)[:, target]
    return A.to_image(xo), float(both[0]), float(both[1]), target


# --------------------------------------------------------------------------- live

def gradcam_frame(frame: np.ndarray, model: Any, target: int | None = None, size: int = 224,
                  alpha: float = 0.45) -> tuple[np.ndarray, dict]:
    """Frame function: Grad-CAM of the top class (or ``target``) over the whole frame, with the
    class written in a corner. The frame is scaled so its shorter side is ``size`` for the net."""
    import cv2

    from core.frames import draw_panel

    net = A.as_net(model)
    h, w = frame.shape[:2]
    s = size / min(h, w)
    small = cv2.resize(frame, (max(32, round(w * s)), max(32, round(h * s))), interpolation=cv2.INTER_AREA)
    res = explain("gradcam", net, small, target)
    labels = getattr(model, "labels", None) or []
    p = float(probabilities(net, small)[res.target])
    name = labels[res.target] if res.target < len(labels) else str(res.target)
    out = overlay(frame, res.map, alpha)
    return draw_panel(out, [f"Grad-CAM: {name} ({p * 100:.0f}%)"], corner="bl"), \
        {"target": res.target, "label": name, "probability": p}


__all__ = ["METHODS", "CAM_LAYER", "Attribution", "attribute", "explain", "overlay", "occlude",
           "gradcam_frame", "guided_copy", "guided_backprop_rgb", "top_classes", "probabilities",
           "logits", "mass_inside", "cam_layer", "prepare"]
