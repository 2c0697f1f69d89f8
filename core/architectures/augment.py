"""Data augmentation from the notes, on numpy RGB uint8 images (H x W x 3 in, same out).

Every function takes ``seed`` so a picture can be reproduced; the same seed gives the same
result. Mirroring, random cropping, rotation, shearing, local warping, colour shifting and
AlexNet's PCA colour augmentation (Krizhevsky et al. 2012, section 4.1).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from core.i18n import N_, _

__all__ = [
    "mirror",
    "random_crop",
    "rotate",
    "shear",
    "local_warp",
    "color_shift",
    "pca_color",
    "pca_color_basis",
    "AUGMENTATIONS",
    "augment",
    "gallery",
]


def _check(image: np.ndarray) -> np.ndarray:
    a = np.asarray(image)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"expected an RGB image H x W x 3, got shape {a.shape}")
    if a.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels, got {a.dtype}")
    return a


def _to_tensor(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(a, dtype=np.float32)).permute(2, 0, 1).unsqueeze(0)


def _to_uint8(t: torch.Tensor) -> np.ndarray:
    return t.squeeze(0).permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy()


def _sample(image: np.ndarray, grid: torch.Tensor, padding: str = "reflection") -> np.ndarray:
    """Resample ``image`` at ``grid`` (1 x H x W x 2, x/y in [-1, 1])."""
    out = F.grid_sample(_to_tensor(image), grid, mode="bilinear", padding_mode=padding,
                        align_corners=False)
    return _to_uint8(out)


def _base_grid(h: int, w: int) -> torch.Tensor:
    ys = (torch.arange(h, dtype=torch.float32) + 0.5) / h * 2 - 1
    xs = (torch.arange(w, dtype=torch.float32) + 0.5) / w * 2 - 1
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx, gy], -1).unsqueeze(0)  # 1 x H x W x 2


def _affine(image: np.ndarray, matrix: np.ndarray, padding: str = "reflection") -> np.ndarray:
    """Warp by a 2x2 ``matrix`` about the centre, in pixel units (output -> input map)."""
    h, w = image.shape[:2]
    grid = _base_grid(h, w)
    # to pixel offsets from the centre, apply, back to normalised units
    scale = torch.tensor([w / 2, h / 2])
    px = grid * scale
    m = torch.tensor(matrix, dtype=torch.float32)
    src = px @ m.T
    return _sample(image, (src / scale).contiguous(), padding)


def mirror(image: np.ndarray, seed: int | None = None) -> np.ndarray:
    """Mirror left <-> right (a cat is still a cat). ``seed`` is unused: kept for a common
    call shape."""
    return np.ascontiguousarray(_check(image)[:, ::-1])


def random_crop(image: np.ndarray, seed: int = 0, scale: tuple[float, float] = (0.4, 0.8),
                return_box: bool = False):
    """Crop a random square-ish region covering ``scale`` of each side and resize it back to
    the image's size. With ``return_box`` also returns (x0, y0, x1, y1) of the crop."""
    a = _check(image)
    h, w = a.shape[:2]
    rng = np.random.default_rng(seed)
    s = rng.uniform(*scale)
    ch, cw = max(1, int(round(h * s))), max(1, int(round(w * s)))
    y0 = int(rng.integers(0, h - ch + 1))
    x0 = int(rng.integers(0, w - cw + 1))
    crop = _to_tensor(a[y0:y0 + ch, x0:x0 + cw])
    out = _to_uint8(F.interpolate(crop, size=(h, w), mode="bilinear", align_corners=False,
                                  antialias=True))
    return (out, (x0, y0, x0 + cw, y0 + ch)) if return_box else out


def rotate(image: np.ndarray, seed: int = 0, max_degrees: float = 30.0,
           degrees: float | None = None) -> np.ndarray:
    """Rotate about the centre by ``degrees`` counter-clockwise (or a random angle in
    +-max_degrees); the corners are filled by reflection."""
    a = _check(image)
    if degrees is None:
        degrees = float(np.random.default_rng(seed).uniform(-max_degrees, max_degrees))
    t = math.radians(degrees)
    # output pixel p (x right, y down) comes from the input at R p, which turns the picture
    # counter-clockwise on screen
    m = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    return _affine(a, m)


def shear(image: np.ndarray, seed: int = 0, max_degrees: float = 20.0,
          degrees: float | None = None) -> np.ndarray:
    """Horizontal shear by ``degrees`` (or a random angle in +-max_degrees): each row
    slides sideways in proportion to its height."""
    a = _check(image)
    if degrees is None:
        degrees = float(np.random.default_rng(seed).uniform(-max_degrees, max_degrees))
    k = math.tan(math.radians(degrees))
    m = np.array([[1.0, -k], [0.0, 1.0]])
    return _affine(a, m)


def local_warp(image: np.ndarray, seed: int = 0, strength: float = 0.04,
               grid: int = 4) -> np.ndarray:
    """Local (elastic) warping: a random displacement on a coarse ``grid`` x ``grid`` mesh,
    smoothly interpolated over the image; ``strength`` is the typical shift as a fraction of
    the image size."""
    a = _check(image)
    h, w = a.shape[:2]
    rng = np.random.default_rng(seed)
    coarse = torch.tensor(rng.normal(0.0, strength * 2, (1, 2, grid + 1, grid + 1)),
                          dtype=torch.float32)
    disp = F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=True)
    g = _base_grid(h, w) + disp.permute(0, 2, 3, 1)
    return _sample(a, g.contiguous())


def color_shift(image: np.ndarray, seed: int = 0, max_shift: int = 40,
                shifts: tuple[int, int, int] | None = None) -> np.ndarray:
    """Add a constant to each of R, G, B (e.g. +20, -20, +20 makes it purpler), clipped
    to 0..255. ``shifts`` fixes them; otherwise each is uniform in +-max_shift."""
    a = _check(image)
    if shifts is None:
        shifts = np.random.default_rng(seed).integers(-max_shift, max_shift + 1, 3)
    s = np.asarray(shifts, dtype=np.int16).reshape(1, 1, 3)
    return np.clip(a.astype(np.int16) + s, 0, 255).astype(np.uint8)


def pca_color_basis(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending) and eigenvectors (columns) of the 3x3 covariance of the
    image's RGB values in [0, 1]: the main colour directions (AlexNet did this over the
    whole ImageNet training set; here it is one image)."""
    px = _check(image).reshape(-1, 3).astype(np.float64) / 255.0
    if len(px) == 0:
        raise ValueError(_("The picture has no pixels."))
    # one pixel has no spread (np.cov would divide by zero and eigh fail to converge)
    cov = np.cov(px, rowvar=False) if len(px) > 1 else np.zeros((3, 3))
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1]
    return np.clip(vals[order], 0, None), vecs[:, order]


def pca_color(image: np.ndarray, seed: int = 0, std: float = 0.1,
              alphas: tuple[float, float, float] | None = None) -> np.ndarray:
    """AlexNet's PCA colour augmentation: add [p1 p2 p3] [a1 l1, a2 l2, a3 l3]^T to every
    pixel, where p_i are the eigenvectors of the RGB covariance, l_i the spread along them
    and a_i ~ N(0, std) (AlexNet: std 0.1; raise it to see the effect). Mostly moves colours along the image's dominant
    colour directions (a purple image gets its R and B changed, G barely)."""
    a = _check(image)
    vals, vecs = pca_color_basis(a)
    if alphas is None:
        alphas = np.random.default_rng(seed).normal(0.0, std, 3)
    # l_i is taken as the standard deviation along p_i (the square root of the covariance
    # eigenvalue), as in the widely used Torch/fb.resnet implementation (ImageNet:
    # 0.2175, 0.0188, 0.0045); with std 0.1 the shift is a few grey levels
    delta = vecs @ (np.asarray(alphas, dtype=np.float64) * np.sqrt(vals))
    out = a.astype(np.float64) + 255.0 * delta.reshape(1, 1, 3)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


#: Names marked for translation: pages show them with ``dashboard.i18n.tr``.
AUGMENTATIONS: dict[str, Callable[..., np.ndarray]] = {
    N_("mirror"): mirror,
    N_("random crop"): random_crop,
    N_("rotation"): rotate,
    N_("shearing"): shear,
    N_("local warping"): local_warp,
    N_("colour shift"): color_shift,
    N_("PCA colour (AlexNet)"): pca_color,
}


def augment(image: np.ndarray, name: str, seed: int = 0, **kwargs) -> np.ndarray:
    """Apply the augmentation called ``name`` (a key of ``AUGMENTATIONS``)."""
    if name not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {name!r}; choose one of {list(AUGMENTATIONS)}")
    return AUGMENTATIONS[name](image, seed=seed, **kwargs)


def gallery(image: np.ndarray, seed: int = 0, per_kind: int = 1) -> dict[str, list[np.ndarray]]:
    """Every augmentation ``per_kind`` times (seeds seed, seed+1, ...)."""
    _check(image)
    return {name: [fn(image, seed=seed + i) for i in range(per_kind)]
            for name, fn in AUGMENTATIONS.items()}
