"""How good is a segmentation?  Everything comes from one confusion matrix.

``C[i, j]`` counts the pixels whose true class is ``i`` and predicted class is ``j``.  For class
``k``: TP = C[k, k], FP = column sum − TP, FN = row sum − TP, and

- pixel accuracy = Σ TP / Σ C (dominated by the background when shapes are small);
- IoU_k = TP / (TP + FP + FN) — the Jaccard index of the true and predicted regions;
- mean IoU = the average of IoU_k over the classes that occur (in the truth or the prediction);
- Dice_k = 2 TP / (2 TP + FP + FN) = F1 of class k (Dice = 2·IoU / (1 + IoU)).

A class that appears in neither the truth nor the prediction has no IoU (NaN) and is left out of
the means.  For a data set, add the confusion matrices of all images first and compute the
scores once (the usual "dataset mIoU"), rather than averaging per-image scores.
"""
from __future__ import annotations

import numpy as np


def confusion_matrix(target, pred, num_classes: int, ignore_index: int | None = None) -> np.ndarray:
    """(num_classes, num_classes) int64 counts; rows = truth, columns = prediction."""
    t = np.asarray(target).ravel().astype(np.int64)
    p = np.asarray(pred).ravel().astype(np.int64)
    if t.shape != p.shape:
        raise ValueError(f"Truth and prediction differ in size: {np.shape(target)} vs {np.shape(pred)}.")
    keep = np.ones_like(t, dtype=bool) if ignore_index is None else t != ignore_index
    t, p = t[keep], p[keep]
    if t.size and (t.min() < 0 or t.max() >= num_classes or p.min() < 0 or p.max() >= num_classes):
        raise ValueError(f"Class indices must lie in 0..{num_classes - 1}.")
    return np.bincount(t * num_classes + p, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def _parts(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    return tp, cm.sum(axis=0) - tp, cm.sum(axis=1) - tp


def pixel_accuracy(cm: np.ndarray) -> float:
    cm = np.asarray(cm, dtype=np.float64)
    total = cm.sum()
    return float(np.trace(cm) / total) if total else float("nan")


def iou_per_class(cm: np.ndarray) -> np.ndarray:
    tp, fp, fn = _parts(cm)
    denom = tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, tp / np.where(denom > 0, denom, 1), np.nan)


def dice_per_class(cm: np.ndarray) -> np.ndarray:
    tp, fp, fn = _parts(cm)
    denom = 2 * tp + fp + fn
    return np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), np.nan)


def mean_iou(cm: np.ndarray) -> float:
    v = iou_per_class(cm)
    return float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")


def mean_dice(cm: np.ndarray) -> float:
    v = dice_per_class(cm)
    return float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")


def scores(target, pred, num_classes: int, class_names=None) -> dict:
    """All scores for one image (or a stack of images) at once."""
    cm = confusion_matrix(target, pred, num_classes)
    return report(cm, class_names)


def report(cm: np.ndarray, class_names=None) -> dict:
    n = cm.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(n)]
    return {"pixel_accuracy": pixel_accuracy(cm), "mean_iou": mean_iou(cm), "mean_dice": mean_dice(cm),
            "iou": dict(zip(names, iou_per_class(cm).tolist())),
            "dice": dict(zip(names, dice_per_class(cm).tolist())),
            "true_pixels": dict(zip(names, cm.sum(axis=1).tolist())),
            "predicted_pixels": dict(zip(names, cm.sum(axis=0).tolist())),
            "confusion": cm}


def class_areas(mask, num_classes: int) -> np.ndarray:
    """Fraction of the image covered by each class."""
    m = np.asarray(mask).ravel()
    return np.bincount(m, minlength=num_classes)[:num_classes] / max(1, m.size)
