"""Widgets more than one page needs: image picker, model picker with its provenance badge,
downloads. (Tabs are run by ``dashboard.tabs``, long jobs drawn by ``dashboard.jobs``.)"""
from __future__ import annotations

import hashlib
from typing import Any, Callable

import numpy as np
import streamlit as st

from core import images, zoo
from dashboard.i18n import N_, _, opt, shown, tr
from dashboard import urlstate
from dashboard.cache import get_model

UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "tif", "tiff", "webp"]
_SOURCES = [N_("Sample"), N_("Upload"), N_("Camera")]  # values (URL, state); shown translated (opt)


@st.cache_data(show_spinner=False, max_entries=32)
def _sample(name: str, max_side: int) -> np.ndarray:
    return images.load_sample(name, max_side=max_side)


@st.cache_data(show_spinner=False, max_entries=16)
def decode(data: bytes, max_side: int) -> np.ndarray:
    """An uploaded picture decoded (cached per content), longer side ≤ ``max_side``; raises
    ``ValueError`` with a clear message for anything that is not a usable image."""
    return images.load_image(data, max_side=max_side)


def image_input(key: str, default: str | None = None, *, label: str = N_("Image"),
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
    source = st.radio(_(label), _SOURCES, horizontal=True, key=f"{key}-source", format_func=opt,
                      help=_("Bundled samples work offline; uploads and snapshots stay in memory."))
    image: np.ndarray | None = None
    if source == "Sample":
        index = names.index(default) if default in names else 0
        name = st.selectbox(_("Sample image"), names, index=index, key=f"{key}-sample",
                            format_func=shown(list(table), lambda n: tr(table[n].title)))
        st.caption(f"{tr(table[name].description)} — `{table[name].source}`")
        try:
            image = _sample(name, max_side)
        except ValueError as e:
            st.error(_("This sample image cannot be loaded: {error}").format(error=tr(e.args[0] if e.args else e)))
    elif source == "Upload":
        up = st.file_uploader(_("Upload an image"), type=UPLOAD_TYPES, key=f"{key}-upload",
                              help=_("Up to {mb} MB; large pictures are scaled to {px} px on the "
                                     "longer side.").format(mb=images.MAX_FILE_BYTES // 2**20, px=max_side))
        if up is not None:
            image = _checked(up.getvalue(), max_side, up.name)
    else:
        shot = st.camera_input(_("Take a snapshot"), key=f"{key}-camera")
        if shot is not None:
            image = _checked(shot.getvalue(), max_side, _("camera snapshot"))
    if image is not None and show_preview:
        st.image(image, caption=f"{image.shape[1]}×{image.shape[0]} px", width=260)
    return image


def _checked(data: bytes, max_side: int, name: str) -> np.ndarray | None:
    try:
        return decode(data, max_side)
    except ValueError as e:
        st.error(f"**{name}**: {tr(e.args[0]) if len(e.args) == 1 else e}")
        return None


def _digest(*parts: bytes) -> str:
    h = hashlib.sha1()
    for p in parts:
        h.update(p)
    return h.hexdigest()[:12]


def _on_click(encode: Callable[..., bytes], *args: Any, **kwargs: Any) -> Callable[[], bytes]:
    """The file's bytes made when its download button is clicked (Streamlit calls it then)."""
    return lambda: encode(*args, **kwargs)


def download_png(image: np.ndarray, filename: str, label: str = N_("Download PNG"),
                 key: str | None = None) -> None:
    # With a key the file is encoded when the button is clicked, not on every rerun of the page
    # (a rerun that changes nothing paid for the PNG each time); without one the key comes from
    # the bytes.
    data = _on_click(images.to_png_bytes, image) if key else images.to_png_bytes(image)
    st.download_button(_(label), data=data, file_name=filename, mime="image/png",
                       key=key or f"png-{filename}-{_digest(data)}", icon=":material/download:",
                       on_click="ignore")


def download_gif(frames: list[np.ndarray], filename: str, label: str = N_("Download GIF"),
                 key: str | None = None, duration_ms: int = 120) -> None:
    if not frames:
        return
    # An animated GIF of a run (~80 frames) took seconds of CPU to encode: only on a click.
    data = _on_click(images.to_gif_bytes, list(frames), duration_ms=duration_ms) if key \
        else images.to_gif_bytes(frames, duration_ms=duration_ms)
    st.download_button(_(label), data=data, file_name=filename, mime="image/gif",
                       key=key or f"gif-{filename}-{_digest(data)}", icon=":material/animated_images:",
                       on_click="ignore")


def downloads(image: np.ndarray, frames: list[np.ndarray], stem: str, key: str,
              duration_ms: int = 120) -> None:
    """A result's PNG and its run as a GIF, side by side (keys ``{key}-png`` / ``{key}-gif``)."""
    d1, d2 = st.columns(2)
    with d1:
        download_png(image, f"{stem}.png", key=f"{key}-png")
    with d2:
        download_gif(frames, f"{stem}.gif", key=f"{key}-gif", duration_ms=duration_ms)


# --------------------------------------------------------------------------- models

def model_or_error(name: str, device: str | None = None) -> zoo.LoadedModel | None:
    """Like :func:`get_model`, but shows a clear message and returns None on failure."""
    try:
        return get_model(name, device)
    except zoo.ModelUnavailable as e:
        st.error(tr(e.args[0]) if len(e.args) == 1 else str(e))
    except ValueError as e:
        st.error(tr(e.args[0]) if len(e.args) == 1 else str(e))
    return None


def provenance_badge(lm: zoo.LoadedModel) -> None:
    """The model's provenance where users see it: green when pretrained as asked, orange when a
    bundled fallback stands in, blue for the visitor's own model (orange when its weights are
    random)."""
    if lm.meta.get("own"):
        mine = _("your detector") if lm.task == "detection" else _("your model")
        if lm.pretrained:
            st.badge(f"{lm.title} · {mine}", icon=":material/person:", color="blue")
        else:
            random = _("random weights")
            st.badge(f"{lm.title} · {mine} · {random}", icon=":material/casino:", color="orange")
        st.caption(tr(lm.provenance))
        if lm.meta.get("layers_note"):
            st.caption(f":material/info: {lm.title}: {tr(lm.meta['layers_note'])}.")
    elif lm.fallback:
        tag = _("bundled fallback")
        st.badge(f"{tr(lm.title)} · {tag}", icon=":material/offline_bolt:", color="orange")
        st.caption(tr(lm.provenance))
    else:
        tag = _("pretrained")
        st.badge(f"{tr(lm.title)} · {tag}", icon=":material/verified:", color="green")
        st.caption(tr(lm.provenance))


IMAGENET_CHOICES = {   # shown translated (the picker's format_func)
    "imagenet": N_("Best ImageNet classifier available (VGG-16 when its weights are cached)"),
    "efficientnet_lite0": N_("EfficientNet-Lite0 (bundled, always offline)"),
}


def model_picker(key: str, choices: dict[str, str] | None = None, *, own: bool = False,
                 label: str = N_("Model")) -> zoo.LoadedModel:
    """A model select box with the chosen model's provenance badge; stops the page with a
    clear message when the model cannot be had. ``own``: the visitor's own models are choices
    too, and the "Your model" expander (``dashboard.own_model``) sits under the box."""
    from dashboard import own_model

    choices = dict(choices or IMAGENET_CHOICES)
    if own:
        choices.update(own_model.choices())
    if st.session_state.get(key) not in (None, *choices):
        del st.session_state[key]          # a model of this visit that was dropped
    name = st.selectbox(_(label), list(choices), format_func=shown(list(choices), lambda n: tr(choices[n])), key=key)
    if own:
        own_model.expander(key)
    lm = model_or_error(name)
    if lm is None:
        st.stop()
    provenance_badge(lm)
    return lm


def how_it_works(text: str) -> None:
    """The "How it works" note a tab ends with: the steps in words and the ``core`` functions
    that did them (markdown)."""
    with st.expander(_("How it works")):
        st.markdown(text)
