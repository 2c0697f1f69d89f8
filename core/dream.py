"""DeepDream: amplify what a layer already sees in a picture, octave by octave.

Gradient *ascent* on the pixels with the objective L = mean(F_l(x)²) of one or more layers
(:func:`core.vis.ascent.layer_l2`), so whatever faintly excites the layer is painted in more
strongly: low layers paint edges and braids, high layers eyes and dog faces (the notes' sky
example). The ascent loop, jitter, gradient smoothing and tiling are
:func:`core.vis.ascent.ascend`'s; this module adds the octaves and the parameter checks.

Octaves (the notes' 옥타브): networks are trained on ~224 px pictures, so on a big photo a
layer's patterns come out tiny. The image is therefore dreamed first at a small scale and then
at larger ones, carrying up only the *detail* the dream added — never the blurred image itself::

    bases  = [image, image/s, image/s², …]          (s = octave_scale > 1)
    detail = 0
    for base from smallest to largest:
        x = base + upscale(detail)
        x = ascend(x, steps)                         (gradient ascent on the layer)
        detail = x − base

Big images (a 1920×1080 photo) are dreamed tile by tile (``tile_size``), so memory stays
bounded; the random roll of every step hides the seams.

``dream(...)`` is an iterator of :class:`core.snapshots.Snapshot` (info: ``octave``,
``octave_step``); :func:`dream_image` runs it to the end and returns the picture.
"""
from __future__ import annotations

import math
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .snapshots import Snapshot
from .vis import ascent as A
from core.i18n import _

MIN_OCTAVE_SIDE = 32   # octaves whose shorter side would be smaller are skipped

# The classic look in one click. Lite0: measured on this machine (DESIGN.md): blocks[4], 4
# octaves at scale 1.4, 20 steps, x += 0.008·g/mean|g|, roll ±16 px, σ/2σ smoothing.
PRESETS: dict[str, dict[str, Any]] = {
    "efficientnet_lite0": dict(layers="blocks[4]", octaves=4, octave_scale=1.4, steps=20,
                               step_size=0.008, jitter=16, smoothing=(0.5, 2.0)),
    "vgg16": dict(layers="block5_conv2", octaves=4, octave_scale=1.4, steps=20,
                  step_size=0.008, jitter=16, smoothing=(0.5, 2.0)),
}


def preset(model: Any) -> dict[str, Any]:
    """Keyword arguments for :func:`dream` that reproduce the classic look on this model."""
    name = A.as_net(model).name
    return dict(PRESETS.get(name, PRESETS["efficientnet_lite0"]))


def octave_sizes(height: int, width: int, octaves: int, octave_scale: float) -> list[tuple[int, int]]:
    """(h, w) of each octave, smallest first, ending with the full size. Octaves whose shorter
    side would fall below ``MIN_OCTAVE_SIDE`` pixels are left out."""
    sizes = []
    for i in range(octaves):
        f = octave_scale ** (octaves - 1 - i)
        h, w = max(1, round(height / f)), max(1, round(width / f))
        if min(h, w) >= MIN_OCTAVE_SIDE or i == octaves - 1:
            sizes.append((h, w))
    return sizes


def _resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    down = size[0] < x.shape[-2]
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=down)


def _check(image: Any, steps: Any, step_size: Any, octaves: Any, octave_scale: Any, jitter: Any,
           tile_size: Any, overlap: Any) -> np.ndarray:
    a = np.asarray(image)
    if a.ndim != 3 or a.shape[2] != 3 or a.dtype != np.uint8:
        raise ValueError(_("The image must be an RGB picture (H×W×3, uint8); load it with "
                           "core.images.load_image first."))
    if min(a.shape[:2]) < 16:
        raise ValueError(_("The image is too small to dream on ({w}×{h} px); use at least 16 "
                           "px on each side.", w=a.shape[1], h=a.shape[0]))
    whole = (int, np.integer)
    if not isinstance(steps, whole) or isinstance(steps, bool) or steps < 1:
        raise ValueError(_("steps must be at least 1 per octave (got {steps!r}): with zero steps "
                           "nothing would be dreamed.", steps=steps))
    if not isinstance(octaves, whole) or isinstance(octaves, bool) or octaves < 1:
        raise ValueError(_("octaves must be a whole number of at least 1 (got {octaves!r}).",
                           octaves=octaves))
    if not isinstance(octave_scale, (int, float)) or not math.isfinite(octave_scale) or octave_scale <= 1:
        raise ValueError(_("octave_scale must be greater than 1 (got {octave_scale!r}): each octave "
                           "is that many times smaller than the next; 1.3–1.5 is usual.",
                           octave_scale=octave_scale))
    if not isinstance(step_size, (int, float)) or not math.isfinite(step_size) or step_size <= 0:
        raise ValueError(_("step_size (intensity) must be a positive number (got {step_size!r}).",
                           step_size=step_size))
    if not isinstance(jitter, whole) or jitter < 0:
        raise ValueError(_("jitter must be a whole number of pixels ≥ 0 (got {jitter!r}).",
                           jitter=jitter))
    if tile_size is not None and (not isinstance(tile_size, whole) or tile_size < 64):
        raise ValueError(_("tile_size must be at least 64 px, or None for no tiling (got {tile_size!r}).",
                           tile_size=tile_size))
    if tile_size is not None:
        A.check_tiling(tile_size, overlap)
    return a


def dream(image: np.ndarray, model: Any, layers: str | Sequence[str] | Mapping[str, float] | None = None,
          steps: int = 20, step_size: float = 0.008, octaves: int = 4, octave_scale: float = 1.4,
          jitter: int = 16, *, smoothing: tuple[float, float] = (0.5, 2.0),
          guide: np.ndarray | None = None, guide_side: int = 224,
          tile_size: int | None = 512, overlap: int = 64, seed: int = 0,
          snapshot_every: int = 1) -> Iterator[Snapshot]:
    """Dream on ``image`` (RGB uint8) with ``model`` (a zoo model or a torch classifier).

    ``layers``: a catalogue name (``"blocks[4]"``, ``"block5_conv3"``), a list of names, or
    ``{name: weight}`` for per-layer weights; None uses the model's classic preset layer.
    ``steps`` per octave, ``step_size`` on [0, 1] pixels per normalised step, ``octaves`` scales
    ``octave_scale`` apart, random roll of ±``jitter`` px per step, gradient smoothing σ from
    ``smoothing[0]`` to ``smoothing[1]`` within each octave. ``guide``: an RGB image whose
    features the dream is pulled toward (guided DeepDream) instead of amplifying the layer as it
    is. Images larger than ``tile_size`` are processed tile by tile (``None``: never tile).

    Yields a :class:`Snapshot` after every step: ``step``/``total`` over all octaves, ``loss``
    = the objective at that step, ``image`` = the current picture at the octave's size (every
    ``snapshot_every`` steps and at the end of each octave; else None), ``info`` = ``octave``
    (1-based), ``octaves``, ``octave_step``. The last snapshot's image is the result, the size of
    the input. Raises ``ValueError`` with a plain message for bad parameters.
    """
    net = A.as_net(model)
    a = _check(image, steps, step_size, octaves, octave_scale, jitter, tile_size, overlap)
    if layers is None:
        layers = preset(net)["layers"]
    names = [layers] if isinstance(layers, str) else list(layers)
    if not names:
        raise ValueError(_("Choose at least one layer to dream on."))
    for n in names:
        A.resolve_layer(net, n)                      # ValueError naming the choices
    guides = None
    if guide is not None:
        g = A.to_tensor(_check(guide, 1, 1.0, 1, 2.0, 0, None, 0), net.device)
        g = _resize(g, _fit(g.shape[-2:], guide_side))
        with torch.no_grad():
            acts = A.activations(net, g, names)
        guides = {n: acts[n].detach() for n in names}
    objective = A.dream_objective(layers, guides)
    transforms = [A.roll(jitter)] if jitter else []
    generator = torch.Generator().manual_seed(int(seed))
    every = max(1, int(snapshot_every))

    return _run(net, a, objective, steps, step_size, octaves, octave_scale, transforms, smoothing,
                tile_size, overlap, generator, every)


def _fit(size: Sequence[int], side: int) -> tuple[int, int]:
    h, w = int(size[0]), int(size[1])
    f = min(1.0, side / max(h, w))
    return max(16, round(h * f)), max(16, round(w * f))


def _run(net, a, objective, steps, step_size, octaves, octave_scale, transforms, smoothing,
         tile_size, overlap, generator, every) -> Iterator[Snapshot]:
    original = A.to_tensor(a, net.device)
    sizes = octave_sizes(a.shape[0], a.shape[1], octaves, octave_scale)
    n = len(sizes)
    total = n * steps
    detail = torch.zeros_like(_resize(original, sizes[0]))
    done = 0
    for o, size in enumerate(sizes):
        base = _resize(original, size)
        x = (base + _resize(detail, size)).clamp(0, 1)
        first = None
        for state in A.ascend(x, net, objective, steps, step_size, transforms=transforms,
                              smoothing=smoothing, tile_size=tile_size, overlap=overlap,
                              generator=generator):
            done += 1
            x = state.x
            first = state.value if first is None else first
            last_of_octave = state.step == steps
            show = last_of_octave or state.step % every == 0
            yield Snapshot(step=done, total=total, loss=state.value,
                           image=A.to_image(x) if show else None,
                           info={"octave": o + 1, "octaves": n, "octave_step": state.step,
                                 **({"octave_gain": state.value / first if first else 0.0}
                                    if last_of_octave else {})})
        detail = x - base


def dream_image(image: np.ndarray, model: Any, layers: Any = None, **kwargs: Any) -> np.ndarray:
    """One-shot :func:`dream`: run every step and return the dreamed picture (RGB uint8, the
    size of ``image``)."""
    last = None
    for snap in dream(image, model, layers, **kwargs):
        last = snap
    assert last is not None and last.image is not None
    return last.image
