"""dashboard.heap: after a page run that imported modules, the heap is frozen, so the full
collection Streamlit's server runs after every script run no longer walks torch and the pages."""
from __future__ import annotations

import gc
import sys
import types

import pytest

from dashboard import heap


@pytest.fixture
def unfrozen(monkeypatch):
    gc.unfreeze()
    monkeypatch.setattr(heap, "_modules_at_freeze", 0)
    yield
    gc.unfreeze()


def test_settle_freezes_after_imports_and_then_waits_for_more(unfrozen, monkeypatch):
    assert heap.settle()                          # everything imported so far: frozen
    assert gc.get_freeze_count() > 10_000
    assert not heap.settle()                      # nothing new imported: left alone
    for i in range(heap.GROWTH):
        monkeypatch.setitem(sys.modules, f"_heap_test_{i}", types.ModuleType(f"_heap_test_{i}"))
    assert heap.settle()


def test_a_full_collection_after_settle_walks_only_new_objects(unfrozen):
    import torch  # noqa: F401 - what makes the heap large

    heap.settle()
    before = gc.get_freeze_count()
    garbage = [[] for _ in range(1000)]
    for a, b in zip(garbage, garbage[1:]):      # reference cycles: only the collector frees them
        a.append(b)
        b.append(a)
    del garbage, a, b
    assert gc.collect(2) >= 1000                # new cycles are still collected
    assert gc.get_freeze_count() == before


def test_the_page_wrapper_settles_after_every_run(monkeypatch):
    from dashboard import nav

    calls = []
    monkeypatch.setattr(heap, "settle", lambda: calls.append(1) or False)
    monkeypatch.setattr("dashboard.tabs.boundary", lambda fn, where="": None)
    nav.render_function("home")()
    assert calls == [1]
