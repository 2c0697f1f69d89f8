"""The one way a page runs its tabs: lazy open, kept tab state, and the one error boundary.

A page lists its tabs once::

    TABS = [Tab("Edge filters", edges.render), Tab("Pooling", pooling.render)]
    tabs.run(TABS, "conv-")              # or tabs.run(TABS, "inside-", ctx) to hand shared inputs

Only the open tab runs (``st.tabs(..., on_change="rerun")``), the settings of the others are
kept (:func:`keep_tab_state`), and every tab body runs inside :func:`boundary`: a ``ValueError``
from ``core`` is shown as its own clear message, any other exception becomes one line in that
tab ("This view failed: …") while the traceback goes to the server log, and the rest of the page,
the other tabs and the sidebar keep working.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import streamlit as st
from streamlit.errors import StreamlitAPIException

from core import hosted
from dashboard.i18n import _, tr

log = logging.getLogger("cnnlab")

# Keys of widgets whose value Streamlit does not let a script assign (buttons, uploads, camera,
# WebRTC, data editors) and of objects that are not widget values at all (runners, results).
# Matched as whole "-"-separated parts of the key, so "-go" does not also match "-gold".
NOT_ASSIGNABLE = ("upload", "camera", "png", "gif", "snap", "webrtc", "runner", "grid", "go", "run", "stop",
                  "dl", "tab", "enrol", "del", "plot", "clear", "samples")


@dataclass(frozen=True)
class Tab:
    """One tab of a page: its title and the function that draws it."""
    title: str
    render: Callable[..., None]


def _skipped(key: str, skip: Sequence[str]) -> bool:
    parts = key.split("-")
    for s in skip:
        s = s.strip("-")
        if "-" in s:
            if f"-{s}-" in f"-{key}-":
                return True
        elif s in parts:
            return True
    return False


def keep_tab_state(prefix: str, extra_skip: Sequence[str] = ()) -> None:
    """Keep the settings of tabs that are not drawn in this run.

    With ``st.tabs(..., on_change="rerun")`` only the open tab runs, and Streamlit forgets the
    state of widgets that were not drawn; re-assigning the page's own keys (those starting with
    ``prefix``) keeps them. :func:`run` calls it once, before the tabs; widgets already drawn
    in this run (a page's shared inputs above the tabs) are left alone.
    """
    skip = NOT_ASSIGNABLE + tuple(extra_skip)
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        if _skipped(key, skip):
            continue
        value = st.session_state[key]
        # None is skipped too: an empty uploader or camera (whatever its key) holds None, and
        # Streamlit refuses a value set for those.
        if isinstance(value, (str, int, float, bool)) or (
                isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float, bool)) for v in value)):
            try:
                st.session_state[key] = value
            except StreamlitAPIException:  # drawn above the tabs in this run: kept anyway
                pass


def debugging() -> bool:
    """``CNNLAB_DEBUG=1`` (set by ``make dev``): developers see tracebacks in the page too."""
    return os.environ.get("CNNLAB_DEBUG", "") not in ("", "0")


def one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(e).__name__}: {first}" if first else type(e).__name__


def boundary(fn: Callable[..., Any], *args: Any, where: str = "", **kwargs: Any) -> Any:
    """Run ``fn`` so that nothing it raises reaches the user as a traceback.

    ``ValueError`` (the lab's "bad input" signal from ``core``) is shown as its message; any
    other exception is logged with its traceback and shown as one line. Streamlit's own control
    flow (``st.stop``, ``st.rerun``, a rerun that interrupts the script) passes through.
    """
    try:
        return fn(*args, **kwargs)
    except ValueError as e:  # core's message (a core.i18n.Msg) in the visitor's language
        st.error(tr(e.args[0]) if len(e.args) == 1 else str(e), icon=":material/error:")
    except Exception as e:  # noqa: BLE001 - this is the boundary
        if _out_of_memory(e):
            log.warning("view %r ran out of memory: %s", where, one_line(e))
            free_memory()
            st.error(_("This ran out of memory. Try a smaller working size, fewer steps or a smaller "
                       "picture (large pictures are processed in tiles where the page offers it); "
                       "the memory was freed and the next run can go ahead."), icon=":material/memory:")
            return None
        ref = f"{abs(hash((where, time.time()))) % 16**6:06x}"
        log.exception("view %r failed (ref %s)", where or getattr(fn, "__qualname__", fn), ref)
        if hosted.settings().error_details:
            st.error(_("This view failed: {error}. The rest of the lab keeps working.").format(
                error=one_line(e)), icon=":material/error:")
        else:       # a hosted demo names no exception: the server log has it under this reference
            st.error(_("This view failed (reference {ref} in the server log). The rest of the lab "
                       "keeps working.").format(ref=ref), icon=":material/error:")
        if debugging():
            st.exception(e)
    return None


def _out_of_memory(e: BaseException) -> bool:
    """CPU ``MemoryError`` or PyTorch's ``torch.cuda.OutOfMemoryError`` (by name: no torch import)."""
    return isinstance(e, MemoryError) or type(e).__name__ == "OutOfMemoryError" \
        or "out of memory" in str(e).lower()[:200]


def free_memory() -> None:
    """Give memory back after a job failed for the lack of it (Python garbage, CUDA cache)."""
    import gc
    import sys

    gc.collect()
    torch = sys.modules.get("torch")
    try:
        if torch is not None and torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:  # noqa: BLE001 - best effort
        pass


def run(tabs: Sequence[Tab], prefix: str, *args: Any, extra_skip: Sequence[str] = ()) -> int | None:
    """Draw the tab bar and run the open tab's ``render(*args)`` inside :func:`boundary`.

    Returns the index of the tab that ran (None when Streamlit does not track tab state, in
    which case every tab runs).
    """
    keep_tab_state(prefix, extra_skip)
    key, kept = f"{prefix}tab", f"_{prefix}tab-kept"
    english = [t.title for t in tabs]   # marked N_ by the page; shown in the visitor's language
    titles = [_(t) for t in english]
    # Streamlit forgets a widget's value after a run that did not draw it (a page that stopped
    # above its tabs while no picture was chosen): bring the user back to the tab they were in.
    # The kept tab is its English title, so it survives a change of language too.
    if key not in st.session_state and st.session_state.get(kept) in english:
        st.session_state[key] = titles[english.index(st.session_state[kept])]
    handles = st.tabs(titles, key=key, on_change="rerun")
    if st.session_state.get(key) in titles:
        st.session_state[kept] = english[titles.index(st.session_state[key])]
    opened = None
    for i, (handle, tab) in enumerate(zip(handles, tabs)):
        if handle.open is False:
            continue
        with handle:
            boundary(tab.render, *args, where=f"{prefix}{tab.title}")
        if handle.open:
            opened = i
    return opened
