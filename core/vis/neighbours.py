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

PROJECTIONS = ["tsne", "pca", "umap"]


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
    """N×D → N×2. ``tsne``: scikit-learn's t-SNE (perplexity ≤ 30, below N/3); ``pca``: the two
    main axes; ``umap``: umap-learn, when installed (``ValueError`` saying so otherwise)."""
    X = np.asarray(features, np.float64)
    if X.ndim != 2 or X.shape[0] < 3:
        raise ValueError("Need at least 3 feature vectors to project.")
    if method == "pca":
        Xc = X - X.mean(0)
        _, _, vt = np.linalg.svd(Xc, full_matrices=False)
        return (Xc @ vt[:2].T).astype(np.float32)
    if method == "tsne":
        from sklearn.manifold import TSNE

        perp = float(min(30.0, max(2.0, (X.shape[0] - 1) / 3)))
        return TSNE(2, perplexity=perp, init="pca", random_state=seed).fit_transform(X).astype(np.float32)
    if method == "umap":
        if not umap_available():
            raise ValueError("UMAP needs the umap-learn package, which is not installed here; use t-SNE or PCA.")
        import umap

        return umap.UMAP(n_components=2, random_state=seed).fit_transform(X).astype(np.float32)
    raise ValueError(f"Unknown projection {method!r}; choose one of {', '.join(PROJECTIONS)}.")
