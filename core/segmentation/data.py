"""Generated scenes with per-pixel masks: the data the lab's U-Nets learn from.

Every scene is an RGB image with 1–4 shapes — **circle**, **square** (a rotated square or a
slightly oblong rectangle) and **triangle** — on a background, and a mask with one class index
per pixel (0 = background).  What makes it more than a toy:

- colours are random for every shape and background, so colour never gives the class away —
  the network has to learn *shape*;
- textures: shapes are solid, striped, checkered or noisy; backgrounds are gradients with
  smooth blotches, stripes and thin clutter lines (clutter is background);
- scale and rotation vary (radius 16–32 % of the image side); shapes lie inside the picture;
- shapes overlap: a later shape hides the earlier one, and the mask says what is *visible*
  (a placement that would hide more than 30 % of an earlier shape is redrawn elsewhere);
- anti-aliased edges, blur, noise and brightness/contrast jitter.

Everything is drawn from a ``numpy.random.Generator``, so a seed gives the same scenes on every
machine: ``scene(seed)`` for one, ``batch(rng, n)`` for training.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from core.i18n import N_

#: the class names (marked: a page shows them translated with tr)
CLASSES: tuple[str, ...] = (N_("background"), N_("circle"), N_("square"), N_("triangle"))
#: overlay colour of each class (background is left unpainted)
PALETTE = np.array([(0, 0, 0), (235, 64, 52), (30, 136, 229), (253, 216, 53)], dtype=np.uint8)

#: normalisation the lab's U-Nets use: x = (rgb/255 - MEAN) / STD
MEAN, STD = 0.5, 0.25


@dataclass(frozen=True)
class SceneConfig:
    size: int | tuple[int, int] = 96      # side (or (H, W)) of the image
    min_shapes: int = 1
    max_shapes: int = 4
    min_radius: float = 0.16              # as a fraction of the shorter side
    max_radius: float = 0.32
    clutter: bool = True
    noise: float = 6.0                    # max std of the additive pixel noise (0–255 scale)


def _hw(size) -> tuple[int, int]:
    return (size, size) if isinstance(size, (int, np.integer)) else (int(size[0]), int(size[1]))


def _random_colour(rng: np.random.Generator) -> np.ndarray:
    hsv = np.array([[[rng.integers(0, 180), rng.integers(40, 256), rng.integers(40, 256)]]], np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def _smooth_noise(rng, h, w, cells) -> np.ndarray:
    """Smooth noise in [-1, 1], ``cells`` random values across the image, bicubically enlarged."""
    small = rng.uniform(-1, 1, (cells, cells)).astype(np.float32)
    return np.clip(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), -1, 1)


def _stripes(rng, h, w, period_lo=4.0, period_hi=14.0) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.uniform(0, math.pi)
    period = rng.uniform(period_lo, period_hi)
    return np.sin((xx * math.cos(a) + yy * math.sin(a)) * 2 * math.pi / period + rng.uniform(0, 6.3))


def _texture(rng, h, w) -> np.ndarray:
    """A zero-mean pattern in about [-1, 1] (or zeros for a solid fill)."""
    u = rng.random()
    kind = "solid" if u < 0.4 else "stripes" if u < 0.65 else "checker" if u < 0.8 else "noise"
    if kind == "solid":
        return np.zeros((h, w), np.float32)
    if kind == "stripes":
        return _stripes(rng, h, w)
    if kind == "checker":
        c = int(rng.integers(3, 9))
        yy, xx = np.mgrid[0:h, 0:w]
        return (((yy // c + xx // c) % 2) * 2 - 1).astype(np.float32)
    return _smooth_noise(rng, h, w, int(rng.integers(6, 16))) + rng.normal(0, 0.3, (h, w)).astype(np.float32)


def _background(rng, h, w) -> np.ndarray:
    c1, c2 = _random_colour(rng), _random_colour(rng)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.uniform(0, 2 * math.pi)
    t = (xx * math.cos(a) + yy * math.sin(a))
    t = (t - t.min()) / max(1e-6, float(t.max() - t.min()))
    img = c1[None, None] * (1 - t[..., None]) + c2[None, None] * t[..., None]
    img += 20 * _smooth_noise(rng, h, w, int(rng.integers(3, 8)))[..., None] * rng.uniform(0.3, 1.0)
    if rng.random() < 0.25:
        img += rng.uniform(5, 15) * _stripes(rng, h, w, 3, 10)[..., None]
    return img


def _polygon(rng, kind: str, cx: float, cy: float, r: float) -> np.ndarray | None:
    theta = rng.uniform(0, 2 * math.pi)
    if kind == "square":
        aspect = rng.uniform(0.85, 1.18)
        hx, hy = r * 0.8 * math.sqrt(aspect), r * 0.8 / math.sqrt(aspect)
        corners = [(-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy)]
    else:  # triangle: three vertices about 120° apart, jittered
        angles = [k * 2 * math.pi / 3 + rng.uniform(-0.2, 0.2) for k in range(3)]
        corners = [(r * rng.uniform(0.9, 1.1) * math.cos(t), r * rng.uniform(0.9, 1.1) * math.sin(t))
                   for t in angles]
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[cx + x * c - y * s, cy + x * s + y * c] for x, y in corners])


SHIFT = 4  # sub-pixel bits for OpenCV drawing


def _shape_alpha(rng, kind: str, h: int, w: int, cx: float, cy: float, r: float) -> np.ndarray:
    """Anti-aliased coverage in [0, 1] of one shape."""
    canvas = np.zeros((h, w), np.uint8)
    k = 1 << SHIFT
    if kind == "circle":
        cv2.circle(canvas, (int(round(cx * k)), int(round(cy * k))), int(round(r * k)), 255,
                   thickness=-1, lineType=cv2.LINE_AA, shift=SHIFT)
    else:
        pts = np.round(_polygon(rng, kind, cx, cy, r) * k).astype(np.int32)
        cv2.fillPoly(canvas, [pts], 255, lineType=cv2.LINE_AA, shift=SHIFT)
    return canvas.astype(np.float32) / 255.0


def scene_from_rng(rng: np.random.Generator, config: SceneConfig = SceneConfig()
                   ) -> tuple[np.ndarray, np.ndarray]:
    """One scene: (RGB uint8 H×W×3, mask int64 H×W with values in 0..len(CLASSES)-1)."""
    img, mask, _, _ = instances_from_rng(rng, config)
    return img, mask


def instances_from_rng(rng: np.random.Generator, config: SceneConfig = SceneConfig()
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """One scene with its instances: (image, class mask, instance map, class of each instance).

    The instance map holds 1..n where shape k is visible (0 elsewhere); ``classes[k-1]`` is its
    class index.  Draws exactly what :func:`scene_from_rng` draws for the same generator state.
    """
    h, w = _hw(config.size)
    side = min(h, w)
    img = _background(rng, h, w)
    mask = np.zeros((h, w), np.int64)
    # thin clutter lines and dots belong to the background
    if config.clutter:
        for _ in range(int(rng.integers(0, 3))):
            col = tuple(float(v) for v in _random_colour(rng))
            p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            cv2.line(img, p1, p2, col, thickness=1, lineType=cv2.LINE_AA)
    n = int(rng.integers(config.min_shapes, config.max_shapes + 1))
    ids = np.zeros((h, w), np.int32)           # which shape (1-based) is visible at each pixel
    placed = 0
    classes: list[int] = []
    for _ in range(n * 6):                     # tries
        if placed == n:
            break
        cls = int(rng.integers(1, len(CLASSES)))
        r = rng.uniform(config.min_radius, config.max_radius) * side
        m = min(r, 0.45 * min(h, w))          # the whole shape inside the picture
        cx = rng.uniform(m, w - m)
        cy = rng.uniform(m, h - m)
        alpha = _shape_alpha(rng, CLASSES[cls], h, w, cx, cy, r)
        cover = alpha >= 0.5
        if cover.sum() < 0.5 * math.pi * r * r * 0.35:      # mostly off the image
            continue
        ok = True
        for j in range(1, placed + 1):
            visible = ids == j
            if visible.any() and (visible & cover).sum() > 0.3 * visible.sum():
                ok = False
                break
        if not ok:
            continue
        colour = _random_colour(rng)
        bg_here = img[cover].mean(axis=0)
        for _ in range(12):                    # keep a visible contrast with what is underneath
            if np.abs(colour - bg_here).sum() > 120:
                break
            colour = _random_colour(rng)
        fill = colour[None, None] + rng.uniform(10, 30) * _texture(rng, h, w)[..., None]
        img = img * (1 - alpha[..., None]) + fill * alpha[..., None]
        placed += 1
        ids[cover] = placed
        mask[cover] = cls
        classes.append(cls)
    # camera-ish degradations
    if rng.random() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.0))
    gain, bias = rng.uniform(0.8, 1.2), rng.uniform(-20, 20)
    img = img * gain + bias + rng.normal(0, rng.uniform(0, config.noise), img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), mask, ids, classes


def scene(seed: int, size: int | tuple[int, int] = 96, **kw) -> tuple[np.ndarray, np.ndarray]:
    """The scene for ``seed`` (the same on every machine)."""
    return scene_from_rng(np.random.default_rng(seed), SceneConfig(size=size, **kw))


def batch(rng: np.random.Generator, n: int, size: int | tuple[int, int] = 96,
          config: SceneConfig | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``n`` scenes stacked: images (n, H, W, 3) uint8 and masks (n, H, W) int64."""
    config = config or SceneConfig(size=size)
    pairs = [scene_from_rng(rng, config) for _ in range(n)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def to_tensor(images: np.ndarray, device: str = "cpu"):
    """RGB uint8 (H, W, 3) or (N, H, W, 3) → normalised float tensor (N, 3, H, W)."""
    import torch

    a = np.asarray(images)
    if a.ndim == 3:
        a = a[None]
    if a.ndim != 4 or a.shape[-1] != 3:
        raise ValueError(f"Expected RGB images of shape (H, W, 3) or (N, H, W, 3); got {a.shape}.")
    t = torch.from_numpy(np.ascontiguousarray(a)).to(device).permute(0, 3, 1, 2).float()
    return (t / 255.0 - MEAN) / STD


def voc_palette(n: int = 21) -> np.ndarray:
    """The Pascal VOC colour map (class k's colour from the bits of k: 1 = dark red, 15 = person
    pink, …), ``n`` × 3 uint8, background black — the colours VOC masks are usually drawn in."""
    pal = np.zeros((n, 3), np.uint8)
    for k in range(n):
        c, r, g, b = k, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal[k] = (r, g, b)
    return pal


def colorize(mask: np.ndarray, palette: np.ndarray | None = None) -> np.ndarray:
    """Class indices → RGB picture in the class palette (default :data:`PALETTE`; background black)."""
    pal = PALETTE if palette is None else np.asarray(palette, np.uint8)
    return pal[np.clip(mask, 0, len(pal) - 1)]


def overlay(image: np.ndarray, mask: np.ndarray, alpha: float = 0.5, outline: bool = True,
            palette: np.ndarray | None = None) -> np.ndarray:
    """Paint every non-background pixel with its class colour at opacity ``alpha``; outline regions.
    ``palette``: one RGB row per class (default :data:`PALETTE`, the shapes' colours)."""
    if image.shape[:2] != mask.shape:
        raise ValueError(f"Image {image.shape[:2]} and mask {mask.shape} differ in size.")
    alpha = float(np.clip(alpha, 0.0, 1.0))
    out = image.astype(np.float32).copy()
    fg = mask > 0
    colour = colorize(mask, palette).astype(np.float32)
    out[fg] = out[fg] * (1 - alpha) + colour[fg] * alpha
    if outline:  # the inner boundary of every region in full colour
        m8 = mask.astype(np.uint8)
        k = np.ones((3, 3), np.uint8)
        edge = (cv2.dilate(m8, k) != cv2.erode(m8, k)) & fg
        out[edge] = colour[edge]
    return np.clip(out, 0, 255).astype(np.uint8)
