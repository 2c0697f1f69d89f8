"""Choosing triplets (A, P, N) inside a batch: all, hard, semi-hard (FaceNet, Schroff et al. 2015).

With squared Euclidean distances d (the same as the loss) and margin α:

- **all**: every valid triplet (A and P share a label, A ≠ P, N has another label);
  most are *easy* (d(A,N) ≥ d(A,P) + α, loss 0) and teach nothing.
- **hard**: for every anchor, its farthest positive and its nearest negative ("batch-hard");
  this includes negatives closer than the positive (d(A,N) < d(A,P)), which the notes warn
  can over-weight mislabelled faces.
- **semi-hard**: negatives farther than the positive but still inside the margin,
  d(A,P) < d(A,N) < d(A,P) + α — "not too easy, not too hard". For every (A, P) pair the
  nearest such negative is taken (``per_pair="nearest"``) or all of them (``"all"``); pairs
  with no semi-hard negative contribute nothing.

Functions take numpy arrays or torch tensors of embeddings (B, D) and labels (B,) and return
an integer numpy array of shape (T, 3) with the (anchor, positive, negative) row indices.
"""
from __future__ import annotations

import numpy as np

from core.i18n import N_, _

STRATEGIES = (N_("all"), N_("hard"), N_("semi-hard"))


def _np(x) -> np.ndarray:
    if type(x).__module__.startswith("torch"):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def pairwise_squared(emb) -> np.ndarray:
    """(B, B) matrix of squared Euclidean distances between the rows of ``emb``."""
    e = _np(emb).astype(np.float64)
    sq = (e * e).sum(1)
    d = sq[:, None] + sq[None, :] - 2.0 * e @ e.T
    np.fill_diagonal(d, 0.0)
    return np.maximum(d, 0.0)


def _masks(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    same = labels[:, None] == labels[None, :]
    pos = same & ~np.eye(len(labels), dtype=bool)
    neg = ~same
    return pos, neg


def all_triplets(labels) -> np.ndarray:
    """Every valid (a, p, n): labels[a] == labels[p], a != p, labels[n] != labels[a]."""
    labels = _np(labels).reshape(-1)
    pos, neg = _masks(labels)
    a, p, n = np.nonzero(pos[:, :, None] & neg[:, None, :])
    return np.stack([a, p, n], 1).astype(np.int64).reshape(-1, 3)


def classify_triplets(emb, triplets, margin: float) -> np.ndarray:
    """'easy', 'semi-hard' or 'hard' for each triplet row (FaceNet's definitions)."""
    d = pairwise_squared(emb)
    t = np.asarray(triplets, dtype=np.int64).reshape(-1, 3)
    d_ap, d_an = d[t[:, 0], t[:, 1]], d[t[:, 0], t[:, 2]]
    kind = np.full(len(t), "semi-hard", dtype=object)
    kind[d_an >= d_ap + margin] = "easy"
    kind[d_an <= d_ap] = "hard"
    return kind


def active_fraction(emb, labels, margin: float) -> float:
    """Share of all valid triplets in the batch whose loss is above zero (d(A,N) < d(A,P) + α)."""
    labels = _np(labels).reshape(-1)
    d = pairwise_squared(emb)
    pos, neg = _masks(labels)
    # for every (a, p): count negatives n with d(a,n) < d(a,p) + margin
    a, p = np.nonzero(pos)
    if len(a) == 0:
        return 0.0
    thresh = d[a, p] + margin
    close = (d[a] < thresh[:, None]) & neg[a]
    total = neg[a].sum()
    return float(close.sum() / total) if total else 0.0


def mine(emb, labels, strategy: str = "semi-hard", margin: float = 0.2,
         per_pair: str = "nearest") -> np.ndarray:
    """Triplet indices (T, 3) chosen by ``strategy`` ('all', 'hard' or 'semi-hard')."""
    if strategy not in STRATEGIES:
        raise ValueError(_("Unknown mining strategy {strategy!r}; choose one of {strategies}.",
                           strategy=strategy, strategies=", ".join(STRATEGIES)))
    labels = _np(labels).reshape(-1)
    if strategy == "all":
        return all_triplets(labels)
    d = pairwise_squared(emb)
    pos, neg = _masks(labels)
    if strategy == "hard":
        rows = []
        for i in range(len(labels)):
            if not pos[i].any() or not neg[i].any():
                continue
            p = np.nonzero(pos[i])[0][np.argmax(d[i, pos[i]])]
            n = np.nonzero(neg[i])[0][np.argmin(d[i, neg[i]])]
            rows.append((i, p, n))
        return np.array(rows, dtype=np.int64).reshape(-1, 3)
    # semi-hard
    a, p = np.nonzero(pos)
    d_ap = d[a, p]
    ok = neg[a] & (d[a] > d_ap[:, None]) & (d[a] < d_ap[:, None] + margin)
    if per_pair == "all":
        k, n = np.nonzero(ok)
        return np.stack([a[k], p[k], n], 1).astype(np.int64).reshape(-1, 3)
    if per_pair != "nearest":
        raise ValueError(_("per_pair must be 'nearest' or 'all'."))
    has = ok.any(1)
    masked = np.where(ok, d[a], np.inf)
    n = masked.argmin(1)
    return np.stack([a[has], p[has], n[has]], 1).astype(np.int64).reshape(-1, 3)
