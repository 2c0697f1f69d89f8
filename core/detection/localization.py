"""Classification with localisation: one object per picture, y = [p_c, c₁, c₂, c₃, b_x, b_y, b_h, b_w].

The notes' target for a picture that holds at most one object of three classes:

- ``p_c``: is there an object at all (1) or only background (0);
- ``c₁, c₂, c₃``: which class (one-hot; here circle, square, triangle — the notes' pedestrian,
  car, motorcycle);
- ``b_x, b_y``: the box centre, ``b_h, b_w``: its height and width, all as fractions of the
  picture ((0, 0) top left, (1, 1) bottom right).

The loss (:func:`localization_loss`) is the squared error over all 8 numbers when ``p_c = 1`` and
only ``(ŷ₁ − y₁)²`` when ``p_c = 0``: without an object the other seven are "don't care".

:class:`Localizer` is a small CNN with a shared trunk and two heads (class: p_c and c₁…c₃; box:
b_x…b_w) whose output is the notes' y; :func:`train` is its training loop as an iterator of
snapshots, on one-object scenes from the lab's generator (:func:`example`), a share of them empty.
``scripts/make_localization_assets.py`` trains the bundled one (``assets/localization_shapes.pt``).
"""
from __future__ import annotations

import math
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from core.i18n import N_, _
import numpy as np
import torch
from torch import nn

from core.segmentation import data as _seg

from . import scenes as _scenes

CLASSES: tuple[str, ...] = _scenes.CLASSES                # circle, square, triangle
#: names of the 8 entries of y, in the notes' order
NAMES: tuple[str, ...] = ("p_c", "c_1", "c_2", "c_3", "b_x", "b_y", "b_h", "b_w")
#: what each entry asks (the notes' wording)
MEANINGS: tuple[str, ...] = ("is there an object?", f"is it a {CLASSES[0]}?", f"is it a {CLASSES[1]}?",
                             f"is it a {CLASSES[2]}?", "box centre x", "box centre y", "box height",
                             "box width")
SIZE = 64                      # side of the pictures the localiser sees
#: one-object scenes: the segmentation generator with one shape, radius 10–30 % of the side
CONFIG = _seg.SceneConfig(size=SIZE, min_shapes=1, max_shapes=1, min_radius=0.10, max_radius=0.30)
EMPTY_SHARE = 0.25             # share of training scenes with no object (p_c = 0)
MIN_VISIBLE_PX = 12
ROOT = Path(__file__).resolve().parents[2]
BUNDLED_PATH = ROOT / "assets" / "localization_shapes.pt"


# --------------------------------------------------------------------------- the loss

def _as_batch(t) -> torch.Tensor:
    t = torch.as_tensor(t, dtype=torch.float32) if not isinstance(t, torch.Tensor) else t
    if t.shape[-1:] != (8,) or t.dim() not in (1, 2):
        raise ValueError(f"y and ŷ must have shape (8,) or (B, 8) — [p_c, c_1, c_2, c_3, b_x, b_y, b_h, b_w]; "
                         f"got {tuple(t.shape)}.")
    return t.reshape(-1, 8)


def loss_terms(y_hat, y) -> torch.Tensor:
    """The (B, 8) (or (8,)) squared errors (ŷᵢ − yᵢ)² that count: all 8 where p_c = 1, only the
    first where p_c = 0 (the other seven are 0: "don't care" — whatever y holds there)."""
    squeeze = torch.as_tensor(y).dim() == 1 and torch.as_tensor(y_hat).dim() == 1
    terms = presence_masked_terms(_as_batch(y_hat), _as_batch(y))
    return terms[0] if squeeze else terms


def presence_masked_terms(yh: torch.Tensor, yt: torch.Tensor) -> torch.Tensor:
    """The notes' rule for any y whose first entry is a presence p_c: (B, K) squared errors, all K
    where p_c = 1, only the first where p_c = 0 (the rest are 0 whatever y holds there, NaN too).
    Shared by the localisation loss (K = 8) and the landmark loss (K = 1 + 2n)."""
    if yh.shape != yt.shape:
        raise ValueError(f"ŷ and y differ in shape: {tuple(yh.shape)} vs {tuple(yt.shape)}.")
    yt = yt.to(yh.dtype)
    counts = torch.ones_like(yt)
    counts[:, 1:] = (yt[:, :1] > 0.5).to(yt.dtype)          # p_c = 0: only the first term
    # where a term does not count, y may hold anything (NaN too): it never enters the sum
    return torch.where(counts > 0, (yh - torch.nan_to_num(yt)) ** 2, torch.zeros_like(yh))


def localization_loss(y_hat, y) -> torch.Tensor:
    """The notes' loss: L(ŷ, y) = Σᵢ₌₁⁸ (ŷᵢ − yᵢ)² when p_c = 1, (ŷ₁ − y₁)² when p_c = 0.

    ``y_hat`` and ``y``: tensors of shape (8,) or (B, 8) in the order
    [p_c, c₁, c₂, c₃, b_x, b_y, b_h, b_w]; the result is a scalar, the mean over the batch."""
    return loss_terms(y_hat, y).reshape(-1, 8).sum(dim=1).mean()


# --------------------------------------------------------------------------- the data

@dataclass
class Example:
    """One picture and its target y (``y[1:]`` is NaN where p_c = 0: don't care)."""
    image: np.ndarray          # RGB uint8 SIZE×SIZE×3
    y: np.ndarray              # (8,) float32
    box: np.ndarray | None     # xyxy pixels of the object, None when there is none

    @property
    def has_object(self) -> bool:
        return bool(self.y[0] > 0.5)

    @property
    def label(self) -> str:
        return CLASSES[int(np.argmax(self.y[1:4]))] if self.has_object else "no object"


def target(box, cls: int | None, shape) -> np.ndarray:
    """The notes' y for an object of class ``cls`` in ``box`` (xyxy pixels) on a picture of
    ``shape``; ``cls=None``: no object, y = [0, ?, …, ?] (NaN for "?")."""
    y = np.full(8, np.nan, np.float32)
    if cls is None:
        y[0] = 0.0
        return y
    h, w = shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    y[0] = 1.0
    y[1:4] = np.eye(3, dtype=np.float32)[cls]
    y[4:] = ((x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (y2 - y1) / h, (x2 - x1) / w)
    return y


def box_of(y, shape) -> np.ndarray:
    """xyxy pixels of the box that y = [.., b_x, b_y, b_h, b_w] describes on a picture of ``shape``."""
    h, w = shape[:2]
    bx, by, bh, bw = (float(v) for v in np.asarray(y, np.float32)[4:8])
    return np.array([(bx - bw / 2) * w, (by - bh / 2) * h, (bx + bw / 2) * w, (by + bh / 2) * h], np.float32)


def example_from_rng(rng: np.random.Generator, empty: bool = False, size: int = SIZE) -> Example:
    """One generated picture: one shape (or none when ``empty``) on a cluttered background."""
    cfg = _seg.SceneConfig(**{**CONFIG.__dict__, "size": size, "min_shapes": 0 if empty else 1,
                              "max_shapes": 0 if empty else 1})
    img, _, ids, classes = _seg.instances_from_rng(rng, cfg)
    ys, xs = np.nonzero(ids == 1)
    if not classes or len(xs) < MIN_VISIBLE_PX:
        return Example(img, target(None, None, img.shape), None)
    box = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)
    return Example(img, target(box, classes[0] - 1, img.shape), box)


def example(seed: int, empty: bool = False, size: int = SIZE) -> Example:
    """The picture for ``seed`` (the same on every machine); ``empty``: background only."""
    return example_from_rng(np.random.default_rng(seed), empty, size)


def batch(rng: np.random.Generator, n: int, empty_share: float = EMPTY_SHARE,
          size: int = SIZE) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` fresh examples as (x: (n, 3, size, size) normalised, y: (n, 8), NaN for don't care)."""
    exs = [example_from_rng(rng, bool(rng.random() < empty_share), size) for _ in range(n)]
    x = _seg.to_tensor(np.stack([e.image for e in exs]))
    return x, torch.from_numpy(np.stack([e.y for e in exs]))


# --------------------------------------------------------------------------- the model

def conv_trunk(width: int = 16, grid: int = 4) -> tuple[nn.Sequential, int]:
    """Four 3×3 conv + BN + ReLU + max-pool blocks (width, 2·width, 4·width, 4·width channels),
    then the map averaged to grid×grid and flattened (flattening keeps *where* things are); with
    the number of features it gives. The Localizer's trunk, and the landmark network's."""
    chans = (3, width, 2 * width, 4 * width, 4 * width)
    layers: list[nn.Module] = []
    for cin, cout in zip(chans, chans[1:]):
        layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                   nn.MaxPool2d(2)]
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(grid), nn.Flatten()), chans[-1] * grid * grid


class Localizer(nn.Module):
    """A small CNN whose output is the notes' y: a conv trunk (four 3×3 conv + BN + ReLU blocks,
    each halving the picture), then a class head (p_c, c₁…c₃) and a box head (b_x, b_y, b_h, b_w)
    on the flattened 4×4 map (flattening keeps *where* things are). ``forward`` returns
    [σ(p_c), softmax(c₁..c₃), σ(b_x..b_w)] — every entry in [0, 1], as y."""

    def __init__(self, width: int = 16, hidden: int = 128):
        super().__init__()
        self.trunk, feat = conv_trunk(width)
        self.class_head = nn.Sequential(nn.Linear(feat, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, 4))
        self.box_head = nn.Sequential(nn.Linear(feat, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, 4))
        self.config = {"width": width, "hidden": hidden}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.trunk(x)
        c = self.class_head(f)
        return torch.cat([torch.sigmoid(c[:, :1]), torch.softmax(c[:, 1:], dim=1),
                          torch.sigmoid(self.box_head(f))], dim=1)


def predict(model: nn.Module, images) -> np.ndarray:
    """ŷ (N, 8) for RGB uint8 pictures (one H×W×3 or a list), resized to the model's SIZE."""
    import cv2

    one = isinstance(images, np.ndarray) and images.ndim == 3
    imgs = [images] if one else list(images)
    arr = np.stack([cv2.resize(np.ascontiguousarray(im[..., :3]), (SIZE, SIZE), interpolation=cv2.INTER_AREA)
                    if im.shape[:2] != (SIZE, SIZE) else im[..., :3] for im in imgs])
    m = getattr(model, "model", model)
    dev = next(m.parameters()).device
    with torch.no_grad():
        out = m(_seg.to_tensor(arr, str(dev))).float().cpu().numpy()
    return out


def box_iou(a, b) -> float:
    """IoU of two xyxy boxes."""
    from .boxes import iou

    return float(iou(np.asarray(a, np.float32).reshape(1, 4), np.asarray(b, np.float32).reshape(1, 4))[0, 0])


@dataclass
class Evaluation:
    n: int
    mean_iou: float                 # over pictures with an object
    class_accuracy: float           # argmax c on pictures with an object
    pc_accuracy: float              # p_c > 0.5 against the truth, all pictures
    iou_over_half: float            # share of object pictures with IoU ≥ 0.5
    loss: float                     # the notes' loss, mean


def evaluate(model: nn.Module, seed: int, n: int = 256, empty_share: float = EMPTY_SHARE) -> Evaluation:
    """Scores on ``n`` fresh pictures from generator ``seed``."""
    rng = np.random.default_rng(seed)
    exs = [example_from_rng(rng, bool(rng.random() < empty_share)) for _ in range(n)]
    yh = predict(model, [e.image for e in exs])
    ious, cls_ok, pc_ok = [], [], []
    for e, p in zip(exs, yh):
        pc_ok.append((p[0] > 0.5) == e.has_object)
        if e.has_object:
            ious.append(box_iou(box_of(p, e.image.shape), e.box))
            cls_ok.append(int(np.argmax(p[1:4])) == int(np.argmax(e.y[1:4])))
    loss = float(localization_loss(torch.from_numpy(yh), torch.from_numpy(np.stack([e.y for e in exs]))))
    ious_a = np.asarray(ious)
    return Evaluation(n, float(ious_a.mean()), float(np.mean(cls_ok)), float(np.mean(pc_ok)),
                      float((ious_a >= 0.5).mean()), loss)


# --------------------------------------------------------------------------- training

@dataclass
class TrainSnapshot:
    step: int
    total: int
    loss: float                                   # the notes' loss on this batch
    info: dict[str, float] = field(default_factory=dict)   # the loss split: "class" (p_c, c) and "box"
    seconds: float = 0.0
    model: nn.Module | None = None                # the trained network, on the last snapshot

    @property
    def fraction(self) -> float:
        return self.step / max(1, self.total)

    def describe(self) -> str:
        return _("step {step}/{total} · loss {loss:.4f}", step=self.step, total=self.total,
                 loss=self.loss)


def _flipped(x: torch.Tensor, y: torch.Tensor, idx, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Pictures ``idx`` of (x, y), each mirrored left-right and/or up-down at random (b_x → 1 − b_x,
    b_y → 1 − b_y; the classes are symmetric shapes, so c stays)."""
    x, y = x[idx].clone(), y[idx].clone()
    for axis, col in ((3, 4), (2, 5)):
        f = torch.from_numpy(rng.random(len(idx)) < 0.5)
        x[f] = x[f].flip(axis)
        y[f, col] = 1 - y[f, col]
    return x, y


def train(steps: int = 2000, batch_size: int = 32, lr: float = 3e-3, seed: int = 0,
          model: Localizer | None = None, every: int = 10, pool: int = 0) -> Iterator[TrainSnapshot]:
    """Train a :class:`Localizer` with :func:`localization_loss` on a fresh batch every step
    (``pool`` > 0: on batches drawn from ``pool`` pictures generated once, each flipped left-right
    and up-down at random), AdamW, 5 % warm-up then cosine decay. Yields a snapshot every ``every`` steps and at the end;
    the last one carries the trained model (in eval mode)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = model or Localizer()
    t0 = time.perf_counter()
    if pool:  # a fixed set of pictures, flipped at random: generating costs as much as a step
        px, py = batch(rng, pool)

    def draw() -> tuple[torch.Tensor, torch.Tensor]:
        return _flipped(px, py, rng.integers(0, pool, batch_size), rng) if pool else batch(rng, batch_size)

    for step, terms, seconds in optimise(model, steps, lr, draw, loss_terms, every, t0):
        done = step == steps
        yield TrainSnapshot(step, steps, float(terms.sum(1).mean()),
                            {"class": float(terms[:, :4].sum(1).mean()), "box": float(terms[:, 4:].sum(1).mean())},
                            seconds, model if done else None)


def optimise(model: nn.Module, steps: int, lr: float, draw: Callable[[], tuple[torch.Tensor, torch.Tensor]],
             terms_of: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], every: int = 10,
             t0: float | None = None) -> Iterator[tuple[int, torch.Tensor, float]]:
    """The loop the bundled shape networks train with: each step a batch (x, y) = ``draw()``, the
    loss Σ terms_of(model(x), y) per picture averaged over the batch, AdamW (weight decay 1e-4),
    5 % warm-up then cosine decay. Yields (step, the batch's (B, K) terms detached, seconds since
    ``t0``) every ``every`` steps and at the last, when the model is put in eval mode."""
    t0 = time.perf_counter() if t0 is None else t0
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, steps - warm))))
    for step in range(1, steps + 1):
        x, y = draw()
        terms = terms_of(model(x), y)
        loss = terms.sum(dim=1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % every == 0 or step == steps:
            if step == steps:
                model.eval()
            yield step, terms.detach(), time.perf_counter() - t0


# --------------------------------------------------------------------------- the bundled model

def half_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The model's state dict with floating-point tensors as float16 (bundled assets stay small)."""
    return {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}


def save(model: Localizer, path: Path | str, meta: dict[str, Any]) -> None:
    torch.save({"state_dict": half_state_dict(model), "config": model.config, "meta": meta}, str(path))


def read(path: Path | str = BUNDLED_PATH, device: str = "cpu") -> tuple[Localizer, dict]:
    try:
        ck = torch.load(str(path), map_location="cpu", weights_only=True)
        model = Localizer(**ck["config"])
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ck["state_dict"].items()})
    except FileNotFoundError:
        raise FileNotFoundError(f"No localiser weights at {path}; run scripts/make_localization_assets.py.") from None
    except (KeyError, TypeError, RuntimeError, EOFError, pickle.UnpicklingError) as e:
        raise ValueError(f"{path} is not a localiser checkpoint ({str(e).splitlines()[0][:120]}).") from e
    model.eval().to(device)
    for p in model.parameters():
        p.requires_grad_(False)
    return model, dict(ck.get("meta", {}))


def load_bundled_localizer(device: str = "cpu", path: Path | str | None = None):
    """The localiser this project trained on generated one-object scenes, as a zoo ``LoadedModel``."""
    from .. import zoo

    t0 = time.perf_counter()
    path = Path(path) if path is not None else BUNDLED_PATH
    try:
        model, meta = read(path, device)
    except (FileNotFoundError, ValueError) as e:
        raise zoo.ModelUnavailable(str(e)) from e
    miou = meta.get("heldout_iou")
    facts = dict(steps=meta.get('steps', '?'), seed=meta.get('seed', '?'))
    provenance = (_("bundled: localiser trained by this project on generated one-object scenes "
                    "(scripts/make_localization_assets.py, {steps} steps, seed {seed}; mean box "
                    "IoU {miou:.3f} on held-out scenes) — it knows circles, squares and "
                    "triangles, not photos", miou=miou, **facts) if miou is not None else
                  _("bundled: localiser trained by this project on generated one-object scenes "
                    "(scripts/make_localization_assets.py, {steps} steps, seed {seed}) — it knows "
                    "circles, squares and triangles, not photos", **facts))

    return bundled_shapes_model(ZOO_NAME, "Localiser (shapes)", "localization", model, provenance, list(CLASSES),
                                device, meta, t0)


def bundled_shapes_model(name: str, title: str, task: str, model: nn.Module, provenance: str, labels: list[str],
                         device: str, meta: dict, t0: float, size: int = SIZE):
    """A zoo ``LoadedModel`` for a network this project trained on generated size×size pictures
    (its preprocess: resize to size×size, normalise as the segmentation lab does); ``t0``: when
    loading began. Shared by the localiser and the landmark networks."""
    from .. import zoo

    def preprocess(image: Any) -> torch.Tensor:
        import cv2

        arr = cv2.resize(np.asarray(image)[..., :3], (size, size), interpolation=cv2.INTER_AREA)
        return _seg.to_tensor(arr[None], device)

    return zoo.LoadedModel(
        name=name, requested=name, title=title, task=task, model=model, provenance=provenance,
        preprocess=preprocess, labels=labels, device=device, pretrained=True, fallback=False, meta=meta,
        load_seconds=time.perf_counter() - t0)


ZOO_NAME = "localizer-shapes"   # its entry is in core.zoo.registry, beside the U-Net's




# --------------------------------------------------------------------------- pictures

TRUTH_RGB, PREDICTION_RGB = (46, 125, 50), (21, 101, 192)      # green, blue (the IoU tab's colours)


TAGS = (N_("truth: {name}"), N_("predicted: {name}, p_c {p:.2f}"))   # the boxes' tags


def picture(image: np.ndarray, y=None, y_hat=None, side: int = 384, stroke: float = 1.0,
            tags: bool = True, gettext=None) -> np.ndarray:
    """The picture enlarged to about ``side`` px with the true box (solid green, "truth: class") and
    the predicted box (dashed blue, "ŷ: class p_c") where there is one: y with p_c = 1, ŷ with
    p̂_c > 0.5 (a lower p̂_c draws no box, as a detector with threshold 0.5 would); ``tags=False``:
    the boxes without their tags (small pictures); ``gettext`` translates the tags and class
    names (English without)."""
    from .detector import draw_boxes
    from .draw import _label, for_display

    pic, k = for_display(np.ascontiguousarray(image), side)
    labels = []
    for v, col, dashed, who in ((y, TRUTH_RGB, False, "truth"), (y_hat, PREDICTION_RGB, True, "predicted")):
        if v is None or not float(v[0]) > 0.5:
            continue
        name = CLASSES[int(np.argmax(np.asarray(v)[1:4]))]
        box = box_of(v, image.shape) * k
        pic = draw_boxes(pic, box[None], np.zeros(1, int), None, [name], colour=col, stroke=stroke,
                         dashed=dashed, halo=True, labels=False)
        tr = gettext or (lambda text: text)
        tag = tr(TAGS[0] if who == "truth" else TAGS[1])
        labels.append((tag.format(name=tr(name), p=float(v[0])), box, col))
    placed: list[tuple[int, int, int, int]] = []      # tags last, so no box line crosses them
    font = min(1.1, 0.45 * stroke * max(1.0, max(pic.shape[:2]) / 384))
    for text, box, col in labels if tags else ():
        _label(pic, text, box, col, font, max(1, int(stroke + 0.5)), round(3 * stroke), placed)
    return pic
