"""Teach a frozen ImageNet network new classes: features once per picture, a linear head on top.

* :class:`FeatureCache` — one feature vector per picture (keyed by the picture's hash and the
  model's name); the backbone runs only on pictures it has not seen. ``computed`` counts them.
* :func:`train_head` — softmax regression on those vectors (full batch, Adam, weight decay), an
  iterator of :class:`HeadSnapshot` with the loss and the training accuracy at every step.
* :func:`classify_frame` — the frame function: a frame → the frame with the class probabilities
  drawn as bars, and the probabilities (still pictures, snapshots and the live webcam alike).
* :func:`bundled` — pictures the lab ships for a class (crops of scikit-image's textures and
  photos, LFW faces and non-faces), so the tab works with no camera.

The features are the backbone's last convolutional stage averaged over positions
(:func:`core.vis.neighbours.embed`, the vector the ImageNet classifier itself reads), on the
picture as the zoo's preprocessing prepares it (``LoadedModel.prepare``).
"""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from core.i18n import N_, _

import cv2
import numpy as np
import torch

from core import textdraw
from core.embeddings.losses import cross_entropy
from core.frames import draw_panel

MIN_CLASSES, MAX_CLASSES = 2, 5
# One colour per class (RGB), the same in the bars on the frame and in the page's plots.
COLOURS = [(30, 136, 229), (229, 57, 53), (67, 160, 71), (251, 140, 0), (142, 36, 170)]
HEX = ["#%02x%02x%02x" % c for c in COLOURS]


def picture_key(image: np.ndarray) -> str:
    """A picture's identity: the hash of its pixels and shape (the same picture twice, one key)."""
    a = np.ascontiguousarray(image)
    h = hashlib.sha1(str((a.shape, a.dtype.str)).encode())
    h.update(a.tobytes())
    return h.hexdigest()[:16]


def model_features(lm: Any, images: Sequence[np.ndarray], batch: int = 16) -> np.ndarray:
    """N×D backbone features of RGB uint8 pictures, each prepared as the model expects."""
    from core.vis.neighbours import embed

    if len(images) == 0:
        raise ValueError(_("No pictures to compute features of."))
    return embed(lm, [lm.prepare(im) for im in images], batch=batch)


class FeatureCache:
    """Feature vectors by (model, picture hash): each picture goes through the backbone once."""

    def __init__(self, max_items: int = 2000):
        self._rows: dict[tuple[str, str], np.ndarray] = {}
        self._lock = threading.Lock()
        self.max_items = max_items
        self.computed = 0          # pictures the backbone actually ran on
        self.seconds = 0.0         # time spent doing it

    def __len__(self) -> int:
        return len(self._rows)

    def missing(self, lm: Any, keys: Sequence[str]) -> int:
        """How many of these pictures the backbone has not seen yet."""
        name = getattr(lm, "name", type(lm).__name__)
        with self._lock:
            return sum((name, k) not in self._rows for k in dict.fromkeys(keys))

    def features(self, lm: Any, images: Sequence[np.ndarray], keys: Sequence[str] | None = None) -> np.ndarray:
        keys = list(keys) if keys is not None else [picture_key(im) for im in images]
        name = getattr(lm, "name", type(lm).__name__)
        with self._lock:
            missing = [i for i, k in enumerate(keys) if (name, k) not in self._rows]
        if missing:
            t0 = time.perf_counter()
            rows = model_features(lm, [images[i] for i in missing])
            with self._lock:
                self.seconds += time.perf_counter() - t0
                self.computed += len(missing)
                for i, r in zip(missing, rows):
                    self._rows[(name, keys[i])] = r
                while len(self._rows) > self.max_items:   # oldest first
                    self._rows.pop(next(iter(self._rows)))
        with self._lock:
            return np.stack([self._rows[(name, k)] for k in keys])


@dataclass
class Head:
    """A linear classifier on backbone features: p = softmax(W·(f − μ)/σ + b)."""
    weight: np.ndarray            # K×D
    bias: np.ndarray              # K
    mean: np.ndarray              # D
    scale: float
    classes: list[str]
    model_name: str = ""

    def logits(self, feats: np.ndarray) -> np.ndarray:
        z = (np.atleast_2d(feats) - self.mean) / self.scale
        return z @ self.weight.T + self.bias

    def probabilities(self, feats: np.ndarray) -> np.ndarray:
        z = self.logits(feats)
        z = z - z.max(1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(1, keepdims=True)

    @property
    def parameters(self) -> int:
        return int(self.weight.size + self.bias.size)


@dataclass
class HeadSnapshot:
    step: int
    total: int
    loss: float
    accuracy: float                # on the training pictures
    head: Head
    history: dict = field(default_factory=dict)   # step, loss, accuracy so far
    seconds: float = 0.0

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / max(1, self.total))

    def describe(self) -> str:
        return _("step {step}/{total} · loss {loss:.4f} · training accuracy {accuracy:.0%}",
                 step=self.step, total=self.total, loss=self.loss, accuracy=self.accuracy)


def check_classes(labels: Sequence[int], classes: Sequence[str]) -> None:
    """Clear messages for what a head cannot learn from."""
    k = len(classes)
    if not MIN_CLASSES <= k <= MAX_CLASSES:
        raise ValueError(_("Teach between {MIN_CLASSES} and {MAX_CLASSES} classes (got {k}).", MIN_CLASSES=MIN_CLASSES, MAX_CLASSES=MAX_CLASSES, k=k))
    counts = np.bincount(np.asarray(labels, dtype=int), minlength=k)
    empty = [classes[i] for i in range(k) if counts[i] == 0]
    if empty:
        raise ValueError(_("Every class needs at least one picture; empty: {names}.", names=', '.join(empty)))


def train_head(feats: np.ndarray, labels: Sequence[int], classes: Sequence[str], *, steps: int = 150,
               lr: float = 0.05, weight_decay: float = 1e-3, seed: int = 0, model_name: str = ""
               ) -> Iterator[HeadSnapshot]:
    """Softmax regression on frozen features, full batch: yields a snapshot after every step.

    The features are centred and scaled by their mean norm (one number, so a class with one
    picture is fine); the loss is the cross-entropy plus ``weight_decay``·‖W‖².
    """
    y = np.asarray(labels, dtype=int)
    x = np.asarray(feats, dtype=np.float32)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError("Features must be N×D with one label per row.")
    check_classes(y, classes)
    if not 1 <= steps <= 5000:
        raise ValueError("Steps must be between 1 and 5000.")
    if not 0 < lr <= 10:
        raise ValueError("The learning rate must be in (0, 10].")
    from core.devices import torch_threads

    with torch_threads(1):   # a 2×1280 problem: thread hand-offs cost more than they give
        yield from _train(x, y, list(classes), steps, lr, weight_decay, seed, model_name)


def _train(x, y, classes, steps, lr, weight_decay, seed, model_name) -> Iterator[HeadSnapshot]:
    mean = x.mean(0)
    scale = float(np.linalg.norm(x - mean, axis=1).mean()) or 1.0
    g = torch.Generator().manual_seed(seed)
    xt, yt = torch.from_numpy((x - mean) / scale * np.sqrt(x.shape[1], dtype=np.float32)), torch.from_numpy(y)
    w = (torch.randn(len(classes), x.shape[1], generator=g) * 0.01).requires_grad_()
    b = torch.zeros(len(classes), requires_grad=True)
    opt = torch.optim.Adam([w, b], lr=lr)
    hist: dict[str, list] = {"step": [], "loss": [], "accuracy": []}
    t0 = time.perf_counter()
    root_d = float(np.sqrt(x.shape[1]))
    for step in range(1, steps + 1):
        logits = xt @ w.T + b
        loss = cross_entropy(logits, yt) + weight_decay * w.pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            acc = float((logits.argmax(1) == yt).float().mean())
        hist["step"].append(step)
        hist["loss"].append(float(loss.detach()))
        hist["accuracy"].append(acc)
        # the head works on (f − μ)/scale; fold the √D of the training input into W
        head = Head(w.detach().numpy().copy() * root_d, b.detach().numpy().copy(), mean, scale,
                    list(classes), model_name)
        yield HeadSnapshot(step, steps, hist["loss"][-1], acc, head, {k: list(v) for k, v in hist.items()},
                           time.perf_counter() - t0)


def fit_head(feats: np.ndarray, labels: Sequence[int], classes: Sequence[str], **kw) -> Head:
    """:func:`train_head` run to the end; the head it reached."""
    last = None
    for last in train_head(feats, labels, classes, **kw):
        pass
    return last.head


def draw_probabilities(frame: np.ndarray, classes: Sequence[str], probs: Sequence[float]) -> np.ndarray:
    """One bar per class along the bottom of the frame, the most likely class written on top."""
    out = np.ascontiguousarray(frame[..., :3]).copy()
    h, w = out.shape[:2]
    scale = max(0.45, min(1.1, w / 700))
    thick = 1 if scale < 0.8 else 2
    row = int(26 * scale) + 6
    top = h - row * len(classes) - 8
    region = out[max(0, top - 4):, :]
    region[:] = (region.astype(np.float32) * 0.35).astype(np.uint8)
    width = w - 16
    name_w = max(textdraw.text_size(c[:14], cv2.FONT_HERSHEY_SIMPLEX, scale, thick)[0][0] for c in classes) + 12
    for i, (name, p) in enumerate(zip(classes, probs)):
        y0 = top + i * row
        colour = COLOURS[i % len(COLOURS)]
        textdraw.put_text(out, name[:14], (8, y0 + row - 10), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), thick, cv2.LINE_AA)
        x0, x1 = 8 + name_w, width - int(70 * scale)
        cv2.rectangle(out, (x0, y0 + 4), (x1, y0 + row - 6), (90, 90, 90), 1)
        cv2.rectangle(out, (x0, y0 + 4), (x0 + int((x1 - x0) * float(p)), y0 + row - 6), colour, -1)
        textdraw.put_text(out, f"{p * 100:3.0f}%", (x1 + 6, y0 + row - 10), cv2.FONT_HERSHEY_SIMPLEX,
                    scale, (255, 255, 255), thick, cv2.LINE_AA)
    best = int(np.argmax(probs))
    return draw_panel(out, [f"{classes[best]}  {probs[best] * 100:.0f}%"], corner="tl", scale=scale * 1.2)


def classify_frame(frame: np.ndarray, lm: Any, head: Head) -> tuple[np.ndarray, dict]:
    """Frame function: the taught head's probabilities on one RGB frame, drawn on it."""
    feats = model_features(lm, [np.ascontiguousarray(frame[..., :3])])
    p = head.probabilities(feats)[0]
    return draw_probabilities(frame, head.classes, p), {
        "probabilities": {c: float(v) for c, v in zip(head.classes, p)},
        "best": head.classes[int(np.argmax(p))]}


# --------------------------------------------------------------------------- bundled pictures

def _grey_rgb(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype != np.uint8:
        a = (np.clip(a, 0, 1) * 255).round().astype(np.uint8)
    return np.ascontiguousarray(np.repeat(a[..., None], 3, 2) if a.ndim == 2 else a[..., :3])


def _crops(image: np.ndarray, n: int, seed: int, side: int = 160) -> list[np.ndarray]:
    """Random square crops (a fifth to half of the shorter side), some mirrored, at ``side`` px."""
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    out = []
    for _i in range(n):
        s = int(rng.uniform(0.35, 0.7) * min(h, w))
        y, x = int(rng.integers(0, h - s + 1)), int(rng.integers(0, w - s + 1))
        c = image[y:y + s, x:x + s]
        if rng.random() < 0.5:
            c = c[:, ::-1]
        out.append(np.ascontiguousarray(cv2.resize(c, (side, side), interpolation=cv2.INTER_AREA)))
    return out


def _lfw(faces: bool, n: int, seed: int, side: int = 160) -> list[np.ndarray]:
    from skimage.data import lfw_subset

    x = lfw_subset()
    pool = np.arange(100) if faces else np.arange(100, 200)
    idx = np.random.default_rng(seed).choice(pool, size=min(n, 100), replace=False)
    return [cv2.resize(_grey_rgb(x[i]), (side, side), interpolation=cv2.INTER_CUBIC) for i in idx]


def _skimage(name: str):
    def load() -> np.ndarray:
        import skimage.data

        return _grey_rgb(getattr(skimage.data, name)())
    return load


# name → (what it is, loader of the whole picture, or None for the LFW sets)
BUNDLED: dict[str, tuple[str, Any]] = {
    "brick": (N_("crops of scikit-image's brick wall texture"), _skimage("brick")),
    "grass": (N_("crops of scikit-image's grass texture"), _skimage("grass")),
    "gravel": (N_("crops of scikit-image's gravel texture"), _skimage("gravel")),
    "cat": (N_("crops of scikit-image's Chelsea the cat"), _skimage("chelsea")),
    "coffee": (N_("crops of scikit-image's cup of coffee"), _skimage("coffee")),
    "faces": (N_("faces from Labeled Faces in the Wild (scikit-image's lfw_subset)"), None),
    "not faces": (N_("non-face patches from scikit-image's lfw_subset"), None),
}


def bundled(name: str, n: int = 6, seed: int = 0) -> list[np.ndarray]:
    """``n`` RGB uint8 pictures of a bundled class (see :data:`BUNDLED`); another ``seed``, others."""
    if name not in BUNDLED:
        raise ValueError(f"Unknown bundled set {name!r}; choose one of: {', '.join(BUNDLED)}.")
    if not 1 <= n <= 50:
        raise ValueError("Take between 1 and 50 bundled pictures at a time.")
    loader = BUNDLED[name][1]
    if loader is None:
        return _lfw(name == "faces", n, seed)
    return _crops(loader(), n, seed)
