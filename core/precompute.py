"""Slow results prepared ahead, so nothing in a talk waits on a progress bar.

``cnnlab precompute`` runs the demos a lecturer is likely to show (the classic DeepDream on the
bundled samples, low and high layer) and stores each result under
``$CNNLAB_HOME/precomputed/``, keyed by the exact input picture and settings. A page asks
:func:`load` with the picture and settings it is about to run; when the same run was prepared,
it shows the stored result at once (and says so) instead of computing it again.
"""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from .zoo import cnnlab_home


def store_dir() -> Path:
    return cnnlab_home() / "precomputed"


def fingerprint(kind: str, params: dict[str, Any], image: np.ndarray) -> str:
    """A stable key for (what, settings, picture): the same run gives the same key."""
    h = hashlib.sha256()
    h.update(kind.encode())
    h.update(json.dumps(params, sort_keys=True, default=str).encode())
    h.update(str(image.shape).encode())
    h.update(np.ascontiguousarray(image).tobytes())
    return h.hexdigest()[:24]


def save(kind: str, params: dict[str, Any], image: np.ndarray, result: dict[str, Any]) -> Path:
    """Store ``result``: arrays, lists of arrays (``frames``) and JSON-able values."""
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {"kind": kind, "params": params, "created": time.time(), "values": {}}
    for k, v in result.items():
        if isinstance(v, np.ndarray):
            arrays[f"a:{k}"] = v
        elif isinstance(v, list) and v and all(isinstance(x, np.ndarray) for x in v):
            for i, x in enumerate(v):
                arrays[f"l:{k}:{i:04d}"] = x
        else:
            meta["values"][k] = v
    path = store_dir() / f"{kind}-{fingerprint(kind, params, image)}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".part.npz")
    np.savez_compressed(tmp, __meta__=np.frombuffer(json.dumps(meta, default=str).encode(), np.uint8),
                        **arrays)
    tmp.replace(path)
    return path


def load(kind: str, params: dict[str, Any], image: np.ndarray) -> dict[str, Any] | None:
    """The prepared result for exactly this run, or None."""
    path = store_dir() / f"{kind}-{fingerprint(kind, params, image)}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path) as z:
            meta = json.loads(bytes(z["__meta__"]).decode())
            out: dict[str, Any] = dict(meta["values"])
            lists: dict[str, list[tuple[int, np.ndarray]]] = {}
            for name in z.files:
                if name.startswith("a:"):
                    out[name[2:]] = z[name]
                elif name.startswith("l:"):
                    _, key, idx = name.split(":")
                    lists.setdefault(key, []).append((int(idx), z[name]))
            for key, items in lists.items():
                out[key] = [a for _, a in sorted(items, key=lambda t: t[0])]
    except Exception:  # noqa: BLE001 - a damaged cache file is ignored, not fatal
        return None
    out["prepared"] = True
    return out


# --------------------------------------------------------------------------- jobs

DREAM_SIDE = 384
DREAM_SAMPLES = ("china", "rocket")


def dream_params(settings: dict[str, Any], model_name: str) -> dict[str, Any]:
    """The part of a dream's settings that decides its result (the key the page uses too)."""
    keep = ("layers", "steps", "step_size", "octaves", "octave_scale", "jitter", "tile_size", "seed")
    return {**{k: settings[k] for k in keep}, "model": model_name}


def run_dream_recorded(image: np.ndarray, lm: Any, settings: dict[str, Any],
                       frames_every: int | None = None) -> tuple[Iterator[Any], dict[str, Any]]:
    """Start a dream (bad settings raise ``ValueError`` now) and return its snapshot iterator
    with a record that fills as it runs: GIF ``frames`` (every few steps and at each octave's
    end), ``losses`` as (step, octave, objective), and the ``last`` snapshot. The page and
    :func:`run` share it, so a prepared dream equals the one the page would compute."""
    from . import dream as dd

    steps = settings["steps"]
    every = frames_every or max(1, steps // 4)
    snapshots = dd.dream(image, lm, **settings, snapshot_every=1)
    record: dict[str, Any] = {"frames": [image], "losses": [], "last": None}

    def recorded() -> Iterator[Any]:
        for snap in snapshots:
            record["losses"].append((snap.step, snap.info["octave"], snap.loss))
            if snap.image is not None and (snap.info["octave_step"] % every == 0
                                           or snap.info["octave_step"] == steps):
                record["frames"].append(snap.image)
            record["last"] = snap
            yield snap
    return recorded(), record


def _dream_jobs(lm: Any) -> list[tuple[str, dict[str, Any]]]:
    from . import dream as dd
    from . import zoo

    classic = dd.preset(lm)
    base = dict(layers=classic["layers"], steps=classic["steps"], step_size=classic["step_size"],
                octaves=classic["octaves"], octave_scale=classic["octave_scale"],
                jitter=classic["jitter"], tile_size=512, seed=0)
    layers = [classic["layers"]]
    entry = zoo.ENTRIES.get(lm.name)
    low = entry.meta.layers.low if entry is not None and entry.meta.layers else None
    if low and low not in layers:
        layers.append(low)
    return [(name, {**base, "layers": layer}) for name in DREAM_SAMPLES for layer in layers]


def run(names: list[str] | None = None, progress: Callable[[str], None] | None = None,
        device: str = "cpu") -> dict[str, str]:
    """Prepare every demo (or only kinds in ``names``, e.g. ["deepdream"]). Returns a report."""
    from . import zoo
    from .images import load_sample, resize_max

    say = progress or (lambda _m: None)
    report: dict[str, str] = {}
    if names is None or "deepdream" in names:
        lm = zoo.load("imagenet", device=device)
        for sample, settings in _dream_jobs(lm):
            image = resize_max(load_sample(sample, max_side=2048), DREAM_SIDE)
            params = dream_params(settings, lm.name)
            label = f"deepdream {sample} {settings['layers']}"
            if load("deepdream", params, image) is not None:
                report[label] = "already prepared"
                continue
            t0 = time.perf_counter()
            snapshots, record = run_dream_recorded(image, lm, settings)
            for snap in snapshots:
                if snap.step % 10 == 0:
                    say(f"{label}: step {snap.step}/{snap.total}")
            last = record["last"]
            seconds = time.perf_counter() - t0
            save("deepdream", params, image, dict(
                image=last.image, frames=record["frames"], losses=record["losses"],
                layer=settings["layers"], step=last.step, total=last.total, seconds=seconds,
                stopped=False))
            report[label] = f"prepared in {seconds:.0f} s"
    return report
