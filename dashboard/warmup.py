"""Warm-up: the heavy imports and default models the pages need when they open, loaded in one
background thread when the server starts serving, so a page's first open finds them ready.

``dashboard/app.py`` calls :func:`start` (once per process; later calls do nothing) and runs
every page inside :func:`page_run`; the sidebar shows :func:`status` until it is done. The steps
(:func:`default_steps`) are what the pages need on open, in order: torch, the device, OpenCV /
scikit-image / pandas, torchvision, timm, the ImageNet classifier (offline: EfficientNet-Lite0),
ultralytics, the detector (offline: the bundled shapes detector), scikit-learn's samples and the
page modules themselves. Models go through ``dashboard.cache``'s own ``st.cache_resource`` (the
function behind ``get_model``), so a page reuses the warmed model. Nothing is downloaded: a model
whose weights are not here yet is skipped (``cnnlab prefetch`` fetches them).

**Why a page run may wait for one step.** Two threads importing the same package at the same
time break each other in CPython (measured here: ``import torch`` in one thread and ``import
torch.nn.functional`` in another gave ``_DeadlockError`` in one and "partially initialized
module 'torch'" in the other). So a warm-up step and page runs never overlap: page runs share
:data:`GATE` (any number at once), a step takes it alone, between page runs. A page that opens
while a step is in flight waits for that one step (seconds at most, usually an import the page
needs anyway), never for the whole warm-up; the first run of the process starts the thread from
inside its own page run, so the first page is never made to wait.

Never raises into a page: every step's failure is recorded ("failed: …") and logged, and
:func:`start` / :func:`status` swallow their own errors. ``CNNLAB_WARMUP=0`` turns it off (tests
set it; it is also off by default under pytest, where ``PYTEST_CURRENT_TEST`` is set).
"""
from __future__ import annotations

import contextlib
import importlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

from core.i18n import N_, _

log = logging.getLogger("cnnlab")

ENV = "CNNLAB_WARMUP"


class Skip(Exception):
    """A step that has nothing to do here (e.g. its weights would have to be downloaded)."""


# --------------------------------------------------------------------------- the gate

class Gate:
    """Page runs share it; a warm-up step holds it alone (and waits until no page runs).

    A page run waits for a step in flight at most ``page_wait_s`` (a step that hangs must not
    hang the app); then it goes ahead anyway."""

    def __init__(self, page_wait_s: float = 20.0) -> None:
        self._cond = threading.Condition()
        self._pages = 0
        self._step = False
        self.page_wait_s = page_wait_s

    @contextlib.contextmanager
    def page(self) -> Iterator[None]:
        with self._cond:
            if not self._cond.wait_for(lambda: not self._step, timeout=self.page_wait_s):
                log.warning("a warm-up step took over %.0f s; the page runs alongside it", self.page_wait_s)
            self._pages += 1
        try:
            yield
        finally:
            with self._cond:
                self._pages -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def step(self) -> Iterator[None]:
        with self._cond:
            while self._step or self._pages:
                self._cond.wait()
            self._step = True
        try:
            yield
        finally:
            with self._cond:
                self._step = False
                self._cond.notify_all()


GATE = Gate()


# --------------------------------------------------------------------------- steps

@dataclass
class Step:
    """One thing to warm. ``run()`` returns what to call it once done (None: keep ``label``), or
    raises :class:`Skip`."""
    key: str
    label: str
    run: Callable[[], str | None] = field(repr=False)
    state: str = "waiting"          # waiting | running | done | failed | skipped
    seconds: float = 0.0
    note: str = ""


@dataclass(frozen=True)
class Status:
    """What the warm-up has done so far (a copy: safe to read from any thread)."""
    steps: tuple[Step, ...]
    started: float | None = None     # time.time() when the thread began
    finished: float | None = None

    @property
    def done(self) -> bool:
        return self.finished is not None

    @property
    def seconds(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.time()) - self.started

    def step(self, key: str) -> Step | None:
        return next((s for s in self.steps if s.key == key), None)

    def finished_step(self, key: str) -> bool:
        s = self.step(key)
        return s is not None and s.state in ("done", "failed", "skipped")

    def line(self) -> str:
        """``torch ✓ · torchvision ✓ · EfficientNet-Lite0 … · ultralytics`` (markdown-safe), in
        the visitor's language where a page shows it (labels are marked ``N_`` or a ``Msg``)."""
        from dashboard.i18n import tr

        mark = {"done": " ✓", "running": " …", "failed": " ✗", "skipped": " –", "waiting": ""}
        return " · ".join(f"{tr(s.label)}{mark[s.state]}" for s in self.steps)

    def problems(self) -> list[str]:
        from dashboard.i18n import tr

        return [f"{tr(s.label)}: {tr(STATES.get(s.state, s.state))} ({tr(s.note)})" for s in self.steps
                if s.state in ("failed", "skipped") and s.note]


STATES = {"failed": N_("failed"), "skipped": N_("skipped")}   # shown in Status.problems


class Warmup:
    """Runs ``steps`` in order, each under the gate; records what happened."""

    def __init__(self, steps: list[Step], gate: Gate = GATE) -> None:
        self._steps = steps
        self._gate = gate
        self._lock = threading.Lock()
        self._started: float | None = None
        self._finished: float | None = None

    def status(self) -> Status:
        with self._lock:
            return Status(tuple(replace(s) for s in self._steps), self._started, self._finished)

    def _set(self, step: Step, **changes) -> None:
        with self._lock:
            for k, v in changes.items():
                setattr(step, k, v)

    def run(self) -> Status:
        with self._lock:
            self._started = time.time()
        for step in self._steps:
            with self._gate.step():
                self._set(step, state="running")
                t0 = time.perf_counter()
                try:
                    label = step.run()
                except Skip as e:          # its reason may be a core.i18n.Msg: kept, translated where shown
                    self._set(step, state="skipped", note=e.args[0] if len(e.args) == 1 else str(e))
                except BaseException as e:  # noqa: BLE001 - a warm-up never takes anything down
                    log.warning("warm-up step %r failed", step.key, exc_info=True)
                    self._set(step, state="failed", note=f"{type(e).__name__}: {str(e)[:200]}")
                else:
                    self._set(step, state="done", **({"label": label} if label else {}))
                self._set(step, seconds=time.perf_counter() - t0)
        with self._lock:
            self._finished = time.time()
        st = self.status()
        log.info("warm-up done in %.1f s: %s", st.seconds,
                 ", ".join(f"{s.label} {s.state} {s.seconds:.1f} s" for s in st.steps))
        return st


def imports(key: str, label: str, *modules: str) -> Step:
    def run() -> None:
        for m in modules:
            importlib.import_module(m)
    return Step(key, label, run)


def _device() -> str:
    from dashboard import cache, sidebar

    sidebar.device_text()              # cached: the sidebar shows it at once from now on
    return _("device {device}", device=cache.current_device())


def _would_download(name: str) -> str | None:
    """Why loading ``name`` now would go to the network (None: it would not)."""
    from core import zoo
    from core.zoo.registry import candidates

    if zoo.offline():
        return None                   # offline, the zoo never downloads: it uses the stand-in
    first = candidates(name)[0]
    if first.cache_state() == "not cached":
        return _("{model} weights are not downloaded yet (`cnnlab prefetch`)", model=first.title)
    return None


def model(name: str, label: str) -> Step:
    """Load zoo model ``name`` through the cache ``get_model`` uses, on the app's device."""
    def run() -> str:
        from dashboard import cache

        why = _would_download(name)
        if why:
            raise Skip(why)
        device = cache.current_device()
        lm = cache._load(name, device)            # get_model's st.cache_resource
        with contextlib.suppress(AttributeError):  # listed in the sidebar like any loaded model
            with cache._REGISTRY_LOCK:
                cache._REGISTRY[(name, device)] = lm
        return lm.title
    return Step(f"model:{name}", label, run)


def page_modules() -> Step:
    def run() -> None:
        from dashboard import nav

        failed = []
        for package in ["home"] + [t.package for t in nav.TOPICS]:
            try:
                importlib.import_module(f"pages.{package}")
            except Exception as e:  # noqa: BLE001 - the page shows its own error when opened
                failed.append(f"{package} ({type(e).__name__})")
        if failed:
            raise RuntimeError("could not import " + ", ".join(failed))
    return Step("pages", N_("page code"), run)


def default_steps() -> list[Step]:
    """What the pages need when they open (their first tab, default settings), most shared
    first. Not here: what only a later tab or a button needs (dlib's face models, UMAP)."""
    return [
        imports("torch", "torch", "torch"),
        Step("device", N_("device"), _device),
        imports("images", "OpenCV, scikit-image", "cv2", "scipy.ndimage", "skimage.data", "pandas",
                "pyarrow"),
        imports("torchvision", "torchvision", "torchvision", "torchvision.ops"),
        imports("timm", "timm", "timm"),
        model("imagenet", N_("ImageNet classifier")),
        imports("ultralytics", "ultralytics", "ultralytics"),
        model("yolo11n", N_("detector")),
        imports("sklearn", "scikit-learn", "sklearn.datasets"),
        page_modules(),
    ]


# --------------------------------------------------------------------------- the process's warm-up

_WARMUP: Warmup | None = None
_START = threading.Lock()


def enabled() -> bool:
    value = os.environ.get(ENV)
    if value is None:
        return "PYTEST_CURRENT_TEST" not in os.environ
    return value.strip().lower() not in ("0", "false", "no", "off", "")


def start(steps: Callable[[], list[Step]] | None = None) -> bool:
    """Start the warm-up thread unless it already started in this process or is turned off.
    True when this call started it. Never raises."""
    global _WARMUP
    try:
        if not enabled():
            return False
        with _START:
            if _WARMUP is not None:
                return False
            _WARMUP = Warmup((steps or default_steps)())
            threading.Thread(target=_WARMUP.run, name="cnnlab-warmup", daemon=True).start()
            return True
    except Exception:  # noqa: BLE001
        log.warning("warm-up could not start", exc_info=True)
        return False


def status() -> Status | None:
    """The process's warm-up so far; None when it did not start (turned off, or not yet)."""
    try:
        return _WARMUP.status() if _WARMUP is not None else None
    except Exception:  # noqa: BLE001
        return None


def page_run() -> contextlib.AbstractContextManager:
    """Wrap a page run in it: while it runs no warm-up step does (see the module's note)."""
    return GATE.page() if enabled() else contextlib.nullcontext()
