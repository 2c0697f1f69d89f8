"""What the layers hold: first-layer filters, feature maps, maximally activating patches.

All functions take a zoo ``LoadedModel`` (or anything :func:`core.vis.ascent.as_net` accepts)
and read activations through :func:`core.vis.ascent.activations` — per-call hooks, removed
before returning, under the model's lock. Nothing is left on the (shared, read-only) model.

* :func:`prepare` — the picture the network sees: shorter side to ``size`` px, centre crop.
* :func:`filters` — the first convolution's RGB filters as one normalised grid (the notes'
  AlexNet 64×3×11×11 picture); deeper convolutions as per-input-channel grey tiles.
* :func:`activations` — feature maps per layer, strongest channels first.
* :func:`top_patches` — the gallery crops that excite one channel most, each cut to the
  unit's *effective receptive field* (where the unit's gradient on the pixels is large).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from . import ascent as A
from core.i18n import N_, _


# --------------------------------------------------------------------------- input

def prepare(image: np.ndarray, size: int = 224, crop: bool = True) -> np.ndarray:
    """RGB uint8 → what the network sees: shorter side scaled to ``size``, then a centre crop
    to ``size``×``size`` (``crop=False``: the whole picture, longer side capped at 2·size)."""
    a = np.asarray(image)
    if a.ndim != 3 or a.shape[2] != 3 or a.dtype != np.uint8:
        raise ValueError(f"Expected an RGB uint8 image H×W×3, got {a.dtype} {a.shape}.")
    if crop:   # the one resize-and-centre-crop of the lab (core.images), at size × size
        from core.images import resize_and_crop

        return resize_and_crop(a, size, size)
    h, w = a.shape[:2]
    s = size / min(h, w)
    nh, nw = max(size, round(h * s)), max(size, round(w * s))
    f = min(1.0, 2 * size / max(nh, nw))
    nh, nw = max(32, round(nh * f)), max(32, round(nw * f))
    a = cv2.resize(a, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    return np.ascontiguousarray(a)


def layer_choices(model: Any) -> list[A.LayerInfo]:
    """Layers to look at, shallow to deep, named as the notes name them (block1_conv1 … for
    VGG-16; stem, blocks[0] … conv_head for EfficientNet-Lite0)."""
    return A.layer_catalogue(model)


# --------------------------------------------------------------------------- filters

def conv_layers(model: Any) -> list[str]:
    """Module paths of every Conv2d, in network order."""
    net = A.as_net(model)
    return [n for n, m in net.module.named_modules() if isinstance(m, torch.nn.Conv2d)]


def _conv(model: Any, layer: str | None) -> tuple[str, torch.nn.Conv2d]:
    net = A.as_net(model)
    convs = conv_layers(net)
    if not convs:
        raise ValueError(f"{net.name} has no convolution layers.")
    modules = dict(net.module.named_modules())
    if layer is None:
        return convs[0], modules[convs[0]]
    path = A.resolve_layer(net, layer)
    m = modules.get(path)
    if isinstance(m, torch.nn.Conv2d):
        return path, m
    # a catalogue layer (a block or a norm+activation): the last convolution inside it, or
    # else the convolution right before it (e.g. "bn2" → "conv_head")
    inside = [c for c in convs if c.startswith(path + ".")]
    if inside:
        pick = inside[-1]
    else:
        names = list(modules)
        prior = [n for n in names[:names.index(path)] if n in set(convs)]
        pick = prior[-1] if prior else convs[0]
    return pick, modules[pick]


def grid_cols(n: int) -> int:
    """Columns for ``n`` tiles: the smallest divisor of ``n`` not below √n, so every row is full
    (32 → 8 × 4, 64 → 8 × 8, 96 → 12 × 8); √n rounded up when no divisor is near (primes)."""
    root = int(np.ceil(np.sqrt(max(n, 1))))
    for c in range(root, min(n, 2 * root) + 1):
        if n % c == 0:
            return c
    return root


def tile_grid(tiles: list[np.ndarray], cols: int, pad: int = 1, bg: int = 255) -> np.ndarray:
    """Equal-sized tiles (RGB or grey uint8) in rows of ``cols`` on a ``bg`` background."""
    h, w = tiles[0].shape[:2]
    rows = (len(tiles) + cols - 1) // cols
    out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), bg, np.uint8)
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        t = t if t.ndim == 3 else np.repeat(t[..., None], 3, 2)
        out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = t
    return out


@dataclass
class FilterGrid:
    image: np.ndarray          # RGB uint8 grid
    layer: str                 # module path of the convolution shown
    shape: tuple[int, ...]     # weight shape (out, in, k, k)
    rgb: bool                  # True: one colour tile per filter (first layer)


def filters(model: Any, layer: str | None = None, *, max_filters: int = 64, scale: int = 8,
            in_channels: int = 8) -> FilterGrid:
    """The filters of a convolution as a grid of tiles (default: the first convolution).

    First layer (3 input channels): one colour tile per filter, each normalised on its own to
    [0, 255] — edges, blobs and colour opponents appear. Deeper layers: each filter's kernel for
    its first ``in_channels`` input channels as grey tiles in a row (one row per filter).
    """
    path, conv = _conv(model, layer)
    w = conv.weight.detach().float().cpu().numpy()          # out × in × k × k
    out_c, in_c, k, _ = w.shape
    n = min(out_c, max_filters)
    big = max(scale, 64 // max(k, 1))                        # tiles of about 64 px, whatever k

    def norm(t):
        lo, hi = float(t.min()), float(t.max())
        return ((t - lo) / (hi - lo + 1e-12) * 255).astype(np.uint8)

    def up(t):
        return cv2.resize(t, (k * big, k * big), interpolation=cv2.INTER_NEAREST)

    if in_c == 3:
        tiles = [up(norm(w[i].transpose(1, 2, 0))) for i in range(n)]
        grid = tile_grid(tiles, cols=grid_cols(n), pad=4)
        return FilterGrid(grid, path, tuple(w.shape), True)
    m = min(in_c, in_channels)
    rows = []
    for i in range(min(n, 16)):
        t = norm(w[i, :m])                                   # m × k × k, shared scale per filter
        rows.extend(up(t[j]) for j in range(m))
    grid = tile_grid(rows, cols=m, pad=2)
    return FilterGrid(grid, path, tuple(w.shape), False)


class _Seen(Exception):
    """Raised from the hook of :func:`_conv_io` once the convolution has run: the rest is skipped."""


def _conv_io(net: A.Net, x: torch.Tensor, path: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The input and output of the module at ``path`` for ``x`` (pixels in [0, 1]): a per-call
    forward hook, under the model's lock, for this thread only, removed before returning."""
    module = dict(net.module.named_modules())[path]
    owner, seen = threading.get_ident(), {}

    def hook(_m, inputs, output):
        if threading.get_ident() == owner:
            seen["in"], seen["out"] = inputs[0].detach(), output.detach()
            raise _Seen

    with net.lock, torch.no_grad():
        handle = module.register_forward_hook(hook)
        try:
            net.module((x - net.mean) / net.std)
        except _Seen:
            pass
        finally:
            handle.remove()
    if "in" not in seen:
        raise ValueError(f"{path} did not run in {net.name}'s forward pass.")
    return seen["in"], seen["out"]


@dataclass
class Mix:
    """One output channel of a convolution as the sum it is: Σᵢ wᵢ ⋆ inputᵢ (+ bias)."""
    channel: int                 # the output channel
    output: np.ndarray           # its map on the picture (the convolution's own output, h × w)
    inputs: list[int]            # the input channels that contribute most on this picture
    maps: list[np.ndarray]       # each of those input channels' maps (H × W)
    weights: list[float]         # the sum of each one's kernel (for a 1×1 convolution: the weight)
    share: list[float]           # each one's share of Σᵢ mean|wᵢ ⋆ inputᵢ| over all inputs


@dataclass
class ConvMix:
    layer: str                   # module path of the convolution
    shape: tuple[int, ...]       # weight shape (out, in / groups, k, k)
    groups: int
    rows: list[Mix]              # the strongest output channels first


def conv_mix(model: Any, image: np.ndarray | torch.Tensor, layer: str, n: int = 4,
             inputs: int = 4) -> ConvMix:
    """How a deeper convolution builds its strongest maps on ``image``: for each of its ``n``
    output channels with the largest mean output, the ``inputs`` input channels whose
    contribution wᵢ ⋆ inputᵢ is largest (mean absolute value), with their maps and weights.

    ``layer`` is a convolution's module path or a catalogue layer (its last convolution, as in
    :func:`filters`). This is the readable form of a deep filter: 1×1 or 3×3 kernels over
    hundreds of channels mean little as pictures, but "this map = +0.8 × that one − 0.5 × …" does.
    """
    net = A.as_net(model)
    path, conv = _conv(net, layer)
    if conv.padding_mode != "zeros":
        raise ValueError(f"{path} pads with {conv.padding_mode!r}; only zero padding is handled.")
    xin, out = _conv_io(net, _tensor(image, net.device), path)
    w = conv.weight.detach().float()
    c_out, per_group = w.shape[0], w.shape[1]
    xin, out = xin.float(), out.float()
    strength = out[0].mean((1, 2))
    rows = []
    for c in torch.argsort(strength, descending=True)[:n].tolist():
        g = c // (c_out // conv.groups)
        idx = list(range(g * per_group, (g + 1) * per_group))
        with torch.no_grad():           # each input channel through its own kernel, all at once
            parts = F.conv2d(xin[:, idx], w[c][:, None], stride=conv.stride, padding=conv.padding,
                             dilation=conv.dilation, groups=per_group)[0]
        size = parts.abs().mean((1, 2))
        top = torch.argsort(size, descending=True)[:inputs].tolist()
        total = float(size.sum()) or 1.0
        rows.append(Mix(c, out[0, c].cpu().numpy(), [idx[j] for j in top],
                        [xin[0, idx[j]].cpu().numpy() for j in top],
                        [float(w[c, j].sum()) for j in top], [float(size[j]) / total for j in top]))
    return ConvMix(path, tuple(w.shape), conv.groups, rows)


# --------------------------------------------------------------------------- feature maps

@dataclass
class FeatureMaps:
    layer: str
    maps: np.ndarray            # C × h × w float32, channels ordered strongest first
    channels: np.ndarray        # original channel index of each row of ``maps``
    strength: np.ndarray        # mean activation of each (ordered) channel
    stride: float               # input pixels per feature-map position


def _tensor(image: np.ndarray | torch.Tensor, device) -> torch.Tensor:
    if isinstance(image, torch.Tensor):
        return image.to(device)
    return A.to_tensor(image, device)


def activations(model: Any, image: np.ndarray | torch.Tensor, layers: Sequence[str]) -> dict[str, FeatureMaps]:
    """Feature maps of ``image`` (RGB uint8, or 1×3×H×W in [0, 1]) at ``layers``, each with its
    channels sorted strongest (largest mean activation) first."""
    net = A.as_net(model)
    x = _tensor(image, net.device)
    with torch.no_grad():
        acts = A.activations(net, x, list(layers))
    out = {}
    for name in layers:
        a = acts[name][0].float().cpu().numpy()
        if a.ndim != 3:
            raise ValueError(f"{name} is not a convolutional layer (output shape {a.shape}).")
        strength = a.reshape(a.shape[0], -1).mean(1)
        order = np.argsort(-strength, kind="stable")
        out[name] = FeatureMaps(name, a[order], order, strength[order], x.shape[-1] / a.shape[-1])
    return out


def channels(model: Any, layer: str) -> int:
    """How many channels (feature maps) ``layer`` has: a shape probe on a small grey picture,
    so channel inputs can be bounded by the layer's real count."""
    net = A.as_net(model)
    x = torch.full((1, 3, 64, 64), 0.5, device=net.device)
    with torch.no_grad():
        a = A.activations(net, x, [layer])[layer]
    if a.ndim != 4:
        raise ValueError(f"{layer} is not a convolutional layer (output shape {tuple(a.shape)}).")
    return int(a.shape[1])


def colorize(m: np.ndarray, lo: float | None = None, hi: float | None = None,
             cmap: int = cv2.COLORMAP_VIRIDIS) -> np.ndarray:
    """A 2-D array → RGB uint8 through a colour map (scaled to its own range unless given)."""
    lo = float(m.min()) if lo is None else lo
    hi = float(m.max()) if hi is None else hi
    u = np.clip((m - lo) / (hi - lo + 1e-12), 0, 1)
    bgr = cv2.applyColorMap((u * 255).astype(np.uint8), cmap)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def feature_grid(fm: FeatureMaps, n: int = 32, cols: int = 8, tile: int = 64,
                 shared_scale: bool = False) -> np.ndarray:
    """The first ``n`` (strongest) maps of a layer as a grid of colour tiles."""
    k = min(n, fm.maps.shape[0])
    hi = float(fm.maps[:k].max()) if shared_scale else None
    lo = float(fm.maps[:k].min()) if shared_scale else None
    tiles = [cv2.resize(colorize(fm.maps[i], lo, hi), (tile, tile), interpolation=cv2.INTER_NEAREST)
             for i in range(k)]
    return tile_grid(tiles, cols=min(cols, k), pad=2)


def overlay_map(image: np.ndarray, m: np.ndarray, alpha: float = 0.5,
                cmap: int = cv2.COLORMAP_JET) -> np.ndarray:
    """A map (any size, any range) scaled to the image and blended over it."""
    h, w = image.shape[:2]
    big = cv2.resize(m.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    heat = colorize(big, cmap=cmap)
    return (image.astype(np.float32) * (1 - alpha) + heat.astype(np.float32) * alpha).round().astype(np.uint8)


FEATURE_FRAME_TEXT = N_("{layer}: {n} strongest of {c} channels")   # the live panel's line


def feature_frame(frame: np.ndarray, model: Any, layer: str, n: int = 16,
                  text: str = FEATURE_FRAME_TEXT) -> tuple[np.ndarray, dict]:
    """Frame function for live mode: the frame next to a grid of its strongest feature maps
    (``text``: the panel's line, :data:`FEATURE_FRAME_TEXT` in the visitor's language)."""
    from core.frames import draw_panel

    small = prepare(frame, 224)
    fm = activations(model, small, [layer])[layer]
    grid = feature_grid(fm, n=n, cols=int(np.ceil(np.sqrt(n))), tile=max(16, frame.shape[0] // int(np.ceil(np.sqrt(n)))))
    grid = cv2.resize(grid, (round(grid.shape[1] * frame.shape[0] / grid.shape[0]), frame.shape[0]))
    out = np.concatenate([frame, grid], axis=1)
    return draw_panel(out, [text.format(layer=layer, n=n, c=fm.maps.shape[0])]), {"layer": layer}


# --------------------------------------------------------------------------- top patches

@dataclass
class Patch:
    crop: np.ndarray            # RGB uint8 crop of the gallery image
    score: float                # the channel's activation at that position
    index: int                  # which gallery image
    box: tuple[int, int, int, int]   # x0, y0, x1, y1 in the (prepared) gallery image
    position: tuple[int, int]   # (y, x) on the feature map


def gallery_variants(image: np.ndarray, size: int = 224, mirror: bool = False) -> list[np.ndarray]:
    """A picture and four of its corner crops (each as the network sees it), and with
    ``mirror`` the picture mirrored too: more views for the maximally-activating-patch search."""
    h, w = image.shape[:2]
    out = [prepare(image, size)]
    ch, cw = int(h * 0.6), int(w * 0.6)
    for y0, x0 in ((0, 0), (0, w - cw), (h - ch, 0), (h - ch, w - cw)):
        out.append(prepare(np.ascontiguousarray(image[y0:y0 + ch, x0:x0 + cw]), size))
    if mirror:
        out.append(np.ascontiguousarray(out[0][:, ::-1]))
    return out


def _box(m: np.ndarray, keep: float) -> tuple[int, int, int, int]:
    """The smallest square box, centred on the peak of blurred |gradient| ``m``, holding ``keep``
    of its mass (clipped to the picture)."""
    H, W = m.shape
    total = m.sum()
    if total <= 0:
        return 0, 0, W, H
    cy, cx = np.unravel_index(np.argmax(cv2.GaussianBlur(m, (0, 0), 3)), m.shape)
    for r in range(4, max(H, W) + 1, 2):
        y0, y1, x0, x1 = max(0, cy - r), min(H, cy + r), max(0, cx - r), min(W, cx + r)
        if m[y0:y1, x0:x1].sum() >= keep * total:
            return int(x0), int(y0), int(x1), int(y1)
    return 0, 0, W, H


def _rf_boxes(net: A.Net, x: torch.Tensor, layer: str, c: int, units: Sequence[tuple[int, int]],
              keep: float = 0.9) -> list[tuple[int, int, int, int]]:
    """Effective receptive field of unit (c, y, x) of each picture of the batch ``x`` (one unit
    per picture): one backward pass for all (in eval mode the pictures do not interact)."""
    xi = x.detach().clone().requires_grad_(True)
    ys = torch.tensor([u[0] for u in units])
    xs = torch.tensor([u[1] for u in units])
    with torch.enable_grad():
        a = A.activations(net, xi, [layer])[layer]
        (g,) = torch.autograd.grad(a[torch.arange(len(units)), c, ys, xs].sum(), xi)
    return [_box(m, keep) for m in g.abs().sum(1).cpu().numpy()]


def top_patches(model: Any, layer: str, channel: int, images: Sequence[np.ndarray], k: int = 9,
                batch: int = 8, per_image: int = 2, groups: Sequence[Any] | None = None,
                per_group: int = 2, margin: int = 1) -> list[Patch]:
    """The ``k`` positions over a gallery (RGB uint8 images, prepared to the same size) where
    channel ``channel`` of ``layer`` is largest — at most ``per_image`` from one picture, at
    least one feature-map cell apart, at most ``per_group`` from pictures of one group (views of
    one photo: ``groups[i]`` names the photo of ``images[i]``) — each with its
    effective-receptive-field crop. Positions within ``margin`` cells of the map's edge are left
    out on maps of 8 cells or more: there the unit sees the zero padding, which many channels
    answer to (on Lite0, 29 % of blocks[1]'s per-picture maxima sit on its edge, 7 % would by chance),
    and its crop would be cut off by the picture's border."""
    net = A.as_net(model)
    if not images:
        raise ValueError(_("The gallery is empty."))
    size = images[0].shape[:2]
    if any(im.shape[:2] != size for im in images):
        raise ValueError("Gallery images must share one size (use prepare()).")
    if groups is not None and len(groups) != len(images):
        raise ValueError("groups must name one group per gallery image.")
    maps = []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = torch.cat([A.to_tensor(im, net.device) for im in images[i:i + batch]])
            a = A.activations(net, x, [layer])[layer]
            if not 0 <= channel < a.shape[1]:
                raise ValueError(f"{layer} has {a.shape[1]} channels; {channel} is out of range.")
            maps.append(a[:, channel].float().cpu())
    fm = torch.cat(maps).numpy()                                   # N × h × w
    h, w = fm.shape[1:]
    edge = margin if min(h, w) >= 8 else 0
    cands: list[tuple[float, int, int, int]] = []
    for i in range(fm.shape[0]):
        m = np.full_like(fm[i], -np.inf)
        m[edge:h - edge, edge:w - edge] = fm[i][edge:h - edge, edge:w - edge]
        for _i in range(per_image):
            y, x = np.unravel_index(np.argmax(m), m.shape)
            if not np.isfinite(m[y, x]):
                break
            cands.append((float(m[y, x]), i, int(y), int(x)))
            m[max(0, y - 1):y + 2, max(0, x - 1):x + 2] = -np.inf
    cands.sort(key=lambda t: -t[0])
    chosen, taken = [], {}
    for cand in cands:
        g = groups[cand[1]] if groups is not None else cand[1]
        if taken.get(g, 0) < per_group:
            taken[g] = taken.get(g, 0) + 1
            chosen.append(cand)
            if len(chosen) == k:
                break
    if not chosen:
        return []
    x = torch.cat([A.to_tensor(images[i], net.device) for _, i, _, _ in chosen])
    boxes = _rf_boxes(net, x, layer, channel, [(y, xx) for _, _, y, xx in chosen])
    return [Patch(np.ascontiguousarray(images[i][y0:y1, x0:x1]), score, i, (x0, y0, x1, y1), (y, xx))
            for (score, i, y, xx), (x0, y0, x1, y1) in zip(chosen, boxes)]
