"""The three routes to an embedding, as loss functions (numpy arrays or torch tensors).

- Triplet loss (the notes, FaceNet): for an anchor A, a positive P (same identity) and a
  negative N (another identity), with squared Euclidean distances,

      L(A, P, N) = max(0, ||f(A) - f(P)||² - ||f(A) - f(N)||² + α)

  averaged over the batch.
- Contrastive loss (Hadsell, Chopra & LeCun 2006): pairs; y = 1 for the same class,

      L = y · d² + (1 - y) · max(0, m - d)²,  d = ||f(x1) - f(x2)||  (not squared)

  averaged over the pairs: same-class pairs are pulled together, different-class pairs pushed
  until they are at least m apart.
- Cross-entropy: train an ordinary classifier, cut off the last (prediction) layer and use the
  layer below it as the embedding (``cross_entropy`` here is just the classifier's loss).

Every function takes numpy arrays (returns a float) or torch tensors (returns a 0-d tensor,
differentiable), so the page's worked example and the training loop use the same code.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from core.i18n import N_, _


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def _as_2d(x):
    if _is_torch(x):
        return x if x.ndim == 2 else x.reshape(1, -1)
    x = np.asarray(x, dtype=np.float64)
    return x if x.ndim == 2 else x.reshape(1, -1)


def squared_distance(x, y):
    """Row-wise ||x_i - y_i||² for two (B, D) batches (a 1-D vector counts as a batch of one)."""
    x, y = _as_2d(x), _as_2d(y)
    if x.shape != y.shape:
        raise ValueError(_("The two batches differ in shape: {a} vs {b}.", a=tuple(x.shape),
                           b=tuple(y.shape)))
    return ((x - y) ** 2).sum(-1)


def triplet_terms(a, p, n, margin: float = 0.2):
    """The per-triplet losses max(0, d(A,P) - d(A,N) + α) (squared L2), before the mean."""
    if margin < 0:
        raise ValueError(_("The margin α must be zero or positive, not {margin}.", margin=margin))
    d_ap, d_an = squared_distance(a, p), squared_distance(a, n)
    z = d_ap - d_an + margin
    if _is_torch(z):
        return z.clamp(min=0)
    return np.maximum(z, 0.0)


def triplet_loss(a, p, n, margin: float = 0.2):
    """Mean over the batch of max(0, ||f(A)-f(P)||² - ||f(A)-f(N)||² + α)."""
    terms = triplet_terms(a, p, n, margin)
    return terms.mean() if _is_torch(terms) else float(terms.mean())


def contrastive_terms(x1, x2, same, margin: float = 1.0):
    """Per-pair y·d² + (1-y)·max(0, m-d)² with d the (unsquared) Euclidean distance."""
    if margin <= 0:
        raise ValueError(_("The contrastive margin m must be positive, not {margin}.", margin=margin))
    d2 = squared_distance(x1, x2)
    if _is_torch(d2):
        import torch

        y = torch.as_tensor(same, dtype=d2.dtype, device=d2.device).reshape(-1)
        d = (d2 + 1e-12).sqrt()
        return y * d2 + (1 - y) * (margin - d).clamp(min=0) ** 2
    y = np.asarray(same, dtype=np.float64).reshape(-1)
    d = np.sqrt(d2)
    return y * d2 + (1 - y) * np.maximum(margin - d, 0.0) ** 2


def contrastive_loss(x1, x2, same, margin: float = 1.0):
    """Mean over pairs of y·d² + (1-y)·max(0, m-d)²; ``same`` is 1 (same class) or 0."""
    terms = contrastive_terms(x1, x2, same, margin)
    return terms.mean() if _is_torch(terms) else float(terms.mean())


def cross_entropy(logits, labels):
    """Mean -log softmax(logits)[label]: the classifier route's loss."""
    if _is_torch(logits):
        import torch.nn.functional as F

        return F.cross_entropy(logits, labels)
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(z)), np.asarray(labels)].mean())


# The worked example shown on the page and asserted in the tests: 2-D unit-length embeddings,
# α = 0.2, one anchor, one positive and three negatives — an easy, a semi-hard and a hard one.
WORKED_EXAMPLE = {
    "alpha": 0.2,
    "A": (0.6, 0.8),
    "P": (0.8, 0.6),
    "negatives": {N_("easy"): (1.0, 0.0), N_("semi-hard"): (0.9, 0.4), N_("hard"): (0.7, 0.7)},
}


def worked_example() -> list[dict]:
    """One row per negative of :data:`WORKED_EXAMPLE`: d(A,P), d(A,N), the loss and its kind.

    d(A,P) = 0.08; easy N: d(A,N) = 0.80, loss 0; semi-hard N: 0.25, loss 0.03;
    hard N: 0.02, loss 0.26 (squared distances, α = 0.2).
    """
    e = WORKED_EXAMPLE
    a, p, alpha = np.array(e["A"]), np.array(e["P"]), e["alpha"]
    rows = []
    for kind, n in e["negatives"].items():
        n = np.array(n)
        rows.append({"negative": kind, "N": tuple(float(v) for v in n), "d(A,P)": float(squared_distance(a, p)[0]),
                     "d(A,N)": float(squared_distance(a, n)[0]),
                     "loss": triplet_loss(a, p, n, alpha)})
    return rows
