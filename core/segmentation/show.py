"""Pictures made from segmentation tensors, for the page to show (pure numpy/cv2).

- :func:`to_display` — enlarge a small picture by a whole factor, pixels kept sharp;
- :func:`feature_picture` — a (C, H, W) activation map as one grey picture (mean |activation|);
- :func:`channel_pictures` — its ``k`` strongest channels, each as a grey picture;
- :func:`upsampling_views` — a generated scene's grey picture up-sampled by three fixed
  transposed-convolution filters (:func:`core.convolution.conv_transpose2d`), as pictures.
"""
from __future__ import annotations

import cv2
import numpy as np

from core.convolution import conv_transpose2d
from core.i18n import N_, _

from . import data

#: The fixed 4×4 bilinear up-sampling filter (stride 2, padding 1).
BILINEAR_4 = np.outer([0.25, 0.75, 0.75, 0.25], [0.25, 0.75, 0.75, 0.25])


def _numpy(t) -> np.ndarray:
    """A torch tensor (any device) or array → float numpy array."""
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    return np.asarray(t, dtype=np.float32)


def to_grey(m: np.ndarray) -> np.ndarray:
    """Scale an array to 0–255 (its minimum black, its maximum white) as uint8."""
    m = np.asarray(m, dtype=np.float32)
    m = (m - m.min()) / max(1e-8, float(m.max() - m.min()))
    return (m * 255).astype(np.uint8)


def to_display(a: np.ndarray, scale: int) -> np.ndarray:
    """Enlarge ``a`` ``scale`` times in both directions, nearest neighbour (sharp pixels)."""
    return cv2.resize(np.asarray(a), None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)


def feature_picture(t) -> np.ndarray:
    """(C, H, W) activations → grey picture of the mean |activation| (0–255)."""
    return to_grey(np.abs(_numpy(t)).mean(0))


def channel_pictures(t, k: int = 4) -> list[np.ndarray]:
    """The ``k`` channels of (C, H, W) activations with the largest mean |activation|, strongest
    first, each scaled to a 0–255 grey picture."""
    a = _numpy(t)
    energy = np.abs(a).mean(axis=(1, 2))
    idx = np.argsort(-energy, kind="stable")[:k]
    return [to_grey(a[c]) for c in idx]


def upsampling_views(seed: int = 11, size: int = 48) -> dict[str, np.ndarray]:
    """A generated scene (grey) and three transposed convolutions of it, as uint8 pictures keyed
    by their caption: 2×2 ones (s=2), bilinear 4×4 (s=2, p=1), 3×3 ones (s=2, p=1) — the last
    shows the checkerboard pattern of overlapping copies. The captions are
    :class:`core.i18n.Msg` (English ``str``; the page shows them with ``tr``)."""
    img, _unused = data.scene(seed, size)
    g = img.mean(axis=2) / 255.0
    filters = [(N_("2×2 ones, s=2 → {h}×{w}"), np.ones((2, 2)), 0),
               (N_("bilinear 4×4, s=2, p=1 → {h}×{w}"), BILINEAR_4, 1),
               (N_("3×3 ones, s=2, p=1 → {h}×{w}"), np.ones((3, 3)), 1)]
    views = {_("input {size}×{size}", size=size): g}
    for caption, k, p in filters:
        v = conv_transpose2d(g, k, stride=2, padding=p)
        views[_(caption, h=v.shape[0], w=v.shape[1])] = v
    out = {}
    for name, v in views.items():
        v = np.clip(v / max(1e-8, v.max()), 0, 1)
        out[name] = (v * 255).astype(np.uint8)
    return out
