"""Pictures made by optimising the pixels: class and channel visualization (gradient ascent),
feature inversion, adversarial examples and fooling images.

All of them reuse :mod:`core.vis.ascent` — its objectives (:func:`~core.vis.ascent.class_logit`,
:func:`~core.vis.ascent.channel`), transforms (pad / random crop / roll / random scale), penalties
(L2, total variation), gradient smoothing and loop (:func:`~core.vis.ascent.ascend`) and its
per-call activation hooks — and the long ones are iterators of :class:`core.snapshots.Snapshot`
(break out of the loop to stop early).

* :func:`class_visualization` — the notes' I* = argmax_I f(I) + R(I): start from zeros (a flat
  mean-grey image) or noise and climb the class logit (or one channel of a layer) with the
  regularizers the notes name: L2, blur (Gaussian smoothing of the gradient), jitter (a random
  roll), TV.
* :func:`feature_inversion` — find pixels whose features at a layer match a picture's, with a
  TV regulariser: shallow layers keep detail, deep layers keep only the layout.
* :func:`adversarial` — FGSM (one step) or iterative FGSM inside an L∞ ball of ``eps``.
* :func:`fooling_image` — from noise to an image the network calls ``target`` with high
  confidence, though a person sees noise.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from core.snapshots import Snapshot

from . import ascent as A
from .attribution import logits, probabilities, ranked

# One cadence for every loop here: a picture in about this many snapshots of a run (and always
# in the last), so a page's live image moves at the same pace whatever the number of steps and
# turning tensors into pixels costs a bounded share of the run; the numbers come every step.
PICTURES_PER_RUN = 30


def _picture_due(step: int, total: int) -> bool:
    return step % max(1, total // PICTURES_PER_RUN) == 0 or step == total


def _start(net: A.Net, size: int, init: str, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    if init == "zeros":          # the notes' "all pixels 0" after mean subtraction: mean colour
        return net.mean.expand(1, 3, size, size).clone()
    if init == "noise":
        return (net.mean + 0.1 * torch.randn((1, 3, size, size), generator=gen).to(net.device)).clamp(0, 1)
    raise ValueError(f"init must be 'zeros' or 'noise', not {init!r}.")


# --------------------------------------------------------------------------- class visualization

def class_visualization(model: Any, target: int, *, layer: str | None = None, steps: int = 120,
                        size: int = 224, step_size: float = 0.01, l2: float = 0.0, tv: float = 0.0,
                        blur: tuple[float, float] = (1.0, 0.5), roll: int = 8, init: str = "zeros",
                        seed: int = 0, jitter: int | None = None) -> Iterator[Snapshot]:
    """Gradient ascent on the pixels toward a class logit (``layer=None``) or toward channel
    ``target`` of ``layer`` (the notes' block1_conv1 / block3_conv2 / block5_conv3 pictures).

    Per step (:func:`core.vis.ascent.ascend`): a random roll (circular shift) of ±``roll`` px,
    the gradient of the objective minus ``l2``·mean((x−½)²) and ``tv``·TV(x), blurred with σ
    going from ``blur[0]`` to ``blur[1]``, and a normalised step of ``step_size``. Snapshots
    carry the objective (``loss`` = its value, ``info`` the start value and the target's
    probability). ``jitter=`` is the old name of ``roll=`` (deprecated: in Lucent, and in
    :func:`core.vis.ascent.jitter`, jitter is a random crop).
    """
    if jitter is not None:
        warnings.warn("class_visualization(jitter=...) is deprecated: it is a roll, pass roll=...",
                      DeprecationWarning, stacklevel=2)
        roll = jitter
    net = A.as_net(model)
    objective = A.class_logit(int(target)) if layer is None else A.channel(layer, int(target))
    x = _start(net, size, init, seed)
    start = None
    for state in A.ascend(x, net, objective, steps, step_size, transforms=[A.roll(roll)] if roll else [],
                          smoothing=blur, l2=l2, tv=tv,
                          generator=torch.Generator().manual_seed(seed)):
        if start is None:
            start = state.value
        info: dict = {"start": start}
        if _picture_due(state.step, steps):
            if layer is None:
                info["probability"] = float(probabilities(net, state.x)[int(target)])
            img = A.to_image(state.x)
        else:
            img = None
        yield Snapshot(state.step, steps, state.value, img, info)


def objective_value(model: Any, image: np.ndarray, target: int, layer: str | None = None) -> float:
    """The class logit (or channel mean) a picture reaches — to check an ascent's gain."""
    net = A.as_net(model)
    objective = A.class_logit(int(target)) if layer is None else A.channel(layer, int(target))
    with torch.no_grad():
        return float(objective(A.activations(net, A.to_tensor(image, net.device), objective.layers)))


# --------------------------------------------------------------------------- feature inversion

def feature_inversion(model: Any, image: np.ndarray, layer: str, *, steps: int = 200, lr: float = 0.05,
                      tv: float = 0.5, init: str = "noise", seed: int = 0) -> Iterator[Snapshot]:
    """Reconstruct ``image`` (RGB uint8) from its features at ``layer``: minimise
    ‖Φ(x) − Φ(x₀)‖² / ‖Φ(x₀)‖² + tv·TV(x) with Adam on the pixels (kept in [0, 1]).
    ``loss`` is the relative feature error alone; ``info`` holds the TV term."""
    net = A.as_net(model)
    x0 = A.to_tensor(image, net.device)
    with torch.no_grad():
        f0 = A.activations(net, x0, [layer])[layer].detach()
    norm = f0.pow(2).sum().clamp(min=1e-12)
    rel = A.Objective(lambda a: -(a[layer] - f0).pow(2).sum() / norm, [layer], f"−‖Φ−Φ₀‖² at {layer}",
                      spatial_mean=False)
    x = _start(net, x0.shape[-1], init, seed)
    if x.shape != x0.shape:
        x = F.interpolate(x, size=x0.shape[-2:], mode="bilinear", align_corners=False)
    p = x.clone().requires_grad_(True)
    opt = torch.optim.Adam([p], lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for i in range(steps):
        value, g = A.gradient(net, p.detach(), rel, generator=gen, tv=tv)   # g: ascent direction
        opt.zero_grad()
        p.grad = -g
        opt.step()
        with torch.no_grad():
            p.clamp_(0, 1)
        loss = -value
        img = A.to_image(p) if _picture_due(i + 1, steps) else None
        yield Snapshot(i + 1, steps, loss, img, {"tv": float(A.tv_penalty(p.detach()))})


def feature_loss(model: Any, image: np.ndarray, reconstruction: np.ndarray, layer: str) -> float:
    """‖Φ(rec) − Φ(image)‖² / ‖Φ(image)‖² at ``layer``."""
    net = A.as_net(model)
    with torch.no_grad():
        f = A.activations(net, torch.cat([A.to_tensor(image, net.device),
                                          A.to_tensor(reconstruction, net.device)]), [layer])[layer]
    return float((f[1] - f[0]).pow(2).sum() / f[0].pow(2).sum().clamp(min=1e-12))


# --------------------------------------------------------------------------- adversarial

@dataclass
class Adversarial:
    image: np.ndarray            # the adversarial picture, RGB uint8 (what is scored below)
    perturbation: np.ndarray     # (adv − original), float in [−eps, eps] per pixel, H×W×3
    before: list[tuple[int, str, float]]
    after: list[tuple[int, str, float]]
    source: int                  # the class it had
    target: int | None           # the class it was pushed to (None: just away from ``source``)
    eps: float
    steps: int
    seconds: float

    @property
    def flipped(self) -> bool:
        return self.after[0][0] != self.source

    def amplified(self) -> np.ndarray:
        """The perturbation scaled to fill [0, 255] around grey, to make it visible."""
        s = np.abs(self.perturbation).max() + 1e-12
        return (np.clip(0.5 + 0.5 * self.perturbation / s, 0, 1) * 255).round().astype(np.uint8)


def adversarial(model: Any, image: np.ndarray, target: int | None = None, eps: float = 2 / 255,
                steps: int = 10, step: float | None = None, away_from: int = 20) -> Adversarial:
    """Change ``image`` (RGB uint8) by at most ``eps`` per pixel (0–1 scale) so the network
    changes its mind. ``steps=1``: FGSM, x + eps·sign(∇x loss). More steps: iterative FGSM with
    step ``step`` (default max(eps/4, 2.5·eps/steps): the steps together can travel 2.5 times
    the ball's radius, enough to reach its corners by several routes), projected back into the
    eps-ball after each. ``target``: lower the loss of that class. ``target=None`` (untargeted):
    with one step, raise the loss of the current class (FGSM); with more, first leave the picture's
    ``away_from`` most likely classes for the first 30 % of the steps (the whole neighbourhood —
    tabby, tiger cat, Egyptian cat, lynx … — so the attack does not just slide to the next cat),
    then raise the strongest class outside them. ``away_from=1`` is plain iterative FGSM. The result
    is rounded to uint8 and scored as such."""
    if not (0 < eps <= 0.5):
        raise ValueError(f"eps must be in (0, 0.5], not {eps!r}.")
    net = A.as_net(model)
    t0 = time.perf_counter()
    x0 = A.to_tensor(image, net.device)
    l0 = logits(net, x0)
    source = int(l0.argmax())
    alpha = eps if steps == 1 else (step or max(eps / 4, 2.5 * eps / steps))
    x = x0.clone()
    near = l0[0].topk(max(1, min(int(away_from), l0.shape[1] - 1))).indices
    escape = max(1, (3 * steps) // 10) if target is None and steps > 1 and len(near) > 1 else 0
    aim = None if target is None else int(target)
    for i in range(steps):
        xi = x.detach().requires_grad_(True)
        with torch.enable_grad():
            out = A.activations(net, xi, [A.OUTPUT])[A.OUTPUT]
            logp = F.log_softmax(out, 1)[0]
            if aim is None and i < escape:      # leave the neighbourhood: raise log(1 − p(near))
                loss = torch.log1p(-logp[near].exp().sum().clamp(max=1 - 1e-6))
            elif aim is None and escape:        # then lock on the strongest class outside it
                far = logp.detach().clone()
                far[near] = -float("inf")
                aim = int(far.argmax())
                loss = logp[aim]
            elif aim is None:                   # FGSM / plain iterative FGSM
                loss = F.cross_entropy(out, torch.tensor([source], device=out.device))
            else:
                loss = logp[aim]
            (g,) = torch.autograd.grad(loss, xi)
        x = x.detach() + alpha * g.sign()
        x = (x0 + (x - x0).clamp(-eps, eps)).clamp(0, 1)
    adv = A.to_image(x)
    xq = A.to_tensor(adv, net.device)
    return Adversarial(adv, (xq - x0)[0].permute(1, 2, 0).cpu().numpy(), ranked(model, l0),
                       ranked(model, logits(net, xq)), source, None if target is None else int(target),
                       eps, steps, time.perf_counter() - t0)


def fooling_image(model: Any, target: int, *, size: int = 224, steps: int = 60, lr: float = 0.02,
                  stop_at: float = 0.99, seed: int = 0) -> Iterator[Snapshot]:
    """From random noise to a picture the network calls ``target`` with probability ≥ ``stop_at``
    (Adam on the pixels, maximising log p(target); no regularizer, so it stays noise to us)."""
    net = A.as_net(model)
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand((1, 3, size, size), generator=gen).to(net.device)
    logp = A.Objective(lambda a: F.log_softmax(a[A.OUTPUT], 1)[:, int(target)].mean(), [A.OUTPUT],
                       f"log p[{target}]", spatial_mean=False)
    p = x.clone().requires_grad_(True)
    opt = torch.optim.Adam([p], lr=lr)
    for i in range(steps):
        value, g = A.gradient(net, p.detach(), logp, generator=gen)
        opt.zero_grad()
        p.grad = -g
        opt.step()
        with torch.no_grad():
            p.clamp_(0, 1)
        prob = float(probabilities(net, p.detach())[int(target)])
        done = prob >= stop_at or i + 1 == steps
        yield Snapshot(i + 1, steps, -value, A.to_image(p) if done or _picture_due(i + 1, steps) else None,
                       {"probability": prob})
        if done:
            break
