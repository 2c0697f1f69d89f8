"""``load`` (with the bundled fallback when weights cannot be had) and ``prefetch``."""
from __future__ import annotations

import logging
import time

from .download import Progress, WeightsDamaged, WeightsUnavailable
from .meta import LoadedModel, ModelUnavailable
from .loaders.base import one_line
from .registry import ENTRIES, candidates, get_entry


def load(name: str, device: str = "cpu") -> LoadedModel:
    """Load a zoo model, falling back to its bundled stand-in when the weights cannot be had."""
    t0 = time.perf_counter()
    tries = candidates(name)
    names = [e.name for e in tries]
    reasons: list[str] = []
    for entry in tries:
        try:
            lm = entry.loader.load(entry, device)
        except WeightsUnavailable as e:
            reasons.append(str(e) if isinstance(e, WeightsDamaged) else f"{entry.title} weights unavailable: {e}")
        except (ModelUnavailable, ImportError, OSError, RuntimeError, TypeError, KeyError,
                AttributeError, ValueError) as e:   # a loader that fails in any other way
            logging.getLogger("cnnlab").warning("%s could not be loaded", entry.name, exc_info=True)
            reasons.append(f"{entry.title} could not be loaded ({one_line(e)})")
        else:
            if reasons:
                lm = _as_fallback(lm, tries[0].title, reasons)
            return _done(lm, name, t0)
        if entry.fallback and entry.fallback not in names:
            fb = ENTRIES[entry.fallback]
            return _done(_as_fallback(fb.loader.load(fb, device), entry.title, reasons), name, t0)
    raise ModelUnavailable(f"No model for {name!r} can be loaded here: " + "; ".join(reasons) +
                           ". Run `cnnlab prefetch` on a machine with a network.")


def _as_fallback(lm: LoadedModel, wanted_title: str, reasons: list[str]) -> LoadedModel:
    lm.fallback = True
    lm.reason = "; ".join(reasons)
    lm.provenance = f"bundled fallback: {lm.provenance} — standing in for {wanted_title} ({lm.reason})"
    return lm


def _done(lm: LoadedModel, requested: str, t0: float) -> LoadedModel:
    lm.requested = requested
    lm.load_seconds = time.perf_counter() - t0
    return lm


def prefetch(names: list[str] | None = None, *, progress=None, timeout: float | None = None,
             verify: bool = False) -> dict[str, str]:
    """Download every pretrained weight (or the named ones) into the standard caches.

    Returns {entry name: "from cache" | "downloaded" | "bundled" | "failed: reason" | ...};
    ``progress(name, done, total)`` is called as bytes arrive. ``verify``: re-check every cached
    file against its hash first and download damaged ones again (when the network allows).
    """
    results: dict[str, str] = {}
    for name in names or list(ENTRIES):
        entry = get_entry(name)
        if verify and hasattr(entry.loader, "verify"):
            state = entry.loader.verify(entry, timeout=timeout)
            if state != "not cached":
                results[name] = state
                continue
        cb: Progress | None = (lambda done, total, _n=name: progress(_n, done, total)) if progress else None
        results[name] = entry.loader.prefetch(entry, progress=cb, timeout=timeout)
    return results
