"""Convolution › Edge filters: a filter on a picture, both gradient directions, live mode."""
from __future__ import annotations

import numpy as np
import streamlit as st

from core import convolution as cv
from dashboard.i18n import N_, _, opt, tr
from dashboard.widgets import download_png, how_it_works, image_input

from .common import kernel_editor


def render() -> None:
    left, right = st.columns([1, 1], gap="large")
    with left:
        image = image_input("conv-edges", default="camera")
    with right:
        name, k = kernel_editor("conv-edges")
        with st.expander(_("Advanced")):
            border = st.selectbox(
                _("Border mode"), list(cv.BORDERS), key="conv-edges-border", format_func=opt,
                help=_("How pixels outside the picture are invented: reflect (dcb|abcd|cba), "
                       "replicate (aaa|abcd|ddd) or zero padding (000|abcd|000)."))
            max_side = st.select_slider(_("Working size (longer side, px)"),
                                        [256, 384, 512, 768, 1024], value=512,
                                        key="conv-edges-size")
    if image is None:
        st.info(_("Choose, upload or snap an image to filter it."))
        return
    img = cv.limit_size(image, max_side)
    _filtered(img, name, k, border)
    pair = _both_directions(img, border)
    _live(img, k, border)
    _explain(border, pair)


def _filtered(img: np.ndarray, name: str, k: np.ndarray, border: str) -> None:
    gray = cv.to_gray(img)
    c1, c2, c3 = st.columns(3)
    c1.image(gray.astype(np.uint8), caption=_("input (grey, {w}×{h})").format(w=img.shape[1], h=img.shape[0]),
             width="stretch")
    if cv.is_edge_kernel(k):
        resp = cv.apply_filter(gray, k, border)
        scale = cv.percentile_scale(resp, 98)
        signed = cv.signed_to_rgb(resp, scale)
        c2.image(signed, caption=_("signed response: red > 0, blue < 0, white = 0 (full colour at "
                                   "±{scale})").format(scale=f"{scale:.0f}"), width="stretch")
        c3.image(cv.magnitude_to_gray(resp, scale), caption=_("magnitude |response|"),
                 width="stretch")
        with c2:
            download_png(signed, "signed_response.png", key="conv-dl-signed")
        st.caption(_("Range of the response: {lo} … {hi}. The sign tells the direction of the "
                     "edge.").format(lo=f"{resp.min():.0f}", hi=f"{resp.max():.0f}")
                   + f" {tr(cv.edge_sign(k))}")
    else:
        out = cv.to_picture(cv.apply_filter(img, k, border))
        c2.image(img, caption=_("input (colour)"), width="stretch")
        c3.image(out, caption=_("filtered with '{name}' (weights sum to {total})").format(
            name=opt(name), total=f"{k.sum():.3g}"),
                 width="stretch")
        with c3:
            download_png(out, "filtered.png", key="conv-dl-filtered")


def _both_directions(img: np.ndarray, border: str) -> str:
    st.subheader(_("Both directions: gradient magnitude and orientation"))
    pair = st.radio(_("Filter pair"), list(cv.EDGE_PAIRS), horizontal=True, key="conv-pair",
                    format_func=lambda p: f"{opt(p)} ({' + '.join(map(opt, cv.EDGE_PAIRS[p]))})")
    maps = cv.gradients(img, pair, border)
    s = cv.percentile_scale(maps.magnitude, 98)
    d1, d2, d3, d4 = st.columns(4)
    d1.image(cv.signed_to_rgb(maps.gx, s), caption=_("x filter (vertical edges)"), width="stretch")
    d2.image(cv.signed_to_rgb(maps.gy, s), caption=_("y filter (horizontal edges)"), width="stretch")
    d3.image(cv.magnitude_to_gray(maps.magnitude, s), caption=_("magnitude √(gx² + gy²)"),
             width="stretch")
    d4.image(cv.orientation_to_rgb(maps, s),
             caption=_("orientation: hue = direction of increasing brightness "
                       "(red → right, yellow-green ↑, cyan ←, blue-violet ↓)"), width="stretch")
    return pair


def _live(img: np.ndarray, k: np.ndarray, border: str) -> None:
    with st.expander(_("Live mode: the frame function on your webcam"), icon=":material/videocam:"):
        st.caption(_("What a webcam stream shows: `core.convolution.edge_frame(frame, kernel, "
                     "display, gain)` — RGB uint8 in, RGB uint8 out, with a fixed scale so the "
                     "picture does not flicker between frames. A camera snapshot (Camera above) "
                     "goes through the same function."))
        lc = st.columns([1, 1, 2])
        live_kernel = lc[0].selectbox(_("Kernel"), [N_("this filter")] + list(cv.EDGE_PAIRS),
                                      key="conv-edges-live-k", format_func=opt)
        choices = ([N_("auto"), N_("magnitude"), N_("orientation"), N_("signed")]
                   if live_kernel in cv.EDGE_PAIRS else [N_("auto"), N_("signed"), N_("magnitude"), N_("image")])
        display = lc[1].selectbox(_("Display"), choices, key=f"conv-edges-live-d-{live_kernel}", format_func=opt)
        gain = lc[2].slider(_("Gain"), 0.5, 16.0, 4.0, step=0.5, key="conv-edges-live-g")
        kernel = k if live_kernel == "this filter" else live_kernel
        frame = cv.edge_frame(img, kernel, display, gain, border)
        st.image(frame, caption=f"edge_frame(…, display={display!r}, gain={gain})", width=480)
        if st.toggle(_("Webcam live mode"), key="conv-edges-live-on",
                     help=_("Streams your webcam through the same edge_frame function.")):
            from dashboard.live import live_view

            live_view("conv-edges-live", cv.edge_frame,
                      {"kernel": kernel, "display": display, "gain": gain, "border": border})


def _explain(border: str, pair: str) -> None:
    how_it_works(_(
        """
- The picture is turned grey (`core.convolution.to_gray`: 0.299 R + 0.587 G + 0.114 B).
- `core.convolution.apply_filter(image, kernel, border="{border}")` runs OpenCV's
  `filter2D`, which computes the same cross-correlation as `conv2d` (no flipping) with the
  kernel's centre as anchor, so the output keeps the input's size. Pixels outside the
  image come from the border mode; away from the border the result equals
  `core.convolution.conv2d` exactly (the tests check this).
- Edge filters sum to zero, so flat regions give 0 and the response is signed; they are
  drawn with a diverging map (`signed_to_rgb`). Blurs, sharpen and emboss sum to 1 and give
  back an image.
- `core.convolution.gradients(image, "{pair}")` applies the x and y filters and returns
  the magnitude √(gx²+gy²) and the direction in which brightness grows.
- Live mode uses the same maths: `core.convolution.edge_frame(frame, kernel)` turns any
  RGB frame (a camera snapshot here) into a picture.
"""
    ).format(border=border, pair=pair))
