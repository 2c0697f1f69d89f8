"""Embeddings to 2-D or 3-D pictures: PCA (linear, instant), t-SNE and UMAP (non-linear).

The notes: PCA is the classic linear reduction; t-SNE keeps each point's neighbours as its
neighbours, so clusters of similar images appear. UMAP does the same, faster on big sets,
but its first call in a process compiles numba code (~20 s here): :func:`warm_up_umap` does that
on a background thread, :func:`umap_ready` says when it is done, and :func:`project` with
``wait=False`` answers with PCA plus a message instead of blocking.

The compiled code is kept between processes: umap-learn marks only some of its numba functions
``cache=True`` (its k-NN, ``smooth_knn_dist``, membership strengths and layout epochs are not), so
:func:`use_numba_cache` turns numba's on-disk cache on for the umap/pynndescent functions that lack
it, in the lab's cache folder (``$CNNLAB_HOME/numba``). The
first warm-up on a machine still compiles (``cnnlab prefetch`` and ``make install`` do it ahead);
every later process loads the machine code (measured: 26 s → 3 s to the first UMAP). One piece
still compiles in every process: the layout epoch, which umap jits inside each call (~1.5 s).
"""
from __future__ import annotations

import sys
import threading
import time
import warnings
from pathlib import Path

import cv2
import numpy as np

from core import textdraw
from core.i18n import _

METHODS = ("pca", "tsne", "umap")
TITLES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}

_UMAP_STATE = {"ready": False, "seconds": None, "error": None}
_UMAP_LOCK = threading.Lock()
_UMAP_THREAD: threading.Thread | None = None


def numba_cache_dir() -> Path:
    from core.zoo.download import cnnlab_home

    return cnnlab_home() / "numba"


def use_numba_cache() -> int:
    """Cache umap-learn's and pynndescent's compiled numba functions on disk; returns how many
    functions had their cache turned on here (those without ``cache=True`` in the package).

    Call before the first UMAP in a process. Must not fail a projection: on any error the
    functions simply compile as before."""
    folder = numba_cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return 0
    import umap  # noqa: F401 - imports umap.umap_, umap.utils, umap.layouts, pynndescent …

    return cache_jitted(folder, ("umap", "pynndescent"))


def cache_jitted(folder: Path, prefixes: tuple[str, ...]) -> int:
    """Turn numba's disk cache (in ``folder``) on for every jitted function without one in the
    imported modules whose names start with ``prefixes``; returns how many."""
    turned = 0
    try:
        import numba
        from numba.core.dispatcher import Dispatcher

        # Set only now: the functions the packages cache themselves keep their own cache (next
        # to their code) and are not compiled again into a new folder; those turned on here use ours.
        numba.config.CACHE_DIR = str(folder)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")                  # a function numba cannot cache
            for name, module in list(sys.modules.items()):
                if module is None or not name.startswith(prefixes):
                    continue
                for f in list(vars(module).values()):
                    if isinstance(f, Dispatcher) and type(f._cache).__name__ == "NullCache":
                        f.enable_caching()
                        turned += 1
    except Exception:  # noqa: BLE001 - a numba without this API: everything compiles as before
        pass
    return turned


def _umap_compile() -> None:
    t0 = time.perf_counter()
    try:
        use_numba_cache()
        import umap  # noqa: F401

        x = np.random.default_rng(0).normal(size=(64, 8)).astype(np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            umap.UMAP(n_neighbors=5, n_components=2, n_epochs=20, random_state=0,
                      init="random").fit_transform(x)
        _UMAP_STATE.update(ready=True, seconds=time.perf_counter() - t0)
    except Exception as e:  # noqa: BLE001 - reported through umap_status()
        _UMAP_STATE.update(error=f"{type(e).__name__}: {e}", seconds=time.perf_counter() - t0)


def warm_up_umap(block: bool = False) -> None:
    """Compile UMAP's numba code once per process (on a daemon thread unless ``block``)."""
    global _UMAP_THREAD
    with _UMAP_LOCK:
        if _UMAP_STATE["ready"]:
            return
        if _UMAP_THREAD is None:
            _UMAP_THREAD = threading.Thread(target=_umap_compile, name="umap-warm-up", daemon=True)
            _UMAP_THREAD.start()
        thread = _UMAP_THREAD
    if block:
        thread.join()


def umap_ready() -> bool:
    return bool(_UMAP_STATE["ready"])


def umap_status() -> dict:
    return dict(_UMAP_STATE, started=_UMAP_THREAD is not None)


def pca(x, dim: int = 2) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    xc = x - x.mean(0)
    _u, _s, vt = np.linalg.svd(xc, full_matrices=False)
    out = xc @ vt[:dim].T
    if out.shape[1] < dim:
        out = np.pad(out, ((0, 0), (0, dim - out.shape[1])))
    return out


def explained_variance(x, dim: int = 2) -> np.ndarray:
    """Share of the variance of ``x`` along each of its first ``dim`` principal axes (what the
    PCA picture keeps)."""
    x = np.asarray(x, dtype=np.float64)
    s = np.linalg.svd(x - x.mean(0), compute_uv=False) ** 2
    out = s[:dim] / max(s.sum(), 1e-12)
    return np.pad(out, (0, dim - len(out)))


def project(x, method: str = "pca", dim: int = 2, *, seed: int = 0, init: np.ndarray | None = None,
            perplexity: float = 30.0, n_neighbors: int = 15, wait: bool = True
            ) -> tuple[np.ndarray, str, str]:
    """(coordinates (N, dim), method actually used, message).

    ``init``: previous coordinates to start from (t-SNE/UMAP), so a sequence of projections
    during training moves smoothly. With ``wait=False`` and UMAP not compiled yet, the
    compilation starts in the background and PCA answers now (the message says so).
    """
    if method not in METHODS:
        raise ValueError(f"Unknown projection {method!r}; choose one of {', '.join(METHODS)}.")
    if dim not in (2, 3):
        raise ValueError("Project to 2 or 3 dimensions.")
    x = np.asarray(x, dtype=np.float32)
    if len(x) < 4:
        raise ValueError(_("At least 4 points are needed for a projection."))
    if method == "pca":
        return pca(x, dim), "pca", ""
    if method == "tsne":
        from sklearn.manifold import TSNE

        perp = float(min(perplexity, max(2.0, (len(x) - 1) / 3)))
        start = init if init is not None and init.shape == (len(x), dim) else "pca"
        if isinstance(start, np.ndarray):
            start = (start - start.mean(0)) / (start[:, 0].std() + 1e-12) * 1e-4
        y = TSNE(n_components=dim, perplexity=perp, init=start, random_state=seed,
                 learning_rate="auto").fit_transform(x)
        return y, "tsne", ""
    if not umap_ready() and not wait:
        warm_up_umap(block=False)
        return pca(x, dim), "pca", _("UMAP is compiling its numba code in the background (first use "
                                     "only, ~10–20 s); PCA is shown meanwhile.")
    import umap

    warm_up_umap(block=True)
    start = init if init is not None and init.shape == (len(x), dim) else "spectral"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = umap.UMAP(n_components=dim, n_neighbors=int(min(n_neighbors, len(x) - 1)),
                      random_state=seed, init=start).fit_transform(x)
    return np.asarray(y, dtype=np.float64), "umap", ""


def align_to(y: np.ndarray, ref: np.ndarray | None, *, scale: bool = False) -> np.ndarray:
    """Rotate/reflect ``y`` onto ``ref`` (orthogonal Procrustes) so successive frames of an
    animation do not flip or spin.

    Only rotation and reflection by default: PCA coordinates keep their own scale (unit-length
    embeddings stay within [-1, 1]). ``scale=True`` also scales and moves ``y`` onto ``ref`` —
    never chain that over frames, or the first frame's spread is carried forever.
    """
    if ref is None or ref.shape != y.shape:
        return y
    centre = y.mean(0)
    a, b = y - centre, ref - ref.mean(0)
    u, s, vt = np.linalg.svd(a.T @ b)
    r = u @ vt
    if not scale:
        return a @ r + centre
    k = s.sum() / max((a * a).sum(), 1e-12)
    return a @ r * k + ref.mean(0)


def outliers(x, labels, quantile: float = 0.95) -> np.ndarray:
    """Boolean mask: items whose nearest class centre is another class's, or that are farther
    from their own centre than ``quantile`` of their class."""
    x = np.asarray(x, dtype=np.float64)
    labels = np.asarray(labels)
    classes = list(dict.fromkeys(labels.tolist()))
    centres = np.stack([x[labels == c].mean(0) for c in classes])
    d = np.linalg.norm(x[:, None, :] - centres[None], axis=-1)
    own = np.array([classes.index(v) for v in labels.tolist()])
    wrong = d.argmin(1) != own
    mine = d[np.arange(len(x)), own]
    far = np.zeros(len(x), bool)
    for i, c in enumerate(classes):
        m = own == i
        if m.sum() >= 5:
            far[m] = mine[m] > np.quantile(mine[m], quantile)
    return wrong | far


# 10 distinguishable colours (tab10), RGB
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def scatter_image(xy: np.ndarray, labels, size: int = 420, title: str = "") -> np.ndarray:
    """A small RGB picture of a 2-D scatter, each point drawn as its label in its colour
    (for progress snapshots; the page draws the interactive plot with plotly)."""
    xy = np.asarray(xy, dtype=np.float64)[:, :2]
    labels = np.asarray(labels)
    img = np.full((size, size, 3), 255, np.uint8)
    lo, hi = np.percentile(xy, 1, axis=0), np.percentile(xy, 99, axis=0)
    span = np.maximum(hi - lo, 1e-9)
    pad = 24
    p = (xy - lo) / span
    p = np.clip(p, -0.05, 1.05)
    px = (pad + p[:, 0] * (size - 2 * pad)).astype(int)
    py = (size - pad - p[:, 1] * (size - 2 * pad)).astype(int)
    classes = list(dict.fromkeys(sorted(labels.tolist())))
    for x, y, lab in zip(px, py, labels.tolist()):
        c = PALETTE[classes.index(lab) % len(PALETTE)]
        textdraw.put_text(img, str(lab)[:2], (int(x) - 4, int(y) + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.38,
                    c, 1, cv2.LINE_AA)
    if title:
        textdraw.put_text(img, title, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (40, 40, 40), 1, cv2.LINE_AA)
    return img
