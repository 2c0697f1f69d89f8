"""Comparison data for the classic networks, read from torchvision's weights metadata.

``weights.meta`` ships inside torchvision (no download): parameter count, ImageNet-1K
top-1/top-5 accuracy of those weights, GFLOPS (torchvision's ``_ops``, which counts
multiply-accumulates, the same convention as ``summarize``) and the file size.
"""

from __future__ import annotations

from .builders import ARCHITECTURES

__all__ = ["comparison_table", "weights_meta"]


def weights_meta(name: str, recipe: str = "original"):
    """The torchvision weights entry for ``name`` (None when torchvision has none).

    ``recipe="original"``: IMAGENET1K_V1, the weights that reproduce the paper;
    ``recipe="best"``: the enum's DEFAULT (for some nets a newer training recipe).
    """
    import torchvision.models as tvm

    info = ARCHITECTURES[name]
    if info.weights_enum is None:
        return None
    enum = getattr(tvm, info.weights_enum)
    if recipe == "best":
        return enum.DEFAULT
    return enum["IMAGENET1K_V1"]


def comparison_table(recipe: str = "original") -> list[dict]:
    """One dict per buildable network that torchvision has ImageNet weights for:
    name, title, year, family, params, gmacs, top1, top5, file_mb, weights, resolution."""
    rows = []
    for name, info in ARCHITECTURES.items():
        w = weights_meta(name, recipe)
        if w is None:
            continue
        meta = w.meta
        metrics = meta["_metrics"]["ImageNet-1K"]
        crop = getattr(w.transforms, "keywords", {}).get("crop_size", info.input_size[-1])
        rows.append({
            "name": name,
            "title": info.title,
            "year": info.year,
            "family": info.family,
            "params": int(meta["num_params"]),
            "gmacs": float(meta["_ops"]),
            "top1": float(metrics["acc@1"]),
            "top5": float(metrics["acc@5"]),
            "file_mb": float(meta["_file_size"]),
            "weights": f"{info.weights_enum}.{w.name}",
            "resolution": int(crop),
        })
    return rows
