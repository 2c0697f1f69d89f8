"""Sliding-window detection, the naive way and the convolutional way (the notes' "Sliding
windows" and "Convolutional implementation of sliding windows").

The naive way crops every window of the classifier's input size out of a large picture, at
some stride, and classifies each crop. The convolutional way turns the classifier's fully
connected layers into convolutions — the first one into a convolution whose kernel is the
whole feature map it used to flatten (5×5×16 for LeNet-5), the later ones into 1×1
convolutions — and runs the whole picture through once: every cell of the output is the
classifier's answer for one window, and windows that overlap share the work of their common
pixels. The stride of the windows is then fixed by the network: the product of the strides of
its convolutions and poolings (4 for LeNet-5's two 2×2 poolings).

- :func:`fc_to_conv` — the equivalent fully convolutional network (weights copied, the input
  model left untouched);
- :func:`digit_canvas` — a large picture with scikit-learn's digits at LeNet scale, and where
  they are;
- :func:`sliding_window_scores` (crops) and :func:`convolutional_scores` (one pass): the same
  ``(rows, cols, classes)`` map of softmax **probabilities**; cell ``(i, j)`` is the window whose
  top-left corner is ``(x, y) = (j·stride, i·stride)``;
- :func:`compare` — both maps, their largest difference and both timings;
- :func:`window_boxes`, :func:`detections` — map cells as boxes in image coordinates;
- a classifier that can say "no digit": :func:`window_data` (32×32 windows of digit canvases
  — centred digits, and empty, half or straddled windows as an 11th class), and
  :func:`train_window_classifier` (LeNet-5 with 11 outputs, the zoo's
  ``lenet5-digits-windows``); :func:`clean_detections` (threshold on the best digit, then
  non-max suppression) and :func:`score_detections` (digits found, false alarms);
- :func:`output_shapes`, :func:`notes_example_classifier`, :func:`verify_notes_example` — the
  course's 14×14×3 → 16×16×3 → 28×28×3 example, with its shapes and a random network that
  shows crops and one pass agree.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..architectures.builders import (LeNet5, LeNet5Modern, RBFOutput, ScaledTanh, Subsampling,
                                      input_size)
from ..architectures.lenet import DigitsData, LeNetSnapshot, train_lenet_digits
from ..convolution import output_size
from .boxes import nms
from core.i18n import N_, _

__all__ = [
    "FullyConvolutional",
    "RBFConv",
    "fc_to_conv",
    "DigitCanvas",
    "digit_canvas",
    "sliding_window_scores",
    "convolutional_scores",
    "SlidingComparison",
    "compare",
    "Detection",
    "window_boxes",
    "detections",
    "WINDOW_LABELS",
    "NO_DIGIT",
    "window_data",
    "train_window_classifier",
    "clean_detections",
    "CanvasScore",
    "score_detections",
    "NOTES_LAYERS",
    "output_shapes",
    "output_shape",
    "notes_example_classifier",
    "verify_notes_example",
    "multiscale_canvas",
    "PyramidLevel",
    "PyramidResult",
    "pyramid",
]

#: Modules that act on every value (or every position) on its own: they work on a map of
#: any size unchanged.
_POINTWISE = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.SiLU, nn.ELU,
              nn.Identity, nn.Dropout, nn.Dropout2d, ScaledTanh)


# --------------------------------------------------------------------------- conversion

class RBFConv(nn.Module):
    """LeNet-5 (1998)'s RBF output applied at every position of a map:
    ``-Σ_j (x_j - w_ij)²`` over the channels, for each class i (the codes copied)."""

    def __init__(self, rbf: RBFOutput):
        super().__init__()
        self.register_buffer("codes", rbf.codes.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C, H, W) -> (N, classes, H, W)
        return -(x.unsqueeze(1) - self.codes[None, :, :, None, None]).pow(2).sum(2)


class FullyConvolutional(nn.Module):
    """A classifier turned fully convolutional by :func:`fc_to_conv`.

    On an input of exactly ``window`` pixels it gives a 1×1 map of the classifier's outputs
    (logits); on a larger one a map whose cell ``(i, j)`` is the output for the window at
    ``(i·stride, j·stride)``. ``shapes`` lists the layers (name, kernel) for display."""

    def __init__(self, body: nn.Sequential, window: tuple[int, int], stride: int,
                 feature_shape: tuple[int, int, int]):
        super().__init__()
        self.body = body
        self.window = window
        self.stride = stride
        self.feature_shape = feature_shape   # (C, h, w) the first FC layer used to flatten

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def _layers(model: nn.Module) -> list[nn.Module]:
    """The model as one flat list of layers, in the order ``forward`` runs them."""
    if isinstance(model, FullyConvolutional):
        raise ValueError("This model is already fully convolutional.")
    if isinstance(model, nn.Sequential):
        parts = [model]
    elif isinstance(getattr(model, "features", None), nn.Sequential) and \
            isinstance(getattr(model, "classifier", None), nn.Sequential):
        parts = [model.features, model.classifier]   # LeNet5, LeNet5Modern: forward = both in turn
    else:
        raise ValueError(f"fc_to_conv needs an nn.Sequential or a model with `features` and "
                         f"`classifier` Sequentials (like LeNet-5); got {type(model).__name__}.")
    out: list[nn.Module] = []
    for p in parts:
        for m in p:
            out.extend(_layers(m) if isinstance(m, nn.Sequential) else [m])
    return out


def _stride(m: nn.Module) -> int:
    """How far one step of ``m``'s output moves over its input (spatial layers only)."""
    if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        s = m.stride if isinstance(m.stride, tuple) else (m.stride, m.stride)
        p = m.padding if isinstance(m.padding, tuple) else (m.padding, m.padding)
        if s[0] != s[1]:
            raise ValueError(f"{type(m).__name__} has unequal strides {s}; not supported.")
        if any(p) or getattr(m, "ceil_mode", False):
            raise ValueError(
                f"{type(m).__name__} pads its input (padding={p}): a crop would see padding at "
                "its border where the whole picture has pixels, so crops and one pass differ.")
        return int(s[0])
    if isinstance(m, Subsampling):
        return 2
    return 1  # PartialConv (5×5, stride 1) and pointwise layers


def _default_window(model: nn.Module) -> tuple[int, int]:
    if isinstance(model, (LeNet5, LeNet5Modern)):
        return tuple(input_size("lenet5")[1:])  # type: ignore[return-value]
    w = getattr(model, "window", None)
    if w is None:
        raise ValueError(f"Pass window=(height, width): the input size {type(model).__name__} "
                         "classifies is not known.")
    return _pair(w)


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))


@torch.no_grad()
def fc_to_conv(model: nn.Module, window: int | tuple[int, int] | None = None) -> FullyConvolutional:
    """The fully convolutional network equivalent to the classifier ``model``.

    ``model``: LeNet-5 (``lenet5_modern``: conv/ReLU/max-pool features, then Flatten and three
    Linear layers; or the 1998 ``lenet5``, whose C5 is already a convolution and whose RBF output
    becomes :class:`RBFConv`), or any ``nn.Sequential`` of convolutions, poolings, pointwise
    activations, one Flatten and Linear layers. ``window``: the input size the classifier takes
    (default: 32×32 for LeNet-5).

    The first Linear after the Flatten becomes a convolution with kernel = the feature map it
    flattened (its weight reshaped (out, C·h·w) → (out, C, h, w), the same order Flatten uses);
    every later Linear a 1×1 convolution. Other layers are copied. The input model is not
    modified (safe on the zoo's shared cached models); the result is in eval mode with frozen
    parameters, on the model's device. Raises ``ValueError`` for layers it cannot convert
    (padding, which would make crops and one pass differ at window borders).
    """
    layers = _layers(model)
    window = _pair(window) if window is not None else _default_window(model)
    try:
        p0 = next(model.parameters())
        device, dtype = p0.device, p0.dtype
    except StopIteration:
        device, dtype = torch.device("cpu"), torch.float32
    in_ch = next((m.in_channels for m in layers if isinstance(m, nn.Conv2d)), 1)
    x = torch.zeros(1, in_ch, *window, device=device, dtype=dtype)
    body: list[nn.Module] = []
    stride = 1
    feature_shape: tuple[int, int, int] | None = None
    flattened = False
    for m in layers:
        if isinstance(m, nn.Flatten):
            if flattened:
                raise ValueError("More than one Flatten: not a conv-then-FC classifier.")
            flattened = True
            feature_shape = tuple(x.shape[1:])  # type: ignore[assignment]
            continue
        if isinstance(m, nn.Linear):
            if not flattened:
                raise ValueError("A Linear layer before any Flatten: cannot convert.")
            c, h, w = x.shape[1:]
            if m.in_features != c * h * w:
                raise ValueError(f"The Linear layer takes {m.in_features} features but the map "
                                 f"before it is {c}×{h}×{w}; is window={window} right?")
            # built on the meta device, then filled: no random init (the global RNG is untouched)
            new: nn.Module = nn.Conv2d(c, m.out_features, (h, w), bias=m.bias is not None,
                                       device="meta", dtype=m.weight.dtype).to_empty(device=device)
            new.weight.copy_(m.weight.reshape(m.out_features, c, h, w))
            if m.bias is not None:
                new.bias.copy_(m.bias)
        elif isinstance(m, RBFOutput):
            new = RBFConv(m)
        elif flattened and not isinstance(m, _POINTWISE):
            raise ValueError(f"{type(m).__name__} after the Flatten: don't know its "
                             "convolutional form.")
        else:
            stride *= _stride(m)
            new = copy.deepcopy(m)  # never touch the (possibly shared, cached) model itself
        x = new.eval()(x)
        body.append(new)
    if x.shape[-2:] != (1, 1):
        raise ValueError(f"On a {window[0]}×{window[1]} input the converted network gives a "
                         f"{x.shape[-2]}×{x.shape[-1]} map, not 1×1; is window right?")
    if feature_shape is None:  # already convolutional up to the output (no Flatten at all)
        feature_shape = tuple(x.shape[1:])  # type: ignore[assignment]
    net = FullyConvolutional(nn.Sequential(*body), window, stride, feature_shape).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


# --------------------------------------------------------------------------- the canvas

@dataclass
class DigitCanvas:
    """A large grayscale picture in LeNet's input units (background -0.1, full ink 1.175, as
    :func:`core.architectures.lenet.to_lenet_input` makes them) with digits placed on it.

    ``boxes``: (N, 4) x0, y0, x1, y1 of the 32×32 patch of each digit (the 28×28 digit plus
    its 2-pixel border: the window that sees it exactly as in training); ``labels`` (N,);
    ``digit_boxes``: the 28×28 area of the digit itself."""

    image: np.ndarray            # H×W float32
    boxes: np.ndarray            # N×4 int, xyxy (exclusive x1, y1)
    labels: np.ndarray           # N int
    digit_boxes: np.ndarray      # N×4 int
    indices: np.ndarray          # N: index in scikit-learn's held-out split
    background: float = -0.1

    @property
    def centers(self) -> np.ndarray:
        """(N, 2) x, y centres of the digits."""
        return (self.boxes[:, :2] + self.boxes[:, 2:]) / 2.0

    def to_uint8(self) -> np.ndarray:
        """H×W uint8 for display: background 0, full ink 255 (the model's view: light on dark)."""
        a = (self.image - self.background) / (1.175 - self.background)
        return (np.clip(a, 0, 1) * 255).round().astype(np.uint8)


_DIGITS_CACHE: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}


def _split_digits(split: str = "test", seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits at LeNet scale, (N, 32, 32) float32 and labels, from the split of
    ``digits_dataset(seed=seed)``: "test" is the held-out split the zoo's LeNets did not train
    on (the canvas's digits), "train" the one they trained on."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}.")
    if (split, seed) not in _DIGITS_CACHE:
        from ..architectures.lenet import digits_dataset

        d = digits_dataset(seed=seed)
        for name, x, y in (("train", d.x_train, d.y_train), ("test", d.x_test, d.y_test)):
            _DIGITS_CACHE[name, seed] = (x[:, 0].numpy().copy(), y.numpy().copy())
    return _DIGITS_CACHE[split, seed]


def _place(n: int, h: int, w: int, gap: int, rng: np.random.Generator,
           side: int | Sequence[int] = 32) -> list[tuple[int, int, int, int]]:
    """``n`` random non-overlapping side×side boxes (xyxy) at least ``gap`` apart (``side``: one
    side for all, or one per box): random sequential placement, started again from scratch
    when it paints itself into a corner."""
    sides = [int(side)] * n if np.isscalar(side) else [int(v) for v in side]
    for _restart in range(100):
        boxes: list[tuple[int, int, int, int]] = []
        for side in sides:
            for _try in range(200):
                y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
                if all(x >= bx1 + gap or x + side + gap <= bx0 or
                       y >= by1 + gap or y + side + gap <= by0 for bx0, by0, bx1, by1 in boxes):
                    boxes.append((x, y, x + side, y + side))
                    break
            else:
                break
        if len(boxes) == n:
            return boxes
    raise ValueError(f"{n} digits do not fit on a {h}×{w} canvas without overlapping (gap "
                     f"{gap} px); use fewer digits or a larger canvas.")


def _compose(images: np.ndarray, targets: np.ndarray, idx: np.ndarray, h: int, w: int, gap: int,
             rng: np.random.Generator) -> DigitCanvas:
    """The patches ``images[idx]`` at random non-overlapping places on an H×W background."""
    canvas = np.full((h, w), -0.1, dtype=np.float32)
    boxes = _place(len(idx), h, w, gap, rng)
    for k, (x, y, _x1, _y1) in zip(idx, boxes):
        canvas[y:y + 32, x:x + 32] = images[k]
    b = np.array(boxes, dtype=np.int64).reshape(-1, 4)
    return DigitCanvas(image=canvas, boxes=b, labels=targets[idx].astype(np.int64),
                       digit_boxes=b + np.array([2, 2, -2, -2]), indices=np.asarray(idx))


def digit_canvas(n_digits: int = 6, size: int | tuple[int, int] = (128, 128), seed: int = 0,
                 gap: int = 0, labels: Sequence[int] | None = None) -> DigitCanvas:
    """A ``size`` = (H, W) canvas with ``n_digits`` held-out scikit-learn digits at LeNet scale
    (28×28 digit in a 32×32 patch), at random non-overlapping places (patches at least ``gap``
    pixels apart), on LeNet's background. ``labels``: which digits to draw (default random).
    Deterministic for a seed. Raises ``ValueError`` when the digits do not fit."""
    h, w = _pair(size)
    if n_digits < 0:
        raise ValueError("n_digits must be 0 or more.")
    if h < 32 or w < 32:
        raise ValueError(f"The canvas ({h}×{w}) must be at least 32×32, one digit's patch.")
    images, targets = _split_digits("test")
    rng = np.random.default_rng(seed)
    if labels is not None:
        labels = [int(v) for v in labels]
        n_digits = len(labels)
        idx = np.array([rng.choice(np.flatnonzero(targets == v)) for v in labels], dtype=np.int64)
    else:
        idx = rng.choice(len(targets), size=n_digits, replace=False)
    return _compose(images, targets, idx, h, w, gap, rng)


def multiscale_canvas(sides: Sequence[int] = (32, 48, 64), size: int | tuple[int, int] = (192, 192),
                      seed: int = 0, gap: int = 4) -> DigitCanvas:
    """A canvas whose digits come in several sizes: one held-out digit per entry of ``sides``,
    its 32×32 patch resized (bilinear) to side×side, at random non-overlapping places. The
    picture an image pyramid is for (:func:`pyramid`): a 32×32 window fits only the smallest.
    ``boxes`` are the resized patches, ``digit_boxes`` the digits inside them."""
    import cv2

    h, w = _pair(size)
    sides = [int(v) for v in sides]
    if not sides or min(sides) < 8 or max(sides) > min(h, w):
        raise ValueError(f"Digit sizes {sides} must lie between 8 px and the canvas side ({min(h, w)}).")
    images, targets = _split_digits("test")
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(targets), size=len(sides), replace=False)
    boxes = _place(len(sides), h, w, gap, rng, side=sides)
    canvas = np.full((h, w), -0.1, dtype=np.float32)
    for k, (x0, y0, x1, y1) in zip(idx, boxes):
        canvas[y0:y1, x0:x1] = cv2.resize(images[k], (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    b = np.array(boxes, dtype=np.int64).reshape(-1, 4)
    border = np.round(2 * (b[:, 2:] - b[:, :2]) / 32).astype(np.int64)
    return DigitCanvas(image=canvas, boxes=b, labels=targets[idx].astype(np.int64),
                       digit_boxes=b + np.concatenate([border, -border], axis=1), indices=np.asarray(idx))


# --------------------------------------------------------------------------- the two ways

def _as_batch(image, channels: int, window: tuple[int, int], device, dtype) -> torch.Tensor:
    """H×W / H×W×C numpy, or (C, H, W) / (1, C, H, W) tensor → (1, C, H, W) on ``device``."""
    if isinstance(image, DigitCanvas):
        image = image.image
    if isinstance(image, torch.Tensor):
        t = image.detach()
        if t.ndim == 2:
            t = t[None, None]
        elif t.ndim == 3:
            t = t[None]
    else:
        a = np.asarray(image, dtype=np.float32)
        if a.ndim == 2:
            a = a[None]
        elif a.ndim == 3:
            a = a.transpose(2, 0, 1)
        else:
            raise ValueError(f"The image must be H×W or H×W×C; got shape {a.shape}.")
        t = torch.from_numpy(np.ascontiguousarray(a))[None]
    if t.ndim != 4 or t.shape[0] != 1:
        raise ValueError(f"One image at a time: got a tensor of shape {tuple(image.shape)}.")
    if t.shape[1] != channels:
        raise ValueError(f"The model takes {channels}-channel images; this one has {t.shape[1]}.")
    hh, ww = t.shape[-2:]
    if hh < window[0] or ww < window[1]:
        raise ValueError(_("The image ({hh}×{ww}) is smaller than the window "
                           "({window}×{window2}): there is no place to put even one window.", hh=hh, ww=ww, window=window[0], window2=window[1]))
    return t.to(device=device, dtype=dtype)


def _model_io(model: nn.Module) -> tuple[int, torch.device, torch.dtype]:
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    p = next(model.parameters())
    return (conv.in_channels if conv is not None else 1), p.device, p.dtype


def _to_map(logits: torch.Tensor, rows: int, cols: int) -> np.ndarray:
    """(rows·cols, K) logits → (rows, cols, K) float32 softmax probabilities."""
    return F.softmax(logits.float(), dim=1).reshape(rows, cols, -1).cpu().numpy()


def sliding_window_scores(model: nn.Module, image, stride: int = 4,
                          window: int | tuple[int, int] | None = None,
                          batch_size: int = 256) -> np.ndarray:
    """The naive sliding window: crop every ``window`` (default: the classifier's input size,
    32×32 for LeNet-5) at ``stride`` and classify each crop with ``model``.

    Crops are classified ``batch_size`` at a time (default 256: it batches); ``batch_size=1``
    is the truly naive one-window-at-a-time loop whose cost the page shows. Windows start at
    0, stride, 2·stride, … and must lie inside the image (no padding), so the map has
    ``rows = (H - wh) // stride + 1`` and ``cols = (W - ww) // stride + 1``.

    Returns a (rows, cols, classes) float32 array of softmax probabilities. ``image``: H×W (or
    H×W×C) numpy in the model's input units (:class:`DigitCanvas` ``.image``), or a tensor.
    """
    window = _pair(window) if window is not None else _default_window(model)
    if int(stride) < 1:
        raise ValueError(f"The stride must be 1 or more; got {stride}.")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be 1 or more; got {batch_size}.")
    stride, batch_size = int(stride), int(batch_size)
    channels, device, dtype = _model_io(model)
    x = _as_batch(image, channels, window, device, dtype)
    # (1, C, rows, cols, wh, ww): a view, no copy until a batch is taken
    crops = x.unfold(2, window[0], stride).unfold(3, window[1], stride)[0]
    rows, cols = crops.shape[1:3]
    crops = crops.permute(1, 2, 0, 3, 4).reshape(rows * cols, channels, *window)
    with torch.inference_mode():
        if batch_size == 1:
            outs = [model(crops[k:k + 1]) for k in range(rows * cols)]
        else:
            outs = [model(crops[k:k + batch_size].contiguous())
                    for k in range(0, rows * cols, batch_size)]
        return _to_map(torch.cat(outs), rows, cols)


def convolutional_scores(conv_model: nn.Module, image) -> np.ndarray:
    """One forward pass of the fully convolutional ``conv_model`` (:func:`fc_to_conv`; a plain
    classifier is converted first) over the whole ``image``: the same (rows, cols, classes)
    softmax map as :func:`sliding_window_scores` with ``stride = conv_model.stride``."""
    if not isinstance(conv_model, FullyConvolutional):
        conv_model = fc_to_conv(conv_model)
    channels, device, dtype = _model_io(conv_model)
    x = _as_batch(image, channels, conv_model.window, device, dtype)
    with torch.inference_mode():
        out = conv_model(x)[0]                       # (K, rows, cols)
    k, rows, cols = out.shape
    return _to_map(out.permute(1, 2, 0).reshape(rows * cols, k), rows, cols)


# --------------------------------------------------------------------------- boxes

def window_boxes(rows: int, cols: int, stride: int, window: int | tuple[int, int]) -> np.ndarray:
    """(rows, cols, 4) x0, y0, x1, y1 of the window each map cell stands for: cell (i, j) ↔ the
    window with top-left corner (j·stride, i·stride)."""
    wh, ww = _pair(window)
    i, j = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    x0, y0 = j * stride, i * stride
    return np.stack([x0, y0, x0 + ww, y0 + wh], axis=-1).astype(np.int64)


@dataclass(frozen=True)
class Detection:
    box: tuple[int, int, int, int]   # x0, y0, x1, y1 in image pixels
    label: int
    score: float                     # the window's top probability (of its label)
    cell: tuple[int, int]            # (row, col) in the map


def _peaks(top: np.ndarray, radius: int) -> np.ndarray:
    """Cells that hold the largest value in their (2·radius+1)² neighbourhood (ties: the
    first in reading order), the grid's form of non-maximum suppression."""
    t = torch.from_numpy(np.ascontiguousarray(top, dtype=np.float32))[None, None]
    m = F.max_pool2d(t, 2 * radius + 1, stride=1, padding=radius)[0, 0].numpy()
    keep = top >= m
    # a plateau of equal values would keep all of it: keep its first cell only
    order = np.argwhere(keep)
    taken = np.zeros_like(keep)
    for r, c in order:
        r0, c0 = max(r - radius, 0), max(c - radius, 0)
        if taken[r0:r + radius + 1, c0:c + radius + 1].any():
            keep[r, c] = False
        else:
            taken[r, c] = True
    return keep


def detections(probs: np.ndarray, stride: int, window: int | tuple[int, int] = 32,
               threshold: float = 0.9, peak_radius: int = 1) -> list[Detection]:
    """Windows whose top probability exceeds ``threshold``, as boxes in image coordinates,
    highest score first.

    One digit lights up several neighbouring windows; with ``peak_radius`` (in cells, default 1;
    0 keeps every window over the threshold) only windows whose score is the largest within
    that many cells are kept — non-maximum suppression on the map's grid.

    Expect false alarms: a 10-class digit classifier has no "no digit" answer, so windows that
    see half a digit, or parts of two, are often confident too (on the digit canvas about one
    window in four to eight over the threshold sits on a digit). The notes' point: sliding
    windows find roughly where things are; precise boxes need more (YOLO, NMS). A classifier
    trained with a "no digit" class fixes most of it: :func:`clean_detections`."""
    if probs.ndim != 3:
        raise ValueError(f"probs must be (rows, cols, classes); got shape {probs.shape}.")
    top, label = probs.max(-1), probs.argmax(-1)
    keep = top > threshold
    if peak_radius > 0:
        keep &= _peaks(top, int(peak_radius))
    boxes = window_boxes(*top.shape, stride, window)
    cells = sorted(map(tuple, np.argwhere(keep)), key=lambda rc: -top[rc])
    return [Detection(tuple(int(v) for v in boxes[r, c]), int(label[r, c]), float(top[r, c]),
                      (int(r), int(c))) for r, c in cells]


# --------------------------------------------------------------------------- a "no digit" class

#: The window classifier's classes (:func:`train_window_classifier`, zoo entry
#: ``lenet5-digits-windows``): the ten digits, then "no digit" at index :data:`NO_DIGIT`.
WINDOW_LABELS: tuple[str, ...] = tuple(str(i) for i in range(10)) + ("no digit",)
NO_DIGIT = 10


def _window_corners(canvas: DigitCanvas, rng: np.random.Generator, per_digit: int,
                    negatives: int, jitter: int, min_offset: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(M, 2) top-left x, y of training windows on ``canvas`` and their (M,) labels.

    Per digit, ``per_digit`` windows at most ``jitter`` px off its 32×32 patch (in x and y):
    that digit. Then ``negatives`` random windows at least ``min_offset`` px off (in x or y)
    every digit's patch — empty background, part of a digit, parts of two: "no digit".
    Windows in between (when ``min_offset > jitter + 1``) are left out, undecided."""
    h, w = canvas.image.shape
    corner = canvas.boxes[:, :2]
    jit = rng.integers(-jitter, jitter + 1, size=(len(corner), per_digit, 2))
    pos = np.clip(corner[:, None] + jit, 0, (w - 32, h - 32)).reshape(-1, 2)
    cand = rng.integers(0, (w - 31, h - 31), size=(4 * negatives, 2))
    off = np.abs(cand[:, None] - corner[None]).max(-1)            # (candidates, digits)
    neg = cand[(off >= min_offset).all(1)][:negatives]
    labels = np.concatenate([np.repeat(canvas.labels, per_digit),
                             np.full(len(neg), NO_DIGIT)])
    return np.concatenate([pos, neg]), labels


def _windows(split: str, n_canvases: int, rng: np.random.Generator, size: int, max_digits: int,
             per_digit: int, negatives: float, jitter: int, min_offset: int, noise: float
             ) -> tuple[np.ndarray, np.ndarray]:
    images, targets = _split_digits(split)
    crops, labels = [], []
    for _i in range(n_canvases):
        k, gap = int(rng.integers(1, max_digits + 1)), int(rng.integers(0, 4))
        while True:
            idx = rng.choice(len(targets), size=k, replace=False)
            try:
                canvas = _compose(images, targets, idx, size, size, gap, rng)
                break
            except ValueError:  # no room for k digits this far apart: one fewer
                k, gap = max(1, k - 1), 0
        xy, lab = _window_corners(canvas, rng, per_digit, max(1, round(negatives * k * per_digit)),
                                  jitter, min_offset)
        crops += [canvas.image[y:y + 32, x:x + 32] for x, y in xy]
        labels.append(lab)
    x, y = np.stack(crops), np.concatenate(labels)
    # a few windows of speckle noise, "no digit" too: ink that is no digit
    n_noise = int(noise * (y == NO_DIGIT).sum())
    speck = (rng.random((n_noise, 32, 32)) < rng.uniform(0.02, 0.3, (n_noise, 1, 1))) * \
        rng.uniform(0.2, 1.275, (n_noise, 32, 32))
    x = np.concatenate([x, (speck - 0.1).astype(np.float32)])
    return x, np.concatenate([y, np.full(n_noise, NO_DIGIT)])


def window_data(n_canvases: int = 600, seed: int = 0, *, size: int = 128, max_digits: int = 6,
                per_digit: int = 2, negatives: float = 1.0, jitter: int = 2, min_offset: int = 3,
                noise: float = 0.05, test_canvases: int | None = None) -> DigitsData:
    """32×32 windows cut from digit canvases, labelled with :data:`WINDOW_LABELS`.

    Training windows come from ``n_canvases`` canvases (``size``×``size``, 1 to
    ``max_digits`` digits, patches 0–3 px apart; fewer where they do not fit) of
    scikit-learn's **training** digits; the held-out windows (``x_test``, ``y_test``;
    ``test_canvases``, default a quarter as many) from canvases of the held-out digits, the
    ones :func:`digit_canvas` draws. Positives: a digit
    at most ``jitter`` px off the window (``per_digit`` windows per digit, labelled with it);
    negatives (``negatives`` per positive, labelled :data:`NO_DIGIT`): windows at least
    ``min_offset`` px off every digit, plus ``noise`` × as many speckle-noise windows.

    On a canvas a digit's nearest window (stride 4) is at most 2 px off in x and y, the next
    one 2 to 4 px. Those 3–4 px off must say "no digit" too (``min_offset=3``): left
    undecided (6 was tried), a window 3–4 px off an 8 said "1" or "4" with more confidence
    than the centred window said "8", and non-max suppression then kept the wrong one.
    Deterministic for a seed; ``images_test`` holds the held-out windows (N, 32, 32)."""
    if jitter < 0 or min_offset <= jitter:
        raise ValueError(f"Need 0 ≤ jitter < min_offset; got jitter={jitter}, "
                         f"min_offset={min_offset}.")
    if size < 32:
        raise ValueError(f"The canvases ({size}×{size}) must be at least 32×32.")
    test_canvases = max(1, n_canvases // 4) if test_canvases is None else test_canvases
    rng = np.random.default_rng(seed)
    opts = (size, max_digits, per_digit, negatives, jitter, min_offset, noise)
    xtr, ytr = _windows("train", n_canvases, rng, *opts)
    xte, yte = _windows("test", test_canvases, rng, *opts)
    as_x = lambda a: torch.from_numpy(a)[:, None]  # noqa: E731
    return DigitsData(x_train=as_x(xtr), y_train=torch.from_numpy(ytr).long(),
                      x_test=as_x(xte), y_test=torch.from_numpy(yte).long(), images_test=xte)


def train_window_classifier(epochs: int = 4, seed: int = 0, n_canvases: int = 600,
                            lr: float = 5e-3, batch_size: int = 64, threads: int | None = None,
                            data: DigitsData | None = None) -> Iterator[LeNetSnapshot]:
    """Train a sliding-window digit detector's classifier: LeNet-5 (``lenet5_modern``, so
    :func:`fc_to_conv` converts it as it does the zoo's) with 11 outputs, :data:`WINDOW_LABELS`
    — the ten digits and "no digit" — on :func:`window_data` (``n_canvases``, ``seed``; or
    ``data``). The recipe of :func:`core.architectures.lenet.train_lenet_digits` (Adam, cosine
    schedule), without random shifts: where the digit sits in the window is the label.

    Yields a :class:`~core.architectures.lenet.LeNetSnapshot` per epoch; ``accuracy`` is the
    held-out **window** accuracy. Deterministic for a seed; ``threads`` as there."""
    data = data if data is not None else window_data(n_canvases, seed)
    yield from train_lenet_digits(epochs, "lenet5_modern", lr, batch_size, seed, max_shift=0,
                                  data=data, threads=threads, num_classes=len(WINDOW_LABELS))


def clean_detections(probs: np.ndarray, stride: int, window: int | tuple[int, int] = 32,
                     threshold: float = 0.5, iou_threshold: float = 0.3,
                     background: int | None = NO_DIGIT) -> list[Detection]:
    """Detections as a detector gives them: every window whose best **object** class (any
    class but ``background``, the "no digit" class; ``None`` when the classifier has none)
    scores above ``threshold``, then greedy non-max suppression over all classes
    (:func:`core.detection.boxes.nms`: a window overlapping a better one by IoU >
    ``iou_threshold`` goes; one window holds one digit). Highest score first; ``score`` is the
    class's probability, ``label`` its index in ``probs``.

    With a background class, windows that see half a digit or parts of two say "no digit"
    and never reach the threshold. Neighbouring windows of one digit overlap by IoU 0.78
    (4 px apart) to 0.39 (8 px apart in x and y); windows on two digits side by side by
    little (about 0.07): the default 0.3 keeps one window per digit."""
    if probs.ndim != 3:
        raise ValueError(f"probs must be (rows, cols, classes); got shape {probs.shape}.")
    objects = probs
    if background is not None:
        objects = probs.copy()
        objects[..., background] = -1.0
    top, label = objects.max(-1), objects.argmax(-1)
    cells = np.argwhere(top > threshold)
    rows, cols = cells[:, 0], cells[:, 1]
    boxes = window_boxes(*top.shape, stride, window)[rows, cols]
    keep = nms(boxes, top[rows, cols], iou_threshold)
    return [Detection(tuple(int(v) for v in boxes[k]), int(label[rows[k], cols[k]]),
                      float(top[rows[k], cols[k]]), (int(rows[k]), int(cols[k]))) for k in keep]


def digit_map(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A window classifier's (rows, cols, 11) map as two (rows, cols) maps: the probability that
    the window holds a digit (1 − p(no digit)) and its most likely digit."""
    if probs.ndim != 3 or probs.shape[-1] <= NO_DIGIT:
        raise ValueError(f"probs must be (rows, cols, {NO_DIGIT + 1}); got shape {probs.shape}.")
    return 1.0 - probs[..., NO_DIGIT], probs[..., :NO_DIGIT].argmax(-1)


@dataclass(frozen=True)
class CanvasScore:
    """How detections on a :class:`DigitCanvas` match its digits (:func:`score_detections`)."""

    digits: int          # digits on the canvas
    detections: int
    found: int           # digits matched by a detection with the right label

    @property
    def false_alarms(self) -> int:
        """Detections that matched no digit: elsewhere, a wrong label, or a second one."""
        return self.detections - self.found

    @property
    def recall(self) -> float:
        return self.found / self.digits if self.digits else 1.0

    @property
    def precision(self) -> float:
        return self.found / self.detections if self.detections else 1.0


def score_detections(dets: Sequence[Detection], canvas: DigitCanvas,
                     max_offset: int = 4, min_iou: float | None = None) -> CanvasScore:
    """Match ``dets`` to the canvas's digits, best score first: a detection finds the nearest
    digit not found yet whose label it gives and whose 32×32 patch is at most ``max_offset``
    px off its window (in x and y; 4 = one stride: IoU ≥ 0.62). With ``min_iou`` (for windows
    and digits of several sizes) a detection matches the digit whose patch it overlaps most,
    with IoU ≥ ``min_iou``, instead."""
    from .boxes import iou

    free = np.ones(len(canvas.labels), bool)
    for d in sorted(dets, key=lambda d: -d.score):
        if min_iou is None:
            off = np.abs(canvas.boxes[:, :2] - np.array(d.box[:2])).max(1)
            ok = np.flatnonzero(free & (canvas.labels == d.label) & (off <= max_offset))
        else:
            off = -iou(np.array([d.box], float), canvas.boxes)[0]
            ok = np.flatnonzero(free & (canvas.labels == d.label) & (-off >= min_iou))
        if len(ok):
            free[ok[np.argmin(off[ok])]] = False
    return CanvasScore(len(canvas.labels), len(dets), int((~free).sum()))


# --------------------------------------------------------------------------- comparison

def _best_seconds(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _i in range(max(1, repeat)):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


@dataclass
class SlidingComparison:
    """The naive and the convolutional sliding window on one picture."""

    naive: np.ndarray            # (rows, cols, classes) probabilities from crops
    conv: np.ndarray             # the same from one pass
    max_abs_diff: float
    naive_seconds: float         # best of ``repeat``
    conv_seconds: float
    stride: int
    window: tuple[int, int]
    batch_size: int              # how the crops were classified (1: one at a time)
    threshold: float
    detected: np.ndarray = field(repr=False)   # (rows, cols) bool: top probability > threshold

    @property
    def speedup(self) -> float:
        """naive time / convolutional time."""
        return self.naive_seconds / max(self.conv_seconds, 1e-12)

    @property
    def n_windows(self) -> int:
        return int(self.conv.shape[0] * self.conv.shape[1])

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.conv.shape)  # type: ignore[return-value]

    def boxes(self) -> np.ndarray:
        """(rows, cols, 4) window of every cell, in image coordinates."""
        return window_boxes(self.conv.shape[0], self.conv.shape[1], self.stride, self.window)

    def detections(self, threshold: float | None = None, peak_radius: int = 1) -> list[Detection]:
        """:func:`detections` on the convolutional map."""
        return detections(self.conv, self.stride, self.window,
                          self.threshold if threshold is None else threshold, peak_radius)


def compare(model: nn.Module, image, *, batch_size: int = 1, repeat: int = 3,
            threshold: float = 0.9, conv_model: FullyConvolutional | None = None
            ) -> SlidingComparison:
    """Run both ways on ``image`` and time them (``time.perf_counter``, best of ``repeat``).

    The crops use the stride the converted network implies (4 for LeNet-5), so the two maps
    must agree to float32 rounding. ``batch_size``: 1 (default) times the truly naive loop,
    larger values batched crops. ``conv_model``: a ready :func:`fc_to_conv` of ``model``
    (converted here otherwise; the conversion is not timed)."""
    conv_model = conv_model if conv_model is not None else fc_to_conv(model)
    ns, naive = _best_seconds(lambda: sliding_window_scores(
        model, image, conv_model.stride, conv_model.window, batch_size=batch_size), repeat)
    cs, conv = _best_seconds(lambda: convolutional_scores(conv_model, image), repeat)
    if naive.shape != conv.shape:  # cannot happen without padding; fc_to_conv rejects that
        raise RuntimeError(f"map shapes differ: crops {naive.shape}, one pass {conv.shape}")
    return SlidingComparison(
        naive=naive, conv=conv, max_abs_diff=float(np.abs(naive - conv).max()),
        naive_seconds=ns, conv_seconds=cs, stride=conv_model.stride, window=conv_model.window,
        batch_size=int(batch_size), threshold=threshold, detected=conv.max(-1) > threshold)


@dataclass
class PyramidLevel:
    """One window size of :func:`pyramid`: the picture shrunk so that this window becomes the
    classifier's own, both ways of sliding over it, and what they found (in the original
    picture's pixels)."""

    window: int                  # the window's side in the original picture
    scale: float                 # the picture was resized by this (classifier window / window)
    comparison: SlidingComparison   # crops vs one pass on the resized picture
    detections: list[Detection]  # over the threshold, after NMS within this size
    best: Detection              # the window of this size most sure it holds a digit

    @property
    def n_windows(self) -> int:
        return self.comparison.n_windows

    @property
    def stride(self) -> float:
        """Pixels between neighbouring windows in the original picture."""
        return self.comparison.stride / self.scale


@dataclass
class PyramidResult:
    levels: list[PyramidLevel]
    detections: list[Detection]  # all sizes together, after NMS across sizes

    @property
    def n_windows(self) -> int:
        return sum(lv.n_windows for lv in self.levels)

    @property
    def naive_seconds(self) -> float:
        return sum(lv.comparison.naive_seconds for lv in self.levels)

    @property
    def conv_seconds(self) -> float:
        return sum(lv.comparison.conv_seconds for lv in self.levels)

    def with_thresholds(self, threshold: float, iou_threshold: float,
                        background: int | None = NO_DIGIT) -> "PyramidResult":
        """The same maps (no network runs again) read with another digit threshold and NMS IoU."""
        return _pyramid_result([(lv.window, lv.scale, lv.comparison) for lv in self.levels],
                               threshold, iou_threshold, background)


def _scaled(d: Detection, f: float) -> Detection:
    return Detection(tuple(int(round(v / f)) for v in d.box), d.label, d.score, d.cell)


def pyramid(model: nn.Module, image, windows: Sequence[int] = (32, 48, 64), *,
            conv_model: FullyConvolutional | None = None, batch_size: int = 1, repeat: int = 1,
            threshold: float = 0.5, iou_threshold: float = 0.3,
            background: int | None = NO_DIGIT) -> PyramidResult:
    """The notes' "then a larger window": slide windows of every side in ``windows`` over
    ``image`` (H×W in the model's input units, or a :class:`DigitCanvas`).

    A classifier takes one input size (32×32 for LeNet-5), so a larger window is the same
    window on a smaller picture — an image pyramid: for a window of side ``w`` the picture is
    resized by 32/``w`` (area averaging) and :func:`compare` runs both ways on it (crops at the
    network's stride, and one pass). Each size's windows over ``threshold`` go through NMS
    (:func:`clean_detections`); their boxes are mapped back to the original picture; then NMS
    across all sizes keeps one window per object. Cost grows with every size added: the total
    number of windows and both times are summed in :class:`PyramidResult`."""
    import cv2

    if isinstance(image, DigitCanvas):
        image = image.image
    image = np.asarray(image, np.float32)
    conv_model = conv_model if conv_model is not None else fc_to_conv(model)
    base = conv_model.window[0]
    h, w = image.shape[:2]
    levels = []
    for win in windows:
        f = base / float(win)
        size = (max(1, round(w * f)), max(1, round(h * f)))
        if size[0] < conv_model.window[1] or size[1] < base:
            raise ValueError(_("A {win}×{win} window does not fit in the {h}×{w} picture.", win=win, h=h, w=w))
        small = image if size == (w, h) else cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        levels.append((int(win), f, compare(model, small, batch_size=batch_size, repeat=repeat,
                                            conv_model=conv_model)))
    return _pyramid_result(levels, threshold, iou_threshold, background)


def _pyramid_result(maps: list[tuple[int, float, SlidingComparison]], threshold: float,
                    iou_threshold: float, background: int | None) -> PyramidResult:
    levels = []
    for win, f, r in maps:
        found = clean_detections(r.conv, r.stride, r.window, threshold, iou_threshold, background)
        objects = r.conv.copy()
        if background is not None:
            objects[..., background] = -1.0
        top = objects.max(-1)
        i, j = np.unravel_index(int(np.argmax(top)), top.shape)
        box = window_boxes(*top.shape, r.stride, r.window)[i, j]
        best = Detection(tuple(int(v) for v in box), int(objects[i, j].argmax()), float(top[i, j]),
                         (int(i), int(j)))
        levels.append(PyramidLevel(win, f, r, [_scaled(d, f) for d in found], _scaled(best, f)))
    every = [d for lv in levels for d in lv.detections]
    keep = nms(np.array([d.box for d in every], float).reshape(-1, 4),
               np.array([d.score for d in every]), iou_threshold) if every else []
    return PyramidResult(levels, [every[k] for k in keep])


# --------------------------------------------------------------------------- the notes' example

#: The course's example network (Andrew Ng's "Convolutional implementation of sliding
#: windows"): (name, kind, f, s, out channels). On a 14×14×3 window it gives 1×1×4.
NOTES_LAYERS: tuple[tuple[str, str, int, int, int], ...] = (
    (N_("CONV 5×5, 16 filters"), "conv", 5, 1, 16),
    (N_("MAX POOL 2×2, s=2"), "pool", 2, 2, 16),
    (N_("FC 400 as CONV 5×5, 400 filters"), "conv", 5, 1, 400),
    (N_("FC 400 as CONV 1×1, 400 filters"), "conv", 1, 1, 400),
    (N_("FC softmax 4 as CONV 1×1, 4 filters"), "conv", 1, 1, 4),
)


def output_shapes(n: int | tuple[int, int], channels: int = 3,
                  layers: Sequence[tuple[str, str, int, int, int]] = NOTES_LAYERS
                  ) -> list[tuple[str, tuple[int, int, int]]]:
    """The H×W×C after every layer for an ``n``×``n`` (or (H, W)) input, by the notes' formula
    ``floor((n + 2p - f)/s) + 1`` (:func:`core.convolution.output_size`), starting with the
    input itself. 14 → 1×1×4, 16 → 2×2×4, 28 → 8×8×4 with :data:`NOTES_LAYERS`."""
    h, w = _pair(n)
    out = [(N_("input"), (h, w, channels))]
    for name, _kind, f, s, c in layers:
        h, w = output_size(h, f, 0, s), output_size(w, f, 0, s)
        out.append((name, (h, w, c)))
    return out


def output_shape(n: int | tuple[int, int], channels: int = 3,
                 layers: Sequence[tuple[str, str, int, int, int]] = NOTES_LAYERS
                 ) -> tuple[int, int, int]:
    """The final H×W×C of :func:`output_shapes`."""
    return output_shapes(n, channels, layers)[-1][1]


def notes_example_classifier(seed: int = 0) -> nn.Sequential:
    """The notes' 14×14×3 → 4-class classifier with real FC layers (random weights, seeded):
    CONV 5×5×16, ReLU, MAX POOL 2×2, Flatten, FC 400, ReLU, FC 400, ReLU, FC 4.
    :func:`fc_to_conv` (``window=14``) turns it into the 5×5 / 1×1 convolutions of the notes."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = nn.Sequential(
            nn.Conv2d(3, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2),     # 10×10×16 → 5×5×16
            nn.Flatten(),
            nn.Linear(400, 400), nn.ReLU(),
            nn.Linear(400, 400), nn.ReLU(),
            nn.Linear(400, 4),
        )
    return net.eval()


def verify_notes_example(sizes: Sequence[int] = (14, 16, 28), seed: int = 0) -> list[dict]:
    """Run the notes' example: for each input size, random seeded H×W×3 pictures through the
    converted network in one pass and as 14×14 crops at stride 2; returns one dict per size
    with the map ``shape`` (rows, cols, 4), ``expected`` (:func:`output_shape`), the number of
    ``windows`` and ``max_abs_diff`` between the two probability maps."""
    net = notes_example_classifier(seed)
    conv = fc_to_conv(net, window=14)
    rng = np.random.default_rng(seed)
    out = []
    for n in sizes:
        img = rng.normal(size=(n, n, 3)).astype(np.float32)
        one = convolutional_scores(conv, img)
        crops = sliding_window_scores(net, img, conv.stride, window=14)
        out.append({"size": (n, n, 3), "shape": tuple(one.shape), "expected": output_shape(n),
                    "windows": int(one.shape[0] * one.shape[1]), "stride": conv.stride,
                    "max_abs_diff": float(np.abs(one - crops).max())})
    return out
