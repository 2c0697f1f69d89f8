"""Models this project trains itself in seconds (deterministic): LeNet-5 on the digits that ship
with scikit-learn. No network.

The weights ship in ``assets/`` (``scripts/make_lenet_assets.py``, run by ``make assets``, trains
them with :func:`train_entry`, the recipe below): loading reads that state dict
(``torch.load(weights_only=True)``), so no page trains a model when it opens. Only when the file
is missing, damaged or made with another recipe is the model trained here on first use, and
the provenance says why.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from core.i18n import N_, _
from ..meta import LoadedModel
from .base import Loader, freeze, loaded, one_line, resolve

if TYPE_CHECKING:
    from ..registry import ZooEntry

FORMAT = "cnnlab-trained-state-dict/1"


@dataclass(frozen=True)
class TrainedSpec:
    epochs: int
    seed: int
    trainer: str = "core.architectures.lenet:train_lenet_digits"   # yields LeNet snapshots
    data: str = N_("scikit-learn's digits")                            # what it learns from
    measure: str = N_("accuracy")                                      # the held-out number's name
    input: str = "1×32×32, digits 8×8 upsampled to 28 and padded"
    shipped: Callable[[], str] | None = None   # assets/…pt: these weights, trained ahead
    builder: str = "core.architectures.builders:LeNet5Modern"       # (num_classes) → the module


def recipe(spec: TrainedSpec) -> dict[str, Any]:
    """What makes the weights what they are; a shipped file made otherwise is not used."""
    return {"trainer": spec.trainer, "epochs": spec.epochs, "seed": spec.seed, "threads": 1}


def train_entry(entry: "ZooEntry") -> Any:
    """Train ``entry``'s model with its recipe (one thread, deterministic): the last snapshot
    (``.model``, held-out ``.accuracy``, ``.seconds``)."""
    spec: TrainedSpec = entry.spec
    last = None
    for last in resolve(spec.trainer)(epochs=spec.epochs, seed=spec.seed, threads=1):
        pass
    return last


def write_shipped(entry: "ZooEntry", snapshot: Any, path: Path | str, **extra: Any) -> Path:
    """Save ``snapshot``'s weights for ``entry`` as the file its loader reads: a dict with the
    float32 state dict, the recipe and the held-out numbers (plain types only, so it loads with
    ``weights_only=True``)."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in snapshot.model.state_dict().items()}
    meta = {"entry": entry.name, "recipe": recipe(entry.spec), "accuracy": float(snapshot.accuracy),
            "seconds": float(snapshot.seconds), "classes": len(entry.meta.labels), **extra}
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save({"format": FORMAT, "state_dict": state, "meta": meta}, tmp)
    tmp.replace(path)
    return path


def read_shipped(entry: "ZooEntry", path: Path | str) -> tuple[Any, dict[str, Any]]:
    """The entry's module filled from its shipped file, and the file's meta. Raises
    ``FileNotFoundError`` when it is not there, ``ValueError`` (the reason in words) when it
    cannot be used: unreadable, another format or recipe, tensors that do not fit, not finite."""
    import torch

    from ..download import check_file

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path.name} is missing")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unreadable file is "damaged"
        raise ValueError(check_file(path, deep=False) or f"unreadable ({one_line(e)})") from e
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} file")
    meta = blob.get("meta") or {}
    if meta.get("recipe") != recipe(entry.spec):
        raise ValueError(f"made with another recipe ({meta.get('recipe')}, the zoo's is {recipe(entry.spec)})")
    state = blob.get("state_dict")
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise ValueError("no state dict in it")
    if not all(bool(torch.isfinite(v).all()) for v in state.values() if v.is_floating_point()):
        raise ValueError("it holds NaN or infinite weights")
    model = resolve(entry.spec.builder)(len(entry.meta.labels))
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise ValueError(f"its tensors do not fit {type(model).__name__} ({one_line(e)})") from e
    return model, meta


class TrainedLoader(Loader):
    """Weights this project trained (``assets/``, by the recipe in the spec), or trained here on
    first use when that file cannot be used."""
    kind = "trained"
    spec = TrainedSpec

    def _shipped(self, entry: "ZooEntry") -> Path | None:
        return Path(entry.spec.shipped()) if entry.spec.shipped is not None else None

    def _problem(self, entry: "ZooEntry") -> str | None:
        path = self._shipped(entry)
        if path is None:
            return "no bundled file"
        try:
            read_shipped(entry, path)
        except (FileNotFoundError, ValueError) as e:
            return str(e)
        return None

    def prefetch(self, entry: "ZooEntry", **_: Any) -> str:
        problem = self._problem(entry)
        if problem is None:
            return f"trained by this project, bundled ({self._shipped(entry).name})"
        return f"trained on first use (no download; {problem})"

    def cache_state(self, entry: "ZooEntry", **_: Any) -> str:
        path = self._shipped(entry)
        return "bundled (trained here)" if path is not None and path.exists() else "trained here"

    def load(self, entry: "ZooEntry", device: str) -> LoadedModel:
        import torch

        from ...architectures.lenet import to_lenet_input

        spec: TrainedSpec = entry.spec
        path = self._shipped(entry)
        model, problem = None, _("no bundled file")
        if path is not None:
            try:
                model, info = read_shipped(entry, path)
            except (FileNotFoundError, ValueError) as e:
                problem = str(e)
                logging.getLogger("cnnlab").warning("%s: bundled weights not used (%s); training it here",
                                                    entry.name, problem)
        if model is not None:
            accuracy, seconds, source = float(info["accuracy"]), float(info.get("seconds", 0.0)), "bundled"
            provenance = _("bundled: trained by this project (scripts/make_lenet_assets.py, "
                           "assets/{file}; the recipe otherwise trained here on first use): "
                           "LeNet-5 on {data} ({epochs} epochs, seed {seed}), held-out {measure} "
                           "{pct:.1f}%", file=path.name, data=_(spec.data), epochs=spec.epochs,
                           seed=spec.seed, measure=_(spec.measure), pct=accuracy * 100)
        else:
            last = train_entry(entry)
            model, accuracy, seconds, source = last.model, last.accuracy, last.seconds, "trained here"
            where = f"assets/{path.name}" if path is not None else _("a bundled file")
            provenance = _("LeNet-5 on {data} ({epochs} epochs, seed {seed}), trained here on first use "
                           "in {seconds:.0f} s because {where} could not be used ({problem}; `make "
                           "assets` writes it): held-out {measure} {pct:.1f}%", data=_(spec.data),
                           epochs=spec.epochs, seed=spec.seed, seconds=seconds, where=where,
                           problem=problem, measure=_(spec.measure), pct=accuracy * 100)

        def preprocess(image: Any) -> "torch.Tensor":
            """An 8×8 digit array (0..16), or any picture (made gray, 8×8, dark ink → 0..16)."""
            a = np.asarray(image)
            if a.shape != (8, 8):
                from PIL import Image

                from ...images import load_image
                gray = Image.fromarray(load_image(a, max_side=None)).convert("L").resize((8, 8), Image.BILINEAR)
                a = 16.0 * (1.0 - np.asarray(gray, np.float32) / 255.0)
            return to_lenet_input(a).to(device)

        lm = loaded(entry, freeze(model, device), provenance, device=device, preprocess=preprocess,
                    meta={"accuracy": accuracy, "seconds": seconds, "input": spec.input,
                          "source": source, "weights_file": str(path) if path is not None else None})
        if source != "bundled":
            lm.reason = f"bundled weights not used: {problem}"
        return lm
