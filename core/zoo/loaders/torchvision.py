"""torchvision classifiers: architecture from ``torchvision.models``, ImageNet weights named by a
weights enum (whose ``meta`` and ``transforms()`` give labels, metrics and preprocessing with no
download), file in the torch hub cache. Also the ImageNet preprocessing other kinds share."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..download import torch_hub_checkpoints
from ..meta import EntryMeta, LayerGroups, LoadedModel, Transforms
from .base import Downloaded, freeze, loaded, on_meta_device

if TYPE_CHECKING:
    from ..registry import ZooEntry


@dataclass(frozen=True)
class TorchvisionSpec:
    builder: str          # torchvision.models.<builder>
    weights: str          # "<Enum>.<member>", e.g. "VGG16_Weights.IMAGENET1K_V1"


def weights_enum(spec: TorchvisionSpec) -> Any:
    import torchvision.models as tvm

    enum_name, member = spec.weights.split(".")
    return getattr(getattr(tvm, enum_name), member)


def imagenet_labels() -> list[str]:
    import torchvision.models as tvm

    return list(tvm.ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def enum_transforms(spec: TorchvisionSpec) -> Transforms:
    tf = weights_enum(spec).transforms()
    return Transforms(resize=int(tf.resize_size[0]), crop=int(tf.crop_size[0]),
                      mean=tuple(tf.mean), std=tuple(tf.std))


def imagenet_meta(spec: TorchvisionSpec, *, layers: LayerGroups | None = None,
                  cam_layer: str | None = None) -> EntryMeta:
    """An entry's metadata read from its weights enum (on first use; nothing is downloaded)."""
    return EntryMeta(
        labels=lambda: weights_enum(spec).meta["categories"],
        transforms=lambda: enum_transforms(spec),
        metrics=lambda: weights_enum(spec).meta.get("_metrics", {}).get("ImageNet-1K", {}),
        layers=layers, cam_layer=cam_layer)


def classifier_preprocess(device: str, tf: Transforms):
    """PIL image or RGB array → normalised float tensor (1, 3, crop, crop) on ``device``:
    resize the shorter side, centre crop, normalise, as ``tf`` says."""
    import torch
    from PIL import Image

    mean = torch.tensor(tf.mean).view(1, 3, 1, 1)
    std = torch.tensor(tf.std).view(1, 3, 1, 1)

    def preprocess(image: Any) -> "torch.Tensor":
        """PIL image or RGB array → normalised float tensor (1, 3, crop, crop) on the model's
        device, from exactly the pixels ``tf.prepare`` gives (the lab's one view of a picture)."""
        if isinstance(image, Image.Image):
            image = np.asarray(image.convert("RGB"))
        elif not isinstance(image, np.ndarray):
            raise ValueError("preprocess takes a PIL image or an RGB numpy array.")
        seen = tf.prepare(image)
        x = torch.from_numpy(np.ascontiguousarray(seen)).permute(2, 0, 1).unsqueeze(0).float().div_(255)
        return ((x - mean) / std).to(device)

    return preprocess


def classifier(entry: "ZooEntry", model: Any, device: str, path: Path, provenance: str) -> LoadedModel:
    """An ImageNet classifier as a :class:`LoadedModel`: frozen, with the entry's preprocessing,
    its weights file and its top-1 accuracy in ``meta``."""
    return loaded(entry, freeze(model, device), provenance, device=device,
                  preprocess=classifier_preprocess(device, entry.meta.transforms),
                  meta={"weights_file": str(path), "acc@1": entry.meta.metrics.get("acc@1")})


class TorchvisionLoader(Downloaded):
    kind = "torchvision"
    spec = TorchvisionSpec

    def weights_url(self, entry: "ZooEntry") -> str:
        return weights_enum(entry.spec).url

    def weights_path(self, entry: "ZooEntry") -> Path:
        return torch_hub_checkpoints() / Path(weights_enum(entry.spec).url).name

    def build(self, entry: "ZooEntry", device: str, path: Path, how: str) -> LoadedModel:
        import torch
        import torchvision.models as tvm

        model = getattr(tvm, entry.spec.builder)(weights=None)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return classifier(entry, model, device, path,
                          f"ImageNet-pretrained {entry.title} (torchvision {entry.spec.weights}, {how})")

    def skeleton(self, entry: "ZooEntry") -> Any:
        import torchvision.models as tvm

        return on_meta_device(getattr(tvm, entry.spec.builder), weights=None)
