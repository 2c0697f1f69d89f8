"""R-CNN's training step: fine-tune the classifier on warped region proposals.

R-CNN (Girshick et al., 2014) did not use its ImageNet network as it was: it fine-tuned it on
selective-search proposals of the detection pictures, each warped to the network's input —
a proposal overlapping a true box with IoU ≥ 0.5 is that object, one under 0.3 is background
(and the true boxes themselves are positives); a quarter of every minibatch is positive. Here
the network is the shapes localiser (:mod:`core.detection.localization`), whose y already has
the background answer (p_c = 0) and a box to regress: the targets are the notes' y for each
proposal's crop, and the loss is the notes' localisation loss.

- :func:`region_data` — proposals of generated scenes, warped as :func:`core.detection.proposals.score_steps`
  warps them, with their y;
- :func:`finetune` — an iterator of snapshots (the last carries the model);
- :func:`read` / :func:`load_bundled_rcnn` — the bundled result (``assets/rcnn_shapes.pt``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from core.i18n import _
import numpy as np
import torch

from . import localization as L
from . import proposals as RP
from . import scenes
from .boxes import iou

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_PATH = ROOT / "assets" / "rcnn_shapes.pt"
POSITIVE_IOU, BACKGROUND_IOU = 0.5, 0.3      # R-CNN's fine-tuning thresholds


@dataclass
class RegionData:
    x: np.ndarray                # (N, 64, 64, 3) uint8 warped crops
    y: np.ndarray                # (N, 8) float32, NaN for don't care
    positive: np.ndarray         # (N,) bool
    scenes: int
    proposals: int
    seconds: float


def _crop_target(box, gt_box, cls: int | None, pad: float) -> np.ndarray:
    """y for the warped crop of ``box``: the true box in the crop's coordinates, or background."""
    if cls is None:
        return L.target(None, None, (L.SIZE, L.SIZE))
    px0, py0, px1, py1 = RP._padded(box, pad)
    sx, sy = L.SIZE / (px1 - px0), L.SIZE / (py1 - py0)
    g = np.clip([(gt_box[0] - px0) * sx, (gt_box[1] - py0) * sy, (gt_box[2] - px0) * sx, (gt_box[3] - py0) * sy],
                0, L.SIZE)
    return L.target(g, int(cls), (L.SIZE, L.SIZE))


def region_data(n_scenes: int, seed: int, size: int = 256, pad: float = RP.LOCALIZER_PAD,
                progress=None) -> RegionData:
    """Selective search ("single") on ``n_scenes`` generated scenes of one generator (``seed``),
    every proposal and every true box warped to 64×64 with ``pad`` context, labelled R-CNN's way
    (IoU ≥ 0.5 with a true box: that shape and its box; < 0.3 with all: background; between:
    left out). ``progress(done, total)`` is called after each scene."""
    t0 = time.perf_counter()
    xs, ys, pos, n_props = [], [], [], 0
    for k, s in enumerate(scenes.scenes(n_scenes, seed, size=size), start=1):
        props = RP.propose(s.image, max_side=None).boxes
        n_props += len(props)
        boxes = np.concatenate([props, s.boxes]) if len(s.boxes) else props
        m = iou(boxes, s.boxes) if len(s.boxes) else np.zeros((len(boxes), 0))
        best = m.max(1) if m.shape[1] else np.zeros(len(boxes))
        which = m.argmax(1) if m.shape[1] else np.zeros(len(boxes), int)
        for b, v, j in zip(boxes, best, which):
            if v >= POSITIVE_IOU:
                y = _crop_target(b, s.boxes[j], s.classes[j], pad)
            elif v < BACKGROUND_IOU:
                y = _crop_target(b, None, None, pad)
            else:
                continue
            xs.append(RP.crop(s.image, b, L.SIZE, pad))
            ys.append(y)
            pos.append(v >= POSITIVE_IOU)
        if progress:
            progress(k, n_scenes)
    return RegionData(np.stack(xs), np.stack(ys).astype(np.float32), np.asarray(pos), n_scenes, n_props,
                      time.perf_counter() - t0)


@dataclass
class FinetuneSnapshot:
    step: int
    total: int
    loss: float
    info: dict[str, float] = field(default_factory=dict)
    model: L.Localizer | None = None

    @property
    def fraction(self) -> float:
        return self.step / max(1, self.total)

    def describe(self) -> str:
        return _("step {step}/{total} · loss {loss:.4f}", step=self.step, total=self.total,
                 loss=self.loss)


def finetune(model: L.Localizer, data: RegionData, steps: int = 600, batch_size: int = 64,
             positive_share: float = 0.25, lr: float = 1e-3, seed: int = 0, every: int = 20
             ) -> Iterator[FinetuneSnapshot]:
    """Fine-tune ``model`` (a copy is trained; the input is untouched) on ``data``: minibatches of
    ``positive_share`` positives and the rest background (R-CNN: 32 of 128), each crop mirrored at
    random, AdamW at ``lr`` with cosine decay, the notes' localisation loss."""
    import copy
    import math

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = copy.deepcopy(model)
    for p in net.parameters():
        p.requires_grad_(True)
    net.train()
    from core.segmentation import data as _seg

    x_all = _seg.to_tensor(data.x)
    y_all = torch.from_numpy(data.y)
    pos_idx, neg_idx = np.flatnonzero(data.positive), np.flatnonzero(~data.positive)
    n_pos = max(1, round(batch_size * positive_share))
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    for step in range(1, steps + 1):
        idx = np.concatenate([rng.choice(pos_idx, n_pos), rng.choice(neg_idx, batch_size - n_pos)])
        x, y = L._flipped(x_all, y_all, idx, rng)
        loss = L.loss_terms(net(x), y).sum(1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % every == 0 or step == steps:
            done = step == steps
            if done:
                net.eval()
                for p in net.parameters():
                    p.requires_grad_(False)
            yield FinetuneSnapshot(step, steps, float(loss.detach()), model=net if done else None)


def read(path: Path | str = BUNDLED_PATH, device: str = "cpu") -> tuple[L.Localizer, dict]:
    return L.read(path, device)


def load_bundled_rcnn(device: str = "cpu", path: Path | str | None = None):
    """The localiser fine-tuned on proposals (``assets/rcnn_shapes.pt``) as a zoo ``LoadedModel``
    (the zoo entry, when there is one, is ``rcnn-shapes``); the same interface as the localiser's."""
    from .. import zoo

    t0 = time.perf_counter()
    try:
        model, meta = read(Path(path) if path is not None else BUNDLED_PATH, device)
    except (FileNotFoundError, ValueError) as e:
        raise zoo.ModelUnavailable(str(e)) from e
    base = L.load_bundled_localizer(device)
    out: Any = zoo.LoadedModel(
        name="rcnn-shapes", requested="rcnn-shapes", title="R-CNN region classifier (shapes)",
        task="localization", model=model,
        provenance=_("bundled: the shapes localiser fine-tuned by this project on warped "
                     "selective-search proposals (scripts/make_rcnn_assets.py, {steps} steps on "
                     "{regions} regions; IoU ≥ 0.5 the shape, < 0.3 background)",
                     steps=meta.get('steps', '?'), regions=meta.get('regions', '?')),
        preprocess=base.preprocess, labels=list(RP.SHAPES), device=device, pretrained=True, meta=meta,
        load_seconds=time.perf_counter() - t0)
    return out
