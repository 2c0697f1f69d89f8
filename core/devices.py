"""Which device computations run on: CUDA > MPS > CPU, overridable with ``CNNLAB_DEVICE``."""
from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass

_VALID = ("cpu", "cuda", "mps")


def pick_device(preferred: str | None = None) -> str:
    """Return "cuda", "cuda:N", "mps" or "cpu".

    ``preferred`` (or the ``CNNLAB_DEVICE`` environment variable) wins when that device is
    really available; asking for an unavailable device raises ``ValueError`` so a typo does
    not silently fall back to a slower device.
    """
    import torch

    want = (preferred or os.environ.get("CNNLAB_DEVICE", "")).strip().lower()
    if want and want != "auto":
        base = want.split(":")[0]
        if base not in _VALID:
            raise ValueError(f"Unknown device {want!r}: use one of auto, cpu, cuda, cuda:N, mps.")
        if base == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"Device {want!r} was asked for, but CUDA is not available here.")
        if base == "mps" and not _mps_available(torch):
            raise ValueError(f"Device {want!r} was asked for, but Apple MPS is not available here.")
        return want
    if torch.cuda.is_available():
        return "cuda"
    if _mps_available(torch):
        return "mps"
    return "cpu"


def _mps_available(torch) -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


@dataclass
class DeviceInfo:
    device: str
    name: str
    detail: str  # memory for GPUs, threads for the CPU

    def __str__(self) -> str:
        return f"{self.name} ({self.detail})"


def device_info(device: str | None = None) -> DeviceInfo:
    import torch

    device = device or pick_device()
    if device.startswith("cuda"):
        idx = torch.device(device).index or 0
        props = torch.cuda.get_device_properties(idx)
        used = torch.cuda.memory_allocated(idx) / 2**30
        return DeviceInfo(device, f"CUDA · {props.name}",
                          f"{used:.2f} / {props.total_memory / 2**30:.1f} GiB in use")
    if device == "mps":
        return DeviceInfo(device, "Apple MPS", "unified memory")
    return DeviceInfo(device, "CPU", f"{torch.get_num_threads()} threads, {os.cpu_count()} cores")


def cpu_name() -> str:
    """The processor's model name (for cards and benchmark reports)."""
    import platform
    from pathlib import Path

    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _torch():
    import torch

    return torch


_LOCK = threading.Lock()
_ACTIVE: list[int] = []   # thread counts asked for by the blocks running now
_SAVED = 0


def env_int(name: str, minimum: int = 1) -> int | None:
    """A whole-number setting from the environment (at least ``minimum``); None when it is unset
    or not a number."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return max(minimum, int(value))
    except ValueError:
        return None


def job_threads() -> int:
    """PyTorch CPU threads for one heavy single-picture job (a dream, a style transfer, a class
    visualization, a small training loop): the deployment's ``CNNLAB_TORCH_THREADS``, else one
    on a machine of up to 4 cores, else half the cores (at most 8).

    Measured on the 2-core machine: small loops under contention ran 10-20x slower with two
    threads than with one (thread hand-offs between operations of a few microseconds), and a
    class-visualization step took 1.3-3.6 s with two threads against 0.24 s with one. On a big
    machine one thread would leave most of it idle for a single visitor.
    """
    env = env_int("CNNLAB_TORCH_THREADS")
    if env is not None:
        return env
    cores = os.cpu_count() or 1
    return 1 if cores <= 4 else min(8, cores // 2)


def apply_thread_policy() -> int | None:
    """At server start: with ``CNNLAB_TORCH_THREADS`` set, or on a hosted demo
    (``CNNLAB_HOSTED=1``), every PyTorch operation of the process (cheap views included) uses
    :func:`job_threads` threads, and the job queue runs cores ÷ that many jobs at once
    (``core.jobs.default_slots``). Otherwise (one local user) PyTorch's own default stays.
    Returns the value set, or None.

    Measured with the room benchmark (10 visitors pressing Dream, sharing off, 2 cores): 2 threads
    and one job at a time, 20.5 s for the room and 3.8 CPU-s per job; 1 thread and two at a time,
    18.1 s and 2.9 CPU-s; and with other work on the machine the 2-thread runs thrashed (9x)."""
    global _APPLIED
    from .hosted import hosted

    if env_int("CNNLAB_TORCH_THREADS") is None and not hosted():
        return None
    n = job_threads()
    if _APPLIED != n:            # once per process (the app calls this on every page run)
        _torch().set_num_threads(n)
        _APPLIED = n
    return n


_APPLIED: int | None = None


@contextlib.contextmanager
def torch_threads(n: int | str | None):
    """Run the block with ``torch.set_num_threads(n)`` (``None``: leave it alone; ``"job"``:
    :func:`job_threads`, the deployment's policy for one heavy job).

    Tiny networks (LeNet-5, the residual experiment's MLPs) and single-image loops gain
    nothing from several threads and, on a busy 2-core machine, lose a lot: thread hand-offs
    between operations of a few microseconds made a training step 15-20x slower than with one
    thread. The setting is process-wide: while blocks overlap, the latest request wins, and
    when the last one ends the value from before the first is restored.
    """
    global _SAVED
    if n is None:
        yield
        return
    token = job_threads() if n == "job" else int(n)
    with _LOCK:
        if not _ACTIVE:
            _SAVED = _torch().get_num_threads()
        _ACTIVE.append(token)
        _torch().set_num_threads(token)
    try:
        yield
    finally:
        with _LOCK:
            _ACTIVE.remove(token)
            _torch().set_num_threads(_ACTIVE[-1] if _ACTIVE else _SAVED)
