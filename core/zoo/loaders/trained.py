"""Models trained here on first use (seconds on a CPU, deterministic): LeNet-5 on the digits that
ship with scikit-learn. No file, no network."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..meta import LoadedModel
from .base import Loader, freeze, loaded, resolve

if TYPE_CHECKING:
    from ..registry import ZooEntry


@dataclass(frozen=True)
class TrainedSpec:
    epochs: int
    seed: int
    trainer: str = "core.architectures.lenet:train_lenet_digits"   # yields LeNet snapshots
    data: str = "scikit-learn's digits"                              # what it learns from
    measure: str = "accuracy"                                        # the held-out number's name
    input: str = "1×32×32, digits 8×8 upsampled to 28 and padded"


class TrainedLoader(Loader):
    """No weights file (the spec has no ``path``): made on first use, nothing to fetch."""
    kind = "trained"
    spec = TrainedSpec

    def prefetch(self, entry: "ZooEntry", **_: Any) -> str:
        return "trained on first use (no download)"

    def cache_state(self, entry: "ZooEntry") -> str:
        return "trained here"

    def load(self, entry: "ZooEntry", device: str) -> LoadedModel:
        import torch

        from ...architectures.lenet import to_lenet_input

        spec: TrainedSpec = entry.spec
        last = None
        for last in resolve(spec.trainer)(epochs=spec.epochs, seed=spec.seed, threads=1):
            pass

        def preprocess(image: Any) -> "torch.Tensor":
            """An 8×8 digit array (0..16), or any picture (made gray, 8×8, dark ink → 0..16)."""
            a = np.asarray(image)
            if a.shape != (8, 8):
                from PIL import Image

                from ...images import load_image
                gray = Image.fromarray(load_image(a, max_side=None)).convert("L").resize((8, 8), Image.BILINEAR)
                a = 16.0 * (1.0 - np.asarray(gray, np.float32) / 255.0)
            return to_lenet_input(a).to(device)

        return loaded(entry, freeze(last.model, device),
                      (f"LeNet-5 trained here on {spec.data} ({spec.epochs} epochs, seed {spec.seed}): "
                       f"held-out {spec.measure} {last.accuracy * 100:.1f}%"),
                      device=device, preprocess=preprocess,
                      meta={"accuracy": last.accuracy, "seconds": last.seconds, "input": spec.input})
