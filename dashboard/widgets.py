"""Widgets more than one page needs: image picker, downloads, progress for long jobs."""
from __future__ import annotations

import hashlib
from typing import Iterable

import numpy as np
import streamlit as st

from core import images
from dashboard import urlstate
from core.snapshots import Snapshot

UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "tif", "tiff", "webp"]
_SOURCES = ["Sample", "Upload", "Camera"]


@st.cache_data(show_spinner=False, max_entries=32)
def _sample(name: str, max_side: int) -> np.ndarray:
    return images.load_sample(name, max_side=max_side)


@st.cache_data(show_spinner=False, max_entries=16)
def _decode(data: bytes, max_side: int) -> np.ndarray:
    return images.load_image(data, max_side=max_side)


def image_input(key: str, default: str | None = None, *, label: str = "Image",
                max_side: int = images.DEFAULT_MAX_SIDE, samples: list[str] | None = None,
                show_preview: bool = False) -> np.ndarray | None:
    """One control for a picture: a bundled sample, an upload, or a camera snapshot.

    Returns RGB uint8 H×W×3 (longer side ≤ ``max_side``) or None when nothing usable was given;
    problems are shown with ``st.error`` and never raise. Nothing uploaded is written to disk.
    """
    table = images.samples()
    names = [n for n in (samples or list(table)) if n in table]
    urlstate.restore(f"{key}-source", f"{key}-sample",
                     valid=lambda k, v: v in (_SOURCES if k.endswith("-source") else names))
    source = st.radio(label, _SOURCES, horizontal=True, key=f"{key}-source",
                      help="Bundled samples work offline; uploads and snapshots stay in memory.")
    image: np.ndarray | None = None
    if source == "Sample":
        index = names.index(default) if default in names else 0
        name = st.selectbox("Sample image", names, index=index, key=f"{key}-sample",
                            format_func=lambda n: table[n].title)
        st.caption(f"{table[name].description} — `{table[name].source}`")
        try:
            image = _sample(name, max_side)
        except ValueError as e:
            st.error(f"This sample image cannot be loaded: {e}")
    elif source == "Upload":
        up = st.file_uploader("Upload an image", type=UPLOAD_TYPES, key=f"{key}-upload",
                              help=f"Up to {images.MAX_FILE_BYTES // 2**20} MB; large pictures are "
                                   f"scaled to {max_side} px on the longer side.")
        if up is not None:
            image = _checked(up.getvalue(), max_side, up.name)
    else:
        shot = st.camera_input("Take a snapshot", key=f"{key}-camera")
        if shot is not None:
            image = _checked(shot.getvalue(), max_side, "camera snapshot")
    if image is not None and show_preview:
        st.image(image, caption=f"{image.shape[1]}×{image.shape[0]} px", width=260)
    return image


# Keys of widgets whose value Streamlit does not let a script assign (buttons, uploads, camera,
# WebRTC, data editors) and of objects that are not widget values at all (runners, results).
_NOT_ASSIGNABLE = ("upload", "camera", "-snap", "-webrtc", "-runner", "-grid-", "-go", "-run",
                   "-stop", "-dl", "-tab", "-enrol", "-del", "-plot", "-clear", "-samples")


def keep_tab_state(prefix: str, extra_skip: tuple[str, ...] = ()) -> None:
    """Keep the settings of tabs that are not drawn in this run.

    With ``st.tabs(..., on_change="rerun")`` only the open tab runs, and Streamlit forgets the
    state of widgets that were not drawn; re-assigning the page's own keys (those starting with
    ``prefix``) keeps them. Call it once, before the tabs.
    """
    skip = _NOT_ASSIGNABLE + tuple(extra_skip)
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        value = st.session_state[key]
        if any(part in key for part in skip):
            continue
        if isinstance(value, (str, int, float, bool, type(None))) or (
                isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float, bool)) for v in value)):
            st.session_state[key] = value


def _checked(data: bytes, max_side: int, name: str) -> np.ndarray | None:
    try:
        return _decode(data, max_side)
    except ValueError as e:
        st.error(f"**{name}**: {e}")
        return None


def _digest(*parts: bytes) -> str:
    h = hashlib.sha1()
    for p in parts:
        h.update(p)
    return h.hexdigest()[:12]


def download_png(image: np.ndarray, filename: str, label: str = "Download PNG",
                 key: str | None = None) -> None:
    data = images.to_png_bytes(image)
    st.download_button(label, data=data, file_name=filename, mime="image/png",
                       key=key or f"png-{filename}-{_digest(data)}", icon=":material/download:")


def download_gif(frames: list[np.ndarray], filename: str, label: str = "Download GIF",
                 key: str | None = None, duration_ms: int = 120) -> None:
    if not frames:
        return
    data = images.to_gif_bytes(frames, duration_ms=duration_ms)
    st.download_button(label, data=data, file_name=filename, mime="image/gif",
                       key=key or f"gif-{filename}-{_digest(data)}", icon=":material/animated_images:")


def follow(snapshots: Iterable[Snapshot], key: str, *, image_caption: str = "",
           image_width: int | str = "content", every: int = 1) -> Snapshot | None:
    """Draw a core iterator's progress: a bar, the current image, and a Stop button.

    Pressing Stop reruns the page, which interrupts the loop (Streamlit stops the running
    script at its next call); the last snapshot stays in ``st.session_state[key]`` so the page
    can show what was reached. Returns the last snapshot when the loop ends by itself.
    """
    st.button("Stop", key=f"{key}-stop", icon=":material/stop_circle:",
              help="Stops the run; the last intermediate result stays on the page.")
    bar = st.progress(0.0)
    slot = st.empty()
    last: Snapshot | None = None
    for i, snap in enumerate(snapshots):
        last = snap
        st.session_state[key] = snap
        if i % every == 0 or snap.step >= snap.total:
            bar.progress(snap.fraction, text=snap.describe())
            if snap.image is not None:
                slot.image(snap.image, caption=image_caption or snap.describe(), width=image_width)
    if last is not None:
        bar.progress(1.0 if last.step >= last.total else last.fraction, text=last.describe())
    return last
