"""Pictures made by optimising the pixels: class and channel visualization (gradient ascent),
feature inversion, adversarial examples and fooling images.

All of them reuse :mod:`core.vis.ascent` — its objectives (:func:`~core.vis.ascent.class_logit`,
:func:`~core.vis.ascent.channel`), transforms (pad / random crop / roll / random scale), penalties
(L2, total variation), parameterisations and loop (:func:`~core.vis.ascent.render`) and its
per-call activation hooks — and the long ones are iterators of :class:`core.snapshots.Snapshot`
(break out of the loop to stop early).

* :func:`class_visualization` — the notes' I* = argmax_I f(I) − R(I) with Lucid's recipe: a
  Fourier-space, colour-decorrelated picture (:class:`core.vis.ascent.FourierImage`), robustness
  to pad / jitter / scale / rotate (:func:`core.vis.ascent.robust`), optional L2 / TV terms and
  Adam (:func:`core.vis.ascent.render`); :data:`PRESETS` are targets worth showing.
* :func:`feature_inversion` — find pixels whose features at a layer match a picture's (the same
  loop and parameterisation): shallow layers keep detail, deep layers keep only the layout.
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

from core.devices import torch_threads
from core.i18n import N_
from core.snapshots import Snapshot

from . import ascent as A
from .attribution import logits, probabilities, ranked

# One cadence for every loop here: a picture in about this many snapshots of a run (and always
# in the last), so a page's live image moves at the same pace whatever the number of steps and
# turning tensors into pixels costs a bounded share of the run; the numbers come every step.
PICTURES_PER_RUN = 30


def _picture_due(step: int, total: int) -> bool:
    return step % max(1, total // PICTURES_PER_RUN) == 0 or step == total


# --------------------------------------------------------------------------- class visualization

# The default run (Lucid's recipe at the lab's size): 128 steps of Adam on a 128 px Fourier picture.
CLASSVIS_DEFAULTS = dict(layer=None, steps=128, size=128, step_size=0.02, l2=0.0, tv=0.0, blur=0.0,
                         roll=0, init="noise")


@dataclass(frozen=True)
class Preset:
    """A target worth showing on the offline EfficientNet-Lite0, with what a person sees in its
    picture at the default settings (written after looking at them) and the learning rate that
    suits it (classes: 0.02, calmer colours; channels: 0.05, crisper patterns)."""
    label: str
    layer: str | None        # None: a class logit
    target: int
    seen: str
    step_size: float = 0.02
    abstract: bool = False   # the picture stays a texture a person could not name


PRESETS = [
    Preset(N_("Class: goldfish"), None, 1, N_("a fish body with fins and scales (blue-green, not gold) in a "
           "purple haze")),
    Preset(N_("Class: ladybug"), None, 301, N_("two round red-orange beetles with dark spots on a pale "
           "grey-blue texture")),
    Preset(N_("Class: strawberry"), None, 949, N_("a red seeded fruit surface beside green leafy tufts")),
    Preset(N_("Class: peacock"), None, 84, N_("dark eyes and grey-blue plumage, but no tail fan a person "
           "would expect"), abstract=True),
    Preset(N_("Class: flamingo"), None, 130, N_("teal and blue texture with a curved neck-like shape and a "
           "little pink; no bird a person could point to"), abstract=True),
    Preset(N_("Class: car wheel"), None, 479, N_("blue-grey arcs and rims; no wheel a person would name"),
           abstract=True),
    Preset(N_("Channel: blocks[5] #0 (animal faces)"), "blocks[5]", 0, N_("an animal's eye and snout with "
           "whiskers and fur"), 0.05),
    Preset(N_("Channel: blocks[4] #5 (eyes)"), "blocks[4]", 5, N_("round eyes with bright rims in swirling "
           "fur-like strands"), 0.05),
    Preset(N_("Channel: blocks[3] #3 (scales)"), "blocks[3]", 3, N_("dark spots set in orange and blue "
           "scales, like a snake's or a butterfly's skin"), 0.05),
    Preset(N_("Channel: blocks[3] #10 (knitted tubes)"), "blocks[3]", 10, N_("blue knitted tubes with red "
           "spots: a texture unit, no object"), 0.05),
]


def presets(model: Any) -> list[Preset]:
    """The presets chosen for ``model`` (looked at on EfficientNet-Lite0; others get none)."""
    return list(PRESETS) if A.as_net(model).name == "efficientnet_lite0" else []


def _sigmas(blur: float | tuple[float, float] | None) -> tuple[float, float]:
    if blur is None:
        return 0.0, 0.0
    s0, s1 = (float(blur), float(blur)) if isinstance(blur, (int, float)) else map(float, blur)
    if not (0 <= s0 <= 10 and 0 <= s1 <= 10):
        raise ValueError(f"blur must be a σ between 0 and 10 px (or a pair of them), not {blur!r}.")
    return s0, s1


def class_visualization(model: Any, target: int, *, layer: str | None = None, steps: int = 128,
                        size: int = 128, step_size: float = 0.02, l2: float = 0.0, tv: float = 0.0,
                        blur: float | tuple[float, float] = 0.0, roll: int = 0, init: str = "noise",
                        decay: float = 1.5, param: str = "fourier", robust: bool = True,
                        seed: int = 0, jitter: int | None = None, threads: int | str | None = "job") -> Iterator[Snapshot]:
    """The notes' I* = argmax_I S_c(I) − R(I) with Lucid's recipe: climb a class logit
    (``layer=None``) or the mean of channel ``target`` of ``layer``.

    The pieces (all from :mod:`core.vis.ascent`, composable on their own):
    * parameterisation — ``param="fourier"``: :class:`~core.vis.ascent.FourierImage` (spectrum
      scaled by 1/f^``decay``, colour-decorrelated, sigmoid); ``"pixel"``: one number per pixel;
      ``init="zeros"`` starts from the flat grey picture, ``"noise"`` from a faint random one;
    * transformation robustness — :func:`~core.vis.ascent.robust` (pad, jitter, scale, rotate,
      jitter) when ``robust``, after an optional circular ``roll`` (± px) and a Gaussian blur of
      σ = ``blur`` (a number, or (start, end) over the steps);
    * terms — ``l2``·:func:`~core.vis.ascent.l2_penalty` + ``tv``·:func:`~core.vis.ascent.tv_penalty`
      on the picture, subtracted from the objective;
    * the loop — :func:`~core.vis.ascent.render` (Adam, learning rate ``step_size``).

    Every snapshot's ``loss`` is the objective (the logit or the channel mean) *on the untransformed
    picture as saved* (uint8) — the number :func:`objective_value` gives for the result — measured
    whenever a picture is made (about :data:`PICTURES_PER_RUN` times; in between the last one is
    repeated); ``info``: ``start`` (the first picture's objective), ``view`` (this step's value on
    the transformed picture), ``penalty`` and, for classes, ``probability``. ``threads``: torch
    CPU threads while it runs (default ``"job"``: :func:`core.devices.job_threads`, one on a
    small machine, where a step took 1.3 s with two threads and 0.24 s with one; None leaves the
    setting alone).
    """
    if jitter is not None:
        warnings.warn("class_visualization(jitter=...) is deprecated: it is a roll, pass roll=...",
                      DeprecationWarning, stacklevel=2)
        roll = jitter
    if init not in ("zeros", "noise"):
        raise ValueError(f"init must be 'zeros' or 'noise', not {init!r}.")
    if not isinstance(size, (int, np.integer)) or not 32 <= size <= 1024:
        raise ValueError(f"size must be a whole number of pixels between 32 and 1024, not {size!r}.")
    net = A.as_net(model)
    objective = A.class_logit(int(target)) if layer is None else A.channel(layer, int(target))
    gen = torch.Generator().manual_seed(seed)
    sd = 0.0 if init == "zeros" else 0.01
    if param == "fourier":
        picture = A.FourierImage(size, decay=decay, sd=sd, generator=gen, device=net.device)
    elif param == "pixel":
        picture = A.PixelImage(size, sd=sd, generator=gen, device=net.device)
    else:
        raise ValueError(f"param must be 'fourier' or 'pixel', not {param!r}.")
    step = {"i": 0}
    s0, s1 = _sigmas(blur)
    blurred = (lambda x, g: A.gaussian_blur(x, s0 + (s1 - s0) * step["i"] / max(1, steps - 1))) \
        if max(s0, s1) > 0 else None
    transforms = ([A.roll(roll)] if roll else []) + ([blurred] if blurred else []) + (A.robust() if robust else [])

    def measure(x: torch.Tensor) -> tuple[np.ndarray, float, float | None]:
        img = A.to_image(x)
        xs = A.to_tensor(img, net.device)
        with torch.no_grad():
            out = A.activations(net, xs, list(objective.layers) + ([] if layer else [A.OUTPUT]), fold=True)
            value = float(objective(out))
            prob = None if layer else float(torch.softmax(out[A.OUTPUT], 1)[0, int(target)])
        return img, value, prob

    with torch_threads(threads):
        yield from _climb(picture, net, objective, steps, step_size, transforms, l2, tv, seed, step,
                          measure)


def _climb(picture, net, objective, steps, step_size, transforms, l2, tv, seed, step, measure):
    _, start, prob = measure(picture().detach())
    value = start
    for state in A.render(picture, net, objective, steps, lr=step_size, transforms=transforms,
                          penalties=[(l2, A.l2_penalty), (tv, A.tv_penalty)],
                          generator=torch.Generator().manual_seed(seed)):
        step["i"] = state.step
        img = None
        if _picture_due(state.step, steps):
            img, value, prob = measure(state.image())
        info: dict = {"start": start, "view": state.value, "penalty": state.penalty}
        if prob is not None:
            info["probability"] = prob
        yield Snapshot(state.step, steps, value, img, info)


def objective_value(model: Any, image: np.ndarray, target: int, layer: str | None = None) -> float:
    """The class logit (or channel mean) a picture reaches — to check an ascent's gain."""
    net = A.as_net(model)
    objective = A.class_logit(int(target)) if layer is None else A.channel(layer, int(target))
    with torch.no_grad():
        return float(objective(A.activations(net, A.to_tensor(image, net.device), objective.layers)))


# --------------------------------------------------------------------------- feature inversion

INVERSION_DEFAULTS = dict(steps=40, tv=0.0)     # 4 layers at 128 px: ~20 s on one busy core


def inversion_layers(model: Any) -> list[str]:
    """The default layers to invert, shallow to deep: the stem (almost the picture itself), two
    middle stages and a deep one that keeps only the layout (stride 32)."""
    from .features import layer_choices

    names = [i.name for i in layer_choices(model)]
    for wanted in (["stem", "blocks[1]", "blocks[3]", "blocks[5]"],
                   ["block1_conv2", "block2_conv2", "block4_conv3", "block5_conv3"]):
        if all(n in names for n in wanted):
            return wanted
    return names[:: max(1, len(names) // 4)][:4]


def feature_inversion(model: Any, image: np.ndarray, layer: str, *, steps: int = 40, lr: float = 0.08,
                      tv: float = 0.0, init: str = "noise", param: str = "fourier", decay: float = 1.0,
                      seed: int = 0, threads: int | str | None = "job") -> Iterator[Snapshot]:
    """Reconstruct ``image`` (RGB uint8) from its features at ``layer``: maximise
    −‖Φ(x) − Φ(x₀)‖² / ‖Φ(x₀)‖² − tv·TV(x) with :func:`core.vis.ascent.render` (Adam, ``lr``)
    over a Fourier picture (:class:`~core.vis.ascent.FourierImage`, decay ``decay``: smooth
    colours and no pixel noise without a penalty; ``param="pixel"`` for plain pixels).
    ``loss`` is the relative feature error alone; ``info`` holds the TV term; ``threads`` as in
    :func:`class_visualization`."""
    with torch_threads(threads):
        yield from _invert(model, image, layer, steps, lr, tv, init, param, decay, seed)


def _invert(model, image, layer, steps, lr, tv, init, param, decay, seed):
    net = A.as_net(model)
    x0 = A.to_tensor(image, net.device)
    with torch.no_grad():
        f0 = A.activations(net, x0, [layer])[layer].detach()
    norm = f0.pow(2).sum().clamp(min=1e-12)
    rel = A.Objective(lambda a: -(a[layer] - f0).pow(2).sum() / norm, [layer], f"−‖Φ−Φ₀‖² at {layer}",
                      spatial_mean=False)
    if init not in ("zeros", "noise"):
        raise ValueError(f"init must be 'zeros' or 'noise', not {init!r}.")
    h, w = x0.shape[-2:]
    gen = torch.Generator().manual_seed(seed)
    sd = 0.0 if init == "zeros" else 0.01
    if param == "fourier":
        picture = A.FourierImage(h, w, decay=decay, sd=sd, generator=gen, device=net.device)
    elif param == "pixel":
        picture = A.PixelImage(h, w, sd=sd, generator=gen, device=net.device)
    else:
        raise ValueError(f"param must be 'fourier' or 'pixel', not {param!r}.")
    for state in A.render(picture, net, rel, steps, lr=lr, penalties=[(tv, A.tv_penalty)], generator=gen):
        img = A.to_image(state.image()) if _picture_due(state.step, steps) else None
        yield Snapshot(state.step, steps, -state.value, img, {"tv": state.penalty})


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
