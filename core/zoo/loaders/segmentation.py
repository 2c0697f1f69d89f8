"""torchvision semantic segmentation models (LR-ASPP, DeepLabV3 on MobileNetV3-Large): the
architecture from ``torchvision.models.segmentation``, built with no weights at all (not even the
ImageNet backbone, which would be a second download), filled from the file its weights enum
names in the torch hub cache. The enum gives the 21 VOC categories and the preprocessing
(shorter side 520 px, ImageNet mean and std) before anything is loaded."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..download import torch_hub_checkpoints
from ..meta import EntryMeta, LoadedModel, Transforms
from .base import Downloaded, freeze, loaded, on_meta_device
from .torchvision import classifier_preprocess

if TYPE_CHECKING:
    from ..registry import ZooEntry


@dataclass(frozen=True)
class SegmentationSpec:
    builder: str          # torchvision.models.segmentation.<builder>
    weights: str          # "<Enum>.<member>", e.g. "LRASPP_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1"
    aux_loss: bool = False  # the weights carry an auxiliary head (DeepLabV3's do)


def segmentation_enum(spec: SegmentationSpec) -> Any:
    import torchvision.models.segmentation as tvs

    enum_name, member = spec.weights.split(".")
    return getattr(getattr(tvs, enum_name), member)


def segmentation_transforms(spec: SegmentationSpec) -> Transforms:
    tf = segmentation_enum(spec).transforms()   # SemanticSegmentation(resize_size=[520], mean, std)
    return Transforms(resize=int(tf.resize_size[0]), crop=None, mean=tuple(tf.mean), std=tuple(tf.std))


def segmentation_meta(spec: SegmentationSpec) -> EntryMeta:
    """Labels (``meta["categories"]``, 21 with ``__background__`` first), transforms and the
    published mIoU, read from the weights enum (nothing is downloaded)."""
    def metrics() -> dict[str, float]:
        m = segmentation_enum(spec).meta.get("_metrics", {})
        return dict(next(iter(m.values()), {}))

    return EntryMeta(labels=lambda: segmentation_enum(spec).meta["categories"],
                     transforms=lambda: segmentation_transforms(spec), metrics=metrics)


def _build(spec: SegmentationSpec, num_classes: int) -> Any:
    import torchvision.models.segmentation as tvs

    return getattr(tvs, spec.builder)(weights=None, weights_backbone=None, num_classes=num_classes,
                                      aux_loss=spec.aux_loss)


class SegmentationLoader(Downloaded):
    kind = "torchvision-seg"
    spec = SegmentationSpec

    def weights_url(self, entry: "ZooEntry") -> str:
        return segmentation_enum(entry.spec).url

    def weights_path(self, entry: "ZooEntry") -> Path:
        return torch_hub_checkpoints() / Path(segmentation_enum(entry.spec).url).name

    def build(self, entry: "ZooEntry", device: str, path: Path, how: str) -> LoadedModel:
        import torch

        model = _build(entry.spec, len(entry.meta.labels))
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        miou = entry.meta.metrics.get("miou")
        provenance = (f"pretrained {entry.title} (torchvision {entry.spec.weights}: COCO images, the 20 "
                      f"Pascal VOC classes + background{f', mIoU {miou:.1f}%' if miou else ''}; {how})")
        return loaded(entry, freeze(model, device), provenance, device=device,
                      preprocess=classifier_preprocess(device, entry.meta.transforms),
                      meta={"weights_file": str(path), "miou": miou})

    def skeleton(self, entry: "ZooEntry") -> Any:
        return on_meta_device(_build, entry.spec, len(entry.meta.labels))
