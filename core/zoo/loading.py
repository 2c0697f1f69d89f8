"""``load`` (with the bundled fallback when weights cannot be had) and ``prefetch``."""
from __future__ import annotations

import logging
import os
import threading
import time

from core.i18n import _, joined
from .download import Progress, WeightsDamaged, WeightsUnavailable
from .meta import LoadedModel, ModelUnavailable
from .loaders.base import one_line
from .registry import ENTRIES, candidates, get_entry


LOAD_LIMIT_S = 120.0   # default; CNNLAB_LOAD_LIMIT_S overrides it (0: no limit)


def load_limit_s() -> float:
    """How long one model may take to load before its stand-in is used instead."""
    try:
        return float(os.environ.get("CNNLAB_LOAD_LIMIT_S", LOAD_LIMIT_S))
    except ValueError:
        return LOAD_LIMIT_S


class LoadTooSlow(ModelUnavailable):
    """A load ran past the limit; it goes on in the background and is used once it is done."""


class _Pending:
    """One load running in its own thread, so that a caller can stop waiting for it."""

    def __init__(self, entry, device: str) -> None:
        self.done = threading.Event()
        self.result: LoadedModel | None = None
        self.error: BaseException | None = None
        self.started = time.perf_counter()
        threading.Thread(target=self._run, args=(entry, device), daemon=True,
                         name=f"cnnlab-load-{entry.name}").start()

    def _run(self, entry, device: str) -> None:
        try:
            self.result = entry.loader.load(entry, device)
        except BaseException as e:  # noqa: BLE001 - handed to whoever waits
            self.error = e
        finally:
            self.done.set()


_PENDING: dict[tuple[str, str], _Pending] = {}
_PENDING_LOCK = threading.Lock()


def _load_within(entry, device: str, limit: float) -> LoadedModel:
    """``entry.loader.load`` within ``limit`` seconds (no limit when ``limit`` <= 0). A load that
    runs longer raises :class:`LoadTooSlow` and goes on; the next call takes its result (or waits
    for it again, never starting a second load of the same entry)."""
    if limit <= 0:
        return entry.loader.load(entry, device)
    k = (entry.name, device)
    with _PENDING_LOCK:
        job = _PENDING.get(k)
        if job is None:
            job = _PENDING[k] = _Pending(entry, device)
    finished = job.done.wait(limit)
    if not finished:
        logging.getLogger("cnnlab").warning("%s is still loading after %.0f s; using its stand-in",
                                            entry.name, limit)
        raise LoadTooSlow(_("{title} took longer than {limit:g} s to load (CNNLAB_LOAD_LIMIT_S); it "
                            "goes on loading and is used once ready", title=_(entry.title), limit=limit))
    with _PENDING_LOCK:
        if _PENDING.get(k) is job:
            del _PENDING[k]
    if job.error is not None:
        raise job.error
    assert job.result is not None
    return job.result


def still_loading(name: str, device: str = "cpu") -> bool:
    """Whether a load of ``name`` that ran past the limit is still going on."""
    with _PENDING_LOCK:
        return any(n == name and d == device and not j.done.is_set()
                   for (n, d), j in _PENDING.items())


def late_ready(name: str, device: str = "cpu") -> bool:
    """Whether a load of one of ``name``'s candidates that ran past the limit has now finished
    (the next :func:`load` returns it at once)."""
    wanted = {e.name for e in candidates(name)}
    with _PENDING_LOCK:
        return any(n in wanted and d == device and j.done.is_set() for (n, d), j in _PENDING.items())


def load(name: str, device: str = "cpu") -> LoadedModel:
    """Load a zoo model, falling back to its bundled stand-in when the weights cannot be had
    or the load runs past :func:`load_limit_s`."""
    t0 = time.perf_counter()
    tries = candidates(name)
    names = [e.name for e in tries]
    reasons: list[str] = []
    limit = load_limit_s()
    for entry in tries:
        try:
            lm = _load_within(entry, device, limit)
        except LoadTooSlow as e:
            reasons.append(_message(e))
        except WeightsUnavailable as e:
            reasons.append(_message(e) if isinstance(e, WeightsDamaged)
                           else _("{title} weights unavailable: {reason}", title=_(entry.title), reason=_message(e)))
        except (ModelUnavailable, ImportError, OSError, RuntimeError, TypeError, KeyError,
                AttributeError, ValueError) as e:   # a loader that fails in any other way
            logging.getLogger("cnnlab").warning("%s could not be loaded", entry.name, exc_info=True)
            reasons.append(_("{title} could not be loaded ({error})", title=_(entry.title), error=one_line(e)))
        else:
            if reasons:
                lm = _as_fallback(lm, tries[0].title, reasons)
            return _done(lm, name, t0)
        if entry.fallback and entry.fallback not in names:
            fb = ENTRIES[entry.fallback]
            return _done(_as_fallback(fb.loader.load(fb, device), entry.title, reasons), name, t0)
    raise ModelUnavailable(_("No model for {name!r} can be loaded here: {reasons}. Run `cnnlab "
                             "prefetch` on a machine with a network.", name=name,
                             reasons="; ".join(reasons)))


def _message(e: BaseException) -> str:
    """An exception's message, kept as a translatable :class:`core.i18n.Msg` when it is one."""
    return e.args[0] if len(e.args) == 1 and isinstance(e.args[0], str) else str(e)


def _as_fallback(lm: LoadedModel, wanted_title: str, reasons: list[str]) -> LoadedModel:
    lm.fallback = True
    lm.reason = joined("; ", reasons)
    lm.provenance = _("bundled fallback: {provenance} — standing in for {title} ({reason})",
                      provenance=lm.provenance, title=_(wanted_title), reason=lm.reason)
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
