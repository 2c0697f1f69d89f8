"""Long jobs on a page: progress, the current picture, a Stop button and the snapshot history.

Every long job in ``core`` is an iterator of snapshots (:class:`core.snapshots.Snapshot`, or any
object with ``fraction``). :func:`follow` draws it; pressing Stop (or changing any widget) reruns
the page, which interrupts the loop at its next Streamlit call, and what was reached stays in
``st.session_state`` so the page can show it (:func:`interrupted`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
import streamlit as st

from dashboard.i18n import N_, _, tr


@dataclass
class History:
    """What a run went through: one row of numbers per snapshot, and its pictures."""
    rows: list[dict] = field(default_factory=list)
    frames: list[np.ndarray] = field(default_factory=list)
    seconds: float = 0.0
    done: bool = False

    def add(self, snap: Any, row: Callable[[Any], dict] | None = None) -> None:
        if row is not None:
            self.rows.append(row(snap))
        else:
            info = getattr(snap, "info", {}) or {}
            self.rows.append({"step": getattr(snap, "step", len(self.rows)),
                              "total": getattr(snap, "loss", None),
                              **{k: v for k, v in info.items() if isinstance(v, float)}})
        image = getattr(snap, "image", None)
        if image is not None:
            self.frames.append(image)


def _describe(snap: Any) -> str:
    describe = getattr(snap, "describe", None)
    return describe() if callable(describe) else ""


def _text(describe: Callable[[Any], str], snap: Any) -> str:
    """The bar's text for ``snap`` in the visitor's language (``core`` hands a ``Msg``)."""
    return tr(describe(snap))


def _wait_text(ticket: Any, gate: Any) -> str:
    pos, eta, start = ticket.position(), ticket.eta(), ticket.starts_in()
    ahead = _("you are next") if pos <= 1 else _("{n} job(s) ahead of you").format(n=pos - 1)
    when = " · " + _("done in about {s:.0f} s").format(s=eta) if eta is not None else \
        " · " + _("starts in about {s:.0f} s").format(s=start) if start is not None else ""
    return _("Waiting for a free slot: {ahead} ({slots} run at once on this server)").format(
        ahead=ahead, slots=gate.slots) + when


def _shared_text(what: str) -> str:
    return _("Shared run (another visitor started the same picture, model and settings) · {what}").format(
        what=what)


def follow(snapshots: Iterable[Any], key: str, *, image_caption: str = "",
           image_width: int | str = "content", every: int = 1,
           describe: Callable[[Any], str] | None = None,
           on_snapshot: Callable[[Any], None] | None = None,
           history: History | None = None, row: Callable[[Any], dict] | None = None,
           stop_help: str = N_("Stops the run; the last intermediate result stays on the page."),
           area=None, keep: bool = False, role: str | None = None) -> Any:
    """Draw a core iterator's progress: a Stop button, a bar, the current image.

    ``describe(snap)`` gives the bar's text (default ``snap.describe()``); ``on_snapshot(snap)``
    draws anything else (curves) every ``every`` snapshots and on the last; ``history`` records
    every snapshot (``row(snap)`` makes its row). The last snapshot is kept in
    ``st.session_state[key]`` and returned when the loop ends by itself. ``area`` is a container
    to draw the button and bar in (default: here).

    Every job goes through the server's one gate (``core.jobs.gate``): when all its slots are
    busy the bar shows the place in line and an ETA, and Stop (or any widget change) leaves the
    line. A shared run (``core.precompute.start(..., share=True)``; ``role`` is read from the
    iterator, or given when a page wraps it) takes no slot when it joins or replays another
    visitor's run.

    When the loop ends by itself the Stop button, the bar and the live picture are removed
    (a dead Stop button must not stay on the page): the caller draws the result it returns.
    ``keep=True`` leaves the bar (at 100 %) and the last picture in place instead.
    """
    from core import jobs as core_jobs

    describe = describe or _describe
    role = role or getattr(snapshots, "role", "own")
    holder = (area if area is not None else st).empty()
    with holder.container():
        stop = st.empty()
        stop.button(_("Stop"), key=f"{key}-stop", icon=":material/stop_circle:", help=_(stop_help))
        bar = st.progress(0.0, text=_("starting…"))
        slot = st.empty()
    st.session_state[f"{key}-active"] = True
    st.session_state[f"{key}-role"] = role
    last = None
    gate = core_jobs.gate()
    ticket = gate.ticket(kind=key) if role in ("own", "lead") else None
    t0 = time.perf_counter()
    try:
        if ticket is not None:
            while not ticket.wait(0.4):          # each redraw is where Stop / leaving interrupts
                bar.progress(0.0, text=_wait_text(ticket, gate))
            t0 = time.perf_counter()
        if role == "join":
            bar.progress(0.0, text=_shared_text(_("waiting for its next step")))
        for i, snap in enumerate(snapshots):
            if snap is None:                     # the shared run's leader has no new step yet
                bar.progress(float(last.fraction) if last is not None else 0.0,
                             text=_shared_text(_text(describe, last) if last is not None
                                               else _("waiting for it to start")))
                continue
            last = snap
            st.session_state[key] = snap
            if history is not None:
                history.add(snap, row)
                history.seconds = time.perf_counter() - t0
            final = getattr(snap, "step", 0) >= getattr(snap, "total", 1)
            if role == "replay" and not final:   # computed before: only the numbers, then the end
                continue
            if i % every == 0 or final:
                text = _text(describe, snap)
                bar.progress(float(snap.fraction), text=_shared_text(text) if role == "join" else text)
                image = getattr(snap, "image", None)
                if image is not None:
                    slot.image(image, caption=_(image_caption) if image_caption else text, width=image_width)
                if on_snapshot is not None:
                    on_snapshot(snap)
    except core_jobs.Abandoned:
        st.session_state.pop(f"{key}-active", None)
        holder.empty()
        st.warning(_("This run was shared with another visitor (same picture and settings), who stopped "
                     "it. Press the button again to run it yourself."))
        return None
    except Exception:  # the job failed (shown by the tab's error boundary): no dead Stop
        st.session_state.pop(f"{key}-active", None)
        holder.empty()
        raise
    finally:
        if ticket is not None:
            ticket.release()
        close = getattr(snapshots, "close", None)
        if callable(close):
            close()                              # a shared run stopped part-way is abandoned now
    st.session_state.pop(f"{key}-active", None)
    if history is not None:
        history.seconds = time.perf_counter() - t0
        history.done = True
    if role == "replay":
        st.toast(_("Computed earlier for the same picture, model and settings: shown from the "
                   "server's shared results."), icon=":material/share:")
    if not keep:
        holder.empty()
    else:
        stop.empty()
        if last is not None:
            done = getattr(last, "step", 0) >= getattr(last, "total", 1)
            bar.progress(1.0 if done else float(last.fraction), text=_text(describe, last))
    return last


def interrupted(key: str) -> Any:
    """The last snapshot of a run that :func:`follow` was drawing when the page was rerun
    (Stop, or any widget change), once; None when there was none."""
    if st.session_state.pop(f"{key}-active", None) is None:
        return None
    return st.session_state.get(key)
