"""Ultralytics YOLO models: a ``.pt`` file from the ultralytics release assets, kept in
``$CNNLAB_HOME/weights``; ultralytics itself is told to stay offline and install nothing."""
from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..download import cnnlab_home, offline, weights_dir
from ..meta import LoadedModel
from .base import Downloaded, loaded

if TYPE_CHECKING:
    from ..registry import ZooEntry

RELEASE = "https://github.com/ultralytics/assets/releases/download/v8.3.0/"


@dataclass(frozen=True)
class UltralyticsSpec:
    file: str                      # the file name in $CNNLAB_HOME/weights
    url: str


def configure_ultralytics() -> None:
    """Environment ultralytics must see before it is imported: no auto-installs, no network in
    offline mode, settings in a folder the lab owns (with a font so training never fetches one)."""
    cfg = cnnlab_home() / "ultralytics"
    os.environ.setdefault("YOLO_CONFIG_DIR", str(cfg))
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    if offline():
        os.environ["YOLO_OFFLINE"] = "1"
    cfg_dir = Path(os.environ["YOLO_CONFIG_DIR"])
    cfg_dir.mkdir(parents=True, exist_ok=True)
    font = cfg_dir / "Arial.ttf"
    if not font.exists():
        try:
            import matplotlib

            dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
            if dejavu.exists():
                shutil.copyfile(dejavu, font)
        except Exception:  # noqa: BLE001 - a missing font only matters for plots in training
            pass


def coco_labels() -> list[str]:
    """The 80 COCO class names from ultralytics' dataset file (read as text: ultralytics is not
    imported and no weights are opened)."""
    import yaml

    spec = importlib.util.find_spec("ultralytics")
    if spec is None or not spec.submodule_search_locations:
        return []
    path = Path(list(spec.submodule_search_locations)[0]) / "cfg" / "datasets" / "coco.yaml"
    names = yaml.safe_load(path.read_text())["names"]
    return [names[i] for i in sorted(names)] if isinstance(names, dict) else list(names)


def model_labels(model) -> list[str]:
    """Class names of a loaded ultralytics model, in index order."""
    names = model.names
    return [names[i] for i in sorted(names)] if isinstance(names, dict) else list(names)


class UltralyticsLoader(Downloaded):
    kind = "ultralytics"
    spec = UltralyticsSpec

    def weights_url(self, entry: "ZooEntry") -> str:
        return entry.spec.url

    def weights_path(self, entry: "ZooEntry") -> Path:
        return weights_dir() / entry.spec.file

    def build(self, entry: "ZooEntry", device: str, path: Path, how: str) -> LoadedModel:
        configure_ultralytics()
        from ultralytics import YOLO

        model = YOLO(str(path))
        try:
            model.to(device)
        except Exception:  # noqa: BLE001 - ultralytics moves the model itself at predict time
            pass
        return loaded(entry, model,
                      f"COCO-pretrained {entry.title.split(' (')[0]} (ultralytics {entry.spec.file}, {how})",
                      device=device, labels=model_labels(model), meta={"weights_file": str(path)})
