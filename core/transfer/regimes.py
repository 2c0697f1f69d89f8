"""The three ways to use a pretrained network, measured on a small real labelled set.

The set is scikit-image's ``lfw_subset()``: 100 faces and 100 non-faces, 25×25 grey, shipped
with scikit-image. ImageNet has no "face" class, yet its features separate faces from the rest
(notes 002: the network found faces as parts of people and animals). Each regime learns from
``n`` pictures per class and is scored on a fixed held-out half (50 + 50 pictures):

* ``frozen`` — every layer of the ImageNet network frozen; only a new linear classifier learns,
  on the pooled features of the last convolutional stage (computed once per picture).
* ``finetune`` — the early layers frozen (their output computed once and stored, as the notes
  suggest), the last stages plus the new classifier trained, at a small learning rate.
* ``scratch`` — a small CNN (two conv + pool stages and a linear layer, 25×25 input) from random
  weights: what you do without a pretrained network.

:func:`run_point` measures one (regime, n, seed); :func:`sweep` all of them as an iterator of
:class:`SweepSnapshot`. The sweep is slow on a CPU, so the page shows a prepared result
(``scripts/make_transfer_assets.py`` → ``assets/transfer_regimes.json``) and reruns single points.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator, Sequence

from core.i18n import N_, _

import cv2
import numpy as np
import torch
from torch import nn

REGIMES = {"frozen": N_("freeze all, train the classifier"),
           "finetune": N_("freeze early layers, fine-tune the later ones"),
           "scratch": N_("train everything from scratch")}
SIZES = (1, 2, 5, 10, 25, 50)          # training pictures per class
SIDE = 96                              # the 25×25 pictures enlarged for the ImageNet network
SPLIT_AT = 5                           # finetune: blocks[0..4] frozen, blocks[5..] and conv_head trained
POOL = 50                              # per class: the first 50 (after a fixed shuffle) train, the rest test


@lru_cache(maxsize=1)
def lfw() -> tuple[np.ndarray, np.ndarray]:
    """(200×25×25 float32 in [0, 1], labels: 1 face, 0 not a face)."""
    from skimage.data import lfw_subset

    x = lfw_subset().astype(np.float32)
    return x, np.r_[np.ones(100), np.zeros(100)].astype(np.int64)


def split(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train pool, test) indices: per class a fixed shuffle, first ``POOL`` for training. The
    test half is the same for every seed of the draw (seed 0's shuffle)."""
    rng = np.random.default_rng(1234)
    faces, others = rng.permutation(100), 100 + rng.permutation(100)
    test = np.r_[faces[POOL:], others[POOL:]]
    train = [faces[:POOL], others[:POOL]]
    if seed:
        r = np.random.default_rng(seed)
        train = [r.permutation(t) for t in train]
    return np.stack(train), test


def training_indices(n: int, seed: int) -> np.ndarray:
    if not 1 <= n <= POOL:
        raise ValueError(_("Pictures per class must be between 1 and {POOL}.", POOL=POOL))
    pool, _test = split(seed)
    return np.r_[pool[0, :n], pool[1, :n]]


def as_rgb(x: np.ndarray, side: int = SIDE) -> list[np.ndarray]:
    """25×25 grey floats → side×side RGB uint8 (bicubic), what the ImageNet network is given."""
    return [np.repeat(cv2.resize((a * 255).round().astype(np.uint8), (side, side),
                                 interpolation=cv2.INTER_CUBIC)[..., None], 3, 2) for a in x]


def _tensor(images: Sequence[np.ndarray], lm: Any) -> torch.Tensor:
    """RGB uint8 pictures normalised with the model's own mean and std."""
    from core.vis.ascent import as_net

    net = as_net(lm)
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float().div(255)
    return (x - net.mean.cpu()) / net.std.cpu()


def _stages(lm: Any) -> tuple[nn.Module, nn.Module]:
    """(early, late) halves of an EfficientNet-style network (``conv_stem``/``bn1``/``blocks``/
    ``conv_head``/``bn2``), split before ``blocks[SPLIT_AT]``; the late half ends pooled."""
    m = lm.model
    if not all(hasattr(m, a) for a in ("conv_stem", "bn1", "blocks", "conv_head", "bn2")):
        raise ValueError(_("{model} is not EfficientNet-shaped; fine-tuning here needs EfficientNet-Lite0.",
                           model=getattr(lm, "title", None) or _("This model")))
    early = nn.Sequential(m.conv_stem, m.bn1, *m.blocks[:SPLIT_AT])
    late = nn.Sequential(*m.blocks[SPLIT_AT:], m.conv_head, m.bn2, nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return early, late


@dataclass
class Prepared:
    """What the frozen parts compute once for all 200 pictures."""
    pooled: np.ndarray             # 200×D: frozen regime's features
    early: torch.Tensor            # 200×C×h×w: the frozen early layers' output (finetune's input)
    seconds: float


_PREPARED: dict[str, Prepared] = {}


def prepare(lm: Any) -> Prepared:
    """Run the frozen layers once over the whole set (cached per model)."""
    name = getattr(lm, "name", "model")
    if name in _PREPARED:
        return _PREPARED[name]
    t0 = time.perf_counter()
    early, late = _stages(lm)
    x = _tensor(as_rgb(lfw()[0]), lm).to(next(early.parameters()).device)
    outs, pooled = [], []
    with lm.lock, torch.no_grad():
        for i in range(0, len(x), 50):
            e = early(x[i:i + 50])
            outs.append(e)
            pooled.append(late(e))
    p = Prepared(torch.cat(pooled).cpu().numpy(), torch.cat(outs), time.perf_counter() - t0)
    _PREPARED[name] = p
    return p


def _accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    return float((logits.argmax(1) == y).float().mean())


@dataclass
class PointSnapshot:
    """Progress of one point: ``step`` of ``total`` training steps; ``accuracy`` once it is done."""
    step: int
    total: int
    loss: float | None = None
    accuracy: float | None = None
    stage: str = _("training")            # a Msg: the page shows it translated

    @property
    def fraction(self) -> float:
        return self.step / max(1, self.total)

    def describe(self) -> str:
        if self.accuracy is not None:
            return _("done · held-out accuracy {accuracy:.1%}", accuracy=self.accuracy)
        if self.loss is not None:
            return _("{stage} · step {step}/{total} · loss {loss:.4f}", stage=self.stage,
                     step=self.step, total=self.total, loss=self.loss)
        return _("{stage} · step {step}/{total}", stage=self.stage, step=self.step, total=self.total)


def _fit(groups: list[dict], forward, xtr, ytr, epochs: int) -> Iterator[PointSnapshot]:
    """Full-batch Adam (parameter groups with their own rates) on cross-entropy; a snapshot per epoch."""
    opt = torch.optim.Adam(groups)
    for e in range(1, epochs + 1):
        loss = nn.functional.cross_entropy(forward(xtr), ytr)
        opt.zero_grad()
        loss.backward()
        opt.step()
        yield PointSnapshot(e, epochs, float(loss.detach()))


def _frozen(prep: Prepared, tr, te, y, seed: int) -> Iterator[PointSnapshot]:
    from .head import train_head

    last = None
    for last in train_head(prep.pooled[tr], y[tr], ["not a face", "face"], steps=150, lr=0.05,
                             weight_decay=1e-3, seed=seed):
        if last.step % 10 == 0:
            yield PointSnapshot(last.step, last.total, last.loss)
    acc = float((last.head.probabilities(prep.pooled[te]).argmax(1) == y[te]).mean())
    yield PointSnapshot(last.total, last.total, last.loss, acc)


FINETUNE_EPOCHS, SCRATCH_EPOCHS = 40, 150


def _finetune(lm: Any, prep: Prepared, tr, te, y, seed: int) -> Iterator[PointSnapshot]:
    torch.manual_seed(seed)
    late = copy.deepcopy(_stages(lm)[1])       # the cached model stays untouched
    for p in late.parameters():
        p.requires_grad_(True)
    late.eval()                                 # batch-norm statistics stay ImageNet's (tiny batches)
    dev = prep.early.device
    fc = nn.Linear(prep.pooled.shape[1], 2).to(dev)
    params = [{"params": late.parameters(), "lr": 1e-4}, {"params": fc.parameters(), "lr": 1e-3}]
    snap = None
    for snap in _fit(params, lambda x: fc(late(x)), prep.early[tr], torch.from_numpy(y[tr]).to(dev),
                     FINETUNE_EPOCHS):
        yield snap
    with torch.no_grad():
        acc = _accuracy(fc(late(prep.early[te])), torch.from_numpy(y[te]).to(dev))
    yield PointSnapshot(snap.total, snap.total, snap.loss, acc)


class SmallCNN(nn.Sequential):
    """From scratch: 25×25×1 → conv 3×3 (16) → pool → conv 3×3 (32) → pool → linear (2)."""

    def __init__(self):
        super().__init__(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 6 * 6, 2))


def _scratch(tr, te, y, seed: int) -> Iterator[PointSnapshot]:
    torch.manual_seed(seed)
    x = torch.from_numpy(lfw()[0])[:, None]
    net = SmallCNN()
    opt_params = [{"params": net.parameters(), "lr": 3e-3, "weight_decay": 1e-4}]
    snap = None
    for snap in _fit(opt_params, net, x[tr], torch.from_numpy(y[tr]), SCRATCH_EPOCHS):
        if snap.step % 5 == 0 or snap.step == snap.total:
            yield snap
    net.eval()
    with torch.no_grad():
        acc = _accuracy(net(x[te]), torch.from_numpy(y[te]))
    yield PointSnapshot(snap.total, snap.total, snap.loss, acc)


def train_point(regime: str, n: int, seed: int = 0, lm: Any = None) -> Iterator[PointSnapshot]:
    """One regime trained on ``n`` pictures per class (draw ``seed``), as progress snapshots; the
    last one carries the held-out accuracy. Runs on one torch thread."""
    from core.devices import torch_threads

    if regime not in REGIMES:
        raise ValueError(f"Unknown regime {regime!r}; choose one of: {', '.join(REGIMES)}.")
    if regime != "scratch" and lm is None:
        raise ValueError(_("The frozen and fine-tuned regimes need the ImageNet model."))
    tr, (_train, te) = training_indices(n, seed), split(seed)
    y = lfw()[1]
    with torch_threads(1):
        if regime == "scratch":
            yield from _scratch(tr, te, y, seed)
            return
        if getattr(lm, "name", "model") not in _PREPARED:
            yield PointSnapshot(0, 1, stage=_("frozen layers over the 200 pictures (once)"))
        prep = prepare(lm)
        yield from (_frozen(prep, tr, te, y, seed) if regime == "frozen" else _finetune(lm, prep, tr, te, y, seed))


def run_point(regime: str, n: int, seed: int = 0, lm: Any = None) -> dict:
    """Held-out accuracy of one regime trained on ``n`` pictures per class (draw ``seed``)."""
    t0 = time.perf_counter()
    last = None
    for last in train_point(regime, n, seed, lm):
        pass
    return {"regime": regime, "n": int(n), "seed": int(seed), "accuracy": last.accuracy,
            "seconds": time.perf_counter() - t0, "test": 2 * (100 - POOL)}


@dataclass
class SweepSnapshot:
    step: int
    total: int
    rows: list[dict] = field(default_factory=list)

    @property
    def fraction(self) -> float:
        return self.step / max(1, self.total)

    def describe(self) -> str:
        r = self.rows[-1] if self.rows else None
        if r:
            return _("point {step}/{total} · {regime}, n = {n}, seed {seed}: {accuracy:.0%}",
                     step=self.step, total=self.total, regime=r['regime'], n=r['n'], seed=r['seed'],
                     accuracy=r['accuracy'])
        return _("point {step}/{total}", step=self.step, total=self.total)


def sweep(lm: Any, sizes: Sequence[int] = SIZES, seeds: Sequence[int] = (0, 1, 2),
          regimes: Sequence[str] = tuple(REGIMES)) -> Iterator[SweepSnapshot]:
    """Every (regime, n, seed): one snapshot per point, with all rows so far."""
    points = [(r, n, s) for n in sizes for r in regimes for s in seeds]
    rows: list[dict] = []
    for i, (r, n, s) in enumerate(points, 1):
        rows.append(run_point(r, n, s, lm))
        yield SweepSnapshot(i, len(points), list(rows))


def summary(rows: Sequence[dict]) -> dict[str, dict[int, tuple[float, float]]]:
    """{regime: {n: (mean accuracy, standard deviation over seeds)}}."""
    out: dict[str, dict[int, list[float]]] = {}
    for r in rows:
        out.setdefault(r["regime"], {}).setdefault(int(r["n"]), []).append(float(r["accuracy"]))
    return {g: {n: (float(np.mean(v)), float(np.std(v))) for n, v in sorted(d.items())} for g, d in out.items()}


# --------------------------------------------------------------------------- the prepared sweep

def made_from(lm: Any) -> dict:
    """What a prepared sweep depends on: the data, the model and the recipe (compared on load)."""
    import hashlib

    return {"data": "skimage.data.lfw_subset sha1 " + hashlib.sha1(lfw()[0].tobytes()).hexdigest()[:12],
            "model": getattr(lm, "name", "?"), "side": SIDE, "split_at": SPLIT_AT, "pool": POOL}


def load_prepared(path) -> dict | None:
    """The prepared sweep (``assets/transfer_regimes.json``), or None when there is none."""
    import json
    from pathlib import Path

    p = Path(path)
    if not p.exists():
        return None
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError):
        return None
