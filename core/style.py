"""Style: Gram matrices, neural texture synthesis, Gatys style transfer and fast (feed-forward)
style transfer — the notes' 000 (content / style / noise losses), 001 (texture synthesis, natural
and fast style transfer), 003 (Gram matrix steps) and 004 (J(G) = αJ_content + βJ_style).

**Gram matrix** (:func:`gram_matrix`). A layer's activation a (n_C × n_H × n_W) is n_H·n_W
feature vectors of n_C numbers. The Gram matrix sums (or averages) their outer products::

    G_kk' = Σ_i Σ_j a_ijk · a_ijk'          (notes 004; ``normalize="none"``, the default)
    G     = F Fᵀ / (n_H n_W)                (notes 001/003: the *average* outer product; "hw")

with F the n_C × (n_H n_W) matrix of the activation. Positions are summed away, so G says which
channels fire *together* (co-occurrence) but not *where*: shuffling the positions of a feature
map leaves G exactly unchanged (:func:`permute_positions`).

**Losses.**

* :func:`content_loss` — the MSE of one deep layer (notes 000), or the notes' 004
  ½‖a^(C) − a^(G)‖² (``kind="half_sse"``).
* :func:`style_loss` — several layers with per-layer weights λ_l. ``normalization="notes"``
  is 004's J^[l] = 1/(2 n_H n_W n_C)² Σ_kk' (G^(S) − G^(G))² with the summed Gram, combined as
  Σ_l λ_l J^[l]. ``normalization="hw"`` (what :func:`stylize` uses by default, and what the page
  uses) takes G = FFᵀ/(HW) and the relative error ‖G − G_S‖²/‖G_S‖², averaged over the layers
  with weights λ_l/Σλ: every layer then counts about equally whatever its size, which is what
  the DESIGN.md probe on EfficientNet-Lite0 measured as the best-looking result (4/5 on
  Starry Night). Both are the same function of the Grams up to a per-layer constant.
* :func:`tv_loss` — the notes' 잡음 손실 (noise loss): squared differences between each pixel
  and its right neighbour plus its lower neighbour (``reduction="sum"``: the plain hand sum).

**Gatys style transfer** (:func:`stylize`): J(G) = α J_content + β J_style + w_TV · TV, minimised
over the pixels of G (G := G − ∂J/∂G in the notes; here L-BFGS, or Adam). **Texture synthesis**
(:func:`synthesize_texture`): the same with α = 0 from noise — Gram matching only.

**Fast style transfer** (Johnson et al.): a small image-to-image network
(:class:`TransformerNet`) is trained once per style with the same perceptual loss
(:func:`train_fast_style`, CLI :func:`train_style_main`); afterwards one forward pass stylises
any picture (:func:`fast_style_frame`, the live-video frame function).

Loss network. Offline it is the zoo's EfficientNet-Lite0 with the layers measured best in
DESIGN.md (:data:`LOSS_LAYERS`): style on the stem after ReLU6 and on the ReLU6 output of the
1×1 expansion in the first block of stages 1–4 (``blocks.k.0.bn1``), content on ``blocks[3]``.
With VGG-16 weights: style on relu1_1 … relu5_1, content on relu4_2 (Gatys et al.).
Activations come from :func:`core.vis.ascent.activations` (per-call hooks under the model's
lock; gradients only with respect to the input).
"""
from __future__ import annotations

import argparse
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from core.i18n import N_, _
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .snapshots import Snapshot
from .vis import ascent as A

ASSETS = Path(__file__).resolve().parent.parent / "assets"

# --------------------------------------------------------------------------- loss-network layers


@dataclass(frozen=True)
class LossLayers:
    style: dict[str, str]          # label shown to people → module path
    content: str                   # module path
    content_label: str
    default_style: tuple[str, ...]  # labels used unless the caller chooses


LOSS_LAYERS: dict[str, LossLayers] = {
    # Measured on this machine (DESIGN.md): stem + blocks[1..4][0].bn1 for style, blocks[3] content.
    "efficientnet_lite0": LossLayers(
        style={"stem": "bn1",
               "blocks[1][0] expand": "blocks.1.0.bn1",
               "blocks[2][0] expand": "blocks.2.0.bn1",
               "blocks[3][0] expand": "blocks.3.0.bn1",
               "blocks[4][0] expand": "blocks.4.0.bn1",
               "blocks[5][0] expand": "blocks.5.0.bn1"},
        content="blocks.3", content_label="blocks[3]",
        default_style=("stem", "blocks[1][0] expand", "blocks[2][0] expand",
                       "blocks[3][0] expand", "blocks[4][0] expand")),
    "vgg16": LossLayers(
        style={"relu1_1": "features.1", "relu2_1": "features.6", "relu3_1": "features.11",
               "relu4_1": "features.18", "relu5_1": "features.25"},
        content="features.20", content_label="relu4_2",
        default_style=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")),
}


def loss_layers(model: Any) -> LossLayers:
    """The style/content layer table for a loss network (Lite0's when the net is not listed)."""
    return LOSS_LAYERS.get(A.as_net(model).name, LOSS_LAYERS["efficientnet_lite0"])


def _style_paths(net: A.Net, layers: Sequence[str] | Mapping[str, float] | None
                 ) -> dict[str, tuple[str, float]]:
    """{label: (module path, weight)} from labels, module paths or {label: weight}."""
    table = loss_layers(net)
    if layers is None:
        layers = list(table.default_style)
    items = list(layers.items()) if isinstance(layers, Mapping) else [(n, 1.0) for n in layers]
    if not items:
        raise ValueError(_("Choose at least one style layer."))
    out = {}
    for name, w in items:
        if not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
            raise ValueError(_("The weight of style layer {name!r} must be a number ≥ 0, not "
                               "{w!r}.", name=name, w=w))
        path = table.style.get(name) or (PIXELS if name == PIXELS else A.resolve_layer(net, name))
        out[name] = (path, float(w))
    if sum(w for _, w in out.values()) <= 0:
        raise ValueError(_("At least one style layer needs a weight above 0."))
    return out


# --------------------------------------------------------------------------- the formulas


class _Gram(torch.autograd.Function):
    """G = F Fᵀ for F of shape (B, C, N), with the backward pass in one matrix product.

    Autograd's own backward of ``F @ Fᵀ`` treats the two factors as different tensors: two
    products (∂G·F and ∂Gᵀ·F, each through a transposed copy) and a sum, which on this CPU cost
    four times the forward product. Since both factors are F, ∂L/∂F = (∂G + ∂Gᵀ) F: one product
    of the same size as the forward one. Same numbers (checked by ``torch.autograd.gradcheck``
    in the tests); about half the time of a style step's Gram matrices (``bench/bench_style.py``).
    """

    @staticmethod
    def forward(ctx, flat: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(flat)
        return flat @ flat.transpose(1, 2)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        (flat,) = ctx.saved_tensors
        return (grad + grad.transpose(1, 2)) @ flat


class _GramT(torch.autograd.Function):
    """G = XᵀX for X of shape (B, N, C) (positions × channels, NHWC memory): as :class:`_Gram`,
    ∂L/∂X = X (∂G + ∂Gᵀ) in one product."""

    @staticmethod
    def forward(ctx, rows: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(rows)
        return rows.transpose(1, 2) @ rows

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        (rows,) = ctx.saved_tensors
        return rows @ (grad + grad.transpose(1, 2))


def gram_matrix(features: torch.Tensor, normalize: str = "none") -> torch.Tensor:
    """Gram matrix of a (C,H,W) or (B,C,H,W) activation: (C,C) or (B,C,C).

    ``normalize="none"``: G_kk' = Σ_ij a_ijk a_ijk' (notes 004). ``"hw"``: divided by H·W, the
    average outer product of the feature vectors (notes 001/003). ``"chw"``: divided by C·H·W.
    """
    if features.dim() not in (3, 4):
        raise ValueError(f"gram_matrix expects a (C,H,W) or (B,C,H,W) tensor, got shape "
                         f"{tuple(features.shape)}.")
    single = features.dim() == 3
    f = features.unsqueeze(0) if single else features
    b, c, h, w = f.shape
    if not single and c > 1 and f.is_contiguous(memory_format=torch.channels_last):
        # NHWC activations (the loss network runs channels-last on the CPU): (B, HW, C) is a
        # view of the same memory, and G = XᵀX needs no copy; reshaping to (B, C, HW) would.
        rows = f.permute(0, 2, 3, 1).reshape(b, h * w, c)
        g = _GramT.apply(rows) if rows.requires_grad else rows.transpose(1, 2) @ rows
    else:
        flat = f.reshape(b, c, h * w)
        g = _Gram.apply(flat) if flat.requires_grad else flat @ flat.transpose(1, 2)
    if normalize == "hw":
        g = g / (h * w)
    elif normalize == "chw":
        g = g / (c * h * w)
    elif normalize != "none":
        raise ValueError(f"normalize must be 'none', 'hw' or 'chw', not {normalize!r}.")
    return g[0] if single else g


def content_loss(features: torch.Tensor, target: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """Content loss of one layer: ``"mse"`` mean((a^(G) − a^(C))²) (notes 000), or ``"half_sse"``
    ½‖a^(C) − a^(G)‖² (notes 004)."""
    d = features - target.detach()
    if kind == "mse":
        return d.pow(2).mean()
    if kind == "half_sse":
        return 0.5 * d.pow(2).sum()
    raise ValueError(f"kind must be 'mse' or 'half_sse', not {kind!r}.")


def style_layer_loss(features: torch.Tensor, target_gram: torch.Tensor,
                     normalization: str = "hw") -> torch.Tensor:
    """One layer's style loss against a style Gram made with the same normalization.

    ``"notes"``: 1/(2 n_H n_W n_C)² Σ_kk' (G^(S) − G^(G))², G summed over positions (004).
    ``"hw"``: ‖G − G_S‖² / ‖G_S‖² with G = FFᵀ/(HW) (the relative Gram error). A batch is averaged.
    """
    f = features if features.dim() == 4 else features.unsqueeze(0)
    _, c, h, w = f.shape
    if normalization == "notes":
        g = gram_matrix(f, "none")
        return (g - target_gram).pow(2).sum(dim=(-2, -1)).mean() / (2.0 * h * w * c) ** 2
    if normalization == "hw":
        g = gram_matrix(f, "hw")
        return ((g - target_gram).pow(2).sum(dim=(-2, -1))
                / target_gram.pow(2).sum(dim=(-2, -1)).clamp_min(1e-12)).mean()
    raise ValueError(f"normalization must be 'notes' or 'hw', not {normalization!r}.")


def style_gram(features: torch.Tensor, normalization: str = "hw") -> torch.Tensor:
    """The target Gram of a style activation for :func:`style_layer_loss`."""
    return gram_matrix(features.detach(), "none" if normalization == "notes" else "hw")


def style_loss(features: Mapping[str, torch.Tensor], targets: Mapping[str, torch.Tensor],
               weights: Mapping[str, float] | None = None, normalization: str = "hw",
               *, targets_are_grams: bool = False) -> tuple[torch.Tensor, dict[str, float]]:
    """Style loss over several layers → (total, {layer: its loss}).

    ``features``/``targets``: {layer: activation} of the generated and the style image (or the
    style Grams with ``targets_are_grams=True``). ``weights`` λ_l (default 1 each).
    ``"notes"``: Σ_l λ_l J^[l]; ``"hw"``: Σ_l λ_l J^[l] / Σ_l λ_l (a weighted average).
    """
    if not features:
        raise ValueError("style_loss needs at least one layer.")
    weights = {k: 1.0 for k in features} if weights is None else dict(weights)
    total = 0.0
    per: dict[str, float] = {}
    for name, f in features.items():
        tg = targets[name] if targets_are_grams else style_gram(targets[name], normalization)
        term = style_layer_loss(f, tg, normalization)
        per[name] = float(term.detach())
        total = total + weights.get(name, 1.0) * term
    if normalization == "hw":
        total = total / max(1e-12, sum(weights.get(n, 1.0) for n in features))
    return total, per  # type: ignore[return-value]


def tv_loss(x: torch.Tensor, reduction: str = "sum") -> torch.Tensor:
    """The notes' noise loss (잡음 손실): Σ (x[i, j+1] − x[i, j])² + Σ (x[i+1, j] − x[i, j])²
    over channels and the batch — the pixel differences after shifting one pixel right and one
    pixel down. ``reduction="mean"`` divides each sum by its number of terms."""
    dx = x[..., :, 1:] - x[..., :, :-1]
    dy = x[..., 1:, :] - x[..., :-1, :]
    if reduction == "sum":
        return dx.pow(2).sum() + dy.pow(2).sum()
    if reduction == "mean":
        return dx.pow(2).mean() + dy.pow(2).mean()
    raise ValueError(f"reduction must be 'sum' or 'mean', not {reduction!r}.")


# --------------------------------------------------------------------------- Gram demos


def permute_positions(features: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """The same feature vectors at shuffled positions: the Gram matrix is exactly unchanged."""
    c, h, w = features.shape[-3:]
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(h * w, generator=g)
    return features.reshape(*features.shape[:-2], h * w)[..., idx].reshape(features.shape)


def shuffle_patches(image: np.ndarray, patch: int = 32, seed: int = 0) -> np.ndarray:
    """The picture cut into ``patch``-px squares and reassembled in random order: the same
    local textures (nearly the same Gram matrices) with a different layout."""
    a = np.asarray(image)
    h, w = (a.shape[0] // patch) * patch, (a.shape[1] // patch) * patch
    if h == 0 or w == 0:
        raise ValueError(_("The image is smaller than one {patch}-px patch.", patch=patch))
    a = a[:h, :w]
    tiles = a.reshape(h // patch, patch, w // patch, patch, 3).swapaxes(1, 2).reshape(-1, patch, patch, 3)
    order = np.random.default_rng(seed).permutation(len(tiles))
    tiles = tiles[order].reshape(h // patch, w // patch, patch, patch, 3).swapaxes(1, 2)
    return np.ascontiguousarray(tiles.reshape(h, w, 3))


@dataclass
class GramReport:
    layer: str
    features: np.ndarray       # C × h × w activation
    gram: np.ndarray           # C × C, G = FFᵀ/(hw)
    gram_sum: np.ndarray       # C × C, G = FFᵀ (notes 004)
    top_pair: tuple[int, int]  # the two distinct channels that co-occur most (largest correlation)
    correlation: float
    correlations: np.ndarray   # C × C, G_kk'/√(G_kk G_k'k')


def correlation_matrix(gram: torch.Tensor) -> torch.Tensor:
    """G_kk'/√(G_kk·G_k'k'): the Gram matrix with each channel's own energy divided out."""
    d = torch.sqrt(torch.diag(gram).clamp_min(1e-12))
    return gram / d[:, None] / d[None, :]


def gram_report(image: np.ndarray, model: Any, layer: str, size: int = 256,
                max_correlation: float = 0.95) -> GramReport:
    """Activation and Gram matrix of one layer for a picture, plus its strongest co-occurring
    pair of channels: the largest off-diagonal correlation G_kk'/√(G_kk G_k'k') below
    ``max_correlation`` (near-duplicate channels say little)."""
    net = A.as_net(model)
    path = _resolve_any(net, layer)
    x = _prep(image, size, net.device)
    with torch.no_grad():
        f = A.activations(net, x, [path])[path][0]
    g = gram_matrix(f, "hw")
    d = torch.sqrt(torch.diag(g).clamp_min(1e-12))
    corr = g / d[:, None] / d[None, :]
    corr.fill_diagonal_(-2.0)
    active = torch.diag(g) > 1e-3 * torch.diag(g).max()
    corr[~active, :] = -2.0
    corr[:, ~active] = -2.0
    if bool((corr < max_correlation).any() & (corr > -2.0).any()):
        corr[corr >= max_correlation] = -2.0
    k = int(torch.argmax(corr))
    i, j = divmod(k, corr.shape[0])
    return GramReport(layer, f.numpy(), g.numpy(), gram_matrix(f, "none").numpy(), (i, j),
                      float(corr[i, j]), correlation_matrix(g).numpy())


def permutation_gram_change(features: np.ndarray | torch.Tensor, seed: int = 0) -> float:
    """How much the Gram matrix changes when the positions of a (C,H,W) feature map are
    shuffled (:func:`permute_positions`): max |G(perm) − G| / max |G|, in float64 — zero up to
    rounding, because the Gram matrix sums over positions."""
    f = torch.as_tensor(np.asarray(features)).double()
    g = gram_matrix(f)
    scale = float(g.abs().max())
    if scale == 0.0:
        return 0.0
    return float((gram_matrix(permute_positions(f, seed=seed)) - g).abs().max()) / scale


def _display_map(m: np.ndarray, zoom: int) -> np.ndarray:
    m = np.asarray(m)
    m = m - m.min()
    m = (255 * m / (m.max() + 1e-9)).astype(np.uint8)
    return np.kron(m, np.ones((zoom, zoom), np.uint8))


def co_occurrence_maps(features: np.ndarray, k: int, k2: int, zoom: int = 4
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Channel k, channel k' and their product of a (C,H,W) feature map as grey uint8 pictures
    (each stretched to 0–255, every cell enlarged to ``zoom``×``zoom`` px). The Gram entry
    G[k, k'] is the mean of the product map: it is bright where both channels are active."""
    f = np.asarray(features)
    c = f.shape[0]
    for name, i in (("k", k), ("k'", k2)):
        if not 0 <= int(i) < c:
            raise ValueError(f"Channel {name} must be between 0 and {c - 1}, not {i}.")
    if zoom < 1:
        raise ValueError(f"zoom must be ≥ 1, not {zoom}.")
    fk, fk2 = f[int(k)], f[int(k2)]
    return _display_map(fk, zoom), _display_map(fk2, zoom), _display_map(fk * fk2, zoom)


def gram_distance(a: np.ndarray, b: np.ndarray, model: Any, layers: Sequence[str] | None = None,
                  size: int = 256) -> dict[str, float]:
    """Relative Gram difference ‖G_a − G_b‖²/‖G_b‖² per style layer (G = FFᵀ/HW)."""
    net = A.as_net(model)
    chosen = _style_paths(net, layers)
    paths = [p for p, _ in chosen.values()]
    with torch.no_grad():
        fa = A.activations(net, _prep(a, size, net.device), paths)
        fb = A.activations(net, _prep(b, size, net.device), paths)
    return {name: float(style_layer_loss(fa[p], style_gram(fb[p], "hw"), "hw"))
            for name, (p, _) in chosen.items()}


PIXELS = "pixels"   # the pseudo-layer "the picture itself": its Gram is the colours' co-occurrence


def _activations(net: A.Net, x: torch.Tensor, paths: Sequence[str]) -> dict[str, torch.Tensor]:
    """:func:`core.vis.ascent.activations`, plus the picture itself for :data:`PIXELS`."""
    real = [p for p in paths if p != PIXELS]
    out = A.activations(net, x, real) if real else {}
    if PIXELS in paths:
        out[PIXELS] = x
    return out


def _resolve_any(net: A.Net, layer: str) -> str:
    table = loss_layers(net)
    return table.style.get(layer) or (table.content if layer == table.content_label else None) \
        or A.resolve_layer(net, layer)


# --------------------------------------------------------------------------- pictures


def _check_image(image: Any, what: str) -> np.ndarray:
    a = np.asarray(image)
    if a.ndim != 3 or a.shape[2] != 3 or a.dtype != np.uint8:
        raise ValueError(f"The {what} must be an RGB picture (H×W×3, uint8); load it with "
                         "core.images.load_image first.")
    if min(a.shape[:2]) < 16:
        raise ValueError(_("The {what} is too small ({w}×{h} px); use at least 16 px.", what=_(what), w=a.shape[1], h=a.shape[0]))
    return a


def _fit_side(h: int, w: int, side: int | None) -> tuple[int, int]:
    if side is None:
        return h, w
    s = side / max(h, w)
    return max(16, round(h * s)), max(16, round(w * s))


def _prep(image: np.ndarray, side: int | None, device: Any) -> torch.Tensor:
    x = A.to_tensor(_check_image(image, N_("image")), device)
    size = _fit_side(x.shape[-2], x.shape[-1], side)
    if tuple(x.shape[-2:]) != size:
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False,
                          antialias=size[0] < x.shape[-2])
    return x


def preserve_colors(stylized: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Keep the content's colours: the stylised luminance (Y) with the content's chroma (CbCr)."""
    import cv2

    c = content if content.shape == stylized.shape else cv2.resize(
        content, (stylized.shape[1], stylized.shape[0]), interpolation=cv2.INTER_AREA)
    ys = cv2.cvtColor(stylized, cv2.COLOR_RGB2YCrCb)
    yc = cv2.cvtColor(c, cv2.COLOR_RGB2YCrCb)
    yc[..., 0] = ys[..., 0]
    return cv2.cvtColor(yc, cv2.COLOR_YCrCb2RGB)


def procedural_style(name: str, size: int = 256, seed: int = 0) -> np.ndarray:
    """Style pictures the app makes itself (no files): "stripes", "mosaic", "swirls", "dots",
    "waves". RGB uint8 size×size."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    if name == "stripes":
        t = np.sin(2 * np.pi * (6 * xx + 3 * yy) + 1.5 * np.sin(2 * np.pi * 2 * yy))
        a = np.stack([0.5 + 0.45 * t, 0.25 + 0.2 * np.roll(t, size // 9, 1), 0.55 - 0.4 * t], -1)
    elif name == "mosaic":
        n = 70
        pts = rng.random((n, 2)).astype(np.float32)
        cols = rng.choice(np.array([[0.85, 0.2, 0.15], [0.95, 0.75, 0.1], [0.1, 0.35, 0.75],
                                    [0.1, 0.55, 0.3], [0.95, 0.95, 0.9]], np.float32), n)
        d = (yy[..., None] - pts[:, 0]) ** 2 + (xx[..., None] - pts[:, 1]) ** 2
        order = np.sort(d, axis=-1)
        a = cols[np.argmin(d, axis=-1)]
        grout = (np.sqrt(order[..., 1]) - np.sqrt(order[..., 0])) < 0.008
        a[grout] = 0.12
    elif name == "swirls":
        a = np.zeros((size, size, 3), np.float32)
        base = np.array([0.05, 0.1, 0.35], np.float32)
        a[:] = base
        for _ in range(9):
            cy, cx, r = rng.random(), rng.random(), 0.12 + 0.15 * rng.random()
            dy, dx = yy - cy, xx - cx
            rad = np.sqrt(dy ** 2 + dx ** 2)
            ang = np.arctan2(dy, dx)
            ring = np.sin(2 * np.pi * rad / 0.05 + 3 * ang) * np.exp(-(rad / r) ** 2)
            col = np.array([0.95, 0.85, 0.3] if rng.random() < 0.5 else [0.45, 0.7, 0.95], np.float32)
            a += np.clip(ring, 0, 1)[..., None] * (col - base) * 0.9
    elif name == "dots":
        # Polka dots of one size on a jittered grid, wrapped at the edges (the pattern tiles):
        # round, well apart and ≈ 22 px across at 256 px, big enough for the loss network's
        # deeper layers to see discs; a scatter of tiny dots came out as speckle.
        a = np.full((size, size, 3), [0.97, 0.93, 0.82], np.float32)
        cols = np.array([[0.8, 0.1, 0.2], [0.1, 0.25, 0.65], [0.1, 0.1, 0.1]], np.float32)
        n, r = 7, 0.043
        for i in range(n):
            for j in range(n):
                cy = (i + 0.5 + 0.3 * (rng.random() - 0.5)) / n
                cx = (j + 0.5 + 0.3 * (rng.random() - 0.5) + 0.5 * (i % 2)) / n
                col = cols[rng.integers(3)]
                for oy in (-1, 0, 1):
                    for ox in (-1, 0, 1):
                        a[(yy - cy - oy) ** 2 + (xx - cx - ox) ** 2 < r * r] = col
    elif name == "waves":
        t = np.sin(2 * np.pi * 10 * (yy + 0.06 * np.sin(2 * np.pi * 3 * xx)))
        crest = np.clip(t, 0, 1) ** 6
        a = np.stack([0.1 + 0.85 * crest, 0.25 + 0.7 * crest, 0.55 + 0.4 * crest + 0.1 * t], -1)
    else:
        raise ValueError(f"Unknown pattern {name!r}; choose one of {', '.join(PATTERNS)}.")
    return (np.clip(a, 0, 1) * 255).round().astype(np.uint8)


PATTERNS = {"swirls": N_("Swirls — golden and blue whirls on deep blue"),
            "mosaic": N_("Mosaic — coloured Voronoi tiles with dark grout"),
            "stripes": N_("Stripes — wavy diagonal bands"),
            "waves": N_("Waves — blue water with white crests"),
            "dots": N_("Dots — red, blue and black polka dots on paper")}


# --------------------------------------------------------------------------- Gatys


def stylize(content: np.ndarray | None, style: np.ndarray, model: Any, *,
            alpha: float = 1.0, beta: float = 1e3, tv_weight: float = 10.0,
            style_layers: Sequence[str] | Mapping[str, float] | None = None,
            content_layer: str | None = None, init: str = "content",
            optimizer: str = "lbfgs", steps: int = 100, lr: float | None = None,
            size: int | None = 256, style_size: int | None = None, preserve_color: bool = False,
            normalization: str = "hw", content_kind: str = "mse", seed: int = 0,
            snapshot_every: int = 5, out_size: tuple[int, int] | None = None,
            threads: int | None = None) -> Iterator[Snapshot]:
    """Gatys style transfer: minimise J(G) = α·J_content + β·J_style + w_TV·TV over the pixels.

    ``content``/``style``: RGB uint8 (content None → texture synthesis of ``out_size``).
    ``size``: longer side of the result (None: as given); ``style_size``: longer side the style
    picture is seen at (default: ``size``). ``style_layers``: labels from :data:`LOSS_LAYERS`
    (or module paths), or {label: λ}; ``content_layer``: default the net's (Lite0 ``blocks[3]``).
    ``init``: "content" or "noise". ``optimizer``: "lbfgs" (lr 1, history 50, strong Wolfe:
    ``steps`` counts loss evaluations, each one forward + backward) or "adam" (lr 0.02 on 0–1
    pixels, one evaluation per step). TV uses ``reduction="mean"``; the style loss uses
    ``normalization`` ("hw" default, or the notes' "notes"); content ``content_kind``.

    Yields :class:`Snapshot` about every ``snapshot_every`` evaluations: ``loss`` = J, ``info``
    = ``content``/``style``/``tv`` (the weighted terms αJ_c, βJ_s, w·TV), ``J_content``,
    ``J_style``, ``J_tv`` (unweighted) and ``per_layer`` {label: style loss}; ``image`` the
    current result (colour-preserved when asked). ``threads``: torch CPU threads while it runs
    (``core.devices.torch_threads``; 1 is fastest on a busy 2-core machine; None leaves it).
    Raises ``ValueError`` for bad parameters.
    """
    net = A.as_net(model)
    s = _check_image(style, N_("style image"))
    for name, v in (("alpha", alpha), ("beta", beta), ("tv_weight", tv_weight)):
        if not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise ValueError(f"{name} must be a number ≥ 0 (got {v!r}).")
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be a whole number ≥ 1 (got {steps!r}).")
    if init not in ("content", "noise"):
        raise ValueError(f"init must be 'content' or 'noise', not {init!r}.")
    if optimizer not in ("lbfgs", "adam"):
        raise ValueError(f"optimizer must be 'lbfgs' or 'adam', not {optimizer!r}.")
    if normalization not in ("hw", "notes"):
        raise ValueError(f"normalization must be 'hw' or 'notes', not {normalization!r}.")
    table = loss_layers(net)
    chosen = _style_paths(net, style_layers)
    gen = torch.Generator().manual_seed(int(seed))
    if content is not None:
        c = _prep(content, size, net.device)
        c_path = table.content if content_layer in (None, table.content_label) else \
            _resolve_any(net, content_layer)
    else:
        if init == "content":
            init = "noise"
        h, w = out_size or (size or 256, size or 256)
        c = _smooth_noise(h, w, gen, grey=_is_grey(s)).to(net.device)
        c_path = None
        alpha = 0.0
    st_side = style_size or (max(c.shape[-2:]) if size is None else size)
    sx = _prep(s, st_side, net.device)
    paths = list(dict.fromkeys([p for p, _ in chosen.values()]))
    with torch.no_grad():
        sf = _activations(net, sx, paths)
        targets = {name: style_gram(sf[p], normalization) for name, (p, _) in chosen.items()}
        c_target = A.activations(net, c, [c_path])[c_path].detach() if c_path else None
    weights = {name: w for name, (_, w) in chosen.items()}
    if init == "content":
        x0 = c.clone()
    else:
        x0 = (0.5 + 0.1 * torch.randn(c.shape, generator=gen)).clamp(0, 1).to(net.device) \
            if content is not None else c.clone()
    out_hw = tuple(x0.shape[-2:])
    if content is None:
        if _is_grey(s):
            x0 = x0[:, :1]          # a grey style: optimise one grey channel, shown as RGB
        # A texture is optimised at half resolution and enlarged: the loss network's first
        # convolution has stride 2, so it barely sees finer detail, which was left as noise.
        x0 = F.interpolate(x0, size=(max(8, out_hw[0] // 2), max(8, out_hw[1] // 2)),
                           mode="bilinear", align_corners=False, antialias=True)
    x = x0.contiguous().requires_grad_(True)
    all_paths = paths + ([c_path] if c_path and c_path not in paths else [])
    content_np = A.to_image(c) if content is not None else None
    return _optimise(net, x, chosen, targets, weights, c_path, c_target, all_paths, alpha, beta,
                     tv_weight, normalization, content_kind, optimizer, int(steps), lr,
                     max(1, int(snapshot_every)), preserve_color and content_np is not None, content_np,
                     threads, out_hw)


def _is_grey(image: np.ndarray, tol: int = 3) -> bool:
    """Whether a picture has no colour (every pixel's channels within ``tol`` of each other)."""
    a = np.asarray(image).astype(np.int16)
    return bool(np.abs(a - a.mean(axis=-1, keepdims=True)).max() <= tol)


def _smooth_noise(h: int, w: int, gen: torch.Generator, grey: bool = False) -> torch.Tensor:
    """The start of a texture: noise at several scales (1/16, 1/8, 1/4 of the size, bilinear
    up), not per-pixel noise. The loss network's first convolution has stride 2 and barely sees
    single-pixel noise, so a per-pixel start kept it to the end, as coloured speckle. ``grey``:
    the same in all three channels (for a grey style picture)."""
    c = 1 if grey else 3
    x = torch.zeros(1, c, h, w)
    for f, amp in ((16, 0.3), (8, 0.2), (4, 0.1)):
        n = torch.rand((1, c, max(1, h // f), max(1, w // f)), generator=gen) - 0.5
        x = x + amp * F.interpolate(n, size=(h, w), mode="bilinear", align_corners=False)
    return (0.5 + x).clamp(0, 1).expand(1, 3, h, w).contiguous()


def _rgb(x: torch.Tensor, hw: tuple[int, int] | None = None) -> torch.Tensor:
    """The picture an optimised tensor stands for: one channel (grey) as three equal channels,
    and a smaller tensor bilinearly enlarged to ``hw``."""
    if hw is not None and tuple(x.shape[-2:]) != tuple(hw):
        x = F.interpolate(x, size=tuple(hw), mode="bilinear", align_corners=False)
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


def _optimise(net, x, chosen, targets, weights, c_path, c_target, all_paths, alpha, beta, tv_w,
              normalization, content_kind, optimizer, steps, lr, every, keep_colour, content_np,
              threads=None, out_hw=None) -> Iterator[Snapshot]:
    from .devices import torch_threads

    with torch_threads(threads):
        yield from _optimise_loop(net, x, chosen, targets, weights, c_path, c_target, all_paths,
                                  alpha, beta, tv_w, normalization, content_kind, optimizer, steps,
                                  lr, every, keep_colour, content_np, out_hw)


def _optimise_loop(net, x, chosen, targets, weights, c_path, c_target, all_paths, alpha, beta, tv_w,
                   normalization, content_kind, optimizer, steps, lr, every, keep_colour, content_np,
                   out_hw=None) -> Iterator[Snapshot]:
    last: dict[str, Any] = {}
    evals = [0]

    seen = [None]   # the pixels the numbers in ``last`` belong to

    def evaluate():
        xc = _rgb(x, out_hw).clamp(0, 1)    # the picture is what the network sees and what is shown
        acts = _activations(net, xc, all_paths)
        feats = {name: acts[p] for name, (p, _) in chosen.items()}
        js, per = style_loss(feats, targets, weights, normalization, targets_are_grams=True)
        jc = content_loss(acts[c_path], c_target, content_kind) if c_path else x.new_zeros(())
        jt = tv_loss(xc, "mean")
        total = alpha * jc + beta * js + tv_w * jt
        evals[0] += 1
        seen[0] = x.detach().clone()
        last.update(J_content=float(jc.detach()), J_style=float(js.detach()), J_tv=float(jt.detach()),
                    total=float(total.detach()), per_layer=per)
        return total

    def snap() -> Snapshot:
        if seen[0] is None or not torch.equal(seen[0], x.detach()):
            with torch.no_grad():       # the line search ended on an earlier trial point
                evaluate()
            evals[0] -= 1
        img = A.to_image(_rgb(x, out_hw).clamp(0, 1))
        if keep_colour:
            img = preserve_colors(img, content_np)
        return Snapshot(step=min(evals[0], steps), total=steps, loss=last["total"], image=img,
                        info={"content": alpha * last["J_content"], "style": beta * last["J_style"],
                              "tv": tv_w * last["J_tv"], "J_content": last["J_content"],
                              "J_style": last["J_style"], "J_tv": last["J_tv"],
                              "per_layer": dict(last["per_layer"])})

    with torch.no_grad():
        evaluate()
    evals[0] = 0
    yield snap()                                  # step 0: the starting point's losses
    if optimizer == "lbfgs":
        opt = torch.optim.LBFGS([x], lr=lr or 1.0, history_size=50, line_search_fn="strong_wolfe",
                                tolerance_grad=1e-9, tolerance_change=1e-12)

        def closure():
            opt.zero_grad()
            total = evaluate()
            total.backward()
            return total

        while evals[0] < steps:
            before = evals[0]
            left = steps - evals[0]
            group = opt.param_groups[0]
            group["max_iter"] = max(1, min(every, left))
            group["max_eval"] = left
            opt.step(closure)
            if evals[0] == before:           # converged: nothing more to do
                break
            yield snap()
            if evals[0] - before <= 1 and group["max_iter"] > 1:
                break                         # LBFGS stopped on its tolerances
    else:
        opt = torch.optim.Adam([x], lr=lr or 0.02)
        for i in range(steps):
            opt.zero_grad()
            total = evaluate()
            total.backward()
            opt.step()
            if (i + 1) % every == 0 or i + 1 == steps:
                yield snap()


def synthesize_texture(style: np.ndarray, model: Any, size: int | tuple[int, int] = 192, *,
                       style_layers: Sequence[str] | Mapping[str, float] | None = None,
                       style_size: int | None = None, steps: int = 100, optimizer: str = "lbfgs",
                       tv_weight: float = 0.0, beta: float = 1e3, normalization: str = "hw", seed: int = 0,
                       snapshot_every: int = 5, threads: int | None = None, colours: bool = True
                       ) -> Iterator[Snapshot]:
    """Neural texture synthesis (notes 001): start from noise and match only the style Grams.

    ``size``: side (or (h, w)) of the texture; ``style_size``: longer side the style is seen at
    (default 128: the loss network then sees the style's shapes at the scale of its middle
    layers — the 256-px default drew the dots preset as fragments and the mosaic as shards;
    chosen by looking). The loss is β·J_style + w_TV·TV (β = 1000 as in :func:`stylize`, so TV weights
    mean the same in both); ``info["J_style"]`` is the Gram distance at each snapshot.

    ``colours`` (default): the picture itself is one more Gram layer (:data:`PIXELS`, the
    colours' co-occurrence). EfficientNet-Lite0's first convolution has stride 2 and leaves the
    colours of neighbouring pixels free: without it the texture comes out as rainbow noise.
    The texture is optimised at half its size and enlarged (see :func:`stylize`); a grey style
    gives a grey texture.
    """
    hw = (size, size) if isinstance(size, int) else tuple(size)
    if colours:
        layers = style_layers if style_layers is not None else list(loss_layers(model).default_style)
        if isinstance(layers, Mapping):
            layers = {**layers, PIXELS: layers.get(PIXELS, 1.0)}
        elif PIXELS not in layers:
            layers = [*layers, PIXELS]
        style_layers = layers
    return stylize(None, style, model, alpha=0.0, beta=beta, tv_weight=tv_weight,
                   style_layers=style_layers, init="noise", optimizer=optimizer, steps=steps,
                   size=None, style_size=style_size or 128, normalization=normalization,
                   seed=seed, snapshot_every=snapshot_every, out_size=hw, threads=threads)


def run_to_end(it: Iterator[Snapshot]) -> Snapshot:
    """Run a style iterator to the end; the last snapshot."""
    last = None
    for last in it:
        pass
    if last is None:
        raise ValueError("Nothing was computed.")
    return last


def sweep_beta(content: np.ndarray, style: np.ndarray, model: Any, betas: Sequence[float], *,
               steps: int = 40, size: int | None = 128, **kwargs: Any) -> Iterator[Snapshot]:
    """Style transfer once per style weight β, smallest first: one :class:`Snapshot` per β
    (``step`` = how many are done, ``image`` = that β's result, ``info["beta"]``). The other
    keyword arguments go to :func:`stylize` as they are. Raises ``ValueError`` when there is no β."""
    values = sorted(float(b) for b in betas)
    if not values:
        raise ValueError(_("Choose at least one β value."))
    kwargs.pop("snapshot_every", None)
    return _sweep(content, style, model, values, steps, size, kwargs)


def _sweep(content, style, model, betas, steps, size, kwargs) -> Iterator[Snapshot]:
    for i, b in enumerate(betas):
        last = run_to_end(stylize(content, style, model, beta=b, steps=steps, size=size,
                                  snapshot_every=steps, **kwargs))
        yield Snapshot(step=i + 1, total=len(betas), loss=last.loss, image=last.image,
                       info={"beta": b})


# --------------------------------------------------------------------------- fast style


class _ConvIN(nn.Sequential):
    def __init__(self, cin: int, cout: int, k: int, stride: int = 1, relu: bool = True):
        layers: list[nn.Module] = [nn.ReflectionPad2d(k // 2), nn.Conv2d(cin, cout, k, stride),
                                   nn.InstanceNorm2d(cout, affine=True)]
        if relu:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class _Residual(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(_ConvIN(c, c, 3), _ConvIN(c, c, 3, relu=False))

    def forward(self, x):
        return x + self.body(x)


class _Up(nn.Sequential):
    """×2 upsampling as a sub-pixel convolution: 3×3 conv to 4·cout channels at the low
    resolution, then a pixel shuffle. Each output pixel's 2×2 sub-position has its own kernel,
    so nothing ties the four together: a trained net drifts into a period-2 lattice (Odena et
    al., "Deconvolution and checkerboard artifacts", Distill 2016). Kept to load the first
    bundled models (``upsample="subpixel"``) and to show that lesson."""
    def __init__(self, cin: int, cout: int):
        super().__init__(nn.ReflectionPad2d(1), nn.Conv2d(cin, 4 * cout, 3), nn.PixelShuffle(2),
                         nn.InstanceNorm2d(cout, affine=True), nn.ReLU(inplace=True))


class _ResizeUp(nn.Sequential):
    """×2 upsampling as resize-then-convolve: nearest-neighbour ×2, then a 3×3 convolution at the
    new resolution (Odena et al. 2016). Every output pixel sees its neighbours through the same
    kernel, so no period-2 pattern is built in; the arithmetic is the same as the sub-pixel
    version's (9·cin·cout multiply-adds per output pixel)."""
    def __init__(self, cin: int, cout: int, norm: bool = True):
        layers: list[nn.Module] = [nn.Upsample(scale_factor=2, mode="nearest"), nn.ReflectionPad2d(1),
                                   nn.Conv2d(cin, cout, 3)]
        if norm:
            layers += [nn.InstanceNorm2d(cout, affine=True), nn.ReLU(inplace=True)]
        super().__init__(*layers)


UPSAMPLING = ("resize", "subpixel")


class TransformerNet(nn.Module):
    """Johnson et al.'s image transformation network, slimmed for live video on a CPU: three
    stride-2 downsampling convolutions (the first 5×5), ``n_res`` residual blocks at 1/8
    resolution, then three ×2 upsamplings back to full size, the last one to RGB, added to the
    input in logit space (a skip connection: the untrained net is nearly the identity); instance
    normalisation throughout. Input and output are pixels in [0, 1].

    ``upsample="resize"`` (default): nearest ×2 then a 3×3 convolution (:class:`_ResizeUp`).
    ``"subpixel"``: 3×3 convolution to 4× the channels then a pixel shuffle (:class:`_Up`), as
    the first bundled models were trained: they drew a period-2 lattice
    (:func:`period2_energy` measures it)."""

    def __init__(self, widths: Sequence[int] = (16, 32, 48), n_res: int = 3,
                 upsample: str = "resize"):
        super().__init__()
        if upsample not in UPSAMPLING:
            raise ValueError(f"upsample must be one of {', '.join(UPSAMPLING)}, not {upsample!r}.")
        c1, c2, c3 = widths
        self.config = {"widths": list(widths), "n_res": n_res, "upsample": upsample}
        self.down = nn.Sequential(_ConvIN(3, c1, 5, 2), _ConvIN(c1, c2, 3, 2), _ConvIN(c2, c3, 3, 2))
        self.res = nn.Sequential(*[_Residual(c3) for _ in range(n_res)])
        if upsample == "subpixel":
            self.up = nn.Sequential(_Up(c3, c2), _Up(c2, c1))
            # the last ×2: a 3×3 convolution at half resolution to 4 sub-pixels × RGB, shuffled
            self.out = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c1, 12, 3), nn.PixelShuffle(2))
        else:
            self.up = nn.Sequential(_ResizeUp(c3, c2), _ResizeUp(c2, c1))
            # the last ×2: RGB at half resolution, bilinear ×2 (smooth, a quarter of the cost of
            # a full-resolution convolution); the full-resolution detail comes from the skip
            self.out = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c1, 3, 3),
                                     nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        ph, pw = (-h) % 8, (-w) % 8
        y = F.pad(x, (0, pw, 0, ph), mode="reflect") if ph or pw else x
        # A skip connection in logit space: at initialisation the net is close to the identity,
        # so training spends its steps on the style, not on learning to copy the photo.
        y = torch.sigmoid(self.out(self.up(self.res(self.down(y)))) + torch.logit(y.clamp(0.02, 0.98)))
        return y[..., :h, :w]


def period2_energy(image: np.ndarray, band: float = 1 / 64) -> float:
    """The share of a picture's spectral energy in the period-2 bands: the checkerboard meter.

    The luminance (mean of the channels, cropped to even sides, mean removed) is Fourier
    transformed; the result is the energy at frequencies within ``band`` cycles/px of the
    Nyquist frequency ½ along either axis (periods of 2 px, slightly modulated by the picture),
    divided by all the energy. A photo has ~0.02–0.1 % there; a decoder whose ×2 upsampling
    leaves a lattice (sub-pixel or transposed convolutions, Odena et al. 2016) puts several %."""
    a = np.asarray(image, np.float64)
    if a.ndim == 3:
        a = a.mean(axis=-1)
    if a.ndim != 2 or min(a.shape) < 4:
        raise ValueError(f"period2_energy needs a picture of at least 4×4 px, got shape {np.shape(image)}.")
    if not 0 <= band < 0.5:
        raise ValueError(f"band must be in [0, 0.5), not {band!r}.")
    a = a[:a.shape[0] // 2 * 2, :a.shape[1] // 2 * 2]
    a = a - a.mean()
    power = np.abs(np.fft.fft2(a)) ** 2
    total = power.sum()
    if total <= 0:
        return 0.0
    fy = np.abs(np.fft.fftfreq(a.shape[0]))[:, None]
    fx = np.abs(np.fft.fftfreq(a.shape[1]))[None, :]
    return float(power[(fy >= 0.5 - band - 1e-12) | (fx >= 0.5 - band - 1e-12)].sum() / total)


def period2_spectrum(image: np.ndarray, side: int = 256) -> np.ndarray:
    """The picture's power spectrum as a grey uint8 picture (log scale, zero frequency in the
    middle, the period-2 frequencies on the border): a lattice shows as bright border lines and
    corners. The luminance is cropped to a centred ``side``×``side`` square first (when larger)."""
    a = np.asarray(image, np.float64)
    if a.ndim == 3:
        a = a.mean(axis=-1)
    h, w = a.shape
    n = min(side, h // 2 * 2, w // 2 * 2)
    if n < 4:
        raise ValueError(f"period2_spectrum needs a picture of at least 4×4 px, got {w}×{h}.")
    y0, x0 = (h - n) // 2, (w - n) // 2
    a = a[y0:y0 + n, x0:x0 + n]
    a = (a - a.mean()) * np.outer(np.hanning(n), np.hanning(n))
    p = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(a))) ** 2)
    lo, hi = np.percentile(p, 1), p.max()
    return (255 * np.clip((p - lo) / max(hi - lo, 1e-9), 0, 1)).round().astype(np.uint8)


@dataclass
class CheckerboardReport:
    """One picture through a fast-style net with a sub-pixel decoder and one with a resize
    decoder (:func:`checkerboard_report`): results, 4× enlarged centre crops, spectra and the
    period-2 energy of each, the photo first."""
    labels: list[str]
    images: list[np.ndarray]
    crops: list[np.ndarray]
    spectra: list[np.ndarray]
    energy: list[float]


def checkerboard_report(image: np.ndarray, before: FastStyleModel | TransformerNet,
                        after: FastStyleModel | TransformerNet, side: int = 320, crop: int = 48,
                        zoom: int = 4, threads: int | None = None) -> CheckerboardReport:
    """The checkerboard lesson for one picture: the photo (at ``side`` px), ``before``'s and
    ``after``'s results, each with a ``crop``-px centre square enlarged ``zoom``× (nearest, so
    single pixels stay visible), its spectrum (:func:`period2_spectrum`) and its
    :func:`period2_energy`."""
    photo = _check_image(image, N_("picture"))
    from .images import resize_max

    photo = resize_max(photo, side)
    outs = [photo] + [fast_style_frame(photo, m, threads=threads) for m in (before, after)]
    h, w = photo.shape[:2]
    c = min(crop, h, w)
    y0, x0 = (h - c) // 2, (w - c) // 2
    crops = [np.ascontiguousarray(o[y0:y0 + c, x0:x0 + c].repeat(zoom, 0).repeat(zoom, 1))
             for o in outs]
    names = [getattr(m, "name", "net") for m in (before, after)]
    return CheckerboardReport(["photo"] + names, outs, crops, [period2_spectrum(o) for o in outs],
                              [period2_energy(o) for o in outs])


def transposed_overlap(n: int = 6, kernel: int = 3, stride: int = 2) -> np.ndarray:
    """How many kernel taps of a transposed convolution land on each output pixel (1-D, input of
    ``n`` ones, all-ones kernel): with ``kernel`` not a multiple of ``stride`` the counts
    alternate (3×3, stride 2: 1, 2, 1, 2, …) — the uneven overlap behind checkerboards."""
    x = torch.ones(1, 1, n)
    w = torch.ones(1, 1, kernel)
    return F.conv_transpose1d(x, w, stride=stride)[0, 0].numpy()


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@dataclass
class FastStyleModel:
    name: str
    net: TransformerNet
    card: dict = field(default_factory=dict)
    path: Path | None = None
    style: np.ndarray | None = None     # the style picture it learnt (a small copy), when known


def save_fast_style(net: TransformerNet, path: str | Path, card: dict | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float16) if v.is_floating_point() else v
             for k, v in net.state_dict().items()}
    torch.save({"config": net.config, "state_dict": state, "card": card or {}}, path)
    return path


def load_fast_style(path: str | Path) -> FastStyleModel:
    """A fast-style model file (from :func:`save_fast_style`), in eval mode, frozen."""
    path = Path(path)
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        # files written before the upsampling was a setting used sub-pixel convolutions
        net = TransformerNet(**{"upsample": "subpixel", **blob["config"]})
        net.load_state_dict({k: v.float() if v.is_floating_point() else v
                             for k, v in blob["state_dict"].items()})
    except (OSError, KeyError, RuntimeError, TypeError) as e:
        raise ValueError(f"{path.name} is not a usable fast-style model: {e}") from e
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    name = path.stem.removeprefix("fast_style_")
    thumb = path.with_name(f"fast_style_{LESSON_MODELS.get(name, name)}_style.jpg")
    style = None
    if thumb.is_file():
        from .images import load_image

        try:
            style = load_image(thumb, max_side=STYLE_THUMB_SIDE)
        except ValueError:
            style = None
    return FastStyleModel(name, net, dict(blob.get("card", {})), path, style)


def bundled_fast_styles(folder: str | Path | None = None, lessons: bool = False) -> dict[str, Path]:
    """{name: file} of the fast-style models shipped in ``assets/`` (``fast_style_<name>.pt``);
    the lesson models (:data:`LESSON_MODELS`) only with ``lessons=True``."""
    folder = Path(folder) if folder else ASSETS
    found = {p.stem.removeprefix("fast_style_"): p for p in sorted(folder.glob("fast_style_*.pt"))}
    return {n: p for n, p in found.items() if lessons or n not in LESSON_MODELS}


def training_photos(max_side: int = 384) -> list[np.ndarray]:
    """The bundled sample photos a fast-style model may train on: all but :data:`HELD_OUT_SAMPLE`."""
    from .images import load_sample, samples

    out = []
    for n in samples():
        if n == HELD_OUT_SAMPLE:
            continue
        try:
            out.append(load_sample(n, max_side=max_side))
        except ValueError:
            continue
    return out


def load_bundled_fast_style(device: str = "cpu", name: str = "starry_night"):
    """A bundled fast-style network as a zoo ``LoadedModel`` (for ``core.zoo`` / the model cache)."""
    from . import zoo

    path = bundled_fast_styles(lessons=True).get(name)
    if path is None:
        raise zoo.ModelUnavailable(f"No bundled fast-style model {name!r}: run `make assets`.")
    try:
        m = load_fast_style(path)
    except ValueError as e:
        raise zoo.ModelUnavailable(str(e)) from e
    fast_style_frame(np.zeros((64, 64, 3), np.uint8), m)  # warm-up: the first timing shown is real
    card = m.card
    return zoo.LoadedModel(
        name=f"fast-style-{name}", requested=f"fast-style-{name}",
        title=f"Fast style: {name.replace('_', ' ').title()}", task="style", model=m,
        provenance=_("bundled: trained by this project (scripts/make_style_assets.py, {steps} "
                     "steps at {size} px, style {style}; card assets/fast_style.md)",
                     steps=card.get('steps', '?'), size=card.get('size', '?'),
                     style=card.get('style_image', name)),
        preprocess=None, labels=[], device="cpu", pretrained=True, meta={"card": card})


def fast_style_frame(frame: np.ndarray, model: FastStyleModel | TransformerNet,
                     max_side: int | None = None, strength: float = 1.0,
                     threads: int | None = None) -> np.ndarray:
    """The live frame function: one forward pass of a fast-style network on an RGB uint8
    frame → stylised RGB uint8 of the same size. ``max_side``: process at most this size (the
    result is scaled back); ``strength`` in [0, 1] blends with the input; ``threads``: torch CPU
    threads for this call (``core.devices.torch_threads``; None leaves the setting alone)."""
    if threads is not None:
        from .devices import torch_threads

        with torch_threads(threads):
            return fast_style_frame(frame, model, max_side, strength)
    net = model.net if isinstance(model, FastStyleModel) else model
    a = np.asarray(frame)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"Expected an RGB frame H×W×3, got shape {a.shape}.")
    h, w = a.shape[:2]
    with torch.inference_mode():
        x = torch.from_numpy(np.array(a, copy=True)).permute(2, 0, 1).unsqueeze(0).float().div_(255)
        if max_side and max(h, w) > max_side:
            s = max_side / max(h, w)
            x = F.interpolate(x, size=(max(8, round(h * s)), max(8, round(w * s))), mode="bilinear",
                              align_corners=False, antialias=True)
        y = net(x)
        if tuple(y.shape[-2:]) != (h, w):
            y = F.interpolate(y, size=(h, w), mode="bilinear", align_corners=False)
        if strength < 1.0:
            y = strength * y + (1 - strength) * torch.from_numpy(a).permute(2, 0, 1)[None].float() / 255
        out = y[0].clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    return np.ascontiguousarray(out)


def timed_fast_style(frame: np.ndarray, model: FastStyleModel | TransformerNet, repeats: int = 5,
                     **kwargs: Any) -> tuple[np.ndarray, float, list[float]]:
    """:func:`fast_style_frame` once to warm up, then ``repeats`` timed calls → (result, median
    seconds, every call's seconds): one call's time on a shared machine says little."""
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a whole number ≥ 1, not {repeats!r}.")
    out = fast_style_frame(frame, model, **kwargs)
    times = []
    for _i in range(repeats):
        t0 = time.perf_counter()
        out = fast_style_frame(frame, model, **kwargs)
        times.append(time.perf_counter() - t0)
    return out, float(np.median(times)), times


# The sample photo no fast-style model is trained on (scripts/make_style_assets.py and the page's
# "train your own"): previews and the lesson show the networks on a picture they have not seen.
HELD_OUT_SAMPLE = "coffee"
STYLE_THUMB_SIDE = 256
# Bundled models that are not styles to pick: the first Great Wave network (sub-pixel decoder),
# kept to show its checkerboard next to the retrained one.
LESSON_MODELS = {"great_wave_subpixel": "great_wave"}

FAST_RECIPE = dict(size=192, batch=2, steps=1500, lr=2e-3, alpha=1.0, beta=1e3, tv_weight=10.0,
                   style_size=256, widths=(16, 32, 48), n_res=3, seed=0)


def _random_crops(pool: list[torch.Tensor], n: int, size: int, gen: torch.Generator) -> torch.Tensor:
    out = []
    for _i in range(n):
        img = pool[int(torch.randint(len(pool), (1,), generator=gen))]
        h, w = img.shape[-2:]
        scale = float(torch.empty(1).uniform_(0.35, 1.0, generator=gen)) * min(h, w)
        side = max(size, int(scale)) if min(h, w) >= size else min(h, w)
        y0 = int(torch.randint(h - side + 1, (1,), generator=gen))
        x0 = int(torch.randint(w - side + 1, (1,), generator=gen))
        crop = img[:, :, y0:y0 + side, x0:x0 + side]
        crop = F.interpolate(crop, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        if torch.rand(1, generator=gen) < 0.5:
            crop = crop.flip(-1)
        out.append(crop)
    return torch.cat(out)


def train_fast_style(style: np.ndarray, contents: Sequence[np.ndarray], model: Any, *,
                     steps: int = FAST_RECIPE["steps"], size: int = FAST_RECIPE["size"],
                     batch: int = FAST_RECIPE["batch"], lr: float = FAST_RECIPE["lr"],
                     alpha: float = FAST_RECIPE["alpha"], beta: float = FAST_RECIPE["beta"],
                     tv_weight: float = FAST_RECIPE["tv_weight"],
                     style_size: int = FAST_RECIPE["style_size"],
                     widths: Sequence[int] = FAST_RECIPE["widths"], n_res: int = FAST_RECIPE["n_res"],
                     style_layers: Sequence[str] | None = None, seed: int = FAST_RECIPE["seed"],
                     net: TransformerNet | None = None, preview_every: int = 50,
                     preview: np.ndarray | None = None, threads: int | None = None
                     ) -> Iterator[Snapshot]:
    """Train a :class:`TransformerNet` for one style with the perceptual loss (Johnson et al.):
    for random crops x of the content pictures, J = α·MSE(φ_c(T(x)), φ_c(x)) + β·J_style(T(x), S)
    + w·TV(T(x)), with the same loss network and layers as :func:`stylize`; Adam.

    Yields a :class:`Snapshot` per step (``info``: content, style, tv, seconds); every
    ``preview_every`` steps (and at the end) ``image`` is the net applied to ``preview`` (default
    the first content picture) and ``info["net"]`` the network being trained.
    """
    if not contents:
        raise ValueError("Training needs at least one content picture.")
    from .devices import torch_threads

    with torch_threads(threads):
        yield from _train_loop(style, contents, model, steps, size, batch, lr, alpha, beta,
                               tv_weight, style_size, widths, n_res, style_layers, seed, net,
                               preview_every, preview)


def _train_loop(style, contents, model, steps, size, batch, lr, alpha, beta, tv_weight, style_size,
                widths, n_res, style_layers, seed, net, preview_every, preview) -> Iterator[Snapshot]:
    lossnet = A.as_net(model)
    table = loss_layers(lossnet)
    chosen = _style_paths(lossnet, style_layers)
    torch.manual_seed(int(seed))
    gen = torch.Generator().manual_seed(int(seed))
    net = net or TransformerNet(widths, n_res)
    net.train()
    pool = [A.to_tensor(_check_image(c, N_("content picture"))) for c in contents]
    sx = _prep(_check_image(style, N_("style image")), style_size, lossnet.device)
    paths = list(dict.fromkeys([p for p, _ in chosen.values()]))
    with torch.no_grad():
        sf = A.activations(lossnet, sx, paths)
        targets = {n: style_gram(sf[p], "hw") for n, (p, _) in chosen.items()}
    weights = {n: w for n, (_, w) in chosen.items()}
    all_paths = paths + ([table.content] if table.content not in paths else [])
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=lr * 0.1)
    view = preview if preview is not None else contents[0]
    vx = _prep(view, 320, "cpu")
    t0 = time.perf_counter()
    for step in range(1, steps + 1):
        x = _random_crops(pool, batch, size, gen)
        with torch.no_grad():
            cf = A.activations(lossnet, x, [table.content])[table.content]
        y = net(x)
        acts = A.activations(lossnet, y, all_paths)
        jc = content_loss(acts[table.content], cf)
        js, _ = style_loss({n: acts[p] for n, (p, _) in chosen.items()}, targets, weights, "hw",
                           targets_are_grams=True)
        jt = tv_loss(y, "mean")
        total = alpha * jc + beta * js + tv_weight * jt
        opt.zero_grad()
        total.backward()
        opt.step()
        sched.step()
        image = None
        info: dict[str, Any] = {"content": alpha * float(jc.detach()), "style": beta * float(js.detach()),
                                "tv": tv_weight * float(jt.detach()), "seconds": time.perf_counter() - t0}
        if step % preview_every == 0 or step == steps:
            net.eval()
            with torch.no_grad():
                image = A.to_image(net(vx))
            net.train()
            info["net"] = net
        yield Snapshot(step=step, total=steps, loss=float(total.detach()), image=image, info=info)
    net.eval()


def _read_folder(folder: Path, max_side: int = 512) -> list[np.ndarray]:
    from .images import load_image

    out = []
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".bmp", ".webp"):
            try:
                out.append(load_image(p, max_side=max_side))
            except ValueError:
                continue
    return out


def train_style_main(argv: Sequence[str] | None = None) -> int:
    """``cnnlab train-style STYLE_IMAGE --content-dir DIR [--out FILE] [--steps N] ...``: train a
    fast-style network and save it (default ``assets/fast_style_<style name>.pt``)."""
    from . import zoo
    from .images import load_image

    ap = argparse.ArgumentParser(prog="cnnlab train-style",
                                 description="Train a fast (feed-forward) style-transfer network.")
    ap.add_argument("style", type=Path, help="the style picture (a painting)")
    ap.add_argument("--content-dir", type=Path, default=None,
                    help="folder of content photos (default: the bundled sample images)")
    ap.add_argument("--with-samples", action="store_true",
                    help="add the bundled sample images to the content folder's photos")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--name", default=None, help="style name (default: the style file's stem)")
    ap.add_argument("--steps", type=int, default=FAST_RECIPE["steps"])
    ap.add_argument("--size", type=int, default=FAST_RECIPE["size"])
    ap.add_argument("--batch", type=int, default=FAST_RECIPE["batch"])
    ap.add_argument("--lr", type=float, default=FAST_RECIPE["lr"])
    ap.add_argument("--beta", type=float, default=FAST_RECIPE["beta"], help="style weight")
    ap.add_argument("--tv", type=float, default=FAST_RECIPE["tv_weight"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--model", default="imagenet", help="loss network from the zoo")
    args = ap.parse_args(list(argv) if argv is not None else None)
    torch.set_num_threads(max(1, args.threads))
    try:
        style = load_image(args.style, max_side=512)
        contents = _read_folder(args.content_dir) if args.content_dir else []
        if args.content_dir is None or args.with_samples:
            contents.extend(training_photos(max_side=512))     # all but the held-out photo
        if not contents:
            raise ValueError(f"No pictures found in {args.content_dir}.")
    except (ValueError, OSError) as e:
        print(f"error: {e}")
        return 2
    name = args.name or args.style.stem
    out = args.out or ASSETS / f"fast_style_{name}.pt"
    lm = zoo.load(args.model)
    print(f"Training fast style '{name}': {len(contents)} content pictures, {args.steps} steps of "
          f"{args.batch}×{args.size} px, loss network {lm.title}", flush=True)
    t0 = time.perf_counter()
    last = None
    for snap in train_fast_style(style, contents, lm, steps=args.steps, size=args.size,
                                 batch=args.batch, lr=args.lr, beta=args.beta, tv_weight=args.tv):
        last = snap
        if snap.step % 50 == 0 or snap.step == snap.total:
            bar = "#" * int(30 * snap.fraction)
            print(f"\r[{bar:<30}] {snap.describe()}", end="", flush=True)
    print()
    assert last is not None
    net = last.info["net"]
    card = dict(name=name, style_image=args.style.name, content=str(args.content_dir or "samples"),
                n_content=len(contents), steps=args.steps, size=args.size, batch=args.batch,
                loss_network=lm.title, seconds=round(time.perf_counter() - t0, 1),
                final_loss=last.loss, params=count_params(net))
    save_fast_style(net, out, card)
    print(f"Saved {out} ({os.path.getsize(out) / 1e6:.2f} MB) in {card['seconds']} s")
    return 0
