"""Heavy jobs on a shared machine: one bounded first-come-first-served gate, and results shared
between visitors.

Every long job in ``core`` is an iterator of snapshots. When many people use one server (a
class pressing "Dream" together), two things keep it serving:

- :class:`Gate`: at most ``slots`` jobs run at once; the rest wait in arrival order, each
  knowing its place in line and an ETA from how long jobs of its kind took so far. The job
  itself still runs in its caller's thread (a Streamlit script thread): the gate only admits
  it, so a caller that stops (Stop, a widget change, a visitor who leaves) leaves the line or
  frees its slot in a ``finally``, and nothing runs on for nobody.
- :class:`Shared`: a deterministic job (same picture, model and settings) is computed once.
  The first caller with a key *leads* (runs it, takes a slot, records its snapshots); callers
  with the same key while it runs *join* (read the leader's snapshots as they come, no slot);
  callers after it finished *replay* the recorded snapshots. Finished runs are kept in a
  least-recently-used store with a byte cap. A leader that stops abandons the run: joiners are
  told (:class:`Abandoned`) and start over, one of them leading.

Both are plain ``threading`` and have no Streamlit in them; ``dashboard.jobs.follow`` draws
them (queue position, ETA, progress, Stop). :func:`default_slots` is the machine's policy.
"""
from __future__ import annotations

import heapq
import os
import threading
import time
from collections import OrderedDict, deque
from typing import Any, Callable, Hashable, Iterable, Iterator


def default_slots() -> int:
    """How many heavy jobs run at once: ``CNNLAB_JOB_SLOTS``, else 4 when they run on Ray Serve
    (``CNNLAB_JOBS``), else one per GPU, else as many as
    the CPU holds with each job using PyTorch's thread count (on 2 cores with 2 torch threads:
    one; two at once would only share the same cores and finish later, both)."""
    from .devices import env_int

    env = env_int("CNNLAB_JOB_SLOTS")
    if env is not None:
        return env
    if os.environ.get("CNNLAB_JOBS", "").strip():    # the work runs on Ray Serve: its replicas'
        return 4                                      # queue holds the rest (docs/DEPLOY.md)
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        return max(1, torch.cuda.device_count())
    cores = os.cpu_count() or 1
    threads = torch.get_num_threads() if torch is not None else cores
    return max(1, cores // max(1, threads))


class Ticket:
    """One job's place at the :class:`Gate`: waiting, then running, then released."""

    def __init__(self, gate: "Gate", kind: str) -> None:
        self.gate, self.kind = gate, kind
        self.created = time.monotonic()
        self.started: float | None = None
        self.released = False

    @property
    def running(self) -> bool:
        return self.started is not None and not self.released

    def position(self) -> int:
        """0 while running; else 1 + how many wait ahead of it."""
        return self.gate._position(self)

    def eta(self) -> float | None:
        """Seconds until this job should be finished (None until a job of its kind has finished)."""
        return self.gate._eta(self)

    def starts_in(self) -> float | None:
        """Seconds until this waiting job should get its slot (None: not known yet)."""
        return self.gate.starts_in(self)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a slot; True once this job may run."""
        return self.gate._wait(self, timeout)

    def release(self) -> None:
        self.gate._release(self)

    def __enter__(self) -> "Ticket":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


class Gate:
    """At most ``slots`` jobs at once, first come first served, with positions and ETAs."""

    def __init__(self, slots: int | None = None) -> None:
        self.slots = max(1, int(slots if slots is not None else default_slots()))
        self._cond = threading.Condition()
        self._waiting: deque[Ticket] = deque()
        self._running: list[Ticket] = []
        self._seconds: dict[str, float] = {}   # kind -> running mean of how long its jobs took
        self._count: dict[str, int] = {}
        self.stats = {"queued": 0, "completed": 0, "left": 0, "waited_max_s": 0.0}

    def ticket(self, kind: str = "job") -> Ticket:
        t = Ticket(self, kind)
        with self._cond:
            self._waiting.append(t)
            self.stats["queued"] += 1
            self._admit()
        return t

    def _admit(self) -> None:
        while self._waiting and len(self._running) < self.slots:
            t = self._waiting.popleft()
            t.started = time.monotonic()
            self.stats["waited_max_s"] = max(self.stats["waited_max_s"], t.started - t.created)
            self._running.append(t)
        self._cond.notify_all()

    def _wait(self, t: Ticket, timeout: float) -> bool:
        with self._cond:
            if t.started is None and not t.released:
                self._cond.wait_for(lambda: t.started is not None or t.released, timeout)
            return t.running

    def _release(self, t: Ticket) -> None:
        with self._cond:
            if t.released:
                return
            t.released = True
            if t in self._running:
                self._running.remove(t)
                took = time.monotonic() - (t.started or time.monotonic())
                n = self._count.get(t.kind, 0)
                self._seconds[t.kind] = (self._seconds.get(t.kind, 0.0) * n + took) / (n + 1)
                self._count[t.kind] = min(n + 1, 20)        # a mean over about the last 20
                self.stats["completed"] += 1
            elif t in self._waiting:
                self._waiting.remove(t)
                self.stats["left"] += 1
            self._admit()

    def expected(self, kind: str) -> float | None:
        """How long a job of this kind took on average so far (None: none has finished)."""
        with self._cond:
            return self._seconds.get(kind)

    def _position(self, t: Ticket) -> int:
        with self._cond:
            if t.started is not None or t.released:
                return 0
            return 1 + self._waiting.index(t) if t in self._waiting else 0

    def _eta(self, t: Ticket) -> float | None:
        with self._cond:
            own = self._seconds.get(t.kind)
            if own is None:
                return None
            if t.started is not None:
                return max(0.0, own - (time.monotonic() - t.started))
            start = self._start_in(t, own)
            return None if start is None else start + own

    def _start_in(self, t: Ticket, fallback: float | None = None) -> float | None:
        """Seconds until a waiting ticket should start: when each slot frees (what the running
        jobs have left, then the waiting ones ahead), from their kinds' means. None when a job
        ahead is of a kind that never finished (and no ``fallback``)."""
        now = time.monotonic()
        ahead = []
        for r in self._running:
            est = self._seconds.get(r.kind, fallback)
            if est is None:
                return None
            ahead.append(max(0.0, est - (now - (r.started or now))))
        free = ahead + [0.0] * (self.slots - len(ahead))
        heapq.heapify(free)
        for w in self._waiting:
            if w is t:
                break
            est = self._seconds.get(w.kind, fallback)
            if est is None:
                return None
            heapq.heappush(free, heapq.heappop(free) + est)
        return free[0]

    def starts_in(self, t: Ticket) -> float | None:
        with self._cond:
            return 0.0 if t.started is not None else self._start_in(t)

    def state(self) -> dict:
        with self._cond:
            return {"slots": self.slots, "running": len(self._running), "waiting": len(self._waiting),
                    **self.stats}


class Stream:
    """A job's snapshots with how this caller takes part: "own" (not shared), "lead", "join" or
    "replay". Only "own" and "lead" runs compute, so only they need a :class:`Gate` slot."""

    def __init__(self, it: Iterable[Any], role: str = "own") -> None:
        self._it, self.role = iter(it), role

    def __iter__(self) -> "Stream":
        return self

    def __next__(self) -> Any:
        return next(self._it)

    def close(self) -> None:
        close = getattr(self._it, "close", None)
        if callable(close):
            close()


class Abandoned(RuntimeError):
    """The run this caller joined was stopped by the visitor who led it; start over."""


class _Run:
    """One shared run: its snapshots so far, and whether it finished."""

    def __init__(self) -> None:
        self.snaps: list[Any] = []
        self.state = "running"                # running | done | abandoned
        self.payload: Any = None
        self.cond = threading.Condition()
        self.nbytes = 0


def _nbytes(snap: Any) -> int:
    n = 256
    for v in (getattr(snap, "__dict__", None) or {}).values():
        n += int(getattr(v, "nbytes", 0) or 0)
    return n


class Shared:
    """Runs computed once per key: lead, join or replay (see the module docstring)."""

    def __init__(self, max_bytes: int = 256 << 20) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._done: OrderedDict[Hashable, _Run] = OrderedDict()
        self._live: dict[Hashable, _Run] = {}
        self.stats = {"led": 0, "joined": 0, "replayed": 0, "abandoned": 0}

    def role(self, key: Hashable) -> str:
        """What a caller with this key would do now: "lead", "join" or "replay"."""
        with self._lock:
            return "replay" if key in self._done else "join" if key in self._live else "lead"

    def open(self, key: Hashable, make: Callable[[], Iterable[Any]],
             payload: Any = None) -> tuple[str, Iterator[Any], Any]:
        """(role, snapshots, payload). ``make()`` gives this caller's own iterator and is called
        only when it leads; ``payload`` (what the leader fills as it runs, e.g. its record) is
        kept with the run, and joiners and replays get the leader's. A joiner's snapshots include
        ``None`` while it waits for the leader's next one (a heartbeat, so a page can redraw)."""
        with self._lock:
            run = self._done.get(key)
            if run is not None:
                self._done.move_to_end(key)
                self.stats["replayed"] += 1
                return "replay", iter(list(run.snaps)), run.payload
            if key in self._live:
                self.stats["joined"] += 1
                run = self._live[key]
                return "join", self._join(run), run.payload
            run = self._live[key] = _Run()
            run.payload = payload
            self.stats["led"] += 1
        try:
            it = iter(make())
        except BaseException:
            with self._lock:
                self._live.pop(key, None)
            with run.cond:
                run.state = "abandoned"
                run.cond.notify_all()
            raise
        return "lead", self._lead(key, run, it), payload

    def _lead(self, key: Hashable, run: _Run, it: Iterator[Any]) -> "_Leader":
        return _Leader(self, key, run, it)

    def _end(self, key: Hashable, run: _Run, finished: bool) -> None:
        with self._lock:
            if self._live.get(key) is run:
                del self._live[key]
            if finished:
                self._done[key] = run
                self._evict()
            else:
                self.stats["abandoned"] += 1
        with run.cond:
            run.state = "done" if finished else "abandoned"
            run.cond.notify_all()

    def _join(self, run: _Run) -> Iterator[Any]:
        i = 0
        while True:
            with run.cond:
                run.cond.wait_for(lambda: len(run.snaps) > i or run.state != "running", timeout=0.25)
                new, state = run.snaps[i:], run.state
            if not new and state == "running":
                yield None
            for snap in new:
                yield snap
            i += len(new)
            if state == "done" and i >= len(run.snaps):
                return
            if state == "abandoned":
                raise Abandoned("the visitor running this job stopped it")

    def _evict(self) -> None:
        total = sum(r.nbytes for r in self._done.values())
        while self._done and total > self.max_bytes:
            _, old = self._done.popitem(last=False)
            total -= old.nbytes

    def clear(self) -> None:
        with self._lock:
            self._done.clear()

    def state(self) -> dict:
        with self._lock:
            return {"kept": len(self._done), "running": len(self._live),
                    "bytes": sum(r.nbytes for r in self._done.values()), **self.stats}


class _Leader:
    """The leader's snapshots, recorded for joiners as they pass. Finishing stores the run;
    an error, ``close()`` or being dropped before the end abandons it (joiners are told)."""

    def __init__(self, shared: Shared, key: Hashable, run: _Run, it: Iterator[Any]) -> None:
        self._shared, self._key, self._run, self._it = shared, key, run, it
        self._ended = False

    def __iter__(self) -> "_Leader":
        return self

    def __next__(self) -> Any:
        if self._ended:
            raise StopIteration
        try:
            snap = next(self._it)
        except StopIteration:
            self._finish(True)
            raise
        except BaseException:
            self._finish(False)
            raise
        run = self._run
        with run.cond:
            run.snaps.append(snap)
            run.nbytes += _nbytes(snap)
            run.cond.notify_all()
        return snap

    def _finish(self, finished: bool) -> None:
        if not self._ended:
            self._ended = True
            self._shared._end(self._key, self._run, finished)

    def close(self) -> None:
        if not self._ended:
            close = getattr(self._it, "close", None)
            if callable(close):
                close()
            self._finish(False)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass


_GATE: Gate | None = None
_SHARED: Shared | None = None
_ONCE = threading.Lock()


def gate() -> Gate:
    """The process's one gate (slots from :func:`default_slots`, read on first use)."""
    global _GATE
    with _ONCE:
        if _GATE is None:
            _GATE = Gate()
        return _GATE


def shared() -> Shared:
    """The process's one store of shared runs (``CNNLAB_SHARED_MB``, default 256 MB)."""
    global _SHARED
    with _ONCE:
        if _SHARED is None:
            try:
                mb = float(os.environ.get("CNNLAB_SHARED_MB", "256"))
            except ValueError:
                mb = 256.0
            _SHARED = Shared(max_bytes=int(max(0.0, mb) * (1 << 20)))
        return _SHARED
