"""One loader per kind of zoo entry, registered once in :data:`LOADERS` (kind → loader). An
entry's kind picks its loader, and its spec is that loader's spec type."""
from __future__ import annotations

from .base import Downloaded, Loader, freeze, loaded, resolve
from .faces import FacesLoader, FacesSpec
from .package import BundledLoader, BundledSpec, PackageLoader, PackageSpec, lite0_file
from .segmentation import SegmentationLoader, SegmentationSpec, segmentation_meta
from .torchvision import (TorchvisionLoader, TorchvisionSpec, classifier_preprocess, imagenet_labels,
                          imagenet_meta, weights_enum)
from .trained import TrainedLoader, TrainedSpec
from .ultralytics import RELEASE, UltralyticsLoader, UltralyticsSpec, coco_labels, configure_ultralytics

LOADERS: dict[str, Loader] = {loader.kind: loader for loader in (
    TorchvisionLoader(), PackageLoader(), BundledLoader(), TrainedLoader(), FacesLoader(),
    UltralyticsLoader(), SegmentationLoader())}

__all__ = ["LOADERS", "Loader", "Downloaded", "loaded", "freeze", "resolve",
           "TorchvisionSpec", "PackageSpec", "BundledSpec", "TrainedSpec", "FacesSpec", "UltralyticsSpec",
           "SegmentationSpec", "segmentation_meta",
           "classifier_preprocess", "imagenet_labels", "imagenet_meta", "weights_enum", "lite0_file",
           "coco_labels", "configure_ultralytics", "RELEASE"]
