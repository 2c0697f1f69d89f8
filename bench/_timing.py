"""Timing helpers shared by the benchmarks (import as ``from _timing import best``)."""
from __future__ import annotations

import statistics
import time
from typing import Callable


def best(fn: Callable[[], object], repeat: int = 5, warmup: bool = True) -> float:
    """Fastest of ``repeat`` runs, in seconds (the least disturbed by other work)."""
    if warmup:
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def median_ms(fn: Callable[[], object], repeat: int, warmup: bool = True) -> float:
    """Median of ``repeat`` runs, in milliseconds."""
    if warmup:
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def sync(device: str) -> None:
    """Wait for queued GPU work, so a timer around it measures the work and not the queueing."""
    if str(device).startswith("cuda"):
        import torch

        torch.cuda.synchronize()
