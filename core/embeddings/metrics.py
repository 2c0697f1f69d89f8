"""How good is an embedding? Verification (1:1), identification (1:K) and retrieval numbers.

- **Verification**: a pair is called "same" when d(img1, img2) ≤ τ (the notes). Sweeping τ
  gives the ROC curve (true-accept rate vs false-accept rate) and its area (AUC);
  :func:`verification_accuracy` is the accuracy at one τ.
- **Identification**: a query is given the identity of the nearest enrolled descriptor in a
  gallery of K people (one-shot: one picture each). :func:`top1_vs_k` shows the notes' point
  that a small per-comparison error grows with K: with a false-match probability p per
  comparison, the chance that none of K-1 strangers is within τ is (1-p)^(K-1).
- **Retrieval**: recall@k — for each item, is an item of its own label among its k nearest
  neighbours (leave-one-out)?
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from core.i18n import _


def pairwise_distances(x, y=None, squared: bool = False) -> np.ndarray:
    """Euclidean distances between the rows of x (N, D) and y (M, D) (y defaults to x)."""
    x = np.asarray(x, dtype=np.float64)
    y = x if y is None else np.asarray(y, dtype=np.float64)
    d = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * x @ y.T
    d = np.maximum(d, 0.0)
    if y is x or (x.shape == y.shape and np.shares_memory(x, y)):
        np.fill_diagonal(d, 0.0)
    return d if squared else np.sqrt(d)


def all_pairs(labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices (i, j), i < j, of every pair and whether the two share a label."""
    labels = np.asarray(labels)
    i, j = np.triu_indices(len(labels), k=1)
    return i, j, labels[i] == labels[j]


def pair_distances(emb, labels) -> tuple[np.ndarray, np.ndarray]:
    """(distances, same) over all pairs of the set."""
    d = pairwise_distances(emb)
    i, j, same = all_pairs(labels)
    return d[i, j], same


@dataclass
class ROC:
    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray   # distance thresholds τ (pair called "same" when d ≤ τ)
    auc: float


def roc(distances, same) -> ROC:
    """ROC of the rule d ≤ τ over all τ; AUC by the trapezoid rule."""
    from sklearn.metrics import roc_auc_score, roc_curve

    d = np.asarray(distances, dtype=np.float64)
    y = np.asarray(same, dtype=bool)
    if y.all() or not y.any():
        raise ValueError(_("An ROC needs both same-identity and different-identity pairs."))
    fpr, tpr, thr = roc_curve(y, -d, drop_intermediate=True)
    return ROC(fpr=fpr, tpr=tpr, thresholds=-thr, auc=float(roc_auc_score(y, -d)))


def verification_accuracy(distances, same, threshold: float) -> float:
    """Share of pairs classified right by d ≤ τ → same, d > τ → different."""
    d = np.asarray(distances, dtype=np.float64)
    y = np.asarray(same, dtype=bool)
    return float(((d <= threshold) == y).mean())


def balanced_accuracy(distances, same, threshold: float) -> float:
    """Mean of the true-accept and true-reject rates at τ (all-pairs sets are mostly
    'different', so plain accuracy flatters a strict threshold)."""
    d = np.asarray(distances, dtype=np.float64)
    y = np.asarray(same, dtype=bool)
    return float(((d[y] <= threshold).mean() + (d[~y] > threshold).mean()) / 2)


def rates_at(distances, same, threshold: float) -> dict:
    """True-accept rate, false-accept rate, accuracy and balanced accuracy at τ."""
    d = np.asarray(distances, dtype=np.float64)
    y = np.asarray(same, dtype=bool)
    return {"threshold": float(threshold), "TAR": float((d[y] <= threshold).mean()),
            "FAR": float((d[~y] <= threshold).mean()),
            "accuracy": verification_accuracy(d, y, threshold),
            "balanced accuracy": balanced_accuracy(d, y, threshold),
            "same pairs": int(y.sum()), "different pairs": int((~y).sum())}


def best_threshold(distances, same) -> float:
    """The τ with the highest accuracy on these pairs."""
    d = np.asarray(distances, dtype=np.float64)
    y = np.asarray(same, dtype=bool)
    cand = np.unique(d)
    order = np.argsort(d)
    ds, ys = d[order], y[order]
    # accepting everything up to index k: correct = same among first k+1 + different after
    same_cum = np.cumsum(ys)
    diff_after = (~ys).sum() - np.cumsum(~ys)
    acc = (same_cum + diff_after) / len(d)
    k = int(np.argmax(acc))
    del cand
    return float(ds[k])


def identify(queries, gallery, gallery_labels, threshold: float | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """Nearest gallery label for each query and its distance (label None beyond τ)."""
    d = pairwise_distances(np.atleast_2d(queries), np.atleast_2d(gallery))
    idx = d.argmin(1)
    labels = np.asarray(gallery_labels, dtype=object)[idx]
    dist = d[np.arange(len(idx)), idx]
    if threshold is not None:
        labels = np.where(dist <= threshold, labels, None)
    return labels, dist


def identification_top1(queries, query_labels, gallery, gallery_labels) -> float:
    """Share of queries whose nearest gallery descriptor has their label (closed set)."""
    pred, _dist = identify(queries, gallery, gallery_labels)
    return float((pred == np.asarray(query_labels, dtype=object)).mean())


def one_shot_split(labels, shots: int = 1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices (enrolled, queries): ``shots`` random images per label go into the gallery."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    enrolled = []
    for lab in dict.fromkeys(labels.tolist()):
        idx = np.nonzero(labels == lab)[0]
        enrolled.extend(rng.choice(idx, size=min(shots, len(idx) - 1), replace=False).tolist())
    enrolled = np.array(sorted(enrolled), dtype=np.int64)
    queries = np.setdiff1d(np.arange(len(labels)), enrolled)
    return enrolled, queries


def one_shot_top1(emb, labels, shots: int = 1, trials: int = 5, seed: int = 0) -> float:
    """Mean identification top-1 with ``shots`` enrolled images per person, over random draws."""
    emb, labels = np.asarray(emb), np.asarray(labels)
    accs = []
    for t in range(trials):
        g, q = one_shot_split(labels, shots, seed + t)
        accs.append(identification_top1(emb[q], labels[q], emb[g], labels[g]))
    return float(np.mean(accs))


def top1_vs_k(emb, labels, ks=None, trials: int = 20, seed: int = 0
              ) -> tuple[np.ndarray, np.ndarray]:
    """Identification top-1 (one enrolled image each) as the gallery grows to K people."""
    emb, labels = np.asarray(emb), np.asarray(labels)
    people = np.array(list(dict.fromkeys(labels.tolist())))
    if ks is None:
        ks = np.unique(np.linspace(2, len(people), min(10, len(people) - 1)).astype(int))
    rng = np.random.default_rng(seed)
    out = []
    for k in ks:
        accs = []
        for _i in range(trials):
            chosen = rng.choice(people, size=int(k), replace=False)
            sub = np.isin(labels, chosen)
            e, l = emb[sub], labels[sub]
            g, q = one_shot_split(l, 1, int(rng.integers(1 << 30)))
            if len(q):
                accs.append(identification_top1(e[q], l[q], e[g], l[g]))
        out.append(np.mean(accs) if accs else np.nan)
    return np.asarray(ks), np.asarray(out, dtype=np.float64)


def false_match_curve(p: float, ks) -> np.ndarray:
    """Probability of at least one false match among K-1 strangers: 1 - (1-p)^(K-1)."""
    ks = np.asarray(ks, dtype=np.float64)
    return 1.0 - (1.0 - float(p)) ** np.maximum(ks - 1, 0)


def recall_at_k(emb, labels, ks=(1, 5)) -> dict[int, float]:
    """Leave-one-out recall@k: share of items with a same-label item among their k nearest."""
    labels = np.asarray(labels)
    d = pairwise_distances(emb, squared=True)
    np.fill_diagonal(d, np.inf)
    kmax = max(ks)
    nn = np.argpartition(d, kth=min(kmax, len(d) - 1) - 1, axis=1)[:, :kmax]
    # sort the k nearest properly
    rows = np.arange(len(d))[:, None]
    nn = nn[rows, np.argsort(d[rows, nn], axis=1)]
    hit = labels[nn] == labels[:, None]
    return {k: float(hit[:, :k].any(1).mean()) for k in ks}


RESOLUTIONS = {"HD 1280×720": (1280, 720), "4K 3840×2160": (3840, 2160)}


def comparison_cost(width: int, height: int, channels: int = 3, dim: int = 128) -> dict:
    """Numbers compared per pair of pictures: raw pixels vs a ``dim``-D embedding (the notes:
    HD 1280×720 = 921,600 pixels ≈ 92만, 4K 3840×2160 = 8,294,400 ≈ 829만)."""
    pixels = int(width) * int(height)
    values = pixels * int(channels)
    return {"pixels": pixels, "values": values, "embedding": int(dim),
            "ratio": values / int(dim)}
