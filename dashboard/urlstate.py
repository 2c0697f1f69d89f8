"""Page parameters in the URL, so a prepared link opens the exact demo.

A page (or a shared widget) calls :func:`restore` with widget keys before drawing the widgets:
values found in ``st.query_params`` seed ``st.session_state``. After the page has run, the app
shell calls :func:`publish`, which writes the current values of every key restored in this run
back into the URL. ``present`` (presentation mode) rides along the same way.
"""
from __future__ import annotations

import json
from typing import Any, Callable

import streamlit as st

_KEYS = "_cnnlab_url_keys"
ALWAYS = ("present",)  # the language ("lang") is restored by dashboard.i18n.selector each run


def begin() -> None:
    st.session_state[_KEYS] = []


def _decode(text: str) -> Any:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return text
    return value if isinstance(value, (int, float, bool, list)) else text


def _encode(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)) or (
            isinstance(value, (list, tuple)) and all(isinstance(v, (int, float, str)) for v in value)):
        return json.dumps(value if not isinstance(value, tuple) else list(value))
    return None  # uploads, images and other objects do not belong in a URL


def restore(*keys: str, valid: Callable[[str, Any], bool] | None = None) -> None:
    """Seed widget state from the URL (first run of this page only) and remember the keys."""
    registered = st.session_state.setdefault(_KEYS, [])
    for key in keys:
        if key not in registered:
            registered.append(key)
        if key in st.session_state or key not in st.query_params:
            continue
        value = _decode(st.query_params[key])
        if valid is None or valid(key, value):
            st.session_state[key] = value


def publish() -> None:
    keys = st.session_state.get(_KEYS, [])
    wanted = {}
    for key in keys:
        if key in st.session_state:
            text = _encode(st.session_state[key])
            if text is not None:
                wanted[key] = text
    for key in ALWAYS:
        if key in st.query_params:
            wanted[key] = st.query_params[key]
    current = {k: st.query_params[k] for k in st.query_params}
    if current != wanted:
        st.query_params.from_dict(wanted)


def presenting() -> bool:
    return st.query_params.get("present", "0") in ("1", "true", "yes")
