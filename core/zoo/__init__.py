"""The model zoo: every model the lab can load, where its weights come from, what it expects and
knows before it is loaded, and what to use when its weights cannot be had.

``load(name, device)`` returns a :class:`LoadedModel` — the module in eval mode with frozen
parameters, its provenance in words, its preprocessing (and ``transforms``, the same as data), its
labels and a lock for callers that attach per-call hooks. Pretrained weights come from the
standard caches (torch hub for torchvision weights, ``$CNNLAB_HOME/weights`` for ultralytics
files) or are downloaded there; with ``CNNLAB_OFFLINE=1`` nothing touches the network, and a
failed or stalled download gives up within a few seconds. Then the entry's bundled fallback is
used and the provenance says so.

``get_entry(name).meta`` (:class:`EntryMeta`) answers before anything is loaded: ``labels``,
``transforms`` (resize, crop, mean, std), ``layers`` (the layer groups pages offer, with the
high / low picks) and ``cam_layer``. ``prefetch()`` (``cnnlab prefetch``) downloads every
pretrained weight ahead of a talk.

Where things are: :mod:`.registry` (the entries, ``register`` / ``get_entry`` /
``list_models``), :mod:`.meta` (the records), :mod:`.layers` (layer groups), :mod:`.download`
(caches, offline mode, the download), :mod:`.loaders` (one loader per kind, in ``LOADERS``),
:mod:`.loading` (``load`` with its fallback, ``prefetch``).
"""
from __future__ import annotations

from .download import (DOWNLOAD_TIMEOUT_S, WeightsDamaged, WeightsUnavailable, check_file, cnnlab_home,
                       download, fetch_weights, offline, torch_hub_checkpoints, weights_dir)
from .loaders import (LOADERS, BundledSpec, FacesSpec, Loader, PackageSpec, TorchvisionSpec, TrainedSpec,
                      UltralyticsSpec, configure_ultralytics, imagenet_labels)
from .loading import LoadTooSlow, late_ready, load, load_limit_s, prefetch, still_loading
from .meta import (IMAGENET, EntryMeta, Labels, LayerGroups, LayerInfo, LoadedModel, ModelUnavailable,
                   Transforms)
from .own import from_file, from_name, uploads_allowed
from .registry import (ALIASES, ENTRIES, ZooEntry, entries, entry, get_entry, identify, list_models,
                       register)

__all__ = [
    "load", "prefetch", "LoadTooSlow", "late_ready", "load_limit_s", "still_loading", "entries", "entry", "get_entry", "list_models", "register", "identify",
    "ENTRIES", "ALIASES", "ZooEntry", "EntryMeta", "Transforms", "LayerGroups", "LayerInfo", "Labels",
    "IMAGENET", "LoadedModel", "ModelUnavailable", "WeightsUnavailable", "WeightsDamaged", "check_file", "LOADERS", "Loader",
    "TorchvisionSpec", "PackageSpec", "BundledSpec", "TrainedSpec", "FacesSpec", "UltralyticsSpec",
    "offline", "cnnlab_home", "weights_dir", "torch_hub_checkpoints", "download", "fetch_weights",
    "DOWNLOAD_TIMEOUT_S", "imagenet_labels", "configure_ultralytics",
    "from_name", "from_file", "uploads_allowed",
]
