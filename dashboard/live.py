"""Live mode: any ``core`` frame function on the webcam, through streamlit-webrtc.

``live_view(key, frame_fn, params)`` draws the controls (resolution, FPS cap), the WebRTC
stream with an FPS/latency overlay, live statistics, and a camera-snapshot fallback that runs
the very same frame function. Frames are processed newest-first: when the function is slower
than the camera, older frames are dropped and counted, so latency never grows.

The :class:`FrameRunner` is plain Python, thread-safe and free of ``st.*`` calls: the WebRTC
worker thread calls it, the page thread updates its parameters.
"""
from __future__ import annotations

import json
import os
import threading
import time
from typing import Any, Callable

import numpy as np
import streamlit as st

from core.frames import draw_panel
from dashboard.i18n import DEFAULT, N_, _, current, tr

FrameFn = Callable[..., Any]


def ice_servers() -> list[dict]:
    """ICE servers from ``CNNLAB_ICE_SERVERS`` (JSON list) or Streamlit secrets ``ice_servers``.

    Empty by default: enough on localhost. A hosted app needs HTTPS and a TURN server here.
    """
    raw = os.environ.get("CNNLAB_ICE_SERVERS")
    if raw:
        try:
            servers = json.loads(raw)
            if isinstance(servers, list):
                return servers
        except json.JSONDecodeError:
            pass
    try:
        servers = st.secrets.get("ice_servers")  # type: ignore[union-attr]
        if servers:
            return [dict(s) for s in servers]
    except Exception:  # noqa: BLE001 - no secrets file is the normal local case
        pass
    return []


def split_result(result: Any) -> tuple[np.ndarray, Any]:
    """A frame function returns a frame, a (frame, data) pair, or an object with ``.image``
    (its other fields are the overlay data)."""
    if isinstance(result, tuple):
        return result[0], result[1]
    if isinstance(result, np.ndarray):
        return result, None
    return result.image, result


def _fit(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """Scale a camera frame down to ``max_side`` (bilinear down to half size, area averaging
    below that, where bilinear would alias)."""
    import cv2

    h, w = rgb.shape[:2]
    if max(h, w) <= max_side:
        return rgb
    s = max_side / max(h, w)
    return cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))),
                      interpolation=cv2.INTER_LINEAR if s >= 0.5 else cv2.INTER_AREA)


class FrameRunner:
    """Calls a frame function on frames arriving on another thread; keeps FPS/latency stats."""

    def __init__(self, fn: FrameFn, params: dict | None = None, max_side: int = 480,
                 fps_cap: float = 30.0, overlay: bool = True):
        self._lock = threading.Lock()
        self._fn, self._params = fn, dict(params or {})
        self.max_side, self.fps_cap, self.overlay = max_side, fps_cap, overlay
        self.frames_in = self.frames_processed = self.frames_dropped = 0
        self.fps = 0.0
        self.latency_ms = 0.0          # frame function + conversions, exponential average
        self.fn_ms = 0.0               # frame function alone
        self.last_data: Any = None
        self.last_error: str | None = None
        self._last_t: float | None = None
        self._last_out: np.ndarray | None = None

    def update(self, fn: FrameFn | None = None, params: dict | None = None,
               max_side: int | None = None, fps_cap: float | None = None,
               overlay: bool | None = None) -> None:
        with self._lock:
            if fn is not None:
                self._fn = fn
            if params is not None:
                self._params = dict(params)
            if max_side is not None:
                self.max_side = max_side
            if fps_cap is not None:
                self.fps_cap = fps_cap
            if overlay is not None:
                self.overlay = overlay

    def stats(self) -> dict:
        with self._lock:
            return {"fps": self.fps, "latency_ms": self.latency_ms, "fn_ms": self.fn_ms,
                    "processed": self.frames_processed, "dropped": self.frames_dropped,
                    "received": self.frames_in, "error": self.last_error, "data": self.last_data}

    def process(self, rgb: np.ndarray, dropped: int = 0) -> np.ndarray:
        """Run the frame function on one RGB frame (the newest), with the overlay."""
        t0 = time.perf_counter()
        with self._lock:
            fn, params, max_side, cap = self._fn, dict(self._params), self.max_side, self.fps_cap
            overlay = self.overlay
            self.frames_in += 1 + dropped
            self.frames_dropped += dropped
            if cap and self._last_t is not None and self._last_out is not None \
                    and t0 - self._last_t < 1.0 / cap:
                self.frames_dropped += 1
                return self._last_out
        frame = _fit(rgb, max_side)
        t1 = time.perf_counter()
        error = None
        try:
            out, data = split_result(fn(frame, **params))
        except Exception as e:  # noqa: BLE001 - keep the stream alive, show the problem on it
            out, data, error = frame, None, f"{type(e).__name__}: {e}"
        t2 = time.perf_counter()
        with self._lock:
            a = 0.2
            fn_ms, total_ms = (t2 - t1) * 1000, (t2 - t0) * 1000
            self.fn_ms = fn_ms if self.frames_processed == 0 else (1 - a) * self.fn_ms + a * fn_ms
            self.latency_ms = total_ms if self.frames_processed == 0 else \
                (1 - a) * self.latency_ms + a * total_ms
            if self._last_t is not None:
                inst = 1.0 / max(1e-6, t0 - self._last_t)
                self.fps = inst if self.fps == 0 else (1 - a) * self.fps + a * inst
            self._last_t = t0
            self.frames_processed += 1
            self.last_data, self.last_error = data, error
            fps, lat = self.fps, self.latency_ms
        if overlay:
            lines = [f"{fps:4.1f} fps  {lat:5.0f} ms"]
            if error:
                lines.append(error[:60])
            out = draw_panel(out, lines, corner="tr")
        with self._lock:
            self._last_out = out
        return out

    async def recv_queued(self, frames: list) -> list:
        """streamlit-webrtc ``queued_video_frames_callback``: process only the newest frame."""
        import av

        newest = frames[-1]
        out = self.process(newest.to_ndarray(format="rgb24"), dropped=len(frames) - 1)
        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(out), format="rgb24")
        vf.pts = newest.pts
        if newest.time_base is not None:
            vf.time_base = newest.time_base
        return [vf]


_RESOLUTIONS = {"320 px": 320, "480 px": 480, "640 px": 640, "960 px": 960}


def live_view(key: str, frame_fn: FrameFn, params: dict | None = None, *,
              default_side: int = 480, default_fps: int = 15, show_data: Callable[[Any], None] | None = None
              ) -> None:
    """Webcam live mode for a frame function, with a snapshot fallback using the same function."""
    params = params or {}
    c1, c2, c3 = st.columns([1, 1, 1])
    side_label = c1.selectbox(_("Resolution (longer side)"), list(_RESOLUTIONS),
                              index=list(_RESOLUTIONS.values()).index(default_side)
                              if default_side in _RESOLUTIONS.values() else 1, key=f"{key}-res")
    fps_cap = c2.slider(_("FPS cap"), 1, 30, default_fps, key=f"{key}-fps",
                        help=_("Frames beyond this rate are dropped, never queued."))
    overlay = c3.toggle(_("FPS / latency overlay"), value=True, key=f"{key}-overlay")
    runner: FrameRunner | None = st.session_state.get(f"{key}-runner")
    if runner is None:
        runner = FrameRunner(frame_fn, params)
        st.session_state[f"{key}-runner"] = runner
    runner.update(fn=frame_fn, params=params, max_side=_RESOLUTIONS[side_label],
                  fps_cap=float(fps_cap), overlay=overlay)

    live_tab, snap_tab = st.tabs([_("Live (WebRTC)"), _("Snapshot")])
    with live_tab:
        from dashboard.hosted import ice_check

        ice_check()          # a hosted demo: say when no TURN server is configured
        try:
            from streamlit_webrtc import WebRtcMode, webrtc_streamer
        except ImportError:
            st.warning(_("Live video needs the `streamlit-webrtc` package; the Snapshot tab works "
                         "without it."))
        else:
            try:
                ctx = webrtc_streamer(
                    key=f"{key}-webrtc", mode=WebRtcMode.SENDRECV,
                    rtc_configuration={"iceServers": ice_servers()},
                    queued_video_frames_callback=runner.recv_queued,
                    # Ask the camera for the working size, so most frames need no resizing.
                    media_stream_constraints={"video": {"width": {"ideal": _RESOLUTIONS[side_label]}},
                                              "audio": False},
                    async_processing=True, translations=_webrtc_texts())
            except Exception as e:  # noqa: BLE001 - e.g. no Streamlit server (bare/AppTest runs)
                st.warning(_("Live video cannot start here ({error}); the Snapshot tab "
                             "runs the same function.").format(error=type(e).__name__))
                ctx = None
            st.caption(_("Press **START** and allow the camera. On a hosted app the browser needs "
                         "HTTPS, and a TURN server (`CNNLAB_ICE_SERVERS`) when behind NAT. If the "
                         "stream does not connect, use the Snapshot tab: it runs the same function."))
            if ctx is not None:
                _stats(runner, key, bool(ctx.state.playing), show_data)
    with snap_tab:
        shot = st.camera_input(_("Take a snapshot"), key=f"{key}-snap")
        if shot is not None:
            from core.images import load_image

            try:
                rgb = load_image(shot.getvalue(), max_side=_RESOLUTIONS[side_label])
            except ValueError as e:
                st.error(tr(e.args[0]) if len(e.args) == 1 else str(e))
            else:
                out, data = split_result(frame_fn(rgb, **params))
                st.image(out, caption=_("The same frame function on the snapshot"), width=min(640, out.shape[1]))
                if show_data and data is not None:
                    show_data(data)


def _stats(runner: FrameRunner, key: str, playing: bool, show_data) -> None:
    @st.fragment(run_every=1.0 if playing else None)
    def panel():
        s = runner.stats()
        a, b, c, d = st.columns(4)
        a.metric("FPS", f"{s['fps']:.1f}")
        b.metric(_("Latency"), f"{s['latency_ms']:.0f} ms", help=_("Frame function plus conversions."))
        c.metric(_("Frames processed"), s["processed"])
        d.metric(_("Dropped"), s["dropped"], help=_("Older frames skipped to keep latency flat."))
        if s["error"]:
            st.error(_("The frame function failed: {error}").format(error=s["error"]))
        if show_data and s["data"] is not None:
            show_data(s["data"])
    panel()


#: the WebRTC component's own button and message texts (streamlit-webrtc ``translations``)
WEBRTC_TEXTS = {
    "start": N_("Start"), "stop": N_("Stop"), "select_device": N_("Select device"),
    "media_api_not_available": N_("This browser has no camera access (Media API not available)"),
    "device_ask_permission": N_("Allow this page to use the camera"),
    "device_not_available": N_("No camera is available"),
    "device_access_denied": N_("Camera access was denied"),
}


def _webrtc_texts() -> dict[str, str] | None:
    """The component's texts in the visitor's language (None in English: its own defaults)."""
    if current() == DEFAULT:
        return None
    return {k: _(v) for k, v in WEBRTC_TEXTS.items()}
