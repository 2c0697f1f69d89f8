"""Timing helpers shared by the benchmarks (import as ``from _timing import best``)."""
from __future__ import annotations

import statistics
import time
from typing import Callable


def _seconds(fn: Callable[[], object], repeat: int, warmup: bool) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls (after one untimed call when ``warmup``)."""
    if warmup:
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def best(fn: Callable[[], object], repeat: int = 5, warmup: bool = True) -> float:
    """Fastest of ``repeat`` runs, in seconds (the least disturbed by other work)."""
    return min(_seconds(fn, repeat, warmup))


def median_ms(fn: Callable[[], object], repeat: int, warmup: bool = True) -> float:
    """Median of ``repeat`` runs, in milliseconds."""
    return statistics.median(_seconds(fn, repeat, warmup)) * 1000


def interleaved_ms(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median milliseconds of each function, timed round-robin (one warm-up call each), so a
    change in machine load during the run affects every variant alike."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            times[k] += _seconds(fn, 1, warmup=False)
    return {k: statistics.median(v) * 1000 for k, v in times.items()}


def sync(device: str) -> None:
    """Wait for queued GPU work, so a timer around it measures the work and not the queueing."""
    if str(device).startswith("cuda"):
        import torch

        torch.cuda.synchronize()
