"""Residual blocks: the identity argument and a small plain-vs-residual experiment.

The notes: a[l+2] = g(z[l+2] + a[l]). If W[l+2] = 0 (and b[l+2] = 0) a plain block outputs
g(0) = 0, a residual block outputs g(a[l]) = a[l] (ReLU, a[l] >= 0): the identity is easy to
learn, so extra residual blocks do not hurt, and gradients reach the early layers.
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

__all__ = [
    "identity_demo",
    "DeepNet",
    "ResidualSnapshot",
    "gradient_norms",
    "residual_experiment",
    "digits_8x8",
    "demo_activation",
]


def identity_demo(a_l, w1=None, b1=None, seed: int = 0) -> dict:
    """The notes' argument with numbers, for a 2-layer fully connected block.

    ``a_l``: the activation a[l] (made non-negative, as a ReLU output). Layer l+1 has
    random W[l+1], b[l+1] (or the given ones); layer l+2 has W[l+2] = 0, b[l+2] = 0.
    Returns a_l, a_l1 = g(W1 a_l + b1), z_l2 (= 0), plain = g(z_l2), residual = g(z_l2 + a_l).
    """
    a_l = np.maximum(np.asarray(a_l, dtype=np.float64).ravel(), 0.0)
    n = a_l.size
    rng = np.random.default_rng(seed)
    w1 = rng.normal(0, 1 / np.sqrt(n), (n, n)) if w1 is None else np.asarray(w1, float)
    b1 = np.zeros(n) if b1 is None else np.asarray(b1, float)
    a_l1 = np.maximum(w1 @ a_l + b1, 0)
    w2, b2 = np.zeros((n, n)), np.zeros(n)
    z_l2 = w2 @ a_l1 + b2
    return {
        "a_l": a_l,
        "a_l1": a_l1,
        "z_l2": z_l2,
        "plain": np.maximum(z_l2, 0),
        "residual": np.maximum(z_l2 + a_l, 0),
    }


def demo_activation(seed: int = 0, units: int = 6) -> np.ndarray:
    """A random ReLU output a[l] for :func:`identity_demo`: ``units`` values drawn from
    N(0.5, 1), negatives set to 0, rounded to two decimals."""
    rng = np.random.default_rng(int(seed))
    return np.round(np.maximum(rng.normal(0.5, 1.0, units), 0), 2)


class _Block(nn.Module):
    """Two fully connected layers, z[l+2] = W[l+2] g(W[l+1] a[l] + b[l+1]) + b[l+2], then
    a[l+2] = g(z[l+2] + a[l]) with the skip, g(z[l+2]) without."""

    def __init__(self, width: int, residual: bool):
        super().__init__()
        self.residual = residual
        self.fc1 = nn.Linear(width, width)
        self.fc2 = nn.Linear(width, width)

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        z = self.fc2(F.relu(self.fc1(a)))
        return F.relu(z + a) if self.residual else F.relu(z)


class DeepNet(nn.Module):
    """Input layer, ``blocks`` two-layer blocks of width ``width`` (ReLU, PyTorch's default
    init, no batch norm), linear classifier: 2 * blocks + 2 layers. ``residual=True`` adds
    every block's skip connection; the parameters are the same either way, so a plain and
    a residual net can start from identical weights."""

    def __init__(self, blocks: int = 10, width: int = 64, residual: bool = False,
                 in_features: int = 64, num_classes: int = 10):
        super().__init__()
        self.stem = nn.Linear(in_features, width)
        self.blocks = nn.Sequential(*[_Block(width, residual) for _ in range(blocks)])
        self.head = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.stem(x.flatten(1)))
        return self.head(self.blocks(x))


def digits_8x8() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's digits (1,797 images, 8x8, ships offline) as (N, 64) floats in
    [0, 1] and int64 labels."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.data, dtype=torch.float32) / 16.0
    y = torch.tensor(d.target, dtype=torch.long)
    return x, y


def gradient_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> list[float]:
    """||dL/dW|| of every linear/conv weight, input side first, for one batch (taken with
    ``torch.autograd.grad``: the model's .grad fields are not touched)."""
    params = [m.weight for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    loss = F.cross_entropy(model(x), y)
    grads = torch.autograd.grad(loss, params)
    return [float(g.norm()) for g in grads]


@dataclass
class ResidualSnapshot(Snapshot):
    """One training step of both nets (``loss`` is None: there are two, see the fields)."""

    loss_plain: float = 0.0
    loss_res: float = 0.0
    acc_plain: float = 0.0        # accuracy on the current batch
    acc_res: float = 0.0
    seconds: float = 0.0
    grad_norms_plain: list[float] = field(default_factory=list)  # at init (step 0 only)
    grad_norms_res: list[float] = field(default_factory=list)


def _snap(step, total, lp, lr_, ap, ar, seconds, gp=None, gr=None) -> ResidualSnapshot:
    return ResidualSnapshot(step=step, total=total,
                            info={"plain loss": lp, "residual loss": lr_},
                            loss_plain=lp, loss_res=lr_, acc_plain=ap, acc_res=ar,
                            seconds=seconds, grad_norms_plain=gp or [], grad_norms_res=gr or [])


def residual_experiment(blocks: int = 10, width: int = 64, steps: int = 300, lr: float = 0.05,
                        batch_size: int = 128, seed: int = 0,
                        data: tuple[torch.Tensor, torch.Tensor] | None = None,
                        threads: int | None = None) -> Iterator[ResidualSnapshot]:
    """Train a deep plain net and the same net with skip connections, side by side.

    ``DeepNet`` with ``blocks`` residual blocks (2 * blocks + 2 layers). Both nets start from
    the same weights (PyTorch's default init, no batch norm) and see the same batches of
    scikit-learn's 8x8 digits; SGD with momentum 0.9. With the defaults the plain net's
    early gradients are ~1e-10 and its loss stays at ln 10 = 2.30 while the residual net's
    falls towards 0. Yields a snapshot
    before training (step 0, with per-layer gradient norms at init) and after every step.
    ``threads``: run with that many PyTorch threads (1 suits these small nets on a shared
    machine; None leaves the setting alone). Break out of the loop to stop.
    """
    with torch_threads(threads):
        yield from _experiment(blocks, width, steps, lr, batch_size, seed, data)


def _experiment(blocks, width, steps, lr, batch_size, seed, data):
    x_all, y_all = data if data is not None else digits_8x8()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        plain = DeepNet(blocks, width, residual=False, in_features=x_all[0].numel())
    res = DeepNet(blocks, width, residual=True, in_features=x_all[0].numel())
    res.load_state_dict(plain.state_dict())
    g = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()

    idx0 = torch.randperm(len(x_all), generator=g)[:batch_size]
    xb, yb = x_all[idx0], y_all[idx0]
    gp, gr = gradient_norms(plain, xb, yb), gradient_norms(res, xb, yb)
    with torch.no_grad():
        lp_out, lr_out = plain(xb), res(xb)
    yield _snap(
        0, steps, float(F.cross_entropy(lp_out, yb)), float(F.cross_entropy(lr_out, yb)),
        float((lp_out.argmax(1) == yb).float().mean()), float((lr_out.argmax(1) == yb).float().mean()),
        time.perf_counter() - t0, gp, gr)

    opt_p = torch.optim.SGD(plain.parameters(), lr=lr, momentum=0.9)
    opt_r = torch.optim.SGD(res.parameters(), lr=lr, momentum=0.9)
    plain.train()
    res.train()
    for step in range(1, steps + 1):
        idx = torch.randint(0, len(x_all), (batch_size,), generator=g)
        xb, yb = x_all[idx], y_all[idx]
        out = []
        for model, opt in ((plain, opt_p), (res, opt_r)):
            opt.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            loss.backward()
            opt.step()
            out.append((float(loss.detach()), float((logits.argmax(1) == yb).float().mean())))
        yield _snap(step, steps, out[0][0], out[1][0], out[0][1], out[1][1],
                    time.perf_counter() - t0)
