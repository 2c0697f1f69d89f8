"""dlib's face models (HOG detector, landmark predictors, the 128-number face ResNet) from the
face-recognition-models package, plus OpenCV's Haar cascade: files, not torch modules."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.i18n import _

from ..meta import LoadedModel, ModelUnavailable
from .base import Loader, loaded

if TYPE_CHECKING:
    from ..registry import ZooEntry


@dataclass(frozen=True)
class FacesSpec:
    """Nothing to choose: the package decides which files there are."""


class FacesLoader(Loader):
    kind = "faces"
    spec = FacesSpec

    def load(self, entry: "ZooEntry", device: str) -> LoadedModel:
        from ...embeddings.faces import FaceModelsUnavailable, load_face_models

        try:
            models = load_face_models()
        except FaceModelsUnavailable as e:
            raise ModelUnavailable(e.args[0] if len(e.args) == 1 else str(e)) from e
        return loaded(entry, models,
                      _("dlib's pretrained face models (face-recognition-models package, works offline)"),
                      device="cpu", meta={"files": {k: str(v) for k, v in models.files.items()}})
