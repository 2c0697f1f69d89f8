"""Slow results prepared ahead, so the first click on a slow view always shows something.

Like Gradio's ``cache_examples``: every slow view of the lab (DeepDream, low vs high layer, class
visualization, feature inversion, saliency with occlusion and SmoothGrad, texture synthesis,
style transfer, the β sweep) is one :class:`Job` in :data:`JOBS`, which says how the page
computes it — the same ``core`` call with the same settings, through :func:`start` and
:func:`finish` — and what its default picture and settings are.

A result is stored under ``{kind}-{fingerprint}.npz``, keyed by the exact picture(s), the model
and every setting (:func:`key`), so it is never shown for anything else. :func:`load` looks in
the user's store ``$CNNLAB_HOME/precomputed/`` (filled by ``cnnlab precompute``) and then in
``assets/prepared/`` (shipped with the lab, written by ``scripts/make_prepared_assets.py``), so
a fresh clone sees the default results at once, offline. A page asks :func:`current` what to
show: its own run when that matches the present inputs, else the prepared result for them,
else its own run marked stale.
"""
from __future__ import annotations

import copy
import errno
import hashlib
import io
import json
import numbers
import os
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from .i18n import N_
from .snapshots import Snapshot
from .zoo import cnnlab_home

SHIPPED = Path(__file__).resolve().parents[1] / "assets" / "prepared"
SHIPPED_FRAMES = 6            # a shipped result keeps at most this many GIF frames ...
SHIPPED_FRAME_SIDE = 192      # ... at most this many pixels on the longer side


def store_dir() -> Path:
    """The user's own store (``cnnlab precompute``)."""
    return cnnlab_home() / "precomputed"


def shipped_dir() -> Path:
    """The results that ship with the lab (``make assets``)."""
    return SHIPPED


# --------------------------------------------------------------------------- keys

def _canon(v: Any) -> Any:
    """Settings as plain JSON, the same for equal values whatever their Python type
    (1 == 1.0 == np.int64(1); tuples are lists; arrays by their content)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.ndarray):
        a = np.ascontiguousarray(v)
        return {"array": list(a.shape), "dtype": str(a.dtype),
                "sha256": hashlib.sha256(a.tobytes()).hexdigest()[:24]}
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        f = float(v)
        return int(f) if f.is_integer() and abs(f) < 2 ** 53 else f
    if isinstance(v, dict):
        return {str(k): _canon(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
    if isinstance(v, (list, tuple)):
        return [_canon(x) for x in v]
    return str(v)


def _pictures(image: Any) -> list[np.ndarray | None]:
    if image is None:
        return []
    if isinstance(image, np.ndarray):
        return [image]
    return [None if a is None else np.asarray(a) for a in image]


def fingerprint(kind: str, params: dict[str, Any], image: Any) -> str:
    """A stable key for (what, settings, picture(s)): the same run gives the same key.
    ``image``: one array, several (content and style), or None (a view with no picture)."""
    h = hashlib.sha256()
    h.update(kind.encode())
    h.update(json.dumps(_canon(params), sort_keys=True).encode())
    for a in _pictures(image):
        if a is None:                 # one of several pictures not chosen yet
            h.update(b"no picture")
            continue
        a = np.ascontiguousarray(a)
        h.update(f"{a.shape}{a.dtype}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:24]


def model_name(model: Any) -> str:
    return model if isinstance(model, str) else model.name


def key_params(kind: str, model: Any, settings: dict[str, Any]) -> dict[str, Any]:
    """What a result depends on besides its picture: the model, the job's version, the settings."""
    job = JOBS.get(kind)
    return {"model": model_name(model), "version": job.version if job else 1, "settings": settings}


def key(kind: str, model: Any, settings: dict[str, Any], picture: Any) -> str:
    """The fingerprint of one run of a view: picture(s), model and settings."""
    return fingerprint(kind, key_params(kind, model, settings), picture)


# --------------------------------------------------------------------------- storage

def _png(a: np.ndarray) -> np.ndarray:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "PNG", optimize=True)
    return np.frombuffer(buf.getvalue(), np.uint8)


def _unpng(b: np.ndarray) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(b.tobytes())))


def _is_picture(a: np.ndarray) -> bool:
    return a.dtype == np.uint8 and (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4)))


def _is_map(a: np.ndarray) -> bool:
    return a.ndim == 2 and a.dtype.kind == "f" and a.size > 0 and 0 <= float(a.min()) \
        and float(a.max()) <= 1


def _encode(name: str, a: np.ndarray, compact: bool) -> tuple[str, np.ndarray]:
    """(tag, stored array): raw ("a"), a PNG picture ("p") or a [0, 1] map as 8-bit PNG ("q")."""
    if compact and _is_picture(a):
        return "p", _png(a)
    if compact and _is_map(a):
        return "q", _png(np.round(a * 255).astype(np.uint8))
    return "a", a


def _decode(tag: str, a: np.ndarray) -> np.ndarray:
    if tag == "p":
        return _unpng(a)
    if tag == "q":
        return _unpng(a).astype(np.float32) / 255
    return a


def _thin(frames: list[np.ndarray]) -> list[np.ndarray]:
    """At most :data:`SHIPPED_FRAMES` frames (first and last kept), downscaled for a small GIF."""
    from .images import resize_max

    if len(frames) > SHIPPED_FRAMES:
        idx = np.linspace(0, len(frames) - 1, SHIPPED_FRAMES).round().astype(int)
        frames = [frames[i] for i in dict.fromkeys(idx.tolist())]
    return [resize_max(f, SHIPPED_FRAME_SIDE) if _is_picture(f) and f.ndim == 3 else f for f in frames]


def _json(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return str(v)


def save(kind: str, params: dict[str, Any], image: Any, result: dict[str, Any],
         folder: Path | None = None, compact: bool = False) -> Path:
    """Store ``result``: arrays, lists of arrays and JSON-able values, in ``folder`` (default the
    user's store). ``compact`` (the shipped results): pictures as PNG, [0, 1] maps as 8-bit PNG,
    ``frames`` thinned and downscaled."""
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {"kind": kind, "params": _canon(params), "created": time.time(), "values": {}}
    for k, v in result.items():
        if isinstance(v, np.ndarray):
            tag, a = _encode(k, v, compact)
            arrays[f"{tag}:{k}"] = a
        elif isinstance(v, list) and v and all(isinstance(x, np.ndarray) for x in v):
            items = _thin(v) if compact and k == "frames" else v
            for i, x in enumerate(items):
                tag, a = _encode(k, x, compact)
                arrays[f"{tag}:{k}:{i:04d}"] = a
        else:
            meta["values"][k] = v
    path = (folder or store_dir()) / f"{kind}-{fingerprint(kind, params, image)}.npz"
    tmp = path.with_name(path.stem + ".part.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(tmp, __meta__=np.frombuffer(json.dumps(meta, default=_json).encode(),
                                                        np.uint8), **arrays)
        tmp.replace(path)  # readers see the whole file or none
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise StoreFull(path.parent, path.name, e) if e.errno == errno.ENOSPC else \
            OSError(e.errno, f"could not write the prepared result {path.name} in {path.parent}: "
                             f"{e.strerror or e}") from e
    return path


class StoreFull(OSError):
    """No space left where prepared results are written; nothing was left half-written."""

    def __init__(self, folder: Path, name: str, cause: OSError | None = None) -> None:
        super().__init__(errno.ENOSPC, f"no space left on the disk of {folder} for the prepared "
                                       f"result {name}; free some space there or set CNNLAB_HOME "
                                       "to another folder (nothing was left half-written)")
        self.folder = folder
        if cause is not None:
            self.__cause__ = cause

    def __str__(self) -> str:
        return str(self.strerror)


@lru_cache(maxsize=64)
def _read(path: str, mtime_ns: int, size: int) -> dict[str, Any] | None:
    """One stored file, decoded (cached while the file is unchanged)."""
    try:
        with np.load(path) as z:
            meta = json.loads(bytes(z["__meta__"]).decode())
            out: dict[str, Any] = dict(meta["values"])
            lists: dict[str, list[tuple[int, np.ndarray]]] = {}
            for name in z.files:
                parts = name.split(":")
                if len(parts) == 2:
                    out[parts[1]] = _decode(parts[0], z[name])
                elif len(parts) == 3:
                    tag = "a" if parts[0] == "l" else parts[0]
                    lists.setdefault(parts[1], []).append((int(parts[2]), _decode(tag, z[name])))
            for k, items in lists.items():
                out[k] = [a for _, a in sorted(items, key=lambda t: t[0])]
    except Exception:  # noqa: BLE001 - a damaged file is ignored, not fatal
        return None
    return out


def read_file(path: Path) -> dict[str, Any] | None:
    """One stored result file as it is (None when it cannot be read)."""
    st = Path(path).stat()
    return _read(str(path), st.st_mtime_ns, st.st_size)


def load(kind: str, params: dict[str, Any], image: Any) -> dict[str, Any] | None:
    """The prepared result for exactly this run (user store first, then the shipped ones), or
    None. It carries ``prepared=True`` and ``prepared_in`` ("store" or "shipped")."""
    name = f"{kind}-{fingerprint(kind, params, image)}.npz"
    for where, folder in (("store", store_dir()), ("shipped", shipped_dir())):
        path = folder / name
        try:
            st = path.stat()
        except OSError:
            continue
        got = _read(str(path), st.st_mtime_ns, st.st_size)
        if got is not None:
            out = {k: list(v) if isinstance(v, list) else v for k, v in got.items()}
            out.update(prepared=True, prepared_in=where)
            return out
    return None


def find(kind: str, model: Any, settings: dict[str, Any], picture: Any) -> dict[str, Any] | None:
    """The prepared result of one view for this model, these settings and this picture."""
    res = load(kind, key_params(kind, model, settings), picture)
    if res is not None:
        res["key"] = key(kind, model, settings, picture)
    return res


# --------------------------------------------------------------------------- running a job

@dataclass
class Record:
    """What a run went through, filled while it runs: the last snapshot, one row per snapshot,
    the GIF frames, the seconds so far, and anything the job keeps (``extra``)."""
    last: Any = None
    rows: list = field(default_factory=list)
    frames: list = field(default_factory=list)
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)
    done: bool = False
    shared: str = ""                  # "join" / "replay": another visitor's run (``start(share=True)``)


def _row(snap: Any) -> dict:
    info = getattr(snap, "info", {}) or {}
    return {"step": snap.step, "total": snap.loss,
            **{k: v for k, v in info.items() if isinstance(v, float)}}


def _has_image(settings: dict, snap: Any) -> bool:
    return snap.image is not None


@dataclass(frozen=True)
class Job:
    """One slow view: how its page computes a result and what it starts with.

    ``static``: the page's default settings that depend on nothing (pages use them as their
    widgets' defaults); ``dynamic(model, picture)``: the defaults that depend on the model or the
    picture; ``picture(model)``: the default picture(s), exactly as the page passes them;
    ``run(model, picture, settings, record, **opts)``: the snapshots — the same ``core`` call the
    page makes; ``finish(model, picture, settings, record)``: the result the page shows.
    ``frame(settings, snap)``: which pictures to keep as GIF frames (None: none);
    ``variants(model)``: more (label, picture, settings, shipped) that ``cnnlab precompute``
    prepares. Bump ``version`` when the computation changes, so old results are not shown."""
    kind: str
    view: str
    button: str
    static: dict
    dynamic: Callable[[Any, Any], dict]
    picture: Callable[[Any], Any]
    run: Callable[..., Iterator]
    finish: Callable[[Any, Any, dict, Record], dict]
    frame: Callable[[dict, Any], bool] | None = _has_image
    row: Callable[[Any], Any] = _row
    variants: Callable[[Any], list] | None = None
    version: int = 1
    about: str = ""                   # the default picture, in words (for the assets' card)

    def defaults(self, model: Any, picture: Any = None) -> dict:
        return {**copy.deepcopy(self.static), **self.dynamic(model, picture)}


def defaults(kind: str, model: Any, picture: Any = None) -> dict:
    """The page's default settings of one view, for this model (and picture)."""
    return JOBS[kind].defaults(model, picture)


def start(kind: str, model: Any, picture: Any, settings: dict, *, share: bool = False,
          **opts: Any) -> tuple[Iterator, Record]:
    """Start one view's computation (bad settings raise ``ValueError`` now where ``core`` checks
    them up front): its snapshot iterator and the :class:`Record` that fills as it runs. The page
    draws the iterator (``dashboard.jobs.follow``); :func:`compute` runs it to the end.

    ``share=True``: the run is computed once for everyone asking for the same picture, model,
    device and settings (``core.jobs.shared``): the first caller computes it, callers while it
    runs follow its snapshots, later callers get them replayed; each caller's record ends up the
    leader's. The iterator is a ``core.jobs.Stream`` whose ``role`` says which it was."""
    from . import jobs

    job = JOBS[kind]
    rec = Record()

    def run() -> Iterator:
        return _recorded(job, settings, job.run(model, picture, settings, rec, **opts), rec)

    if not share or os.environ.get("CNNLAB_SHARE", "1").strip() == "0":    # the operator's off switch
        return jobs.Stream(run(), "own"), rec
    k = ("precompute", key(kind, model, settings, picture), str(getattr(model, "device", "")),
         tuple(sorted((n, repr(v)) for n, v in opts.items())))
    role, it, lead = jobs.shared().open(k, run, payload=rec)
    if role == "lead":
        return jobs.Stream(it, role), rec
    return jobs.Stream(_followed(job, settings, it, rec, lead, role), role), rec


def _recorded(job: "Job", settings: dict, snapshots: Iterable, rec: Record) -> Iterator:
    t0 = time.perf_counter()
    for snap in snapshots:
        if snap is None:              # a shared run's heartbeat while its leader computes
            yield snap
            continue
        rec.last = snap
        rec.rows.append(job.row(snap))
        if job.frame is not None and snap.image is not None and job.frame(settings, snap):
            rec.frames.append(snap.image)
        rec.seconds = time.perf_counter() - t0
        yield snap
    rec.done = True


def _followed(job: "Job", settings: dict, snapshots: Iterable, rec: Record, lead: Record,
              role: str) -> Iterator:
    """Another caller's run as it passes (recorded here too, for a stop part-way), and at its end
    that caller's record: the same rows, frames, extras and seconds."""
    yield from _recorded(job, settings, snapshots, rec)
    rec.last, rec.rows, rec.frames = lead.last, list(lead.rows), list(lead.frames)
    rec.seconds, rec.extra, rec.done = lead.seconds, dict(lead.extra), lead.done
    rec.shared = role


def finish(kind: str, model: Any, picture: Any, settings: dict, rec: Record) -> dict:
    """The result of a finished run, as the page keeps it: the job's values plus ``seconds``,
    ``stopped`` and ``key`` (what it was made from, to tell when it no longer matches)."""
    res = JOBS[kind].finish(model, picture, settings, rec)
    res.update(seconds=rec.seconds, stopped=not rec.done, key=key(kind, model, settings, picture),
               shared=rec.shared)
    return res


def compute(kind: str, model: Any, picture: Any, settings: dict, **opts: Any) -> dict:
    """Run one view's computation to the end, outside any page."""
    snapshots, rec = start(kind, model, picture, settings, **opts)
    for _ in snapshots:
        pass
    return finish(kind, model, picture, settings, rec)


@dataclass
class Current:
    """What a view shows: ``result`` and its ``state`` — "computed" (this session's run, for the
    present inputs), "prepared" (made ahead for them), "stale" (this session's run, made from
    other inputs) or None (nothing yet)."""
    result: dict | None
    state: str | None
    button: str

    @property
    def tail(self) -> str:
        """For the picture's caption."""
        return f" · prepared ahead — press {self.button} to compute it now" \
            if self.state == "prepared" else ""

    @property
    def note(self) -> str | None:
        """For a caption under a row of pictures."""
        return f"Prepared ahead — press **{self.button}** to compute it now." \
            if self.state == "prepared" else self.stale_note

    @property
    def stale_note(self) -> str | None:
        if self.state != "stale":
            return None
        return (f"The picture, model or settings changed since this result — press **{self.button}** "
                "to compute it for them.")


def current(kind: str, model: Any, settings: dict, picture: Any, mine: dict | None) -> Current:
    """What one view should show for these inputs, given this session's own result ``mine``."""
    button = JOBS[kind].button
    k = key(kind, model, settings, picture)
    if mine is not None and mine.get("key") == k:
        return Current(mine, "computed", button)
    found = find(kind, model, settings, picture)
    if found is not None:
        return Current(found, "prepared", button)
    return Current(mine, "stale" if mine is not None else None, button)


# --------------------------------------------------------------------------- the views

# Each view's default picture and settings are the page's own (the page takes its widget defaults
# from ``static`` and ``dynamic``); ``tests/test_precompute.py`` opens every view with them and
# checks that the shipped result is shown.

DREAM_SIDE = 384                 # the DeepDream page's default processing size
DREAM_SAMPLES = ("china", "rocket")
INSIDE_SAMPLE, INSIDE_SIDE = "chelsea", 1024       # the Inside page's default picture
INVERSION_SIDE = 128
TEXTURE_PATTERN, STYLE_PATTERN, CONTENT_SAMPLE = "dots", "mosaic", "chelsea"
THREADED = ("texture", "transfer", "sweep")      # jobs that take ``threads=`` (torch CPU threads)


def _dream_picture(name: str = "china") -> np.ndarray:
    from .images import load_sample, resize_max

    return resize_max(load_sample(name, max_side=2048), DREAM_SIDE)


def _dream_defaults(model: Any, picture: Any) -> dict:
    from . import dream as dd

    c = dd.preset(model)
    return dict(layers=c["layers"], steps=c["steps"], step_size=c["step_size"], octaves=c["octaves"],
                octave_scale=c["octave_scale"], jitter=c["jitter"])


def _dream_low(model: Any) -> str | None:
    from .vis import ascent as A

    return A.LOW_LAYER.get(model_name(model))


def _dream_variants(model: Any) -> list:
    """The low layer on the default picture (Low vs high layer; shipped), and both layers on the
    rocket (the other picture that tab suggests; ``cnnlab precompute`` only)."""
    job = JOBS["deepdream"]
    low, out = _dream_low(model), []
    for name in DREAM_SAMPLES:
        pic = _dream_picture(name)
        base = job.defaults(model, pic)
        if name != DREAM_SAMPLES[0]:
            out.append((f"{name} {base['layers']}", pic, base, False))
        if low and low != base["layers"]:
            out.append((f"{name} {low}", pic, {**base, "layers": low}, name == DREAM_SAMPLES[0]))
    return out


def _served(name: str, model: Any, **kwargs: Any) -> Iterator | None:
    """The job on the Ray Serve deployments when ``CNNLAB_JOBS`` names them (``cnnlab serve``),
    else None (run here). Only a zoo model can go there, by its name: a visitor's own model
    lives in their session on this server."""
    from .serve import client

    if client.endpoint() is None or getattr(model, "meta", {}).get("kind") == "own" \
            or str(getattr(model, "name", "")).startswith("own-"):
        return None
    return client.stream(name, {**kwargs, "model": model.name})


def _dream_run(model, picture, settings, rec, **_):
    from . import dream as dd

    snapshots = _served("dream", model, image=picture, **settings, snapshot_every=1) \
        or dd.dream(picture, model, **settings, snapshot_every=1)
    rec.frames.append(picture)
    return snapshots


def _dream_frame(settings: dict, snap: Any) -> bool:
    """Every quarter of an octave and at each octave's end."""
    every = max(1, settings["steps"] // 4)
    return snap.info["octave_step"] % every == 0 or snap.info["octave_step"] == settings["steps"]


def _dream_finish(model, picture, settings, rec) -> dict:
    last = rec.last
    return dict(image=last.image, frames=rec.frames, losses=[tuple(r) for r in rec.rows],
                layer=settings["layers"], step=last.step, total=last.total)


def _class_name(model: Any, i: int) -> str:
    labels = getattr(model, "labels", None) or []
    return f"{i} {labels[i]}" if i < len(labels) else str(i)


def _classvis_run(model, picture, s, rec, **_):
    from .vis import optimise as O

    return O.class_visualization(model, int(s["target"]), layer=s["layer"], steps=s["steps"],
                                 size=s["size"], step_size=s["step_size"], l2=s["l2"], tv=s["tv"],
                                 blur=(s["blur"], s["blur"] / 2), roll=s["roll"], init=s["init"])


def _classvis_finish(model, picture, s, rec) -> dict:
    from .vis import attribution as T
    from .vis import optimise as O

    img, target = rec.last.image, int(s["target"])
    return dict(image=img, start=rec.last.info.get("start"),
                end=O.objective_value(model, img, target, s["layer"]),
                top=[list(t) for t in T.top_classes(model, img, 5)],
                what=_class_name(model, target) if s["layer"] is None else f"{s['layer']} channel {target}")


def _inside_picture(model: Any) -> np.ndarray:
    from .images import load_sample

    return load_sample(INSIDE_SAMPLE, max_side=INSIDE_SIDE)


def _classvis_defaults(model: Any, picture: Any = None) -> dict:
    """The page's defaults: ``core.vis.optimise``'s, aimed at its first preset for this model."""
    from .vis import optimise as O

    d = dict(O.CLASSVIS_DEFAULTS)
    first = next(iter(O.presets(model)), None)
    if first is None:
        d["target"] = 0
    else:
        d.update(target=first.target, layer=first.layer, step_size=first.step_size)
    return d


def _inversion_defaults(model: Any, picture: Any = None) -> dict:
    from .vis import optimise as O

    return {**O.INVERSION_DEFAULTS, "layers": O.inversion_layers(model)}


def _inversion_picture(model: Any) -> np.ndarray:
    from .vis import features as Fe

    return Fe.prepare(_inside_picture(model), INVERSION_SIDE)


def _inversion_run(model, picture, s, rec, **_):
    """One layer after the other, as one run: ``info["layer"]`` says which."""
    from .vis import optimise as O

    layers, steps = list(s["layers"]), s["steps"]
    total = len(layers) * steps
    rec.extra.update(layers=[], images=[], losses=[])

    def chained():
        for i, lay in enumerate(layers):
            for snap in O.feature_inversion(model, picture, lay, steps=steps, tv=s["tv"]):
                if snap.step == steps:
                    rec.extra["layers"].append(lay)
                    rec.extra["images"].append(snap.image)
                    rec.extra["losses"].append(float(snap.loss))
                yield Snapshot(i * steps + snap.step, total, snap.loss, snap.image,
                               {**snap.info, "layer": lay})
    return chained()


def _inversion_finish(model, picture, s, rec) -> dict:
    return dict(pic=picture, **{k: list(v) for k, v in rec.extra.items()})


def _saliency_picture(model: Any) -> np.ndarray:
    return model.prepare(_inside_picture(model))


def _saliency_target(model: Any, picture: Any) -> dict:
    from .vis import attribution as T

    return {"target": T.top_classes(model, picture, 1)[0][0]} if picture is not None else {}


def _saliency_run(model, picture, s, rec, **_):
    """One method after the other (one call shape); each snapshot carries its attribution."""
    from .vis import attribution as T

    methods = list(s["methods"])
    opts = {"occlusion": dict(window=s["window"], stride=s["stride"]),
            "smoothgrad": dict(samples=s["samples"])}
    rec.extra.update(methods=[], maps=[], method_seconds=[])

    def each():
        for i, m in enumerate(methods):
            r = T.explain(m, model, picture, int(s["target"]), **opts.get(m, {}))
            rec.extra["methods"].append(m)
            rec.extra["maps"].append(r.map)
            rec.extra["method_seconds"].append(r.seconds)
            yield Snapshot(i + 1, len(methods), None, None, {"method": T.METHODS[m]})
    return each()


def _saliency_finish(model, picture, s, rec) -> dict:
    from .vis import attribution as T

    guided = T.guided_backprop_rgb(model, picture, int(s["target"])) \
        if "guided_backprop" in rec.extra["methods"] else None
    out = dict(pic=picture, target=int(s["target"]), **{k: list(v) for k, v in rec.extra.items()})
    if guided is not None:
        out["guided"] = guided
    return out


def _style_layers(model: Any, picture: Any = None) -> dict:
    from . import style as S

    t = S.loss_layers(model)
    return {"style_layers": list(t.default_style), "content_layer": t.content_label}


def _texture_picture(model: Any) -> np.ndarray:
    from . import style as S

    return S.procedural_style(TEXTURE_PATTERN, 256)


def _texture_run(model, picture, s, rec, threads=None, **_):
    from . import style as S

    return _served("texture", model, style=picture, size=s["size"], style_layers=s["style_layers"],
                   steps=s["steps"], tv_weight=s["tv_weight"], snapshot_every=5) \
        or S.synthesize_texture(picture, model, s["size"], style_layers=s["style_layers"],
                                steps=s["steps"], tv_weight=s["tv_weight"], snapshot_every=5,
                                threads=threads)


def _texture_finish(model, picture, s, rec) -> dict:
    return dict(image=rec.last.image, rows=rec.rows, steps=rec.last.step, layers=list(s["style_layers"]))


def _transfer_picture(model: Any) -> tuple[np.ndarray, np.ndarray]:
    from . import style as S
    from .images import load_sample

    return load_sample(CONTENT_SAMPLE, max_side=1024), S.procedural_style(STYLE_PATTERN, 256)


def _transfer_run(model, picture, s, rec, threads=None, **_):
    from . import style as S

    content, style = picture
    return _served("stylize", model, content=content, style=style, **s, snapshot_every=5) \
        or S.stylize(content, style, model, **s, snapshot_every=5, threads=threads)


def _transfer_finish(model, picture, s, rec) -> dict:
    return dict(image=rec.last.image, rows=rec.rows, frames=rec.frames, steps=rec.last.step,
                beta=s["beta"])


def _sweep_run(model, picture, s, rec, threads=None, **_):
    from . import style as S

    content, style = picture
    rest = {k: v for k, v in s.items() if k != "betas"}
    return S.sweep_beta(content, style, model, s["betas"], **rest, threads=threads)


def _sweep_finish(model, picture, s, rec) -> dict:
    return dict(betas=[r["beta"] for r in rec.rows], images=list(rec.frames))


TRANSFER = dict(alpha=1.0, beta=1e3, tv_weight=10.0, init="content", optimizer="lbfgs", steps=100,
                size=256, preserve_color=False)

JOBS: dict[str, Job] = {j.kind: j for j in [
    Job("deepdream", "DeepDream › Dream (and Low vs high layer)", "Dream",
        static=dict(tile_size=512, seed=0, guide=None), dynamic=_dream_defaults,
        picture=lambda m: _dream_picture(), run=_dream_run, finish=_dream_finish, frame=_dream_frame,
        row=lambda s: (s.step, s.info["octave"], s.loss), variants=_dream_variants, version=2,
        about=f"sample `china` (Temple in China), longer side {DREAM_SIDE} px"),
    Job("classvis", "Inside the network › Class visualization", "Run gradient ascent",
        static={}, dynamic=_classvis_defaults,
        picture=lambda m: None, run=_classvis_run, finish=_classvis_finish, frame=None,
        version=2, about="none (Lucid's recipe from a faint random spectrum, seed 0)"),
    Job("inversion", "Inside the network › Feature inversion", "Invert",
        static={}, dynamic=_inversion_defaults,
        picture=_inversion_picture, run=_inversion_run, finish=_inversion_finish, frame=None,
        version=2, about=f"sample `{INSIDE_SAMPLE}`, {INVERSION_SIDE}×{INVERSION_SIDE} centre crop"),
    Job("saliency", "Inside the network › Saliency (occlusion, SmoothGrad, …)", "Explain",
        static=dict(methods=["occlusion", "gradient", "guided_backprop", "gradcam", "smoothgrad"],
                    window=64, stride=32, samples=12),
        dynamic=_saliency_target, picture=_saliency_picture, run=_saliency_run,
        finish=_saliency_finish, frame=None,
        about=f"sample `{INSIDE_SAMPLE}` as the model sees it (its own resize + 224 crop)"),
    Job("texture", "Style › Texture synthesis", "Synthesize",
        static=dict(size=160, steps=150, tv_weight=3.0),
        dynamic=lambda m, p: {"style_layers": _style_layers(m)["style_layers"]},
        picture=_texture_picture, run=_texture_run, finish=_texture_finish, frame=None,
        about=f"style: the generated pattern `{TEXTURE_PATTERN}`, 256 px"),
    Job("transfer", "Style › Style transfer", "Stylize", static=TRANSFER, dynamic=_style_layers,
        picture=_transfer_picture, run=_transfer_run, finish=_transfer_finish,
        about=f"content: sample `{CONTENT_SAMPLE}` (≤ 1024 px); style: the generated pattern `{STYLE_PATTERN}`"),
    Job("sweep", "Style › Style transfer › Sweep over β", N_("Run the sweep (128 px)"),
        static=dict(betas=[1e1, 1e2, 1e3, 1e4], steps=40, size=128,
                    **{k: TRANSFER[k] for k in ("alpha", "tv_weight", "preserve_color")}),
        dynamic=_style_layers, picture=_transfer_picture, run=_sweep_run, finish=_sweep_finish,
        row=lambda s: {"beta": s.info["beta"]},
        about=f"content: sample `{CONTENT_SAMPLE}` (≤ 1024 px); style: the generated pattern `{STYLE_PATTERN}`"),
]}


def cases(model: Any, names: Sequence[str] | None = None, shipped_only: bool = False
          ) -> list[tuple[str, str, Any, dict]]:
    """Every (kind, label, picture, settings) to prepare for ``model``: each view's defaults and
    its variants (``shipped_only``: those that ship with the lab)."""
    out = []
    for kind, job in JOBS.items():
        if names and kind not in names:
            continue
        pic = job.picture(model)
        out.append((kind, f"{kind} (defaults)", pic, job.defaults(model, pic)))
        for label, vpic, vsettings, shipped in (job.variants(model) if job.variants else []):
            if shipped or not shipped_only:
                out.append((kind, f"{kind} {label}", vpic, vsettings))
    return out


def run(names: list[str] | None = None, progress: Callable[[str], None] | None = None,
        device: str = "cpu", folder: Path | None = None, compact: bool = False,
        shipped_only: bool = False, threads: int | None = None, force: bool = False) -> dict[str, str]:
    """Prepare every view (or only the kinds in ``names``) with the ImageNet model into
    ``folder`` (default the user's store, skipping what is prepared already there or shipped;
    ``force``: compute everything again). Returns {label: what happened}."""
    from . import zoo

    say = progress or (lambda _m: None)
    lm = zoo.load("imagenet", device=device)
    report: dict[str, str] = {}
    full: str | None = None
    for kind, label, pic, settings in cases(lm, names, shipped_only):
        params = key_params(kind, lm, settings)
        there = (folder / f"{kind}-{fingerprint(kind, params, pic)}.npz").exists() if folder \
            else load(kind, params, pic) is not None
        if there and not force:
            report[label] = "already prepared"
            continue
        if full is not None:  # computing more is wasted work: it could not be kept
            report[label] = f"skipped: {full}"
            continue
        say(f"{label}: computing")
        opts = {"threads": threads} if kind in THREADED else {}
        res = compute(kind, lm, pic, settings, **opts)
        res.pop("key", None)
        try:
            save(kind, params, pic, res, folder=folder, compact=compact)
        except StoreFull as e:
            full = str(e)
            report[label] = f"not saved: {e}"
            say(f"{label}: not saved: {e}")
            continue
        report[label] = f"prepared in {res['seconds']:.1f} s"
    return report
