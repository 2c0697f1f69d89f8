"""Training a U-Net on generated scenes, as an iterator of :class:`~core.snapshots.Snapshot`.

    model = UNet(3, len(CLASSES), base=8, depth=3)
    for snap in train(model, steps=200, seed=0):
        print(snap.describe())          # break out of the loop to stop early

Every step draws a fresh batch of scenes (so there is no over-fitting to a fixed set), computes
the per-pixel cross-entropy plus a soft Dice term (Dice keeps the small shape classes from being
drowned by the background), and takes one AdamW step; the learning rate warms up for 5 % of the
steps and then follows a cosine down to 2 % of its peak.  Every ``val_every`` steps the model
predicts on fixed validation scenes; ``info["val_miou"]`` is their mean IoU, and the snapshot's
image shows the first one's prediction as an overlay (next to the ground truth when
``show_truth``).  :func:`transfer_encoder` starts a run from a trained U-Net's encoder.

The same seed gives the same batches and the same initial weights; on one CPU thread the run is
bit-for-bit repeatable.
"""
from __future__ import annotations

import math
import time
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from ..snapshots import Snapshot
from . import data, metrics
from .unet import UNet


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """1 − mean over classes of 2·Σ p·y / (Σ p + Σ y), with p = softmax probabilities."""
    probs = logits.softmax(dim=1)
    onehot = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).to(probs.dtype)
    inter = (probs * onehot).sum(dim=(0, 2, 3))
    denom = probs.sum(dim=(0, 2, 3)) + onehot.sum(dim=(0, 2, 3))
    return 1 - ((2 * inter + eps) / (denom + eps)).mean()


def segmentation_loss(logits: torch.Tensor, target: torch.Tensor, dice_weight: float = 0.5) -> torch.Tensor:
    loss = F.cross_entropy(logits, target)
    if dice_weight:
        loss = loss + dice_weight * soft_dice_loss(logits, target)
    return loss


def lr_at(step: int, total: int, peak: float, warmup: float = 0.05, floor: float = 0.02) -> float:
    """Linear warm-up then cosine decay (``step`` counts from 0)."""
    w = max(1, int(total * warmup))
    if step < w:
        return peak * (step + 1) / w
    t = (step - w) / max(1, total - w)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t)))


@torch.inference_mode()
def predict(model: UNet, images: np.ndarray, device: str = "cpu") -> np.ndarray:
    """Class index per pixel for RGB uint8 image(s); the model is put in eval mode and restored."""
    was_training = model.training
    model.eval()
    try:
        logits = model(data.to_tensor(images, device))
    finally:
        model.train(was_training)
    out = logits.argmax(dim=1).cpu().numpy()
    return out[0] if np.asarray(images).ndim == 3 else out


def evaluate(model: UNet, n: int = 64, size: int = 96, seed: int = 10_000, device: str = "cpu",
             batch_size: int = 16) -> dict:
    """Scores on ``n`` freshly generated scenes (dataset-level confusion matrix)."""
    rng = np.random.default_rng(seed)
    cm = np.zeros((len(data.CLASSES),) * 2, np.int64)
    done = 0
    while done < n:
        k = min(batch_size, n - done)
        x, y = data.batch(rng, k, size)
        cm += metrics.confusion_matrix(y, predict(model, x, device), len(data.CLASSES))
        done += k
    return metrics.report(cm, data.CLASSES)


def _panel(image: np.ndarray, pred: np.ndarray, truth: np.ndarray | None, scale: int) -> np.ndarray:
    import cv2

    tiles = [data.overlay(image, pred, 0.55)]
    if truth is not None:
        tiles.append(data.overlay(image, truth, 0.55))
    tiles = [cv2.resize(t, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST) for t in tiles]
    gap = np.full((tiles[0].shape[0], 6, 3), 255, np.uint8)
    out = [tiles[0]]
    for t in tiles[1:]:
        out += [gap, t]
    return np.concatenate(out, axis=1)


ENCODER = ("down.", "bottleneck.")   # the contracting path's parameter names

#: The "Train it yourself" tab's default run (bench/bench_seg_train.py measures it): the bundled
#: U-Net's encoder, a new decoder, 400 steps of 8 scenes at 64 px (validation mIoU 0.76–0.81
#: for seeds 0–2 in 30–38 s on a shared 2-core CPU; 200 steps were not safe: 0.42 with seed 1).
DEFAULT_RUN = dict(start="encoder", base=8, depth=3, steps=400, batch_size=8, image_size=64, lr=8e-3,
                   seed=0)


def transfer_encoder(model: UNet, source: UNet) -> int:
    """Copy ``source``'s contracting path (encoder blocks and bottleneck, BatchNorm statistics
    included) into ``model``, whose decoder keeps its own (random) weights: transfer learning.
    Both must have the same ``base``/``depth``/``in_channels``. ``source`` is only read (a cached,
    shared model is fine). Returns the number of tensors copied."""
    src_net = getattr(source, "model", source)
    if (src_net.base, src_net.depth, src_net.in_channels) != (model.base, model.depth, model.in_channels):
        raise ValueError(f"The encoder of a base-{src_net.base}, depth-{src_net.depth} U-Net does not fit a "
                         f"base-{model.base}, depth-{model.depth} one.")
    enc = {k: v.detach().clone() for k, v in src_net.state_dict().items() if k.startswith(ENCODER)}
    model.load_state_dict(enc, strict=False)
    return len(enc)


def validation_scenes(n: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed validation scenes of a run: seeds ``seed`` … ``seed + n − 1``."""
    pairs = [data.scene(seed + i, size) for i in range(n)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def train(model: UNet, *, steps: int = 200, batch_size: int = 8, image_size: int = 96,
          lr: float = 3e-3, weight_decay: float = 1e-4, dice_weight: float = 0.5, seed: int = 0,
          val_every: int = 10, val_seed: int = 21, val_scenes: int = 8, show_truth: bool = True,
          scale: int = 2, device: str = "cpu", init_seed: int | None = None,
          threads: int | None = 1, frozen: tuple[str, ...] = ()) -> Iterator[Snapshot]:
    """Train ``model`` in place on generated scenes; yield a Snapshot after every step.

    ``seed`` fixes the training batches; ``init_seed``, when given, first re-initialises every
    layer's weights from that seed (``None`` keeps the weights the model has — e.g. an encoder
    put there by :func:`transfer_encoder`).  ``info["val_miou"]`` is the mean IoU over
    ``val_scenes`` fixed scenes (one confusion matrix), measured every ``val_every`` steps; the
    snapshot's picture is the first of them.  ``threads``: PyTorch threads while it runs (one is
    fastest for this small net on a busy machine; None leaves the setting).  ``frozen``: name
    prefixes (e.g. :data:`ENCODER`) of the modules that are not trained — their weights are not
    updated and their BatchNorm keeps its statistics (eval mode) — a fixed feature extractor.
    The model is left
    in eval mode when the loop ends (also when the caller stops early, at the next garbage
    collection of the generator).
    """
    from ..devices import torch_threads

    if steps < 1 or batch_size < 1 or val_scenes < 1:
        raise ValueError("steps, batch_size and val_scenes must be at least 1.")
    if init_seed is not None:
        torch.manual_seed(init_seed)
        for m in model.modules():
            if hasattr(m, "reset_parameters") and m is not model:
                m.reset_parameters()
    with torch_threads(threads):
        model.to(device).train()
        fixed = [m for n, m in model.named_modules() if n and any((n + ".").startswith(f) for f in frozen)]
        for m in fixed:
            m.eval()
            for p in m.parameters():
                p.requires_grad_(False)
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr,
                                weight_decay=weight_decay)
        rng = np.random.default_rng(seed)
        val = validation_scenes(val_scenes, image_size, val_seed)
        t0 = time.perf_counter()
        try:
            yield from _loop(model, opt, rng, steps, batch_size, image_size, lr, dice_weight, val_every,
                             val, show_truth, scale, device, t0, fixed)
        finally:
            model.eval()
            for m in fixed:
                for p in m.parameters():
                    p.requires_grad_(True)


def _loop(model, opt, rng, steps, batch_size, image_size, lr, dice_weight, val_every, val,
          show_truth, scale, device, t0, fixed=()) -> Iterator[Snapshot]:
    overlay_img: np.ndarray | None = None
    val_miou = float("nan")
    val_img, val_mask = val
    for step in range(steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, lr)
        x, y = data.batch(rng, batch_size, image_size)
        xt, yt = data.to_tensor(x, device), torch.from_numpy(y).to(device)
        logits = model(xt)
        loss = segmentation_loss(logits, yt, dice_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % val_every == 0 or step == steps - 1:
            pred = predict(model, val_img, device)
            for m in fixed:                     # predict() put every module back in train mode
                m.eval()
            val_miou = metrics.mean_iou(metrics.confusion_matrix(val_mask, pred, len(data.CLASSES)))
            overlay_img = _panel(val_img[0], pred[0], val_mask[0] if show_truth else None, scale)
        yield Snapshot(step + 1, steps, float(loss.detach()), overlay_img,
                       {"val_miou": val_miou, "lr": opt.param_groups[0]["lr"],
                        "seconds": time.perf_counter() - t0})
