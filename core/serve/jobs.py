"""The heavy jobs that can run in-process or on a Ray Serve replica, by name.

A job takes plain keyword arguments only (numpy arrays, strings, numbers, lists and dicts of
them; a model by its zoo name, loaded where the job runs with :func:`core.zoo.load`) and returns
the core iterator of :class:`~core.snapshots.Snapshot` objects unchanged. The builders are thin:
they load the model and hand every other keyword to the core function, whose defaults apply.

========== =================================================== ==============================
name       core function                                       required kwargs
========== =================================================== ==============================
dream      :func:`core.dream.dream`                            ``image``
stylize    :func:`core.style.stylize` (Gatys)                  ``style`` (``content`` or None)
texture    :func:`core.style.synthesize_texture`               ``style``
invert     :func:`core.vis.optimise.feature_inversion`         ``image``, ``layer``
classvis   :func:`core.vis.optimise.class_visualization`       ``target``
count      a counter for tests (``n``, ``delay``, ...)         —
========== =================================================== ==============================

Every model-taking job also accepts ``model`` (a zoo name, default ``"imagenet"``) and
``device`` (default: :func:`core.devices.pick_device`). :func:`run` checks the names against the
core function's signature, so a typo is a ``ValueError`` naming the choices before anything runs.
"""
from __future__ import annotations

import inspect
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from ..snapshots import Snapshot
from .wire import plain

REPLICA_ENV = "CNNLAB_SERVE_REPLICA"   # set inside a Serve replica (lets the test jobs crash it)

ModelSource = Callable[[str], Any]     # zoo name → LoadedModel (the app passes its shared cache)


@dataclass(frozen=True)
class Job:
    name: str
    target: str                          # "module:function" of the core function, imported when used
    build: Callable[..., Iterator[Snapshot]]
    required: tuple[str, ...]
    takes_model: bool = True
    summary: str = ""

    def accepted(self) -> list[str]:
        module, attr = self.target.split(":")
        params = inspect.signature(_core(module, attr)).parameters
        names = [n for n, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        return list(dict.fromkeys(names + (["model", "device"] if self.takes_model else [])))


JOBS: dict[str, Job] = {}


def register(job: Job) -> Job:
    JOBS[job.name] = job
    return job


# --------------------------------------------------------------------------- models where the job runs

_MODELS: dict[tuple[str, str], Any] = {}
_MODELS_LOCK = threading.Lock()


def load_model(name: str, device: str | None = None) -> Any:
    """The zoo model ``name`` on ``device``, loaded once per process (a replica keeps its models
    between jobs; read-only, as the zoo's contract says)."""
    from .. import zoo
    from ..devices import pick_device

    key = (str(name), device or pick_device())
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = zoo.load(key[0], device=key[1])
        return _MODELS[key]


def _model(kwargs: dict, models: ModelSource | None) -> Any:
    name = kwargs.pop("model", "imagenet")
    device = kwargs.pop("device", None)
    if not isinstance(name, str):
        raise ValueError("model must be a zoo name such as \"imagenet\" (jobs take plain values).")
    return models(name) if models is not None and device is None else load_model(name, device)


# --------------------------------------------------------------------------- the jobs


def _core(module: str, attr: str) -> Callable[..., Any]:
    import importlib

    return getattr(importlib.import_module(module, __package__), attr)


def _dream(kw: dict, models: ModelSource | None) -> Iterator[Snapshot]:
    lm = _model(kw, models)
    return _core("..dream", "dream")(kw.pop("image"), lm, **kw)


def _stylize(kw: dict, models: ModelSource | None) -> Iterator[Snapshot]:
    lm = _model(kw, models)
    return _core("..style", "stylize")(kw.pop("content", None), kw.pop("style"), lm, **kw)


def _texture(kw: dict, models: ModelSource | None) -> Iterator[Snapshot]:
    lm = _model(kw, models)
    return _core("..style", "synthesize_texture")(kw.pop("style"), lm, **kw)


def _invert(kw: dict, models: ModelSource | None) -> Iterator[Snapshot]:
    lm = _model(kw, models)
    return _core("..vis.optimise", "feature_inversion")(lm, kw.pop("image"), kw.pop("layer"), **kw)


def _classvis(kw: dict, models: ModelSource | None) -> Iterator[Snapshot]:
    lm = _model(kw, models)
    return _core("..vis.optimise", "class_visualization")(lm, kw.pop("target"), **kw)


def count(n: int = 5, delay: float = 0.0, fail_at: int | None = None, die_at: int | None = None,
          die_once: str | None = None, size: int = 8) -> Iterator[Snapshot]:
    """A job for tests and for checking a deployment: ``n`` snapshots ``delay`` seconds apart,
    step i with loss i and an i-grey ``size``² picture; ``info["pid"]`` is the process that ran
    it. ``fail_at``: raise ``ValueError`` at that step. ``die_at``: end the process at that step
    (only on a Serve replica); with ``die_once`` (a file path) only when that file does not exist
    yet (it is created first), so a retry runs through."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or not 0 <= n <= 100_000:
        raise ValueError(f"n must be a whole number between 0 and 100000, not {n!r}.")
    if not isinstance(delay, (int, float)) or not 0 <= delay <= 60:
        raise ValueError(f"delay must be between 0 and 60 seconds, not {delay!r}.")
    if die_at is not None and not os.environ.get(REPLICA_ENV):
        raise ValueError("die_at ends the process: it only runs on a Serve replica.")
    return _count(int(n), float(delay), fail_at, die_at, die_once, int(size))


def _count(n, delay, fail_at, die_at, die_once, size) -> Iterator[Snapshot]:
    for i in range(1, n + 1):
        if delay:
            time.sleep(delay)
        if fail_at is not None and i == fail_at:
            raise ValueError(f"count failed at step {i}, as asked (fail_at={fail_at}).")
        if die_at is not None and i == die_at:
            marker = Path(die_once) if die_once else None
            if marker is None or not marker.exists():
                if marker is not None:
                    marker.write_text(str(os.getpid()))
                os._exit(17)                      # a replica crash: no cleanup, no reply
        yield Snapshot(step=i, total=n, loss=float(i), image=np.full((size, size, 3), i % 256, np.uint8),
                       info={"pid": os.getpid()})


for _job in (
    Job("dream", "..dream:dream", _dream, ("image",), summary="DeepDream"),
    Job("stylize", "..style:stylize", _stylize, ("style",), summary="Gatys style transfer"),
    Job("texture", "..style:synthesize_texture", _texture, ("style",),
        summary="texture synthesis from Gram matrices"),
    Job("invert", "..vis.optimise:feature_inversion", _invert, ("image", "layer"),
        summary="feature inversion"),
    Job("classvis", "..vis.optimise:class_visualization", _classvis, ("target",),
        summary="class visualization"),
    Job("count", ".jobs:count", lambda kw, models: count(**kw), (), takes_model=False,
        summary="a test counter"),
):
    register(_job)


def check(name: str, kwargs: Mapping[str, Any] | None) -> dict:
    """``kwargs`` as a fresh dict, after checking that ``name`` is a job, every keyword is one
    the job takes, the required ones are there and every value is plain data."""
    if name not in JOBS:
        raise ValueError(f"There is no job {name!r}; the jobs are {', '.join(sorted(JOBS))}.")
    job = JOBS[name]
    kw = dict(kwargs or {})
    plain(kw, f"{name} kwargs")
    accepted = job.accepted()
    unknown = [k for k in kw if k not in accepted]
    if unknown:
        raise ValueError(f"The {name} job takes no {', '.join(map(repr, unknown))}; it takes "
                         f"{', '.join(accepted)}.")
    missing = [k for k in job.required if k not in kw]
    if missing:
        raise ValueError(f"The {name} job needs {', '.join(map(repr, missing))}.")
    return kw


def run(name: str, kwargs: Mapping[str, Any] | None = None, *, models: ModelSource | None = None
        ) -> Iterator[Snapshot]:
    """Start job ``name`` here, in this process: the core iterator of snapshots. ``models``: how
    to get a model by zoo name (the app passes its shared cache; default :func:`load_model`)."""
    kw = check(name, kwargs)
    return JOBS[name].build(kw, models)


# --------------------------------------------------------------------------- batched classification


def probabilities(lm: Any, images: Sequence[np.ndarray]) -> np.ndarray:
    """Softmax probabilities (N × classes, float32) of a zoo classifier for RGB uint8 pictures, in
    one forward pass: each picture through the model's own preprocessing, stacked."""
    import torch

    if not images:
        return np.zeros((0, len(lm.labels)), np.float32)
    if lm.task != "classification" or lm.preprocess is None:
        raise ValueError(f"{lm.title} is a {lm.task} model, not a classifier.")
    for i, im in enumerate(images):
        a = np.asarray(im)
        if a.ndim != 3 or a.shape[2] != 3 or a.dtype != np.uint8 or min(a.shape[:2]) < 1:
            raise ValueError(f"Picture {i + 1} is not an RGB picture (H×W×3, uint8).")
    x = torch.cat([lm.preprocess(np.asarray(im)) for im in images])
    with lm.lock, torch.inference_mode():
        return torch.softmax(lm.model(x), dim=1).float().cpu().numpy()


def top(probs: np.ndarray, labels: Sequence[str], k: int = 5) -> list[tuple[int, str, float]]:
    """(class index, label, probability) of the ``k`` most probable classes, as
    :meth:`core.zoo.LoadedModel.classify` gives them."""
    order = np.argsort(-probs, kind="stable")[:k]
    return [(int(i), labels[int(i)] if int(i) < len(labels) else str(int(i)), float(probs[i])) for i in order]
