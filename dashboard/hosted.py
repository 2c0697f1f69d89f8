"""The hosted switch applied to the app (``core.hosted`` says what it sets).

:func:`apply` runs at the top of every script run (``dashboard/app.py``): the upload cap and the
error details, once per process; the visitor's session TTL and memory bound, every run; and,
at most once a minute, a sweep that resets other sessions idle past the TTL (a tab left open in
the back of the room keeps its pictures and models otherwise).
"""
from __future__ import annotations

import logging
import threading
import time

import streamlit as st

from core import hosted
from dashboard.i18n import _, tr

log = logging.getLogger("cnnlab")

SEEN = "_cnnlab-seen"            # when this session last ran (time.time())
_applied: dict[str, object] = {}
_sweep_lock = threading.Lock()
_last_sweep = [0.0]


def _process_options(s: hosted.Settings) -> None:
    """Options that belong to the whole server, set when they differ from what is set."""
    want = (s.upload_mb, s.error_details)
    if _applied.get("options") == want:
        return
    from streamlit import config

    # The uploader widgets read this when they are drawn (their limit in the browser); the
    # server's own request limit is Streamlit's ``server.maxUploadSize`` at start (docs/DEPLOY.md).
    config._set_option("server.maxUploadSize", int(s.upload_mb), "CNNLAB_UPLOAD_MB")
    if not s.error_details:
        st.set_option("client.showErrorDetails", "none")
        st.set_option("client.toolbarMode", "viewer")
    elif _applied.get("options") is not None and not _applied["options"][1]:   # hosted, then not
        st.set_option("client.showErrorDetails", "full")
        st.set_option("client.toolbarMode", "auto")
    _applied["options"] = want


def _expired(s: hosted.Settings, now: float) -> bool:
    seen = st.session_state.get(SEEN)
    return bool(s.session_ttl_s) and isinstance(seen, (int, float)) and now - seen > s.session_ttl_s


def _trim(s: hosted.Settings) -> list[tuple[str, int]]:
    """Drop this session's largest kept results while it holds more than its bound."""
    if not s.session_mb:
        return []
    items = [(k, v) for k, v in st.session_state.items() if isinstance(k, str) and k != SEEN
             and type(v).__name__ not in ("UploadedFile", "DeltaGenerator")]
    _, drop = hosted.over_budget(items, s.session_mb * (1 << 20))
    for k, _ in drop:
        try:
            del st.session_state[k]
        except Exception:  # noqa: BLE001 - a widget's value: Streamlit keeps it
            pass
    return drop


def _sweep(s: hosted.Settings, now: float) -> int:
    """Reset other sessions idle past the TTL; how many were reset. Uses Streamlit's runtime
    (not a public API: any failure only skips the sweep)."""
    if not s.session_ttl_s:
        return 0
    with _sweep_lock:
        if now - _last_sweep[0] < 60:
            return 0
        _last_sweep[0] = now
    n = 0
    try:
        from streamlit.runtime import Runtime

        for info in Runtime.instance()._session_mgr.list_sessions():
            state = info.session.session_state
            seen = state[SEEN] if SEEN in state else None
            if isinstance(seen, (int, float)) and now - seen > s.session_ttl_s:
                state.clear()
                n += 1
    except Exception as e:  # noqa: BLE001
        log.info("session sweep skipped: %s", e)
    return n


def apply() -> None:
    """Apply the hosted settings to this run (see the module docstring)."""
    s = hosted.settings()
    _process_options(s)
    now = time.time()
    if _expired(s, now):
        for k in list(st.session_state.keys()):
            try:
                del st.session_state[k]
            except Exception:  # noqa: BLE001
                pass
        st.info(_("This session was idle for more than {minutes:.0f} minutes, so it "
                  "started afresh (pictures, trained models and results are not kept that long on "
                  "this hosted demo).").format(minutes=s.session_ttl_s / 60), icon=":material/schedule:")
    st.session_state[SEEN] = now
    dropped = _trim(s)
    if dropped:
        mb = sum(n for _, n in dropped) / (1 << 20)
        st.toast(_("This hosted demo keeps at most {limit:.0f} MB per visitor: {mb:.0f} MB of "
                   "older results were let go (run them again to see them).").format(
                       limit=s.session_mb, mb=mb), icon=":material/memory:")
    _sweep(s, now)


def ice_check() -> None:
    """On a hosted demo, say what the live pages' ICE configuration lacks (a TURN server)."""
    if not hosted.hosted():
        return
    import json
    import os

    from dashboard.live import ice_servers

    raw = os.environ.get("CNNLAB_ICE_SERVERS")
    try:
        problems = hosted.ice_problems(json.loads(raw) if raw else ice_servers())
    except json.JSONDecodeError as e:
        problems = [_("CNNLAB_ICE_SERVERS is not valid JSON ({error}, character {pos}).").format(
            error=e.msg, pos=e.pos)]
    if problems:
        st.warning(_("**Live video on this hosted demo:** {problems} The camera-snapshot fallback below "
                     "works everywhere.").format(problems=" ".join(str(tr(p)) for p in problems)),
                   icon=":material/wifi_off:")
