"""Segmentation › Transposed convolution: the up-sampling step, cell by cell and on an image."""
from __future__ import annotations

import numpy as np
import streamlit as st

from core.convolution import conv_transpose2d
from core.segmentation.show import upsampling_views
from dashboard.i18n import _, tr
from pages.convolution import transposed


def render() -> None:
    st.subheader(_("Transposed convolution: the up-sampling step"))
    st.write(_("A regular convolution slides a *larger* input under the filter and sums. A transposed "
             "convolution does the opposite: every cell of a *small* input paints a copy of the "
             "filter, scaled by its value, onto a larger output, `s` cells apart; where copies "
             "overlap they add; finally `p` rows and columns are cut from every border."))
    c = st.columns(5)
    n = int(c[0].number_input(_("input n×n"), 1, 6, 2, key="seg-tc-n"))
    f = int(c[1].number_input(_("filter f×f"), 1, 5, 3, key="seg-tc-f"))
    s, p, op = transposed.settings("seg-tc", n, f, c[2:])
    x = np.arange(1, n * n + 1, dtype=float).reshape(n, n)
    k = np.ones((f, f))
    out = conv_transpose2d(x, k, stride=s, padding=p, output_padding=op)
    st.latex(transposed.formula(n, f, p, s, op))
    transposed.pictures(x, k, s, p, op, out, "seg-tc")
    transposed.link("seg")
    st.markdown(_("**On an image.** The U-Net's up-sampling is a learned 2×2 transposed convolution with "
                "stride 2: every cell becomes a 2×2 block, n → 2n. With a fixed filter you can see "
                "what the geometry does: a bilinear 4×4 filter (s=2, p=1) enlarges smoothly; a 3×3 "
                "filter with stride 2 covers some output cells twice and others once — the "
                "*checkerboard* pattern transposed convolutions are known for."))
    views = upsampling_views(11, 48)
    for col, (name, picture) in zip(st.columns(len(views)), views.items()):
        col.image(picture, caption=tr(name), width="stretch", clamp=True)
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `core.convolution.transposed_output_size(n, f, p, s, output_padding)` = (n − 1)·s + f − 2p "
            "+ out_pad (PyTorch's convention; the output padding, < s, adds rows/columns at the "
            "bottom/right to undo a strided convolution's floor). The Convolution lab's tab draws "
            "with the same code (`pages.convolution.transposed`).\n"
            "- `core.convolution.zero_insertion` gives the second view: s − 1 zeros between the "
            "cells, f − 1 − p around, the filter turned by 180°, an ordinary convolution.\n"
            "- `core.convolution.conv_transpose2d_steps` yields each input cell's painted copy and the "
            "canvas so far; `conv_transpose2d` does it all at once (numpy, checked against "
            "`torch.nn.functional.conv_transpose2d` in the convolution lab's tests).\n"
            "- In the U-Net (`core.segmentation.unet.UNet`) each up-step is "
            "`nn.ConvTranspose2d(2c, c, kernel_size=2, stride=2)`: f = s = 2, so copies never overlap "
            "and the size exactly doubles."))

