"""Gradient ascent on the input image — the one implementation DeepDream and the class / channel
visualizations share.

The pieces compose the way Lucent's do, and each is small enough to read in one sitting:

* **Net** (:func:`as_net`) — a read-only view of a model for input-space optimisation: pixels in
  [0, 1] are normalised inside the graph with the model's mean/std, activations are read with
  per-call forward hooks (attached under the model's lock, filtered to the calling thread,
  removed in ``finally``) and the forward pass stops right after the last layer it needs, so
  optimising ``blocks[1]`` costs only the net up to ``blocks[1]``. Nothing is left on the model
  and its parameters are never touched; gradients are taken with respect to the input only.
* **Layer catalogue** (:func:`layer_catalogue`) — the dream-able layers of the zoo's ImageNet
  models with a hint of what each depth shows (each zoo entry's ``meta.layers``); names as the
  notes use them (``block5_conv3`` for VGG-16) or as the module reads (``blocks[4]`` for
  EfficientNet-Lite0).
* **Objectives** (:class:`Objective`) — functions of the activations ``{layer: tensor}`` to a
  scalar to *maximise*: :func:`layer_l2` (DeepDream's mean F²), :func:`channel`,
  :func:`neuron`, :func:`class_logit`, :func:`guided` (dream toward a guide image's features).
  They add and scale: ``0.5 * layer_l2("blocks[3]") + layer_l2("blocks[4]")``.
* **Transforms** — random, differentiable maps applied to the image inside the graph before the
  model sees it (:func:`roll`, :func:`random_crop` — Lucent's "jitter" —, :func:`pad`,
  :func:`random_scale`); autograd maps the gradient back through them.
* **Terms on pixels** — :func:`l2_penalty`, :func:`tv_penalty`, weighted by ``l2=``/``tv=``.
* **The step** — :func:`gradient` (optionally tile by tile, for big images in bounded memory),
  :func:`smooth_gradient` (Gaussian blurs at σ and 2σ), :func:`normalised_step`
  (x ← x + η·g / mean|g|) and the loop :func:`ascend`, an iterator over
  :class:`AscentState`.
* **Lucid's pieces** — parameterisations (:class:`FourierImage`: a 1/f-scaled, colour-decorrelated
  spectrum through a sigmoid; :class:`PixelImage`), :func:`random_rotate` and :func:`robust`
  (Lucent's standard transforms), and :func:`render`, the Adam loop over a parameterisation that
  class / channel visualization and feature inversion run.

Typical use (DeepDream on one layer, 20 steps)::

    net = as_net(zoo.load("imagenet"))
    x = to_tensor(image, net.device)
    for state in ascend(x, net, layer_l2("blocks[4]"), steps=20, step_size=0.008,
                        transforms=[roll(16)]):
        pass
    picture = to_image(state.x)
"""
from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from core import zoo
from core.zoo import LayerInfo
from core.i18n import _

OUTPUT = "output"  # the layer name meaning "what the model returns" (the logits of a classifier)

IMAGENET_MEAN = zoo.IMAGENET.mean
IMAGENET_STD = zoo.IMAGENET.std


# --------------------------------------------------------------------------- layer catalogue
# The layer groups live with the zoo entries (``zoo.get_entry(name).meta.layers``); these
# name-keyed tables are views of them, kept for callers that read them directly.

CATALOGUE: dict[str, list[LayerInfo]] = {e.name: list(e.meta.layers) for e in zoo.entries() if e.meta.layers}

# The layer each model's classic preset dreams on, and a low one for comparisons.
HIGH_LAYER = {e.name: e.meta.layers.high for e in zoo.entries() if e.meta.layers}
LOW_LAYER = {e.name: e.meta.layers.low for e in zoo.entries() if e.meta.layers}


def entry_meta(name: str) -> zoo.EntryMeta | None:
    """The zoo's metadata for a network name (None for models the zoo does not know)."""
    e = zoo.ENTRIES.get(name)
    return e.meta if e is not None else None


# --------------------------------------------------------------------------- the net view

@dataclass
class Net:
    """A read-only view of a classifier for optimising its input."""
    module: torch.nn.Module
    name: str
    mean: torch.Tensor            # (1, 3, 1, 1)
    std: torch.Tensor
    lock: Any
    device: torch.device

    def layers(self) -> list[LayerInfo]:
        return layer_catalogue(self)

    def resolve(self, layer: str) -> str:
        return resolve_layer(self, layer)


@dataclass
class _Bare:
    lock: Any
    name: str | None = None       # the zoo name it was recognised as (found on first need)


# The one table of locks: one record per bare module (a zoo LoadedModel carries its own lock),
# with the name it was recognised as. Weak keys: a module that is gone takes its record along.
_BARE: "weakref.WeakKeyDictionary[torch.nn.Module, _Bare]" = weakref.WeakKeyDictionary()
_BARE_GUARD = threading.Lock()


def _bare(module: torch.nn.Module) -> _Bare:
    with _BARE_GUARD:
        rec = _BARE.get(module)
        if rec is None:
            rec = _BARE[module] = _Bare(threading.RLock())
    return rec


def module_lock(module: torch.nn.Module) -> Any:
    """The lock every per-call hook on this (bare) module is attached under."""
    return _bare(module).lock


def as_net(model: Any, *, name: str | None = None, mean: Sequence[float] | None = None,
           std: Sequence[float] | None = None) -> Net:
    """A :class:`Net` from a zoo ``LoadedModel``, a :class:`Net`, or a bare ``nn.Module``
    (name: the LoadedModel's, or the zoo entry whose architecture the module is; mean/std: its
    transforms, else ImageNet's; one lock per module object)."""
    if isinstance(model, Net):
        return model
    if hasattr(model, "model") and hasattr(model, "lock"):          # core.zoo.LoadedModel
        module, lock = model.model, model.lock
        name = name or model.name
        tf = getattr(model, "transforms", None)
    elif isinstance(model, torch.nn.Module):
        module = model
        rec = _bare(model)
        if name is None and rec.name is None:
            rec.name = _guess_name(model)
        lock, name = rec.lock, name or rec.name
        tf = None
    else:
        raise ValueError(f"Expected a model from core.zoo or a torch module, not {type(model).__name__}.")
    if tf is None:
        meta = entry_meta(name)
        tf = meta.transforms if meta is not None else None
    mean = mean or (tf.mean if tf is not None and tf.mean else IMAGENET_MEAN)
    std = std or (tf.std if tf is not None and tf.std else IMAGENET_STD)
    try:
        device = next(module.parameters()).device
    except StopIteration:
        device = torch.device("cpu")
    as4 = lambda v: torch.tensor(v, dtype=torch.float32, device=device).view(1, -1, 1, 1)  # noqa: E731
    return Net(module, name, as4(mean), as4(std), lock, device)


def _guess_name(module: torch.nn.Module) -> str:
    """A bare module's name: the zoo entry with the same architecture (class, parameter names and
    shapes), else its class name in lower case."""
    return zoo.identify(module) or type(module).__name__.lower()


def layer_catalogue(model: Any) -> list[LayerInfo]:
    """The dream-able layers of a model, shallow to deep (its zoo entry's layer groups; empty for
    models not catalogued: then any module path from ``named_modules()`` may still be used)."""
    meta = entry_meta(as_net(model).name)
    return list(meta.layers) if meta is not None and meta.layers else []


def resolve_layer(model: Any, layer: str) -> str:
    """Module path for a catalogue name or a module path; ``ValueError`` naming the choices."""
    net = as_net(model)
    if layer == OUTPUT:
        return OUTPUT
    catalogue = layer_catalogue(net)
    for info in catalogue:
        if layer == info.name or layer == info.module:
            return info.module
    if isinstance(layer, str) and layer and layer in dict(net.module.named_modules()):
        return layer
    names = [i.name for i in catalogue]
    choices = ", ".join(names) if names else "a module path from named_modules()"
    raise ValueError(_("Unknown layer {layer!r} for {name}; choose one of: {choices}.", layer=layer, name=net.name, choices=choices))


# --------------------------------------------------------------------------- activations

# --------------------------------------------------------------------------- folded batch norm

@dataclass
class _Folded:
    module: torch.nn.Module       # a copy with every conv → BN pair folded into the conv
    convs: frozenset[str]         # the convs that now output BN(conv(x)): not the original's
    lock: Any
    device: torch.device
    channels_last: bool = False   # weights (and the input it is given) in NHWC memory order


_FOLDED: "weakref.WeakKeyDictionary[torch.nn.Module, _Folded | None]" = weakref.WeakKeyDictionary()
_FOLD_GUARD = threading.Lock()


def _fold_pairs(module: torch.nn.Module) -> frozenset[str]:
    """Fold in place every Conv2d immediately followed (in registration order, as timm and
    torchvision write their blocks) by a BatchNorm2d sibling: W' = W·γ/σ, b' = (b − μ)·γ/σ + β,
    and the BN child replaced by its activation (timm's ``BatchNormAct2d``) or by Identity.
    Returns the folded convs' paths."""
    import copy

    folded = []
    for parent_name, parent in module.named_modules():
        kids = list(parent.named_children())
        for (cname, conv), (bname, bn) in zip(kids, kids[1:]):
            if not (type(conv) is torch.nn.Conv2d and isinstance(bn, torch.nn.BatchNorm2d)
                    and bn.track_running_stats and bn.num_features == conv.out_channels):
                continue
            with torch.no_grad():
                scale = (bn.weight if bn.affine else torch.ones_like(bn.running_var)) \
                    / torch.sqrt(bn.running_var + bn.eps)
                shift = bn.bias if bn.affine else torch.zeros_like(bn.running_mean)
                bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
                conv.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))
                conv.bias = torch.nn.Parameter((bias - bn.running_mean) * scale + shift,
                                               requires_grad=False)
            act = getattr(bn, "act", None)
            drop = getattr(bn, "drop", None)
            if act is None:
                tail: torch.nn.Module = torch.nn.Identity()
            elif drop is None or isinstance(drop, torch.nn.Identity):
                tail = copy.deepcopy(act)
            else:
                tail = torch.nn.Sequential(copy.deepcopy(drop), copy.deepcopy(act))
            setattr(parent, bname, tail)
            folded.append(f"{parent_name}.{cname}" if parent_name else cname)
    return frozenset(folded)


def _folded(net: Net) -> _Folded | None:
    """The network with its batch norms folded into the convolutions before them, for optimising
    an input: same activations at every other layer (checked once on a random picture), without
    the batch-norm passes (with NHWC weights, a forward+backward of EfficientNet-Lite0 on the CPU
    takes 0.65x the time). None when there is nothing to fold, the module trains, or the check
    fails (also when the model cannot take the 96 px check picture)."""
    import copy

    module = net.module
    if module.training:
        return None
    with _FOLD_GUARD:
        if module in _FOLDED:
            rec = _FOLDED[module]
            if rec is None or rec.device == net.device:
                return rec
        rec = None
        with net.lock:
            if any(isinstance(m, torch.nn.BatchNorm2d) for m in module.modules()):
                twin = copy.deepcopy(module).eval()
                for prm in twin.parameters():
                    prm.requires_grad_(False)
                convs = _fold_pairs(twin)
                if convs:
                    gen = torch.Generator().manual_seed(0)
                    probe = torch.rand((1, 3, 96, 96), generator=gen).to(net.device)
                    try:
                        with torch.no_grad():
                            want, got = module(probe), twin(probe)
                    except Exception:  # noqa: BLE001 - a model that takes another input size
                        want = got = None   # or shape: not checked, so not folded
                    if isinstance(want, torch.Tensor) and isinstance(got, torch.Tensor) \
                            and want.shape == got.shape \
                            and float((want - got).abs().max()) <= 1e-3 * max(1.0, float(want.abs().max())):
                        # On the CPU oneDNN runs NHWC convolutions (the depthwise ones above
                        # all) ~20 % faster than NCHW, forward and backward (EfficientNet-Lite0).
                        nhwc = net.device.type == "cpu"
                        if nhwc:
                            twin = twin.to(memory_format=torch.channels_last)
                        rec = _Folded(twin, convs, threading.RLock(), net.device, nhwc)
        _FOLDED[module] = rec
        return rec


class _Enough(Exception):
    """Raised from a hook once every requested layer has been seen: the rest of the net is skipped."""


def activations(model: Any, x: torch.Tensor, layers: Sequence[str], *,
                stop_early: bool = True, fold: bool | None = None) -> dict[str, torch.Tensor]:
    """Activations ``{layer: tensor}`` of ``x`` (pixels in [0, 1], N×3×H×W) at the named layers.

    Gradients flow back to ``x``. Hooks are attached under the model's lock, react only to this
    thread's forward pass, and are removed before returning. Unless :data:`OUTPUT` is asked for,
    the forward pass ends after the last requested layer. ``fold`` (default: when ``x`` needs a
    gradient): run a copy with batch norm folded into the convolutions (:func:`_folded`; same
    activations, faster), unless a requested layer is one of the folded convolutions.
    """
    net = as_net(model)
    wanted = {name: resolve_layer(net, name) for name in dict.fromkeys(layers)}
    if fold is None:
        fold = x.requires_grad
    twin = _folded(net) if fold else None
    nhwc = False
    if twin is not None and not (twin.convs & set(wanted.values())):
        net, nhwc = Net(twin.module, net.name, net.mean, net.std, twin.lock, net.device), twin.channels_last
    by_path: dict[str, list[str]] = {}
    for name, path in wanted.items():
        if path != OUTPUT:
            by_path.setdefault(path, []).append(name)
    stop = stop_early and OUTPUT not in wanted.values()
    found: dict[str, torch.Tensor] = {}
    owner = threading.get_ident()
    modules = dict(net.module.named_modules())

    def hook_for(path: str):
        def hook(_module, _inputs, output):
            if threading.get_ident() != owner:
                return None
            for name in by_path[path]:
                found[name] = output
            if stop and len(found) == len(wanted):
                raise _Enough
            return None
        return hook

    xn = (x - net.mean) / net.std
    if nhwc and xn.dim() == 4:
        xn = xn.contiguous(memory_format=torch.channels_last)
    with net.lock:
        handles = [modules[p].register_forward_hook(hook_for(p)) for p in by_path]
        try:
            out = net.module(xn)
            for name, path in wanted.items():
                if path == OUTPUT:
                    found[name] = out
        except _Enough:
            pass
        finally:
            for h in handles:
                h.remove()
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ValueError(f"Layer(s) {', '.join(missing)} produced no output in {net.name}'s forward pass.")
    return found


# --------------------------------------------------------------------------- objectives

class Objective:
    """A scalar to maximise, computed from ``{layer: activation}``. Objectives add, subtract and
    scale by numbers; ``layers`` lists the activations they read."""

    def __init__(self, fn: Callable[[Mapping[str, torch.Tensor]], torch.Tensor],
                 layers: Sequence[str], name: str, spatial_mean: bool = True):
        self.fn, self.layers, self.name = fn, tuple(dict.fromkeys(layers)), name
        self.spatial_mean = spatial_mean   # a mean over positions: may be computed tile by tile

    def __call__(self, acts: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self.fn(acts)

    def __add__(self, other: "Objective") -> "Objective":
        if isinstance(other, (int, float)) and other == 0:
            return self
        return Objective(lambda a: self(a) + other(a), self.layers + other.layers,
                         f"{self.name} + {other.name}", self.spatial_mean and other.spatial_mean)

    __radd__ = __add__

    def __mul__(self, k: float) -> "Objective":
        return Objective(lambda a: k * self(a), self.layers, f"{k:g}·{self.name}", self.spatial_mean)

    __rmul__ = __mul__

    def __neg__(self) -> "Objective":
        return self * -1.0

    def __sub__(self, other: "Objective") -> "Objective":
        return self + (-other)

    def __repr__(self) -> str:
        return f"Objective({self.name})"


def layer_l2(layer: str) -> Objective:
    """DeepDream's objective: mean(F²) over the channels and positions of a layer."""
    return Objective(lambda a: a[layer].pow(2).mean(), [layer], f"mean({layer}²)")


def channel(layer: str, index: int) -> Objective:
    """Mean activation of one channel of a layer (the notes' single-channel pictures)."""
    return Objective(lambda a: a[layer][:, index].mean(), [layer], f"{layer}[{index}]")


def neuron(layer: str, index: int, y: int | None = None, x: int | None = None) -> Objective:
    """One unit: a channel at one position (the centre unless given)."""
    def fn(a):
        t = a[layer][:, index]
        yy = t.shape[-2] // 2 if y is None else y
        xx = t.shape[-1] // 2 if x is None else x
        return t[:, yy, xx].mean()
    return Objective(fn, [layer], f"{layer}[{index}]@centre", spatial_mean=False)


def class_logit(index: int) -> Objective:
    """The unnormalised score of one class (maximise the logit, not the softmax)."""
    return Objective(lambda a: a[OUTPUT][:, index].mean(), [OUTPUT], f"logit[{index}]",
                     spatial_mean=False)


def guided(layer: str, guide: torch.Tensor) -> Objective:
    """Dream toward a guide: each position's feature vector is pulled toward the guide feature it
    already matches best (Mordvintsev's guided DeepDream). ``guide``: the guide image's activation
    at ``layer`` (1×C×h×w)."""
    g = guide.detach().flatten(2)[0]                          # C × M

    def fn(a):
        f = a[layer].flatten(2)[0]                            # C × N
        with torch.no_grad():
            best = (f.t() @ g).argmax(dim=1)                  # N: index of the closest guide vector
        return (f * g[:, best]).sum(0).mean()
    return Objective(fn, [layer], f"guide({layer})")


def dream_objective(layers: str | Sequence[str] | Mapping[str, float],
                    guides: Mapping[str, torch.Tensor] | None = None) -> Objective:
    """Weighted sum of :func:`layer_l2` (or :func:`guided`) over layers: a name, a list (equal
    weights) or ``{name: weight}``."""
    if isinstance(layers, str):
        layers = {layers: 1.0}
    elif not isinstance(layers, Mapping):
        layers = {name: 1.0 for name in layers}
    if not layers:
        raise ValueError(_("Choose at least one layer to dream on."))
    total: Objective | int = 0
    for name, w in layers.items():
        if not isinstance(w, (int, float)) or not math.isfinite(w):
            raise ValueError(_("The weight of layer {name!r} must be a number, not {w!r}.", name=name, w=w))
        term = guided(name, guides[name]) if guides and name in guides else layer_l2(name)
        total = total + float(w) * term
    return total  # type: ignore[return-value]


# --------------------------------------------------------------------------- transforms

Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _randint(lo: int, hi: int, gen: torch.Generator) -> int:
    return int(torch.randint(lo, hi + 1, (1,), generator=gen).item())


def roll(max_shift: int) -> Transform:
    """Random circular shift by up to ±max_shift pixels in each direction (DeepDream's jitter)."""
    def t(x, gen):
        if max_shift <= 0:
            return x
        dy, dx = _randint(-max_shift, max_shift, gen), _randint(-max_shift, max_shift, gen)
        return torch.roll(x, shifts=(dy, dx), dims=(-2, -1))
    return t


def random_crop(d: int) -> Transform:
    """A random crop that drops up to ``d`` pixels (the image gets smaller): what Lucent calls
    ``jitter`` (DeepDream's "jitter" is :func:`roll`)."""
    def t(x, gen):
        if d <= 0:
            return x
        dy, dx = _randint(0, d, gen), _randint(0, d, gen)
        h, w = x.shape[-2:]
        return x[..., dy:h - d + dy, dx:w - d + dx]
    return t


jitter = random_crop   # Lucent's name for it, kept for callers


def pad(width: int, value: float = 0.5) -> Transform:
    """Constant padding, so edge pixels get shifted into the middle by later transforms."""
    return lambda x, gen: F.pad(x, (width,) * 4, value=value) if width > 0 else x


def random_scale(scales: Sequence[float]) -> Transform:
    """Rescale by a factor drawn from ``scales``."""
    def t(x, gen):
        s = float(scales[_randint(0, len(scales) - 1, gen)])
        if s == 1.0:
            return x
        return F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=False)
    return t


def random_rotate(degrees: Sequence[float]) -> Transform:
    """Rotate about the centre by an angle (degrees) drawn from ``degrees``; the corners that
    come in from outside are grey (bilinear, through ``affine_grid``: differentiable)."""
    def t(x, gen):
        a = math.radians(float(degrees[_randint(0, len(degrees) - 1, gen)]))
        if a == 0.0:
            return x
        theta = torch.tensor([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0]],
                             dtype=x.dtype, device=x.device).unsqueeze(0).expand(x.shape[0], 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x - 0.5, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + 0.5
    return t


def robust(pad_px: int = 12, jitter_px: int = 8, scales: Sequence[float] | None = None,
           degrees: Sequence[float] | None = None, final_jitter: int = 4) -> list[Transform]:
    """Lucid's "transformation robustness" (Lucent's ``standard_transforms``): pad with grey,
    jitter (random crop) 8 px, rescale by 0.9…1.1, rotate by −10…10° (0° weighted up), jitter
    4 px. A picture that keeps its score under all of them cannot rely on single pixels."""
    scales = [1 + (i - 5) / 50 for i in range(11)] if scales is None else scales
    degrees = list(range(-10, 11)) + 5 * [0] if degrees is None else degrees
    return [pad(pad_px), random_crop(jitter_px), random_scale(scales), random_rotate(degrees),
            random_crop(final_jitter)]


def compose(transforms: Sequence[Transform]) -> Transform:
    def t(x, gen):
        for f in transforms:
            x = f(x, gen)
        return x
    return t


# --------------------------------------------------------------------------- pixels

def to_tensor(image: np.ndarray, device: Any = "cpu") -> torch.Tensor:
    """RGB uint8 H×W×3 → float 1×3×H×W in [0, 1]."""
    a = np.asarray(image)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"Expected an RGB image of shape H×W×3, got {a.shape}.")
    t = torch.tensor(a, dtype=torch.float32).div_(255.0)
    return t.permute(2, 0, 1).unsqueeze(0).to(device)


def to_image(x: torch.Tensor) -> np.ndarray:
    """Float 1×3×H×W in [0, 1] → RGB uint8 H×W×3."""
    a = x.detach()[0].clamp(0, 1).mul(255.0).round_().to(torch.uint8)
    return a.permute(1, 2, 0).cpu().numpy()


def l2_penalty(x: torch.Tensor) -> torch.Tensor:
    """mean((x − ½)²): keeps pixels near grey (the notes' L2 regulariser)."""
    return (x - 0.5).pow(2).mean()


def tv_penalty(x: torch.Tensor) -> torch.Tensor:
    """Total variation: mean squared difference of neighbouring pixels."""
    return (x[..., 1:, :] - x[..., :-1, :]).pow(2).mean() + (x[..., :, 1:] - x[..., :, :-1]).pow(2).mean()


def _gauss_kernel(sigma: float, device) -> torch.Tensor:
    radius = max(1, int(math.ceil(3 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32, device=device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur per channel with reflected borders (σ ≤ 0: unchanged)."""
    if sigma <= 0:
        return x
    k = _gauss_kernel(sigma, x.device)
    r = k.numel() // 2
    c = x.shape[1]
    mode = "reflect" if min(x.shape[-2:]) > r else "replicate"
    y = F.pad(x, (r, r, 0, 0), mode=mode)
    y = F.conv2d(y, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    y = F.pad(y, (0, 0, r, r), mode=mode)
    return F.conv2d(y, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def smooth_gradient(g: torch.Tensor, sigma: float) -> torch.Tensor:
    """Average of Gaussian blurs at σ and 2σ: keeps the gradient's broad shapes, drops the
    pixel-level noise that would otherwise become high-frequency speckle."""
    if sigma <= 0:
        return g
    return 0.5 * (gaussian_blur(g, sigma) + gaussian_blur(g, 2 * sigma))


def normalised_step(x: torch.Tensor, g: torch.Tensor, step_size: float,
                    clamp: tuple[float, float] | None = (0.0, 1.0)) -> torch.Tensor:
    """x + η·g / mean|g| (the same visible change per step whatever the gradient's scale)."""
    x = x + step_size * g / (g.abs().mean() + 1e-8)
    return x.clamp(*clamp) if clamp is not None else x


# --------------------------------------------------------------------------- the gradient

def check_tiling(tile_size: int, overlap: int, align: int = 32) -> int:
    """The core size of tiles of ``tile_size`` px with ``overlap`` px margins (a multiple of
    ``align``); ``ValueError`` when no core fits."""
    core = (tile_size - 2 * overlap - align) // align * align
    if overlap < 0 or core < align:
        raise ValueError(f"tile_size ({tile_size} px) must be at least twice the overlap "
                         f"({overlap} px) plus {2 * align} px.")
    return core


def tiles(h: int, w: int, tile_size: int | None, overlap: int,
          align: int = 32) -> list[tuple[slice, slice, slice, slice]]:
    """Tiles covering an h×w image: (ys, xs) of the tile with its margin, and (cy, cx) of its
    core *within the tile*. Cores do not overlap and cover the image; margins (at least
    ``overlap`` px) give context. Tile origins fall on multiples of ``align`` (the net's total
    stride), so every tile sees the same pixel grid as the whole image would."""
    if tile_size is None or (h <= tile_size and w <= tile_size):
        return [(slice(0, h), slice(0, w), slice(0, h), slice(0, w))]
    core = check_tiling(tile_size, overlap, align)

    def spans(n):
        if n <= tile_size:
            return [(slice(0, n), slice(0, n))]
        k = math.ceil(n / core)
        edges = [min(n, i * core) for i in range(k)] + [n]
        out = []
        for a, b in zip(edges[:-1], edges[1:]):
            lo = max(0, (a - overlap) // align * align)
            hi = min(n, b + overlap)
            out.append((slice(lo, hi), slice(a - lo, b - lo)))
        return out

    return [(ys, xs, cy, cx) for ys, cy in spans(h) for xs, cx in spans(w)]


def gradient(model: Any, x: torch.Tensor, objective: Objective, *,
             transform: Transform | None = None, generator: torch.Generator | None = None,
             tile_size: int | None = None, overlap: int = 64,
             l2: float = 0.0, tv: float = 0.0) -> tuple[float, torch.Tensor]:
    """The objective's value and its gradient with respect to the pixels ``x`` (1×3×H×W).

    ``transform`` runs on the whole image inside the graph; the model then sees the transformed
    image whole, or — when it is larger than ``tile_size`` — tile by tile, each tile with
    ``overlap`` pixels of context whose gradient is discarded. Tiling assumes a spatial-mean
    objective (such as :func:`layer_l2`): each tile's mean is weighted by its share of the
    image, so the assembled gradient approximates the whole image's. Pixel terms ``l2``/``tv``
    are subtracted on the whole image.
    """
    net = as_net(model)
    generator = generator or torch.Generator().manual_seed(0)
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        t = transform(x, generator) if transform is not None else x
        td = t.detach()
        h, w = td.shape[-2:]
        parts = tiles(h, w, tile_size, overlap)
        if len(parts) > 1 and not objective.spatial_mean:
            raise ValueError(f"{objective.name} is not a mean over positions, so it cannot be tiled; "
                             "use a smaller image or tile_size=None.")
        gt = torch.zeros_like(td)
        value = 0.0
        for ys, xs, cy, cx in parts:
            piece = td[..., ys, xs].clone().requires_grad_(True)
            hp, wp = piece.shape[-2:]
            weight = (hp * wp) / (h * w)
            v = objective(activations(net, piece, objective.layers))
            (g,) = torch.autograd.grad(v * weight, piece)
            gt[..., ys, xs][..., cy, cx] += g[..., cy, cx]
            core = (cy.stop - cy.start) * (cx.stop - cx.start)
            value += float(v.detach()) * core / (h * w)
            del v, g, piece
        (grad,) = torch.autograd.grad(t, x, gt) if t is not x else (gt,)
        if l2 or tv:
            xr = x.detach().requires_grad_(True)
            penalty = l2 * l2_penalty(xr) + tv * tv_penalty(xr)
            (gp,) = torch.autograd.grad(penalty, xr)
            grad = grad - gp
    return value, grad.detach()


# --------------------------------------------------------------------------- the loop

@dataclass
class AscentState:
    step: int            # 1-based: steps done so far
    total: int
    value: float         # the objective at the start of this step (before its update)
    x: torch.Tensor      # the image after this step's update (1×3×H×W, detached)


def ascend(x: torch.Tensor, model: Any, objective: Objective, steps: int, step_size: float, *,
           transforms: Sequence[Transform] = (), smoothing: tuple[float, float] = (0.5, 2.0),
           l2: float = 0.0, tv: float = 0.0, clamp: tuple[float, float] | None = (0.0, 1.0),
           tile_size: int | None = None, overlap: int = 64,
           generator: torch.Generator | None = None) -> Iterator[AscentState]:
    """Gradient ascent on the pixels: per step one (tiled) :func:`gradient` through the random
    ``transforms``, a Gaussian smoothing of the gradient whose σ grows linearly from
    ``smoothing[0]`` to ``smoothing[1]`` over the steps, and a :func:`normalised_step`.
    Yields the state after every step; break out of the loop to stop early."""
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a whole number of at least 1, not {steps!r}.")
    if not (isinstance(step_size, (int, float)) and math.isfinite(step_size) and step_size > 0):
        raise ValueError(f"step_size must be a positive number, not {step_size!r}.")
    generator = generator or torch.Generator().manual_seed(0)
    transform = compose(list(transforms)) if transforms else None
    s0, s1 = smoothing
    for i in range(steps):
        value, g = gradient(model, x, objective, transform=transform, generator=generator,
                            tile_size=tile_size, overlap=overlap, l2=l2, tv=tv)
        sigma = s0 + (s1 - s0) * (i + 1) / steps
        x = normalised_step(x.detach(), smooth_gradient(g, sigma), step_size, clamp)
        yield AscentState(i + 1, steps, value, x)


# --------------------------------------------------------------------------- parameterisations
# Lucid / Lucent: optimise not the pixels but a description of them. A parameterisation holds the
# tensors the optimiser moves and turns them into a picture in [0, 1] on every call.

# The square root of ImageNet's colour covariance (Lucid's ``color_correlation_svd_sqrt``): the
# optimiser moves decorrelated colour components, each of which changes all three of R, G, B the
# way natural pictures do.
COLOR_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
COLOR_SQRT = COLOR_SQRT / COLOR_SQRT.norm(dim=0).max()


def decorrelate_colour(t: torch.Tensor) -> torch.Tensor:
    """N×3×H×W decorrelated components → N×3×H×W RGB (before the sigmoid)."""
    return torch.einsum("nchw,dc->ndhw", t, COLOR_SQRT.to(t.device))


def spectrum_scale(h: int, w: int, decay: float) -> torch.Tensor:
    """1 / f^decay for the rfft2 frequencies of an h×w picture (f ≥ 1/max(h, w)): with
    ``decay`` ≈ 1–1.5 every frequency gets about the same energy *per step* as in a natural
    picture, so the optimiser stops favouring pixel-level noise."""
    fy = torch.fft.fftfreq(h)[:, None]
    fx = torch.fft.rfftfreq(w)[None, :]
    f = torch.sqrt(fx * fx + fy * fy).clamp(min=1.0 / max(h, w))
    return f.pow(-float(decay))


class Parameterisation:
    """What the optimiser moves (``parameters()``) and the picture it stands for (``()``)."""

    def parameters(self) -> list[torch.Tensor]:
        raise NotImplementedError

    def __call__(self) -> torch.Tensor:
        raise NotImplementedError


class FourierImage(Parameterisation):
    """Lucid's ``fft_image`` + ``to_valid_rgb``: a 1×3 spectrum (real and imaginary parts),
    scaled by :func:`spectrum_scale`, inverse-FFT'd, colour-decorrelated and squashed with a
    sigmoid into [0, 1]. ``sd=0`` starts from the flat grey picture (the notes' "all zeros")."""

    def __init__(self, h: int, w: int | None = None, *, decay: float = 1.5, decorrelate: bool = True,
                 sd: float = 0.01, generator: torch.Generator | None = None, device: Any = "cpu"):
        w = h if w is None else w
        if not (isinstance(decay, (int, float)) and math.isfinite(decay) and 0 <= decay <= 3):
            raise ValueError(f"decay must be a number between 0 and 3, not {decay!r}.")
        self.h, self.w, self.decorrelate = int(h), int(w), bool(decorrelate)
        self.scale = spectrum_scale(self.h, self.w, decay).to(device)[None, None, :, :, None]
        shape = (1, 3, self.h, self.w // 2 + 1, 2)
        gen = generator or torch.Generator().manual_seed(0)
        self.spectrum = (torch.randn(shape, generator=gen) * sd).to(device).requires_grad_(True)

    def parameters(self) -> list[torch.Tensor]:
        return [self.spectrum]

    def __call__(self) -> torch.Tensor:
        spec = torch.view_as_complex(self.scale * self.spectrum)
        t = torch.fft.irfft2(spec, s=(self.h, self.w), norm="ortho") / 4.0   # Lucid's "magic" 4
        return torch.sigmoid(decorrelate_colour(t) if self.decorrelate else t)


class PixelImage(Parameterisation):
    """The plain alternative: one free number per pixel and colour (through the same colour
    decorrelation and sigmoid), to compare with :class:`FourierImage`."""

    def __init__(self, h: int, w: int | None = None, *, decorrelate: bool = True, sd: float = 0.01,
                 generator: torch.Generator | None = None, device: Any = "cpu"):
        w = h if w is None else w
        self.decorrelate = bool(decorrelate)
        gen = generator or torch.Generator().manual_seed(0)
        self.pixels = (torch.randn((1, 3, int(h), int(w)), generator=gen) * sd).to(device).requires_grad_(True)

    def parameters(self) -> list[torch.Tensor]:
        return [self.pixels]

    def __call__(self) -> torch.Tensor:
        return torch.sigmoid(decorrelate_colour(self.pixels) if self.decorrelate else self.pixels)


# --------------------------------------------------------------------------- the Lucid loop

Penalty = tuple[float, Callable[[torch.Tensor], torch.Tensor]]   # (weight, picture → scalar)


@dataclass
class RenderState:
    step: int            # 1-based
    total: int
    value: float         # the objective on this step's transformed picture (before the update)
    penalty: float       # Σ weight·term on the picture (subtracted from the objective)
    param: Parameterisation

    def image(self) -> torch.Tensor:
        """The picture after this step's update (1×3×H×W in [0, 1], detached)."""
        with torch.no_grad():
            return self.param().detach()


def render(param: Parameterisation, model: Any, objective: Objective, steps: int, *, lr: float = 0.05,
           transforms: Sequence[Transform] = (), penalties: Sequence[Penalty] = (),
           generator: torch.Generator | None = None) -> Iterator[RenderState]:
    """Lucent's ``render_vis`` as an iterator: per step the picture ``param()`` goes through the
    random ``transforms``, the model scores it with ``objective``, the weighted ``penalties`` on
    the picture are subtracted, and Adam (``lr``) climbs the result by moving ``param``'s
    tensors. Break out of the loop to stop early."""
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a whole number of at least 1, not {steps!r}.")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, not {lr!r}.")
    net = as_net(model)
    generator = generator or torch.Generator().manual_seed(0)
    transform = compose(list(transforms))
    opt = torch.optim.Adam(param.parameters(), lr=lr)
    for i in range(steps):
        with torch.enable_grad():
            opt.zero_grad()
            x = param()
            value = objective(activations(net, transform(x, generator), objective.layers))
            penalty = sum((w * f(x) for w, f in penalties if w), torch.zeros((), device=x.device))
            (penalty - value).backward()
            opt.step()
        yield RenderState(i + 1, steps, float(value.detach()), float(penalty.detach()), param)
