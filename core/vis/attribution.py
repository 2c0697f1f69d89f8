"""Saliency and attribution: which pixels made the network say what it said.

Every method has one call shape (as in Captum)::

    heat = attribute(method, model, image, target=None, **options)   # H×W float in [0, 1]

so a page draws a grid of methods from one loop over :data:`METHODS` (name → title; each method's
record — title, function, options, display scaling — is in :data:`REGISTRY`). An option a
method does not take is a ``ValueError`` naming it. ``image`` is RGB uint8
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
import inspect
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from core import zoo

from . import ascent as A
from .features import overlay_map, prepare
from core.i18n import N_, _

# The last convolutional stage of each catalogued network, where Grad-CAM looks: a view of the
# zoo entries' ``meta.cam_layer``, kept for callers that read it directly.
CAM_LAYER = {e.name: e.meta.cam_layer for e in zoo.entries() if e.meta.cam_layer}


def cam_layer(model: Any) -> str:
    """Where Grad-CAM looks: the zoo entry's CAM layer, else the last catalogued layer, else the
    last convolution."""
    net = A.as_net(model)
    meta = A.entry_meta(net.name)
    if meta is not None and meta.cam_layer:
        return meta.cam_layer
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


def ranked(model: Any, scores: torch.Tensor, k: int = 5) -> list[tuple[int, str, float]]:
    """(class, label, probability) of the k highest of the scores (1×classes), most likely first."""
    p = torch.softmax(scores.float(), 1)[0]
    v, i = p.topk(min(k, p.numel()))
    labels = getattr(model, "labels", None) or []
    return [(int(c), labels[c] if c < len(labels) else str(int(c)), float(q))
            for q, c in zip(v.tolist(), i.tolist())]


def top_classes(model: Any, image: np.ndarray | torch.Tensor, k: int = 5) -> list[tuple[int, str, float]]:
    """(class, label, probability) of the k most likely classes, on exactly these pixels."""
    return ranked(model, logits(model, image), k)


def _normalise(m: np.ndarray, percentile: float = 100.0) -> np.ndarray:
    """Negatives to 0, then scaled so the given percentile is 1 (pixel-level gradient maps use
    the 99th, so a few extreme pixels do not hide the rest), clipped to [0, 1]."""
    m = np.nan_to_num(np.asarray(m, np.float32))
    m = np.clip(m, 0, None)
    hi = float(np.percentile(m, percentile)) if percentile < 100 else float(m.max())
    if hi <= 0:
        hi = float(m.max())
    return np.clip(m / hi, 0, 1).astype(np.float32) if hi > 0 else np.zeros_like(m)


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

def _gradient(net, x, target):
    return _input_grad(net, x, target)[0].abs().amax(0).cpu().numpy()


def _smoothgrad(net, x, target, *, samples: int = 16, noise: float = 0.15, batch: int = 8,
                seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    total = torch.zeros(x.shape[-2:])
    for i in range(0, samples, batch):
        n = min(batch, samples - i)
        xs = x.repeat(n, 1, 1, 1) + noise * torch.randn((n, *x.shape[1:]), generator=gen).to(x.device)
        g = _input_grad(net, xs, target)
        total += g.abs().amax(1).sum(0).cpu()
    return (total / samples).numpy()


def _integrated(net, x, target, *, steps: int = 24, batch: int = 8):
    base = torch.zeros_like(x)
    alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps     # midpoint rule
    total = torch.zeros_like(x)
    for i in range(0, steps, batch):
        a = alphas[i:i + batch].view(-1, 1, 1, 1).to(x.device)
        g = _input_grad(net, base + a * (x - base), target)
        total += g.sum(0, keepdim=True)
    attr = (x - base) * total / steps
    return attr[0].sum(0).abs().cpu().numpy()


def _gradcam_pass(net, x, target: int | None, layer: str | None = None
                  ) -> tuple[np.ndarray, int, torch.Tensor]:
    """Grad-CAM from one forward pass that also gives the scores: (raw map, the target used —
    the top class when None —, the logits)."""
    layer = layer or cam_layer(net)
    xi = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        acts = A.activations(net, xi, [layer, A.OUTPUT])
        a, out = acts[layer], acts[A.OUTPUT]
        target = int(out[0].argmax()) if target is None else int(target)
        (g,) = torch.autograd.grad(out[:, target].sum(), a)
    w = g.mean((2, 3), keepdim=True)
    cam = F.relu((w * a.detach()).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)
    return cam[0, 0].cpu().numpy(), target, out.detach().float()


def _gradcam(net, x, target, *, layer: str | None = None):
    return _gradcam_pass(net, x, target, layer)[0]


def _occlusion(net, x, target, *, window: int = 48, stride: int = 24, batch: int = 16,
               fill: str = "mean"):
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


# original module → its guided twin; the twin's lock is kept where every bare module's is
# (:func:`core.vis.ascent.module_lock`).
_COPIES: "weakref.WeakKeyDictionary[torch.nn.Module, torch.nn.Module]" = weakref.WeakKeyDictionary()


def guided_copy(model: Any) -> tuple[torch.nn.Module, Any]:
    """A private deep copy of the network with every ReLU/ReLU6 replaced by :class:`GuidedReLU`
    (made once per model and kept; the cached original is never modified), and its lock."""
    net = A.as_net(model)
    twin = _COPIES.get(net.module)
    if twin is not None:
        return twin, A.module_lock(twin)
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
    twin = _COPIES.setdefault(net.module, twin)        # a racing thread's copy wins: keep one
    return twin, A.module_lock(twin)


def _guided_grad(net, x, target) -> torch.Tensor:
    twin, lock = guided_copy(net)
    with lock:
        return _input_grad(net, x, target, module=twin)


def _guided(net, x, target):
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


# --------------------------------------------------------------------------- the registry

@dataclass(frozen=True)
class Method:
    """One attribution method: ``fn(net, x, target, **options)`` → an H×W map in its own units,
    scaled for display so that its ``percentile`` is 1 (pixel-level gradient maps use the 99th,
    so a few extreme pixels do not hide the rest; region-level maps their maximum)."""
    name: str
    title: str
    fn: Callable[..., np.ndarray]
    percentile: float = 100.0

    @property
    def options(self) -> tuple[str, ...]:
        """The keyword options ``fn`` takes (everything after ``net, x, target``)."""
        return tuple(list(inspect.signature(self.fn).parameters)[3:])


# The notes' order.
REGISTRY: dict[str, Method] = {m.name: m for m in [
    Method("occlusion", N_("Occlusion"), _occlusion),
    Method("gradient", N_("Vanilla gradient"), _gradient, 99.0),
    Method("guided_backprop", N_("Guided backprop"), _guided, 99.0),
    Method("gradcam", "Grad-CAM", _gradcam),
    Method("smoothgrad", "SmoothGrad", _smoothgrad, 99.0),
    Method("integrated_gradients", N_("Integrated gradients"), _integrated, 99.0),
]}


class _Titles(Mapping):
    """``{method name: title}``, read from :data:`REGISTRY` (what pages loop over and show)."""

    def __getitem__(self, name: str) -> str:
        return REGISTRY[name].title

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY)

    def __len__(self) -> int:
        return len(REGISTRY)

    def __repr__(self) -> str:
        return repr(dict(self))


METHODS: Mapping[str, str] = _Titles()


def get_method(name: str) -> Method:
    """The registry record of ``name``; ``ValueError`` naming the choices."""
    if name not in REGISTRY:
        raise ValueError(f"Unknown attribution method {name!r}; choose one of: {', '.join(REGISTRY)}.")
    return REGISTRY[name]


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


def _check_target(model: Any, target: int) -> int:
    labels = getattr(model, "labels", None)
    n_classes = len(labels) if labels else None
    if target < 0 or (n_classes and target >= n_classes):
        raise ValueError(_("Class {target} is out of range (0 … {value}).", target=target, value=n_classes - 1 if n_classes else '?'))
    return target


def explain(method: str, model: Any, image: np.ndarray | torch.Tensor, target: int | None = None,
            **options) -> Attribution:
    """Like :func:`attribute`, with the raw map, the target used and the time taken."""
    m = get_method(method)
    unknown = [k for k in options if k not in m.options]
    if unknown:
        raise ValueError(f"{m.title} has no option {', '.join(map(repr, unknown))}; "
                         f"it takes: {', '.join(m.options) or 'no options'}.")
    net = A.as_net(model)
    x = _x(net, image)
    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError(_("Attribution takes one image at a time."))
    t0 = time.perf_counter()
    target = _check_target(model, _default_target(net, x, target))
    raw = np.asarray(m.fn(net, x, target, **options), np.float32)
    return Attribution(method, _normalise(raw, m.percentile), raw, target, time.perf_counter() - t0)


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
    covered = A.to_image(xo)
    xo = _x(net, covered)       # the probability of exactly the picture returned (uint8 pixels)
    with torch.no_grad():
        both = torch.softmax(A.activations(net, torch.cat([x, xo]), [A.OUTPUT])[A.OUTPUT], 1)[:, target]
    return covered, float(both[0]), float(both[1]), target


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
    if target is not None:
        _check_target(model, int(target))
    raw, target, scores = _gradcam_pass(net, _x(net, small), target)   # one forward pass per frame
    p = float(torch.softmax(scores, 1)[0, target])
    labels = getattr(model, "labels", None) or []
    name = labels[target] if target < len(labels) else str(target)
    out = overlay(frame, _normalise(raw, REGISTRY["gradcam"].percentile), alpha)
    return draw_panel(out, [f"Grad-CAM: {name} ({p * 100:.0f}%)"], corner="bl"), \
        {"target": target, "label": name, "probability": p}


__all__ = ["METHODS", "REGISTRY", "Method", "get_method", "CAM_LAYER", "Attribution", "attribute", "explain",
           "overlay", "occlude", "gradcam_frame", "guided_copy", "guided_backprop_rgb", "top_classes",
           "ranked", "probabilities", "logits", "mass_inside", "cam_layer", "prepare"]
