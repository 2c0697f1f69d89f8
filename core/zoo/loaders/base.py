"""What every kind of entry answers, and the one place a :class:`LoadedModel` is made.

A loader is told the entry (with its typed spec and its :class:`~core.zoo.meta.EntryMeta`) and
knows where that kind's weights come from, how to build the model, what ``prefetch`` does for
it and, where it can, the bare architecture on the meta device (so a plain ``nn.Module`` can be
recognised as a zoo network without loading anything).
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import logging

from ..download import Progress, WeightsDamaged, WeightsUnavailable, check_file, download, fetch_weights, offline
from ..meta import LoadedModel

if TYPE_CHECKING:
    from ..registry import ZooEntry


class Loader:
    """One kind of entry. The default is a model whose file ships with the lab (or with a
    package): nothing to download, ``prefetch`` only checks the file is there."""
    kind: ClassVar[str]
    spec: ClassVar[type]

    def weights_url(self, entry: "ZooEntry") -> str | None:
        return None

    def weights_path(self, entry: "ZooEntry") -> Path | None:
        path = getattr(entry.spec, "path", None)
        return Path(path()) if path is not None else None

    def load(self, entry: "ZooEntry", device: str) -> LoadedModel:
        raise NotImplementedError

    def prefetch(self, entry: "ZooEntry", *, progress: Progress | None = None,
                 timeout: float | None = None) -> str:
        path = entry.weights_path()
        return "bundled" if path is None or path.exists() else "failed: bundled file missing"

    def cache_state(self, entry: "ZooEntry") -> str:
        """One word for ``cnnlab info``: bundled / trained here / cached / not cached."""
        return "bundled"

    def skeleton(self, entry: "ZooEntry") -> Any | None:
        """The untrained architecture on torch's meta device (no memory, no weights), or None."""
        return None


class Downloaded(Loader):
    """A kind whose pretrained file is fetched into a cache (torch hub, ``$CNNLAB_HOME``)."""

    def load(self, entry: "ZooEntry", device: str) -> LoadedModel:
        path, how = fetch_weights(entry)
        try:
            return self.build(entry, device, path, how)
        except Exception as e:  # noqa: BLE001 - any unusable file: fall back as for a missing one
            reason = check_file(path, deep=False) or one_line(e)
            logging.getLogger("cnnlab").warning("%s: weights file %s is damaged: %s", entry.name, path, reason)
            raise WeightsDamaged(f"{entry.title} weights in the cache are damaged ({reason}); "
                                 f"the file is left at {path}") from e

    def build(self, entry: "ZooEntry", device: str, path: Path, how: str) -> LoadedModel:
        raise NotImplementedError

    def prefetch(self, entry: "ZooEntry", *, progress: Progress | None = None,
                 timeout: float | None = None) -> str:
        try:
            return fetch_weights(entry, progress=progress, timeout=timeout)[1]
        except WeightsUnavailable as e:
            return f"failed: {e}"

    def cache_state(self, entry: "ZooEntry", *, deep: bool = False) -> str:
        path = entry.weights_path()
        if not (path and path.exists()):
            return "not cached"
        reason = check_file(path, deep=deep)
        return f"damaged: {reason}" if reason else "cached"

    def verify(self, entry: "ZooEntry", *, timeout: float | None = None) -> str:
        """Re-check the cached file against its hash; download a damaged one again when the
        network allows (atomically: the damaged file is replaced only by a complete, checked one)."""
        path = entry.weights_path()
        if not (path and path.exists()):
            return "not cached"
        reason = check_file(path)
        if reason is None:
            return "verified"
        url = entry.weights_url()
        if url is None or offline():
            return f"damaged: {reason} (not downloaded again: {'offline' if url else 'no source'})"
        try:
            download(url, path, timeout=timeout)
        except WeightsUnavailable as e:
            return f"damaged: {reason} (download again failed: {e})"
        return f"was damaged ({reason}): downloaded again"


def one_line(e: BaseException) -> str:
    text = (str(e).strip().splitlines() or [""])[0]
    text = text if len(text) < 160 else text[:157] + "..."
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def loaded(entry: "ZooEntry", model: Any, provenance: str, *, device: str,
           preprocess: Callable[[Any], Any] | None = None, labels: list[str] | None = None,
           meta: dict[str, Any] | None = None) -> LoadedModel:
    """The :class:`LoadedModel` for ``entry``: name, title, task, labels and transforms come from
    the entry; ``meta`` gets the transforms' fields (``mean``, ``std``, ``imgsz``, ...)."""
    tf = entry.meta.transforms
    return LoadedModel(
        name=entry.name, requested=entry.name, title=entry.title, task=entry.task, model=model,
        provenance=provenance, preprocess=preprocess,
        labels=list(entry.meta.labels) if labels is None else list(labels),
        device=device, pretrained=True, meta={**(meta or {}), **(tf.as_dict() if tf else {})},
        transforms=tf)


def freeze(model: Any, device: str) -> Any:
    """Eval mode, no parameter gradients, on ``device``: how every cached model is kept."""
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(device)


def on_meta_device(build: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``build(*args, **kwargs)`` with every tensor on torch's meta device: the architecture's
    structure and shapes, no memory, no weights."""
    import torch

    with torch.device("meta"):
        return build(*args, **kwargs)


def resolve(path: str) -> Any:
    """``"package.module:name"`` → that object (imported on demand)."""
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)
