"""Segmentation › Transposed convolution: the up-sampling step, cell by cell and on an image."""
from __future__ import annotations

import numpy as np
import streamlit as st

from core.convolution import conv_transpose2d, conv_transpose2d_steps, transposed_output_size
from core.segmentation.show import upsampling_views
from dashboard import figures


def render() -> None:
    st.subheader("Transposed convolution: the up-sampling step")
    st.write("A regular convolution slides a *larger* input under the filter and sums. A transposed "
             "convolution does the opposite: every cell of a *small* input paints a copy of the "
             "filter, scaled by its value, onto a larger output, `s` cells apart; where copies "
             "overlap they add; finally `p` rows and columns are cut from every border.")
    c1, c2, c3, c4 = st.columns(4)
    n = c1.number_input("input n×n", 1, 6, 2, key="seg-tc-n")
    f = c2.number_input("filter f×f", 1, 5, 3, key="seg-tc-f")
    s = c3.number_input("stride s", 1, 4, 2, key="seg-tc-s")
    p = c4.number_input("padding p", 0, 3, 0, key="seg-tc-p")
    x = np.arange(1, n * n + 1, dtype=float).reshape(n, n)
    k = np.ones((f, f))
    try:
        size = transposed_output_size(n, f, p, s)
    except ValueError as e:  # shown here, so the picture part below still runs
        st.error(str(e))
        size = None
    if size is not None:
        _steps(x, k, n, f, s, p, size)
    st.markdown("**On an image.** The U-Net's up-sampling is a learned 2×2 transposed convolution with "
                "stride 2: every cell becomes a 2×2 block, n → 2n. With a fixed filter you can see "
                "what the geometry does: a bilinear 4×4 filter (s=2, p=1) enlarges smoothly; a 3×3 "
                "filter with stride 2 covers some output cells twice and others once — the "
                "*checkerboard* pattern transposed convolutions are known for.")
    views = upsampling_views(11, 48)
    for col, (name, picture) in zip(st.columns(len(views)), views.items()):
        col.image(picture, caption=name, width="stretch", clamp=True)
    with st.expander("How it works"):
        st.markdown(
            "- `core.convolution.transposed_output_size(n, f, p, s)` = (n − 1)·s − 2p + f (PyTorch's "
            "convention; `output_padding` adds one more row/column to undo a strided convolution's floor).\n"
            "- `core.convolution.conv_transpose2d_steps` yields each input cell's painted copy and the "
            "canvas so far; `conv_transpose2d` does it all at once (numpy, checked against "
            "`torch.nn.functional.conv_transpose2d` in the convolution lab's tests).\n"
            "- In the U-Net (`core.segmentation.unet.UNet`) each up-step is "
            "`nn.ConvTranspose2d(2c, c, kernel_size=2, stride=2)`: f = s = 2, so copies never overlap "
            "and the size exactly doubles.")


def _steps(x: np.ndarray, k: np.ndarray, n: int, f: int, s: int, p: int, size: int) -> None:
    """The formula, the painting slider, and input, filter and canvas at the chosen cell."""
    st.latex(rf"n_{{\text{{out}}}} = (n-1)\,s - 2p + f = ({n}-1)\cdot{s} - 2\cdot{p} + {f} = {size}")
    steps = list(conv_transpose2d_steps(x, k, stride=s, padding=p))
    if len(steps) > 1:
        upto = st.slider("Cells painted so far", 1, len(steps), len(steps), key="seg-tc-upto",
                         help="Each input cell adds value × filter at (i·s, j·s) of the canvas.")
    else:  # a 1×1 input paints one copy of the filter: nothing to slide through
        upto = 1
        st.caption("A 1×1 input paints one copy of the filter.")
    step = steps[upto - 1]
    a, b, c = st.columns([2, 2, 3])
    i, j = step.in_pos
    figures.show(figures.heatmap(x, f"input {n}×{n} (cell {step.in_pos} = {step.value:g})",
                                 highlight=(i, i + 1, j, j + 1)), slot=a, width="stretch")
    figures.show(figures.heatmap(k, f"filter {f}×{f} (all ones)", colorscale="Greens"),
                 slot=b, width="stretch")
    r, cc = step.full_pos
    rows, cols = step.canvas.shape
    sep = "<br>" if figures.sizes().presenting else "; "     # the long title on two lines when large
    figures.show(figures.heatmap(step.canvas, f"canvas {rows}×{cols}{sep}blue: cell {step.in_pos}'s copy; "
                                 f"red: the {size}×{size} output", highlight=step.crop,
                                 colorscale="Oranges", height=320, patch=(r, r + f, cc, cc + f)),
                 slot=c, width="stretch")
    out = conv_transpose2d(x, k, stride=s, padding=p)
    st.caption(f"Output {out.shape[0]}×{out.shape[1]} (the red window). Cells where copies "
               f"overlap are sums — with f > s some output cells get more copies than others.")
