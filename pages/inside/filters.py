"""Inside the network › Filters & feature maps: the weights as pictures, one layer's maps."""
from __future__ import annotations

import streamlit as st

from core.vis import features as Fe
from dashboard.widgets import how_it_works

from . import common
from .common import Inside


def render(c: Inside) -> None:
    st.write("**① Filters.** The first convolution looks at pixels directly, so its weights can be "
             "drawn as little colour pictures: oriented edges, blobs and colour opponents. Deeper "
             "filters mix hundreds of channels and stop being readable — the notes' point.")
    fg = common.filters(c.lm, c.key, None)
    c1, c2 = st.columns([1, 1])
    c1.image(fg.image, caption=f"First layer `{fg.layer}`: {fg.shape[0]} filters of "
             f"{fg.shape[1]}×{fg.shape[2]}×{fg.shape[3]}, each scaled to its own range", width="stretch")
    with c2:
        deep = st.selectbox("A deeper convolution", c.layer_names[1:], key=f"inside-filt-{c.key}")
        dg = common.filters(c.lm, c.key, deep)
        st.image(dg.image, caption=f"`{dg.layer}` {dg.shape}: first filters (rows) × first input "
                 "channels (columns), grey", width="stretch")
        if c.lm.name == "efficientnet_lite0":
            st.caption("EfficientNet's filters are 3×3 or 1×1 (depthwise + pointwise), so even the "
                       "first layer shows tiny tiles; AlexNet's 11×11 first layer in the notes is "
                       "the large-filter case.")
    st.write("**② Feature maps.** The same picture seen by one layer: each tile is one channel's "
             "activation map, strongest channels first.")
    f1, f2, f3 = st.columns([2, 1, 1])
    layer = f1.selectbox("Layer", c.layer_names, index=c.deep_index,
                         format_func=lambda n: f"{n} — stride {c.info[n].stride}", key=f"inside-fm-layer-{c.key}")
    n_maps = f2.select_slider("Channels shown", [8, 16, 32, 64], value=32, key="inside-fm-n")
    shared = f3.checkbox("One colour scale", key="inside-fm-shared",
                         help="Off: each map uses its own range. On: all maps share one, so weak "
                              "channels look dark.")
    fm = c.maps(c.crop, layer)
    g1, g2 = st.columns([3, 2])
    g1.image(Fe.feature_grid(fm, n=n_maps, cols=8, shared_scale=shared), width="stretch",
             caption=f"{layer}: {fm.maps.shape[0]} channels of {fm.maps.shape[1]}×{fm.maps.shape[2]}")
    with g2:
        rank = st.number_input("Channel rank (0 = strongest)", 0, fm.maps.shape[0] - 1, 0, key="inside-fm-rank")
        ch = int(fm.channels[rank])
        st.image(Fe.overlay_map(c.crop, fm.maps[rank]), width="stretch",
                 caption=f"channel {ch} of {layer} over the picture (mean activation {fm.strength[rank]:.3f})")
    how_it_works("`core.vis.features.filters(model, layer)` reads the convolution's weights "
                 "(out × in × k × k) and normalises each filter; "
                 "`core.vis.features.activations(model, image, layers)` runs the network up to "
                 "the layer with per-call hooks (`core.vis.ascent.activations`, removed right "
                 "after, under the model's lock) and sorts channels by mean activation; "
                 "`feature_grid` and `overlay_map` draw them.")
