"""Convolution › 1×1 conv: channel mixing at every pixel, on numbers, on a photo, as a bottleneck."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import convolution as cv
from dashboard.figures import fmt, matrix, row, show, sizes
from dashboard.i18n import N_, _, opt
from dashboard.widgets import download_png, how_it_works

from .common import picture_section

MIXES = {
    N_("grey (luma)"): [[0.299, 0.299, 0.299], [0.587, 0.587, 0.587], [0.114, 0.114, 0.114]],
    N_("swap red and blue"): [[0, 0, 1], [0, 1, 0], [1, 0, 0]],
    N_("sepia"): [[0.393, 0.349, 0.272], [0.769, 0.686, 0.534], [0.189, 0.168, 0.131]],
    N_("identity"): [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
}


def render() -> None:
    st.write(_("On one channel a 1×1 filter only multiplies by a number. With many channels it "
               "takes the n_C numbers at each pixel and mixes them — a small fully connected "
               "layer applied at every position (\"network in network\"). It can shrink the "
               "number of channels, which pooling cannot."))
    c = st.columns([2, 3], vertical_alignment="bottom")
    k_out = c[0].slider(_("Number of 1×1×32 filters"), 1, 64, 8, key="conv-1x1-k")
    ex = cv.one_by_one_example(k_out)
    c[1].markdown(_("6×6×32 * {k} × (1×1×32) → **{shape}**, {params} parameters.").format(
        k=k_out, shape='×'.join(map(str, ex.out.shape)), params=f"{cv.conv_params(1, 32, k_out):,}"))
    _strip(ex)
    _photo()
    _bottleneck()
    how_it_works(_(
        "- A 1×1 convolution is `core.convolution.conv2d(x, w)` with w of shape "
        "1×1×C×K: at each pixel the C-vector is multiplied by a C×K matrix.\n"
        "- `core.convolution.bottleneck_mults(h, w, c_in, c_out, f, c_mid)` counts "
        "H·W·K·f²·C multiplications per layer."
    ))


ROWS = (N_("x: input"), N_("w: filter 1"), "x · w")


def _strip(ex: cv.OneByOneExample) -> None:
    """Pixel (0, 0)'s 32 inputs, filter 1's 32 weights and their products: two labelled
    blocks of 16 channels, large enough to read."""
    s = sizes()
    c = ex.pixel.shape[1]
    half = (c + 1) // 2
    label_w = round(96 * s.scale)
    st.markdown(_("**Pixel (0, 0):** {c} input values × the {c} weights of filter 1, "
                  "summed: Σ x·w = **{value}** (output channel 1 at that pixel).").format(
        c=c, value=fmt(ex.out[0, 0, 0])))
    with row("small"):
        for lo in range(0, c, half):
            part = ex.pixel[:, lo:lo + half]
            fig = matrix(part, cell=40, font=14, zrange=(-6, 6),
                         title=_("channels {first}–{last}: Σ x·w = {sum}").format(
                             first=lo + 1, last=lo + part.shape[1], sum=fmt(part[2].sum())))
            plot_w = fig.layout.width - 2 - fig.layout.margin.r  # the cells themselves
            width = fig.layout.width + label_w
            bottom = round(22 * s.scale)  # room for the channel numbers
            fig.update_layout(width=width, height=fig.layout.height + bottom,
                              margin={"l": label_w + 2, "r": width - label_w - 2 - plot_w,
                                      "b": bottom})
            fig.update_yaxes(visible=True, tickvals=[0, 1, 2], ticktext=[_(r) for r in ROWS], showgrid=False,
                             zeroline=False, ticks="", tickfont={"size": round(13 * s.scale)})
            fig.update_xaxes(visible=True, tickvals=list(range(part.shape[1])), showgrid=False,
                             ticktext=[str(lo + i + 1) for i in range(part.shape[1])], ticks="",
                             zeroline=False, tickfont={"size": round(11 * s.scale)})
            show(fig, f"1x1-dot-{lo}")
    total, others = fmt(ex.out[0, 0, 0]), ex.out.shape[2] - 1
    st.caption(_("Numbers under the columns: the channel. The two sums add up to "
                 "{total}; the other {others} filter(s) do the same with "
                 "their own weights, at every one of the 6×6 pixels.").format(total=total, others=others)
               if others > 0 else
               _("Numbers under the columns: the channel. The two sums add up to "
                 "{total}, at every one of the 6×6 pixels with the same weights.").format(total=total))


def _photo() -> None:
    image, left, right = picture_section(_("On a photo: 1×1 convolution = colour mixing"),
                                         "conv-1x1", "astronaut")
    with left:
        preset = st.selectbox(_("Mixing (3 inputs → 3 outputs)"), list(MIXES), key="conv-1x1-mix",
                              format_func=opt)
        df = pd.DataFrame(MIXES[preset], columns=["→R", "→G", "→B"], index=["R", "G", "B"])
        m = st.data_editor(df, key=f"conv-1x1-grid-{preset}", width="content").to_numpy(float)
        if np.isnan(m).any():
            raise ValueError(_("Every weight of the 1×1 filters needs a number."))
    if image is not None:
        img = cv.limit_size(image, 384)
        mixed = cv.to_picture(cv.conv2d(img, m[None, None]))
        with right:
            a, b = st.columns(2)
            a.image(img, caption=_("input H×W×3"), width="stretch")
            b.image(mixed, caption=_("3 filters of 1×1×3 → H×W×3"), width="stretch")
            download_png(mixed, "one_by_one.png", key="conv-dl-1x1")


def _bottleneck() -> None:
    st.subheader(_("As a bottleneck"))
    c = st.columns(6)
    h = c[0].number_input("H = W", 1, 1024, 28, key="conv-bn-h")
    cin = c[1].number_input(_("input channels"), 1, 4096, 192, key="conv-bn-cin")
    cout = c[2].number_input(_("output channels"), 1, 4096, 32, key="conv-bn-cout")
    f = c[3].number_input(_("f (same conv)"), 1, 15, 5, step=2, key="conv-bn-f")
    cmid = c[4].number_input(_("1×1 bottleneck channels"), 1, 4096, 16, key="conv-bn-mid")
    cost = cv.bottleneck_mults(int(h), int(h), int(cin), int(cout), int(f), int(cmid))
    c[5].metric(_("saving"), f"{cost['direct'] / cost['bottleneck']:.1f}×")
    fig = go.Figure(go.Bar(
        x=[cost["direct"], cost["reduce"], cost["conv"]],
        y=[_("{f}×{f} conv directly").format(f=f), _("1×1 → {c} channels").format(c=cmid),
           _("then {f}×{f} conv").format(f=f)],
        orientation="h", marker_color=["#b2182b", "#2166ac", "#4393c3"],
        text=[f"{v / 1e6:.1f} M" for v in (cost["direct"], cost["reduce"], cost["conv"])],
        textposition="auto"))
    fig.update_layout(height=round(190 * sizes().scale), margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis_title=_("multiplications"), yaxis={"autorange": "reversed"})
    show(fig, "bn-bar", width="stretch")
    st.caption(_("{h}×{h}×{cin} → {h}×{h}×{cout}: {direct} multiplications directly, "
                 "{bottleneck} through the bottleneck (Inception's trick). Shrink it too "
                 "much and accuracy suffers.").format(
        h=h, cin=cin, cout=cout, direct=f"{cost['direct']:,}", bottleneck=f"{cost['bottleneck']:,}"))
