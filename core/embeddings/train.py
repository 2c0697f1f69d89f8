"""Train an embedding network on scikit-learn's digits (offline, 1,797 8×8 images) three ways.

The notes' three routes to an embedding:

1. ``"cross-entropy"`` — train a classifier, cut off its prediction layer, use the layer below
   (here the 16-D layer feeding the 10-way softmax) as the embedding.
2. ``"contrastive"`` — pairs: same-class pairs pulled together, different-class pairs pushed
   at least ``margin`` apart (:func:`core.embeddings.losses.contrastive_loss`).
3. ``"triplet"`` — anchor/positive/negative triplets chosen by a miner ('all', 'hard',
   'semi-hard'), loss max(0, d(A,P) - d(A,N) + α) (:func:`core.embeddings.losses.triplet_loss`).

:func:`train` is an iterator of :class:`core.snapshots.Snapshot`: step, loss, and in ``info``
the fraction of active triplets in the batch, recall@1 on the fixed held-out set, that set's
current embedding and its 2-D projection (``xy``), drawn into ``image`` as a small scatter.
Break out of the loop to stop. The model built here is the caller's own (not shared).
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from core.embeddings import losses, metrics, mining, project
from core.snapshots import Snapshot
from core.i18n import N_, _

ROUTES = (N_("cross-entropy"), N_("contrastive"), N_("triplet"))
DEFAULT_MARGIN = {"cross-entropy": 0.0, "contrastive": 1.0, "triplet": 0.2}
# the title drawn into every live scatter picture: pages pass it translated (``title=``)
TITLE = N_("{route} step {step}/{steps}  recall@1 {r1:.2f}")


@dataclass(frozen=True)
class Digits:
    x_train: np.ndarray   # (N, 1, 8, 8) float32 in [0, 1]
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    images_test: np.ndarray  # (M, 8, 8) uint8 0..255, for thumbnails


@functools.lru_cache(maxsize=2)
def load_digits_split(test_size: float = 0.3, seed: int = 0) -> Digits:
    """scikit-learn's bundled digits, split stratified into train and held-out test."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None]
    xtr, xte, ytr, yte = train_test_split(x, d.target, test_size=test_size, random_state=seed,
                                          stratify=d.target)
    return Digits(xtr, ytr.astype(np.int64), xte, yte.astype(np.int64),
                  (xte[:, 0] * 255).round().astype(np.uint8))


def build_net(dim: int = 16, n_classes: int = 10):
    """A small CNN: conv3×3(16)–ReLU–maxpool–conv3×3(32)–ReLU–maxpool–FC64–ReLU–FC(dim)
    [–FC(classes), the head the cross-entropy route trains and then cuts off]."""
    import torch.nn as nn

    class EmbeddingNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, dim))
            self.head = nn.Linear(dim, n_classes)   # only the cross-entropy route uses it

        def forward(self, x):
            return self.body(x)

        def embed(self, x):
            import torch.nn.functional as F

            return F.normalize(self.body(x), dim=1)

    return EmbeddingNet()


def embed_numpy(model, x: np.ndarray, batch: int = 512) -> np.ndarray:
    """Unit-length embeddings of images (N, 1, 8, 8) as numpy (no gradients)."""
    import torch

    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out.append(model.embed(torch.as_tensor(x[i:i + batch])).numpy())
    return np.concatenate(out).astype(np.float64)


def evaluate(emb: np.ndarray, labels: np.ndarray) -> dict:
    """recall@1, recall@5 and verification AUC over all pairs of a labelled set."""
    r = metrics.recall_at_k(emb, labels, (1, 5))
    d, same = metrics.pair_distances(emb, labels)
    return {"recall@1": r[1], "recall@5": r[5], "AUC": metrics.roc(d, same).auc}


class _one_thread:
    """Run a tiny network's step on one intra-op thread (restored afterwards, before any
    ``yield``): on 8×8 images, thread hand-offs cost more than the arithmetic — measured
    0.017 s vs 0.23 s per step on a busy 2-core machine."""

    def __enter__(self):
        import torch

        self.n = torch.get_num_threads()
        if self.n != 1:
            torch.set_num_threads(1)

    def __exit__(self, *exc):
        import torch

        if self.n != 1:
            torch.set_num_threads(self.n)
        return False


def _batch(y: np.ndarray, classes: int, per_class: int, rng: np.random.Generator) -> np.ndarray:
    chosen = rng.choice(np.unique(y), size=min(classes, len(np.unique(y))), replace=False)
    return np.concatenate([rng.choice(np.nonzero(y == c)[0], per_class, replace=False)
                           for c in chosen])


def _step(model, opt, route, miner, margin, xtr, ytr, idx, rng):
    import torch

    model.train()
    xb, yb = xtr[idx], ytr[idx]
    emb = model.embed(xb)
    n_triplets = 0
    if route == "cross-entropy":
        loss = losses.cross_entropy(model.head(model.body(xb)), yb)
    elif route == "contrastive":
        y = yb.numpy()
        i, j = np.triu_indices(len(y), 1)
        same = y[i] == y[j]
        pos = np.nonzero(same)[0]
        neg = rng.choice(np.nonzero(~same)[0], size=len(pos), replace=False)
        k = np.concatenate([pos, neg])
        loss = losses.contrastive_loss(emb[i[k]], emb[j[k]],
                                       torch.as_tensor(same[k].astype(np.float32)), margin)
    else:
        t = mining.mine(emb.detach(), yb, miner, margin)
        n_triplets = len(t)
        if n_triplets:
            t = torch.as_tensor(t)
            loss = losses.triplet_loss(emb[t[:, 0]], emb[t[:, 1]], emb[t[:, 2]], margin)
        else:
            loss = emb.sum() * 0.0
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss, emb.detach(), yb, n_triplets


def train(route: str = "triplet", miner: str = "semi-hard", steps: int = 300, *,
          dim: int = 16, margin: float | None = None, lr: float = 2e-3, classes: int = 10,
          per_class: int = 8, every: int = 20, projection: str = "pca", val_size: int | None = 300,
          seed: int = 0, title: str = TITLE, route_name: str | None = None) -> Iterator[Snapshot]:
    """Train on digits with one route; yields a snapshot every ``every`` steps (and the last).

    ``title`` is the template of the title drawn into each snapshot's picture (fields
    ``route``, ``step``, ``steps``, ``r1``; default :data:`TITLE`), ``route_name`` the route's
    name in it (default ``route``): a page passes both in its visitor's language.

    ``info`` holds: ``active`` (triplet route only, else None: share of the batch's valid
    triplets with loss > 0 under the margin α), ``triplets`` (how many the miner chose),
    ``recall@1`` on the held-out set, ``embedding``/``labels`` of the fixed validation subset,
    ``xy`` its projection (PCA: true coordinates of the unit vectors, in [-1, 1], only rotated
    onto the previous frame), ``variance`` (PCA: share of variance per axis), and in the last
    snapshot ``model`` and ``seconds``.
    """
    import torch

    if route not in ROUTES:
        raise ValueError(_("Unknown route {route!r}; choose one of {routes}.", route=route,
                           routes=", ".join(ROUTES)))
    if steps < 1:
        raise ValueError(_("Train for at least one step."))
    margin = DEFAULT_MARGIN[route] if margin is None else float(margin)
    data = load_digits_split()
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    model = build_net(dim)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    xtr = torch.as_tensor(data.x_train)
    ytr = torch.as_tensor(data.y_train)
    vsel = np.arange(len(data.y_test)) if not val_size or val_size >= len(data.y_test) else \
        np.sort(np.random.default_rng(1234).choice(len(data.y_test), val_size, replace=False))
    xval, yval = data.x_test[vsel], data.y_test[vsel]
    prev_xy = None
    t0 = time.perf_counter()
    for step in range(1, steps + 1):
        with _one_thread():
            loss, emb, yb, n_triplets = _step(model, opt, route, miner, margin, xtr, ytr,
                                              _batch(data.y_train, classes, per_class, rng), rng)
        if step % every == 0 or step == steps or step == 1:
            active = mining.active_fraction(emb, yb, margin) if route == "triplet" else None
            with _one_thread():
                ev = embed_numpy(model, xval)
            r1 = metrics.recall_at_k(ev, yval, (1,))[1]
            xy, used, msg = project.project(ev, projection, 2, init=prev_xy, wait=False)
            if used == "pca":   # rotated onto the previous frame, never rescaled
                xy = project.align_to(xy, prev_xy)
            prev_xy = xy
            variance = project.explained_variance(ev, 2) if used == "pca" else None
            info = {"active": active, "triplets": n_triplets,
                    "recall@1": r1, "embedding": ev, "labels": yval, "xy": xy, "projection": used,
                    "variance": variance,
                    "message": msg, "route": route, "miner": miner if route == "triplet" else "",
                    "margin": margin}
            if step == steps:
                info.update(model=model, seconds=time.perf_counter() - t0)
            text = title.format(route=route_name or route, step=step, steps=steps, r1=r1)
            yield Snapshot(step=step, total=steps, loss=float(loss.detach()),
                           image=project.scatter_image(xy, yval, title=text), info=info)


def compare_routes(steps: int = 300, seed: int = 0, miner: str = "semi-hard"
                   ) -> Iterator[tuple[str, Snapshot | None, dict | None]]:
    """Train each route on the same data and evaluate on the whole held-out set.

    Yields (route, snapshot, None) while training and (route, None, row) when a route is done;
    a row has recall@1, recall@5, AUC, the final active-triplet fraction (triplet route only,
    else None) and seconds. A first
    row, ``"raw pixels"``, is the baseline with no learning at all.
    """
    data = load_digits_split()
    pix = data.x_test.reshape(len(data.x_test), -1).astype(np.float64)
    yield "raw pixels", None, {"route": _("raw pixels (64-D, no training)"), **evaluate(pix, data.y_test),
                               "active triplets": None, "seconds": 0.0}
    for route in ROUTES:
        last = None
        for snap in train(route, miner, steps, seed=seed, every=max(1, steps // 5), val_size=200):
            last = snap
            yield route, snap, None
        emb = embed_numpy(last.info["model"], data.x_test)
        name = _("{route} ({miner})", route=_(route), miner=_(miner)) if route == "triplet" else _(route)
        yield route, None, {"route": name, **evaluate(emb, data.y_test),
                            "active triplets": last.info["active"],
                            "seconds": last.info["seconds"]}


def compare_routes_snapshots(steps: int = 300, seed: int = 0, miner: str = "semi-hard"
                             ) -> Iterator[Snapshot]:
    """:func:`compare_routes` as one run of snapshots over the three trainings together.

    ``step`` counts the steps of all routes (``total`` = 3 × ``steps``); ``info`` holds
    ``route`` (the route being trained, or ``"done"``), ``snapshot`` (that route's own
    snapshot, or None) and ``rows`` (the table rows finished so far, raw pixels first). The
    last snapshot has ``step == total`` and every row.
    """
    rows: list[dict] = []
    total = len(ROUTES) * steps
    for route, snap, row in compare_routes(steps, seed=seed, miner=miner):
        if row is not None:
            rows.append(row)
        if snap is not None:
            step = ROUTES.index(route) * steps + snap.step
            if step < total:   # the very last step is reported once, below, with every row
                yield Snapshot(step=step, total=total, loss=snap.loss,
                               info={"route": route, "snapshot": snap, "rows": list(rows)})
    yield Snapshot(step=total, total=total, info={"route": "done", "snapshot": None, "rows": rows})


def thumbnails(images: np.ndarray, scale: int = 8) -> list[np.ndarray]:
    """Small pictures (the 8×8 digits) enlarged ``scale`` times, pixel by pixel, to be seen."""
    return [np.repeat(np.repeat(im, scale, 0), scale, 1) for im in images]
