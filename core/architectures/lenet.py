"""LeNet-5 trained on scikit-learn's handwritten digits (ships offline, 1,797 images).

The 8x8 digits (values 0..16) are upsampled to 28x28 and padded by 2 to 32x32, like
MNIST's 28x28 digits in LeCun's 32x32 input, and scaled so that the background is -0.1
and full ink 1.175 (the paper's normalisation: mean about 0, variance about 1).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..snapshots import Snapshot
from ..devices import torch_threads
from .builders import LeNet5Modern, _key, build

__all__ = [
    "DigitsData",
    "to_lenet_input",
    "digits_dataset",
    "LeNetSnapshot",
    "train_lenet_digits",
    "random_shift",
    "predict",
    "confusion_matrix",
    "misclassified",
    "digit_image",
]


@dataclass
class DigitsData:
    x_train: torch.Tensor       # N x 1 x 32 x 32 float
    y_train: torch.Tensor       # N int64
    x_test: torch.Tensor
    y_test: torch.Tensor
    images_test: np.ndarray     # N x 8 x 8 original digits (0..16), for display


def to_lenet_input(images: np.ndarray) -> torch.Tensor:
    """(N, 8, 8) digits with values 0..16 (or one 8x8) -> (N, 1, 32, 32) LeNet input."""
    a = np.asarray(images, dtype=np.float32)
    if a.ndim == 2:
        a = a[None]
    t = torch.from_numpy(a / 16.0).unsqueeze(1)
    t = F.interpolate(t, size=(28, 28), mode="bilinear", align_corners=False).clamp(0, 1)
    t = F.pad(t, (2, 2, 2, 2))
    return t * 1.275 - 0.1


def digits_dataset(test_size: float = 0.2, seed: int = 0) -> DigitsData:
    """scikit-learn's digits split into a stratified training and held-out test set."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    idx = np.arange(len(d.target))
    tr, te = train_test_split(idx, test_size=test_size, random_state=seed, stratify=d.target)
    return DigitsData(
        x_train=to_lenet_input(d.images[tr]),
        y_train=torch.tensor(d.target[tr], dtype=torch.long),
        x_test=to_lenet_input(d.images[te]),
        y_test=torch.tensor(d.target[te], dtype=torch.long),
        images_test=d.images[te].copy(),
    )


@dataclass
class LeNetSnapshot(Snapshot):
    """Progress after one epoch. ``step``/``total`` count optimiser steps, ``loss`` is the
    mean training loss of the epoch, ``accuracy`` the held-out accuracy after it."""

    epoch: int = 0
    epochs: int = 0
    accuracy: float = 0.0
    train_accuracy: float = 0.0
    test_loss: float = 0.0
    seconds: float = 0.0
    model: nn.Module | None = None
    history: dict[str, list[float]] = field(default_factory=dict)


@torch.no_grad()
def _evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    logits = model(x)
    return float(F.cross_entropy(logits, y)), float((logits.argmax(1) == y).float().mean())


def random_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Shift every image of a batch by its own random whole number of pixels in
    [-max_shift, max_shift] along each axis (the 2-pixel border is background, so rolling
    only moves background around)."""
    if max_shift <= 0:
        return x
    shifts = torch.randint(-max_shift, max_shift + 1, (len(x), 2), generator=generator)
    out = torch.empty_like(x)
    for dy, dx in torch.unique(shifts, dim=0).tolist():
        sel = ((shifts[:, 0] == dy) & (shifts[:, 1] == dx)).nonzero().squeeze(1)
        out[sel] = torch.roll(x[sel], shifts=(dy, dx), dims=(2, 3))
    return out


def train_lenet_digits(epochs: int = 10, variant: str = "lenet5_modern", lr: float = 5e-3,
                       batch_size: int = 32, seed: int = 0, test_size: float = 0.2,
                       max_shift: int = 2, data: DigitsData | None = None,
                       threads: int | None = None, num_classes: int = 10
                       ) -> Iterator[LeNetSnapshot]:
    """Train LeNet-5 (``variant``: "lenet5_modern" or the 1998 "lenet5") on the digits,
    yielding a snapshot after every epoch (held-out loss/accuracy, the model itself and the
    history so far).

    Adam with a cosine learning-rate schedule from ``lr`` to 0, mini-batches of
    ``batch_size``, and data augmentation by random shifts of up to ``max_shift`` pixels.
    Deterministic for a given seed (the global RNG is left untouched). ``threads``: run with
    that many PyTorch threads (1 is best for this tiny net on a shared machine; None leaves
    the setting alone). Break out of the loop to stop; the model in the last snapshot is in
    eval mode. ``data`` and ``num_classes`` (the modern variant only) train it on other
    32×32 pictures, e.g. :func:`core.detection.sliding.window_data`'s windows."""
    if num_classes != 10 and _key(variant) != "lenet5_modern":
        raise ValueError(f"Only lenet5_modern takes another number of classes; {variant} has 10.")
    with torch_threads(threads):
        yield from _train_lenet(epochs, variant, lr, batch_size, seed, test_size, max_shift, data,
                                num_classes)


def _train_lenet(epochs, variant, lr, batch_size, seed, test_size, max_shift, data, num_classes):
    data = data if data is not None else digits_dataset(test_size=test_size, seed=seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build(variant) if num_classes == 10 else LeNet5Modern(num_classes)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    n = len(data.y_train)
    steps_per_epoch = (n + batch_size - 1) // batch_size
    total = epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: 0.5 * (1 + np.cos(np.pi * min(k, total) / total)))
    hist: dict[str, list[float]] = {"epoch": [], "loss": [], "test_loss": [], "accuracy": [],
                                    "train_accuracy": []}
    t0 = time.perf_counter()
    step = 0
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(n, generator=g)
        running, correct = 0.0, 0
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            xb = random_shift(data.x_train[idx], max_shift, g)
            yb = data.y_train[idx]
            opt.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            running += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
        model.eval()
        test_loss, acc = _evaluate(model, data.x_test, data.y_test)
        hist["epoch"].append(epoch)
        hist["loss"].append(running / n)
        hist["test_loss"].append(test_loss)
        hist["accuracy"].append(acc)
        hist["train_accuracy"].append(correct / n)
        yield LeNetSnapshot(
            step=step, total=total, loss=running / n,
            info={"epoch": epoch, "test accuracy": acc},
            epoch=epoch, epochs=epochs, accuracy=acc, train_accuracy=correct / n,
            test_loss=test_loss, seconds=time.perf_counter() - t0, model=model,
            history={k: list(v) for k, v in hist.items()})


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Predicted classes and softmax probabilities (N x classes) for LeNet inputs ``x``."""
    probs = F.softmax(model(x), dim=1)
    return probs.argmax(1).numpy(), probs.numpy()


def confusion_matrix(y_true, y_pred, n_classes: int = 10) -> np.ndarray:
    """C[i, j] = how many images of true class i were predicted as class j."""
    yt = np.asarray(y_true, dtype=np.int64).ravel()
    yp = np.asarray(y_pred, dtype=np.int64).ravel()
    if yt.shape != yp.shape:
        raise ValueError("y_true and y_pred must have the same length")
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (yt, yp), 1)
    return cm


def misclassified(model: nn.Module, data: DigitsData, limit: int = 16) -> list[dict]:
    """Held-out digits the model gets wrong, most confident mistakes first: index, the 8x8
    image, true label, predicted label, confidence."""
    pred, probs = predict(model, data.x_test)
    y = data.y_test.numpy()
    wrong = np.flatnonzero(pred != y)
    wrong = wrong[np.argsort(-probs[wrong, pred[wrong]])]
    return [{"index": int(i), "image": data.images_test[i], "true": int(y[i]),
             "pred": int(pred[i]), "confidence": float(probs[i, pred[i]])}
            for i in wrong[:limit]]


def digit_image(img8, scale: int = 8) -> np.ndarray:
    """An 8x8 digit (values 0..16) as dark ink on white uint8, each pixel a ``scale`` x
    ``scale`` square (enlarged without blur)."""
    g = 255 - np.clip(np.asarray(img8, float) / 16.0 * 255, 0, 255).astype(np.uint8)
    return np.kron(g, np.ones((scale, scale), dtype=np.uint8))
