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

from ..download import Progress, WeightsUnavailable, fetch_weights
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
        return self.build(entry, device, path, how)

    def build(self, entry: "ZooEntry", device: str, path: Path, how: str) -> LoadedModel:
        raise NotImplementedError

    def prefetch(self, entry: "ZooEntry", *, progress: Progress | None = None,
                 timeout: float | None = None) -> str:
        try:
            return fetch_weights(entry, progress=progress, timeout=timeout)[1]
        except WeightsUnavailable as e:
            return f"failed: {e}"

    def cache_state(self, entry: "ZooEntry") -> str:
        path = entry.weights_path()
        return "cached" if path and path.exists() else "not cached"


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
