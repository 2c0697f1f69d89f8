"""The last layer as a space: nearest neighbours in feature space vs pixel space, and a 2-D map
of a gallery (t-SNE, PCA, UMAP when installed).

* :func:`embed` — one vector per picture: the chosen layer's activation averaged over positions
  (default: the last convolutional stage, the features the classifier reads).
* :func:`pixels` — the pixel-space counterpart: the picture shrunk to 32×32, flattened.
* :func:`neighbours` — gallery indices ranked by Euclidean distance to a query, in either space.
* :func:`project` — N×D → N×2 by ``"tsne"`` (scikit-learn), ``"pca"`` (SVD) or ``"umap"``.
"""
from __future__ import annotations

import importlib.util
from typing import Any, Sequence

import cv2
import numpy as np
import torch

from . import ascent as A
from .attribution import cam_layer
from core.i18n import N_, _

PROJECTIONS = ["tsne", "pca", "umap"]

# How the query is made from a picture, so that it is not in the gallery as such. The default,
# mirrored and at half the brightness, is the one where the spaces disagree most on the samples:
# on the cat, pixel space finds the dark rocket and night pictures, feature space the cat.
QUERIES = {
    "mirror_dark": N_("mirrored, at half the brightness"),
    "mirror": N_("mirrored (the notes' left- and right-facing elephants)"),
    "mirror_grey": N_("mirrored, in grey"),
    "rot90": N_("turned by 90°"),
}


def query_view(image: np.ndarray, how: str = "mirror_dark", size: int = 128) -> np.ndarray:
    """The picture as a query (one of :data:`QUERIES`), prepared to ``size`` × ``size``."""
    from .features import prepare

    if how not in QUERIES:
        raise ValueError(f"Unknown query {how!r}; choose one of: {', '.join(QUERIES)}.")
    a = prepare(image, size)
    if how == "rot90":
        return np.ascontiguousarray(np.rot90(a))
    a = a[:, ::-1]
    if how == "mirror_dark":
        a = (a.astype(np.float32) * 0.5).round().astype(np.uint8)
    elif how == "mirror_grey":
        a = np.repeat(cv2.cvtColor(np.ascontiguousarray(a), cv2.COLOR_RGB2GRAY)[..., None], 3, 2)
    return np.ascontiguousarray(a)


def umap_available() -> bool:
    return importlib.util.find_spec("umap") is not None


def embed(model: Any, images: Sequence[np.ndarray], layer: str | None = None, batch: int = 8) -> np.ndarray:
    """N×C features: ``layer`` (default: the last conv stage) averaged over positions. Images
    must share one size (see :func:`core.vis.features.prepare`)."""
    net = A.as_net(model)
    layer = layer or cam_layer(net)
    out = []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = torch.cat([A.to_tensor(im, net.device) for im in images[i:i + batch]])
            a = A.activations(net, x, [layer])[layer]
            out.append((a.mean((2, 3)) if a.dim() == 4 else a).float().cpu())
    return torch.cat(out).numpy()


def pixels(images: Sequence[np.ndarray], side: int = 32) -> np.ndarray:
    """N×(side·side·3) raw pixels in [0, 1]: the space where a mirrored picture is far away."""
    return np.stack([cv2.resize(im, (side, side), interpolation=cv2.INTER_AREA).astype(np.float32).ravel() / 255
                     for im in images])


def neighbours(query: np.ndarray, gallery: np.ndarray, k: int = 5, exclude: int | None = None) -> list[tuple[int, float]]:
    """The k gallery rows closest to ``query`` (Euclidean), as (index, distance), nearest first."""
    d = np.linalg.norm(gallery - query[None], axis=1)
    if exclude is not None:
        d[exclude] = np.inf
    idx = np.argsort(d, kind="stable")[:k]
    return [(int(i), float(d[i])) for i in idx if np.isfinite(d[i])]


def project(features: np.ndarray, method: str = "tsne", seed: int = 0) -> np.ndarray:
    """N×D → N×2 by ``tsne``, ``pca`` or ``umap``: the projections of
    :func:`core.embeddings.project.project` (one implementation for the whole lab)."""
    from ..embeddings.project import project as _project

    if method == "umap" and not umap_available():
        raise ValueError(_("UMAP needs the umap-learn package, which is not installed here; "
                           "use t-SNE or PCA."))
    X = np.asarray(features, np.float32)
    if X.ndim != 2 or X.shape[0] < 4:
        raise ValueError(_("Need at least 4 feature vectors to project."))
    return np.asarray(_project(X, method, 2, seed=seed)[0], np.float32)
