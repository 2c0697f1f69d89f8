"""Landmark detection: a CNN whose last layer outputs 1 + 2n numbers, y = [p_c, l₁ₓ, l₁ᵧ, …, lₙₓ, lₙᵧ].

The notes' landmark network: first "is the thing that carries the landmarks there at all" (p_c),
then the x, y of each of the n landmarks (here the n = 3 corners of a generated set square, as
fractions of the picture: (0, 0) top left, (1, 1) bottom right). With 64 face points it would be
1 + 64·2 = 129 outputs; the real thing (dlib's 68 face points) is on the Embeddings page.

The loss is the localisation loss's rule (:func:`core.detection.localization.presence_masked_terms`):
squared error over all 1 + 2n entries when p_c = 1, only (p̂_c − p_c)² when p_c = 0.

**Labelled consistently.** Landmark k must mean the same point on every picture (the notes: "the
corner of the eye" is always landmark k). Our triangle is a set square (angles 90°, 60°, 30°), so
each corner has a name the picture shows: landmark 1 is the right angle, 2 the 60° corner, 3 the
30° corner. It stands upright, turned at most ±40° and mirrored at random (as faces in photos
are mostly upright: the eyes above the mouth), so where a corner is tells its name. Shuffle the order per picture
(``order="shuffled"``) and the best the squared loss can do is the average of the three corners —
the centre — for every landmark: :func:`train` with ``order="shuffled"`` shows it.

:class:`LandmarkNet` is the Localizer's conv trunk (:func:`core.detection.localization.conv_trunk`)
with one head of 1 + 2n outputs; :func:`train` yields snapshots; ``scripts/make_landmark_assets.py``
trains the bundled pair (consistent and shuffled labels) into ``assets/landmarks_shapes.pt``.
"""
from __future__ import annotations

import itertools
import math
import pickle
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import cv2
from core.i18n import _
import numpy as np
import torch
from torch import nn

from core import textdraw
from core.segmentation import data as _seg

from .localization import (TrainSnapshot, bundled_shapes_model, conv_trunk, half_state_dict, optimise,
                           presence_masked_terms)

N = 3                          # landmarks: the set square's corners
#: what each landmark is, in y's order
CORNERS: tuple[str, ...] = ("right angle (90°)", "60° corner", "30° corner")
#: a 30-60-90 triangle standing upright (screen coordinates, y down): the right angle bottom left,
#: the 60° corner bottom right, the 30° corner on top; corners in CORNERS' order, centred on the
#: centroid, unit short leg
TEMPLATE = np.array([(0.0, 0.0), (1.0, 0.0), (0.0, -math.sqrt(3))]) - [1 / 3, -math.sqrt(3) / 3]
TURN_DEG = 40.0                # turned at most this much either way (upright, as faces in photos)
OUTPUTS = 1 + 2 * N            # the notes' 1 + 2n
SIZE = 64                      # side of the pictures the network sees
NAMES: tuple[str, ...] = ("p_c",) + tuple(f"l_{k}{a}" for k in range(1, N + 1) for a in "xy")
EMPTY_SHARE = 0.25             # share of training pictures with no set square (p_c = 0)
SCALE = (0.15, 0.27)           # short leg (= half the hypotenuse), as a fraction of the side
ORDERS = ("consistent", "shuffled")
ROOT = Path(__file__).resolve().parents[2]
BUNDLED_PATH = ROOT / "assets" / "landmarks_shapes.pt"
ZOO_NAME = "landmarks-shapes"  # its entry is in core.zoo.registry, beside the localiser's
#: the background: the segmentation lab's generator with no shape (gradients, blotches, clutter, noise)
BACKGROUND = _seg.SceneConfig(size=SIZE, min_shapes=0, max_shapes=0)


# --------------------------------------------------------------------------- labels

def target(points, shape) -> np.ndarray:
    """y = [1, l₁ₓ, l₁ᵧ, …] for landmarks ``points`` (n×2 pixels, edge convention: the picture
    spans [0, W] × [0, H]) in the order given; ``points=None``: [0, ?, …] (NaN for "?")."""
    y = np.full(OUTPUTS, np.nan, np.float32)
    if points is None:
        y[0] = 0.0
        return y
    h, w = shape[:2]
    y[0] = 1.0
    y[1:] = (np.asarray(points, np.float32).reshape(N, 2) / [w, h]).ravel()
    return y


def points_of(y, shape) -> np.ndarray:
    """n×2 pixel positions of the landmarks in y (or ŷ) on a picture of ``shape``."""
    h, w = shape[:2]
    return np.asarray(y, np.float32)[1:OUTPUTS].reshape(N, 2) * [w, h]


# --------------------------------------------------------------------------- the data

@dataclass
class Example:
    """One picture, its target y (``y[1:]`` NaN when there is none) and the corners."""
    image: np.ndarray              # RGB uint8 SIZE×SIZE×3
    y: np.ndarray                  # (1 + 2n,) float32
    points: np.ndarray | None      # n×2 pixels in y's order, None when there is none

    @property
    def has_object(self) -> bool:
        return bool(self.y[0] > 0.5)


def example_from_rng(rng: np.random.Generator, empty: bool = False, order: str = "consistent",
                     size: int = SIZE) -> Example:
    """One picture: a set square (or none when ``empty``) on the segmentation lab's background,
    its corners in CORNERS' order (``order="shuffled"``: in a random order)."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}; got {order!r}.")
    bg, _, _, _ = _seg.instances_from_rng(rng, _seg.SceneConfig(**{**BACKGROUND.__dict__, "size": size}))
    if empty:
        return Example(bg, target(None, bg.shape), None)
    leg = rng.uniform(*SCALE) * size
    margin = 1.21 * leg + 1.5                # every corner (≤ 1.21 legs from the centroid) inside
    cx, cy = rng.uniform(margin, size - margin, 2)
    theta = math.radians(rng.uniform(-TURN_DEG, TURN_DEG))
    turn = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    mirror = np.array([-1.0 if rng.random() < 0.5 else 1.0, 1.0])
    jitter = rng.normal(0, 0.03, (N, 2))     # a little hand-drawn, the angles stay readable
    corners = ((TEMPLATE + jitter) * mirror * leg) @ turn.T + [cx, cy]      # pixel-centre coordinates
    canvas = np.zeros((size, size), np.uint8)
    k = 1 << _seg.SHIFT
    cv2.fillPoly(canvas, [np.round(corners * k).astype(np.int32)], 255, lineType=cv2.LINE_AA, shift=_seg.SHIFT)
    alpha = canvas.astype(np.float32)[..., None] / 255.0
    img = bg.astype(np.float32)
    under = img[canvas >= 128].mean(0)
    colour = _seg._random_colour(rng)
    for _ in range(12):                        # a visible contrast with what is underneath
        if np.abs(colour - under).sum() > 120:
            break
        colour = _seg._random_colour(rng)
    fill = colour + rng.uniform(10, 30) * _seg._texture(rng, size, size)[..., None]
    img = img * (1 - alpha) + fill * alpha + rng.normal(0, rng.uniform(0, 4), img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    pts = (corners + 0.5).astype(np.float32)   # edge convention: pixel i spans [i, i + 1)
    if order == "shuffled":
        pts = pts[rng.permutation(N)]
    return Example(img, target(pts, img.shape), pts)


def example(seed: int, empty: bool = False, order: str = "consistent") -> Example:
    """The picture for ``seed`` (the same on every machine)."""
    return example_from_rng(np.random.default_rng(seed), empty, order)


def batch(rng: np.random.Generator, n: int, empty_share: float = EMPTY_SHARE, order: str = "consistent"
          ) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` fresh examples as (x: (n, 3, SIZE, SIZE) normalised, y: (n, 1 + 2n), NaN for don't care)."""
    exs = [example_from_rng(rng, bool(rng.random() < empty_share), order) for _ in range(n)]
    return _seg.to_tensor(np.stack([e.image for e in exs])), torch.from_numpy(np.stack([e.y for e in exs]))


def _transformed(x: torch.Tensor, y: torch.Tensor, idx, rng: np.random.Generator, order: str
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Pictures ``idx`` of (x, y), each mirrored left-right at random with its corners (a mirrored
    right angle is still the right angle; the set square stays upright); ``order="shuffled"``: the
    corners of each picture put in a fresh random order."""
    x, y = x[idx].clone(), y[idx].clone()
    f = torch.from_numpy(rng.random(len(idx)) < 0.5)
    x[f] = x[f].flip(3)
    px = y[:, 1::2]
    px[f] = 1 - px[f]
    if order == "shuffled":
        perm = torch.from_numpy(np.argsort(rng.random((len(idx), N)), axis=1))
        pts = y[:, 1:].reshape(-1, N, 2)
        y[:, 1:] = torch.gather(pts, 1, perm[..., None].expand(-1, N, 2)).reshape(-1, 2 * N)
    return x, y


# --------------------------------------------------------------------------- the loss

def loss_terms(y_hat, y) -> torch.Tensor:
    """The (B, 1 + 2n) squared errors that count: all where p_c = 1, only (p̂_c − p_c)² where p_c = 0."""
    yh, yt = (torch.as_tensor(v, dtype=torch.float32) for v in (y_hat, y))
    if yh.shape[-1:] != (OUTPUTS,) or yh.dim() not in (1, 2):
        raise ValueError(f"ŷ must have shape ({OUTPUTS},) or (B, {OUTPUTS}) — [p_c, l_1x, l_1y, …, l_{N}y]; "
                         f"got {tuple(yh.shape)}.")
    return presence_masked_terms(yh.reshape(-1, OUTPUTS), yt.reshape(-1, yt.shape[-1]))


def landmark_loss(y_hat, y) -> torch.Tensor:
    """L(ŷ, y) = Σᵢ (ŷᵢ − yᵢ)² over all 1 + 2n entries when p_c = 1, (p̂_c − p_c)² when p_c = 0;
    the mean over the batch."""
    return loss_terms(y_hat, y).sum(dim=1).mean()


# --------------------------------------------------------------------------- the model

class LandmarkNet(nn.Module):
    """The localiser's conv trunk and one head with the notes' 1 + 2n outputs:
    [σ(p_c), σ(l₁ₓ), σ(l₁ᵧ), …] — every entry in [0, 1], as y."""

    def __init__(self, width: int = 16, hidden: int = 96, n: int = N):
        super().__init__()
        self.trunk, feat = conv_trunk(width)
        self.head = nn.Sequential(nn.Linear(feat, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, 1 + 2 * n))
        self.config = {"width": width, "hidden": hidden, "n": n}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.head(self.trunk(x)))


def predict(model: nn.Module, images) -> np.ndarray:
    """ŷ (B, 1 + 2n) for RGB uint8 pictures (one H×W×3 or a list), resized to SIZE×SIZE."""
    one = isinstance(images, np.ndarray) and images.ndim == 3
    imgs = [images] if one else list(images)
    arr = np.stack([cv2.resize(np.ascontiguousarray(im[..., :3]), (SIZE, SIZE), interpolation=cv2.INTER_AREA)
                    if im.shape[:2] != (SIZE, SIZE) else im[..., :3] for im in imgs])
    m = getattr(model, "model", model)
    with torch.no_grad():
        return m(_seg.to_tensor(arr, str(next(m.parameters()).device))).float().cpu().numpy()


def errors_px(y_hat, points) -> np.ndarray:
    """Distance in pixels (on the SIZE×SIZE picture) from each true landmark to its prediction."""
    return np.linalg.norm(points_of(y_hat, (SIZE, SIZE)) - np.asarray(points, np.float32), axis=1)


def best_order_errors_px(y_hat, points) -> np.ndarray:
    """:func:`errors_px` for the order of the predictions that fits the truth best (any labelling)."""
    pred = points_of(y_hat, (SIZE, SIZE))
    return min((np.linalg.norm(pred[list(p)] - points, axis=1) for p in itertools.permutations(range(N))),
               key=lambda e: float(e.sum()))


@dataclass
class Evaluation:
    n: int
    mean_error_px: float            # over all landmarks of the pictures with a set square, in y's order
    per_landmark_px: list[float]    # mean error of landmark 1, 2, …
    median_error_px: float
    best_order_error_px: float      # the same, each picture's predictions in the order that fits best
    spread_px: float                # mean distance of the predicted corners from their own centre
    true_spread_px: float           # the same for the true corners (what predicting the centre costs)
    pc_accuracy: float              # p̂_c > 0.5 against the truth, all pictures
    loss: float                     # the notes' loss, mean


def evaluate(model: nn.Module, seed: int, n: int = 256, empty_share: float = EMPTY_SHARE) -> Evaluation:
    """Scores on ``n`` fresh pictures from generator ``seed``, against consistent labels."""
    rng = np.random.default_rng(seed)
    exs = [example_from_rng(rng, bool(rng.random() < empty_share)) for _ in range(n)]
    yh = predict(model, [e.image for e in exs])
    obj = [(e, p) for e, p in zip(exs, yh) if e.has_object]
    err = np.stack([errors_px(p, e.points) for e, p in obj])
    best = np.stack([best_order_errors_px(p, e.points) for e, p in obj])

    def spread(pts) -> float:
        return float(np.linalg.norm(pts - pts.mean(0), axis=1).mean())

    loss = float(landmark_loss(torch.from_numpy(yh), torch.from_numpy(np.stack([e.y for e in exs]))))
    return Evaluation(n, float(err.mean()), err.mean(0).tolist(), float(np.median(err)), float(best.mean()),
                      float(np.mean([spread(points_of(p, (SIZE, SIZE))) for _, p in obj])),
                      float(np.mean([spread(e.points) for e, _ in obj])),
                      float(np.mean([(p[0] > 0.5) == e.has_object for e, p in zip(exs, yh)])), loss)


# --------------------------------------------------------------------------- training

def train(steps: int = 1500, batch_size: int = 32, lr: float = 3e-3, seed: int = 0, order: str = "consistent",
          model: LandmarkNet | None = None, every: int = 10, pool: int = 4000) -> Iterator[TrainSnapshot]:
    """Train a :class:`LandmarkNet` with :func:`landmark_loss` on batches drawn from ``pool``
    pictures generated once (each mirrored left-right at random, its corners in ``order``), AdamW, 5 % warm-up then cosine decay. Yields a snapshot every
    ``every`` steps and at the end (the localiser's ``TrainSnapshot``; ``info``: the loss split
    into "p_c" and "landmarks"); the last one carries the trained model (in eval mode)."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}; got {order!r}.")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = model or LandmarkNet()
    t0 = time.perf_counter()
    px, py = batch(rng, pool, order=order)

    def draw() -> tuple[torch.Tensor, torch.Tensor]:
        return _transformed(px, py, rng.integers(0, pool, batch_size), rng, order)

    for step, terms, seconds in optimise(model, steps, lr, draw, loss_terms, every, t0):
        yield TrainSnapshot(step, steps, float(terms.sum(1).mean()),
                            {"p_c": float(terms[:, 0].mean()), "landmarks": float(terms[:, 1:].sum(1).mean())},
                            seconds, model if step == steps else None)


# --------------------------------------------------------------------------- the bundled pair

def save(models: dict[str, LandmarkNet], path: Path | str, meta: dict[str, Any]) -> None:
    """Both networks (keys "consistent" and "shuffled") in one float16 file."""
    torch.save({"models": {k: {"state_dict": half_state_dict(m), "config": m.config} for k, m in models.items()},
                "meta": meta}, str(path))


def read(path: Path | str = BUNDLED_PATH, device: str = "cpu") -> tuple[dict[str, LandmarkNet], dict]:
    try:
        ck = torch.load(str(path), map_location="cpu", weights_only=True)
        models = {}
        for k, v in ck["models"].items():
            m = LandmarkNet(**v["config"])
            m.load_state_dict({n: t.float() if t.is_floating_point() else t for n, t in v["state_dict"].items()})
            models[k] = m.eval().to(device)
            for p in m.parameters():
                p.requires_grad_(False)
    except FileNotFoundError:
        raise FileNotFoundError(f"No landmark weights at {path}; run scripts/make_landmark_assets.py.") from None
    except (KeyError, TypeError, RuntimeError, EOFError, pickle.UnpicklingError) as e:
        raise ValueError(f"{path} is not a landmark checkpoint ({str(e).splitlines()[0][:120]}).") from e
    return models, dict(ck.get("meta", {}))


class LandmarkPair(nn.Module):
    """The bundled pair as one module: ``consistent`` (trained on consistent labels; what
    ``forward`` runs) and ``shuffled`` (the same recipe, corners in a random order per picture)."""

    def __init__(self, consistent: LandmarkNet, shuffled: LandmarkNet):
        super().__init__()
        self.consistent, self.shuffled = consistent, shuffled

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.consistent(x)


def load_bundled_landmarks(device: str = "cpu", path: Path | str | None = None):
    """The landmark networks this project trained on generated set squares, as a zoo ``LoadedModel``
    (``.model`` is a :class:`LandmarkPair`)."""
    from .. import zoo

    t0 = time.perf_counter()
    path = Path(path) if path is not None else BUNDLED_PATH
    try:
        models, meta = read(path, device)
        pair = LandmarkPair(models["consistent"], models["shuffled"]).eval()
    except (FileNotFoundError, ValueError, KeyError) as e:
        raise zoo.ModelUnavailable(str(e)) from e
    err = meta.get("heldout_error_px")
    facts = dict(steps=meta.get('steps', '?'), seed=meta.get('seed', '?'))
    provenance = (_("bundled: landmark network trained by this project on generated set squares "
                    "(scripts/make_landmark_assets.py, {steps} steps, seed {seed}; mean corner "
                    "error {err:.2f} px on held-out {size}×{size} pictures) — it knows set "
                    "squares, not photos", err=err, size=SIZE, **facts) if err is not None else
                  _("bundled: landmark network trained by this project on generated set squares "
                    "(scripts/make_landmark_assets.py, {steps} steps, seed {seed}) — it knows set "
                    "squares, not photos", **facts))

    return bundled_shapes_model(ZOO_NAME, "Landmarks (set squares)", "landmarks", pair, provenance, list(CORNERS),
                                device, meta, t0)


# --------------------------------------------------------------------------- pictures

TRUTH_RGB, PREDICTION_RGB, ERROR_RGB = (46, 160, 67), (30, 136, 229), (229, 57, 53)


def picture(image: np.ndarray, points=None, y_hat=None, side: int = 384, stroke: float = 1.0,
            tags: bool = True) -> np.ndarray:
    """The picture enlarged to about ``side`` px with the true corners (green rings, numbered),
    the predicted ones (blue dots, drawn when p̂_c > 0.5) and a red line from each true corner to
    its prediction with the error in pixels of the network's picture (``tags=False``: numbers and
    errors left off, for small pictures)."""
    from .draw import for_display

    pic, k = for_display(np.ascontiguousarray(image[..., :3]), side)
    sx, sy = pic.shape[1] / image.shape[1], pic.shape[0] / image.shape[0]
    t = max(1, round(2 * stroke))
    font = 0.5 * stroke * max(1.0, max(pic.shape[:2]) / 384)
    pred = None
    if y_hat is not None and float(y_hat[0]) > 0.5:
        pred = points_of(y_hat, image.shape) * [sx, sy]
    true = None if points is None else np.asarray(points, np.float32) * [sx, sy]

    def at(p) -> tuple[int, int]:
        return int(round(p[0] - 0.5)), int(round(p[1] - 0.5))

    if true is not None and pred is not None:
        for a, b in zip(true, pred):
            cv2.line(pic, at(a), at(b), (255, 255, 255), t + 2, cv2.LINE_AA)
            cv2.line(pic, at(a), at(b), ERROR_RGB, t, cv2.LINE_AA)
    if true is not None:
        cv2.polylines(pic, [np.array([at(p) for p in true], np.int32)], True, TRUTH_RGB, max(1, t // 2), cv2.LINE_AA)
        for p in true:
            cv2.circle(pic, at(p), round(7 * stroke), (255, 255, 255), t + 2, cv2.LINE_AA)
            cv2.circle(pic, at(p), round(7 * stroke), TRUTH_RGB, t, cv2.LINE_AA)
    if pred is not None:
        for p in pred:
            cv2.circle(pic, at(p), round(5 * stroke), (255, 255, 255), -1, cv2.LINE_AA)
            cv2.circle(pic, at(p), round(4 * stroke), PREDICTION_RGB, -1, cv2.LINE_AA)
    if tags:
        ref = true if true is not None else pred
        errs = errors_px(y_hat, points) if true is not None and pred is not None else None
        placed: list[tuple[int, int, int, int]] = []
        for i, p in enumerate(ref if ref is not None else ()):
            text = f"{i + 1}" + (f": {errs[i]:.1f} px" if errs is not None else "")
            others = [q for q in (*(true if true is not None else ()), *(pred if pred is not None else ()))]
            _tag(pic, text, p, ref.mean(0), font, max(1, round(stroke)), placed, others, 10 * stroke + 2)
    return pic


def _tag(pic: np.ndarray, text: str, p, centre, font: float, thick: int, placed: list, avoid=(), r: float = 8
         ) -> None:
    """``text`` on a white box beside point ``p``: the first of several places (away from ``centre``,
    i.e. outside the shape, then above, below, right, left) that lies inside the picture and covers
    neither a tag already ``placed`` nor any point of ``avoid`` (with radius ``r``)."""
    (tw, th), base = textdraw.text_size(text, cv2.FONT_HERSHEY_SIMPLEX, font, thick)
    h, w = pic.shape[:2]
    d = np.asarray(p, float) - centre
    d = d / max(1e-6, float(np.linalg.norm(d)))
    gap = r + 6
    bw, bh = tw + 6, th + base + 4                      # the white box
    cx, cy = float(p[0]), float(p[1])
    # top-left corners of the candidate boxes
    out = (cx + d[0] * (gap + bw / 2) - bw / 2, cy + d[1] * (gap + bh / 2) - bh / 2)
    cands = [out, (cx - bw / 2, cy - gap - bh), (cx - bw / 2, cy + gap), (cx + gap, cy - bh / 2),
             (cx - gap - bw, cy - bh / 2)]

    def bad(c) -> int:                                  # what the box covers, once kept inside
        x0, y0 = c
        x1, y1 = x0 + bw, y0 + bh
        return (2 * sum(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in placed)
                + sum(x0 - r < q[0] < x1 + r and y0 - r < q[1] < y1 + r for q in avoid)
                + 3 * (x0 - r < cx < x1 + r and y0 - r < cy < y1 + r))      # never over its own corner

    inside = [(int(np.clip(x, 0, w - bw)), int(np.clip(y, 0, h - bh))) for x, y in cands]
    x0, y0 = min(inside, key=bad)                       # the first best: outward when it is free
    placed.append((x0, y0, x0 + bw, y0 + bh))
    cv2.rectangle(pic, (x0, y0), (x0 + bw, y0 + bh), (255, 255, 255), -1)
    textdraw.put_text(pic, text, (x0 + 3, y0 + 2 + th), cv2.FONT_HERSHEY_SIMPLEX, font, (30, 30, 30), thick, cv2.LINE_AA)
