"""Convolution › Volumes: a 6×6×3 input through 3×3×3 filters, and a layer's shapes."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core import convolution as cv
from dashboard.figures import GREY, fmt, matrix, row, show
from dashboard.i18n import N_, _, ngettext
from dashboard.widgets import how_it_works


# the layer bookkeeping's inputs: label, min, max, default, widget key
LAYER_INPUTS = [("n_H[l−1]", 1, 4096, 39, "conv-l-nh"), ("n_W[l−1]", 1, 4096, 39, "conv-l-nw"),
                ("n_C[l−1]", 1, 4096, 3, "conv-l-ncp"), ("f[l]", 1, 99, 3, "conv-l-f"),
                ("p[l]", 0, 99, 0, "conv-l-p"), ("s[l]", 1, 99, 1, "conv-l-s"),
                (N_("n_C[l] (filters)"), 1, 4096, 10, "conv-l-nc")]
SHAPE_ROWS = [N_("input a[l−1]"), N_("each filter"), N_("weights w[l]"), N_("bias b[l]"),
              N_("output a[l]")]


def render() -> None:
    x, w = cv.VOLUME_INPUT, cv.VOLUME_FILTERS
    st.write(_("A 6×6×3 input and 3×3×3 filters. Filter 1 looks for vertical edges in the red "
               "channel only; filter 2 for horizontal edges in every channel. The filter must "
               "have as many channels as the input; each output value adds up the products of "
               "all 27 pairs."))
    top = st.columns(3)
    nf = top[0].radio(_("Number of filters"), [1, 2], horizontal=True, key="conv-vol-nf")
    which = top[1].radio(_("Show the sums of filter"), list(range(1, nf + 1)), horizontal=True,
                         key=f"conv-vol-which-{nf}") - 1
    steps = list(cv.conv2d_steps(x, w[..., which]))
    idx = st.slider(_("Window position"), 1, len(steps), 1, key="conv-vol-step") - 1
    step = steps[idx]
    r, c = step.in_pos
    names = ["R", "G", "B"]
    sums = cv.channel_sums(step)
    # one group per channel: its input beside its filter over the products; the groups wrap onto
    # the next line when the main column is narrow (1280 px with the sidebar open: two, then one)
    with row("medium"):
        for ch in range(3):
            with st.container(horizontal=True, width="content", gap="xsmall"):
                show(matrix(x[..., ch], title=_("input {channel}").format(channel=names[ch]), scale=GREY, zmid=None,
                            zrange=(0, 10), boxes=[(r, c, 3, 3)], cell=30, font=12),
                     f"v-in-{ch}")
                with st.container(width="content", gap="xsmall"):
                    show(matrix(w[..., ch, which], title=f"w {names[ch]}", cell=30, font=12),
                         f"v-w-{ch}")
                    show(matrix(step.products[..., ch], title=_("{channel} products, Σ = {sum}").format(
                                    channel=names[ch], sum=fmt(sums[ch])), cell=30, font=12), f"v-p-{ch}")
    st.markdown(_(
        "Output ({i}, {j}) of filter {filter}: R {r} + G {g} + B {b} = **{value}**"
    ).format(i=step.out_pos[0], j=step.out_pos[1], filter=which + 1, r=fmt(sums[0]),
             g=fmt(sums[1]), b=fmt(sums[2]), value=fmt(step.value)))
    out = cv.conv2d(x, w[..., :nf])
    st.markdown(ngettext("6×6×3 * {n} filter of 3×3×3 → **{shape}**",
                         "6×6×3 * {n} filters of 3×3×3 → **{shape}**", nf).format(
        n=nf, shape='×'.join(map(str, out.shape))))
    with row("medium"):
        for k_ in range(nf):
            show(matrix(out[..., k_], title=_("output channel {n}").format(n=k_ + 1)), f"v-out-{k_}")
    if nf >= 1:
        st.caption(_("Channel 1 is the notes' 4×4 result: the red channel is the notes' 6×6 image."))
    _layer_shapes()
    how_it_works(_(
        "- `core.convolution.conv2d(x, k)` with x 6×6×3 and k 3×3×3 (one filter → 4×4×1) "
        "or 3×3×3×2 (two filters → 4×4×2).\n- `conv2d_steps` gives the per-channel "
        "products shown above.\n- `core.convolution.conv_layer_shapes(...)` does the "
        "bookkeeping; `output_size` gives n_H[l] and n_W[l]."
    ))


def _layer_shapes() -> None:
    st.subheader(_("Layer shape bookkeeping"))
    cols = st.columns(len(LAYER_INPUTS))
    n_h, n_w, n_cp, f, p, s, n_c = (int(col.number_input(_(label), lo, hi, value, key=key))
                                    for col, (label, lo, hi, value, key) in zip(cols, LAYER_INPUTS))
    sh = cv.conv_layer_shapes(n_h, n_w, n_cp, f, n_c, p, s)
    dims = lambda t: " × ".join(map(str, t))  # noqa: E731
    st.table(pd.DataFrame(
        {_("shape"): [dims(sh.a_prev), dims(sh.filter), dims(sh.weights), dims(sh.bias), dims(sh.a)]},
        index=[_(r) for r in SHAPE_ROWS]))
    st.latex(rf"z^{{[l]}} = w^{{[l]}} * a^{{[l-1]}} + b^{{[l]}},\quad a^{{[l]}} = g(z^{{[l]}})"
             rf"\qquad \text{{params}} = (f^2 n_C^{{[l-1]}} + 1)\, n_C^{{[l]}} = "
             rf"({f}^2\cdot{n_cp} + 1)\cdot{n_c} = {sh.params:,}")
    st.caption(_("{per} parameters per filter, however large the image (parameter sharing); "
                 "{mults} multiplications per forward pass.").format(
        per=sh.params_per_filter, mults=f"{sh.mults:,}"))
