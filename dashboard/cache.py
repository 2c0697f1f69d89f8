"""One shared instance of every model, across pages, sessions and threads.

Pages never load models themselves: they call :func:`get_model` (or the widgets
``model_picker`` / ``model_or_error`` in ``dashboard.widgets``), which wraps
``core.zoo.load`` in ``st.cache_resource`` keyed by (name, device). Cached models are
read-only (eval mode, frozen parameters); callers that attach hooks hold ``model.lock``.
"""
from __future__ import annotations

import gc
import threading

import streamlit as st

from core import zoo
from dashboard.i18n import _

_REGISTRY: dict[tuple[str, str], zoo.LoadedModel] = {}
_REGISTRY_LOCK = threading.Lock()


@st.cache_resource(show_spinner=False)
def current_device() -> str:
    from core.devices import pick_device

    return pick_device()


@st.cache_resource(show_spinner=False, max_entries=12)
def _load(name: str, device: str) -> zoo.LoadedModel:
    return zoo.load(name, device=device)


def get_model(name: str, device: str | None = None) -> zoo.LoadedModel:
    """The shared model; raises ``zoo.ModelUnavailable`` when it cannot be had at all. The
    visitor's own models (``dashboard.own_model``, kept in their session) are found first."""
    from dashboard.own_model import lookup

    mine = lookup(name)
    if mine is not None:
        return mine
    device = device or current_device()
    with st.spinner(_("Loading {name} on {device} (first use only)…").format(name=name, device=device)):
        lm = _load(name, device)
        if lm.fallback and zoo.late_ready(name, device):  # a load that ran past the limit is done
            _load.clear(name, device)
            lm = _load(name, device)
    with _REGISTRY_LOCK:
        _REGISTRY[(name, device)] = lm
    return lm


def loaded_models() -> list[zoo.LoadedModel]:
    with _REGISTRY_LOCK:
        return list(_REGISTRY.values())


def free_models() -> int:
    """Drop every cached model; returns how many were released."""
    with _REGISTRY_LOCK:
        n = len(_REGISTRY)
        _REGISTRY.clear()
    _load.clear()
    gc.collect()
    try:
        import sys

        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:  # noqa: BLE001
        pass
    return n
