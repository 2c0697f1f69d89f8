"""Inside the network › Filters & feature maps: the weights as pictures, how deeper filters mix
channels, one layer's maps."""
from __future__ import annotations

import numpy as np
import streamlit as st

from core.vis import features as Fe
from dashboard.i18n import _
from dashboard.widgets import how_it_works

from . import common
from .common import Inside

TILE = 96          # px of one map in the "how a deeper filter mixes" rows


def render(c: Inside) -> None:
    _first_layer(c)
    _deeper(c)
    _maps(c)
    how_it_works(_("`core.vis.features.filters(model)` reads the first convolution's weights "
                 "(out × 3 × k × k) and normalises each filter to its own range; "
                 "`core.vis.features.conv_mix(model, image, layer)` reads a deeper convolution's "
                 "input and output with one per-call hook (removed right after, under the model's "
                 "lock), ranks its output channels by mean output and, for each, the input channels "
                 "by the size of their term wᵢ ⋆ inputᵢ; "
                 "`core.vis.features.activations(model, image, layers)` gives the feature maps, "
                 "channels sorted by mean activation; `feature_grid` and `overlay_map` draw them."))


def _first_layer(c: Inside) -> None:
    st.write(_("**① First-layer filters.** The first convolution looks at pixels directly, so its "
             "weights can be drawn as little colour pictures: oriented edges, blobs and colour "
             "opponents. Next to them, what each filter finds in your picture (same place in the grid)."))
    fg = common.filters(c.lm, c.key, None)
    n = fg.shape[0] if fg.rgb else 0
    c1, c2 = st.columns([1, 1])
    c1.image(fg.image, width="stretch", caption=_("`{layer}`: {n} filters of {c}×{h}×{w}, each scaled to its own range").format(
                 layer=fg.layer, n=fg.shape[0], c=fg.shape[1], h=fg.shape[2], w=fg.shape[3]))
    first = c.layer_names[0]
    fm = c.maps(c.crop, first)
    if n and fm.maps.shape[0] == n:
        order = np.argsort(fm.channels)                     # back to the filters' own order
        same = Fe.FeatureMaps(first, fm.maps[order], fm.channels[order], fm.strength[order], fm.stride)
        c2.image(Fe.feature_grid(same, n=min(n, 64), cols=Fe.grid_cols(min(n, 64)), tile=64), width="stretch",
                 caption=_("Their maps on the picture (`{layer}`, {h}×{w}, yellow = strong)").format(
                     layer=first, h=fm.maps.shape[1], w=fm.maps.shape[2]))
    if c.lm.name == "efficientnet_lite0":
        st.caption(_("EfficientNet's filters are 3×3, so each is 9 colour pixels; the notes' AlexNet "
                   "uses 11×11 first-layer filters, which show edges and colour blobs more plainly."))


def _deeper(c: Inside) -> None:
    st.write(_("**② Deeper filters mix channels.** A deeper convolution does not look at pixels: each "
             "of its filters adds up the maps of the layer before, each through its own small "
             "kernel — its weights drawn as pictures are a wall of grey squares. What it computes is "
             "readable: here are its strongest maps on your picture and the input maps that "
             "contribute most to each."))
    st.latex(r"\text{out}_c=\sum_i w_{c,i}\star \text{in}_i\;(+\,b_c)")
    d1, d2 = st.columns([2, 1])
    deep = d1.selectbox(_("A deeper convolution"), c.layer_names[1:], index=min(2, len(c.layer_names) - 2),
                        key=f"inside-filt-{c.key}")
    n_in = d2.select_slider(_("Inputs per map"), [2, 3, 4, 5], value=4, key="inside-filt-inputs")
    mix = common.conv_mix(c.lm, c.key, c.crop, deep, n_in)
    out_c, per_group = mix.shape[0], mix.shape[1]
    values = dict(layer=mix.layer, n=out_c, c=per_group, h=mix.shape[2], w=mix.shape[3], groups=mix.groups,
                  rows=len(mix.rows))
    if mix.groups > 1:
        st.caption(_("`{layer}`: {n} filters of {c}×{h}×{w} in {groups} groups — each output map sums {c} "
                     "terms. Rows: its {rows} strongest output maps on your picture (red = strong); each "
                     "input's caption gives its kernel's weight (the sum of the kernel) and its share of all "
                     "the terms.").format(**values))
    else:
        st.caption(_("`{layer}`: {n} filters of {c}×{h}×{w} — each output map sums {c} terms. Rows: its "
                     "{rows} strongest output maps on your picture (red = strong); each input's caption "
                     "gives its kernel's weight (the sum of the kernel) and its share of all the "
                     "terms.").format(**values))
    for row in mix.rows:
        cols = st.columns(n_in + 1)
        for col, i, m, w, sh in zip(cols, row.inputs, row.maps, row.weights, row.share):
            col.image(_tile(c.crop, m), width="stretch", caption=_("input {i} · w {w:+.2f} · {share:.0%}").format(i=i, w=w, share=sh))
        cols[-1].image(_tile(c.crop, row.output, frame=True), width="stretch",
                       caption=_("= output {ch} (mean {mean:.2f}); these {n} terms: {share:.0%}").format(
                           ch=row.channel, mean=row.output.mean(), n=len(row.inputs), share=sum(row.share)))


def _tile(pic: np.ndarray, m: np.ndarray, frame: bool = False) -> np.ndarray:
    """One map over the picture (red = strong), ``TILE`` px: where on the picture it fires."""
    import cv2

    t = cv2.resize(Fe.overlay_map(pic, m, alpha=0.6), (TILE * 2, TILE * 2), interpolation=cv2.INTER_AREA)
    if frame:
        t = cv2.copyMakeBorder(t, 6, 6, 6, 6, cv2.BORDER_CONSTANT, value=(214, 39, 40))
    return t


def _maps(c: Inside) -> None:
    st.write(_("**③ Feature maps.** The same picture seen by one layer: each tile is one channel's "
             "activation map, strongest channels first."))
    f1, f2, f3 = st.columns([2, 1, 1])
    layer = f1.selectbox(_("Layer"), c.layer_names, index=c.deep_index,
                         format_func=lambda n: _("{layer} — stride {s}").format(layer=n, s=c.info[n].stride), key=f"inside-fm-layer-{c.key}")
    fm = c.maps(c.crop, layer)
    total = fm.maps.shape[0]
    choices = [k for k in (8, 16, 32, 64) if k < total] + [min(total, 64)]
    n_maps = f2.select_slider(_("Channels shown"), choices, value=min(32, choices[-1]),
                              key=f"inside-fm-n-{total}",        # options depend on the layer
                              help=_("`{layer}` has {n} channels.").format(layer=layer, n=total))
    shared = f3.checkbox(_("One colour scale"), key="inside-fm-shared",
                         help=_("Off: each map uses its own range. On: all maps share one, so weak "
                                "channels look dark."))
    g1, g2 = st.columns([3, 2])
    g1.image(Fe.feature_grid(fm, n=n_maps, cols=8, shared_scale=shared), width="stretch",
             caption=_("{layer}: the {n} strongest of {total} channels, {h}×{w} each").format(
                 layer=layer, n=n_maps, total=total, h=fm.maps.shape[1], w=fm.maps.shape[2]))
    with g2:
        rank = st.number_input(_("Channel rank (0 = strongest)"), 0, total - 1, 0, key=f"inside-fm-rank-{total}")
        ch = int(fm.channels[rank])
        st.image(Fe.overlay_map(c.crop, fm.maps[rank]), width="stretch",
                 caption=_("channel {ch} of {layer} over the picture (mean activation {mean:.3f})").format(
                     ch=ch, layer=layer, mean=fm.strength[rank]))
