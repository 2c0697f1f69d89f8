"""No traceback, ever: when a ``core`` call used by the open tab fails, that tab shows one line,
the rest of the page keeps working, and the next interaction works again (issue 15, part 1)."""
from __future__ import annotations

import importlib

import pytest
import streamlit as st

from tests.pageapp import page_app

# (page, the core call its first tab makes on open, in the namespace the tab looks it up in)
FAILING_CALL = {
    "convolution": "core.convolution.apply_filter",
    "architectures": "core.architectures.summarize",
    "detection": "core.detection.boxes.evaluate_map",
    "segmentation": "pages.segmentation.transposed.conv_transpose2d",
    "inside": "core.zoo.LoadedModel.classify",
    "deepdream": "core.precompute.load",
    "style": "core.style.gram_report",
    "embeddings": "core.embeddings.metrics.comparison_cost",
}


def _target(path: str):
    module, _, name = path.rpartition(".")
    try:
        return importlib.import_module(module), name
    except ModuleNotFoundError:  # a class attribute: module.Class.method
        mod, _, cls = module.rpartition(".")
        return getattr(importlib.import_module(mod), cls), name


@pytest.mark.parametrize("page", list(FAILING_CALL))
def test_a_failing_core_call_stays_inside_its_tab(page, monkeypatch):
    owner, name = _target(FAILING_CALL[page])
    calls = []

    def boom(*args, **kwargs):
        calls.append(1)
        raise LookupError("simulated failure deep inside core")  # neither ValueError nor RuntimeError

    st.cache_data.clear()  # a cached result would hide the failing call
    monkeypatch.setattr(owner, name, boom)
    at = page_app(page, default_timeout=300).run()
    if page == "inside":  # its first tab computes on a button
        at.button(key="inside-classify-go").click().run()
    assert calls, f"{FAILING_CALL[page]} was not called by the open tab of {page}"
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any(e.startswith("This view failed: LookupError: simulated failure") for e in errors), errors
    assert all("Traceback" not in e for e in errors)
    assert at.title, "the page around the tab is still drawn"
    assert at.tabs, "the tab bar is still there"
    # the next interaction works again
    monkeypatch.undo()
    st.cache_data.clear()
    at.run()
    if page == "inside":
        at.button(key="inside-classify-go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if e.value.startswith("This view failed")]
