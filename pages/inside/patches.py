"""Inside the network › Maximally activating patches: the gallery crops one channel likes most."""
from __future__ import annotations

import time

import streamlit as st

from core.vis import features as Fe
from dashboard.widgets import how_it_works

from .common import Inside, sample_pictures


def render(c: Inside) -> None:
    st.write("Pick one channel of one layer, run every picture of a gallery through the network, "
             "and cut out the places where that channel fires most. The crops are each unit's "
             "*effective receptive field*: the pixels its gradient actually reaches.")
    p1, p2 = st.columns(2)
    play = p1.selectbox("Layer", c.layer_names, index=c.deep_index, key=f"inside-tp-layer-{c.key}")
    fm_p = c.maps(c.crop, play)
    pch = p2.number_input("Channel", 0, fm_p.maps.shape[0] - 1, int(fm_p.channels[0]),
                          key=f"inside-tp-ch-{c.key}-{play}",       # the default follows the layer
                          help=f"`{play}` has {fm_p.maps.shape[0]} channels. Default: the one that "
                               "fires most on your picture.")
    st.caption("Gallery: the 10 bundled samples, each whole and as four corner crops (50 views), "
               "plus your picture when it is an upload or snapshot.")
    if st.button("Find top patches", type="primary", key="inside-tp-go"):
        with st.spinner("Running the gallery through the network…"):
            gallery = [v for _, pic in sample_pictures() for v in Fe.gallery_variants(pic)]
            if st.session_state.get("inside-classify-source", "Sample") != "Sample":
                gallery += Fe.gallery_variants(c.image)        # a sample is in the gallery already
            t0 = time.perf_counter()
            found = Fe.top_patches(c.lm, play, int(pch), gallery, k=9)
        st.session_state["inside-tp"] = dict(patches=found, layer=play, ch=int(pch),
                                             seconds=time.perf_counter() - t0, n=len(gallery))
    res = st.session_state.get("inside-tp")
    if res:
        st.caption(f"{res['layer']} channel {res['ch']}: best 9 of {res['n']} views "
                   f"({res['seconds']:.1f} s)")
        cols = st.columns(9)
        for col, p in zip(cols, res["patches"]):
            col.image(p.crop, caption=f"{p.score:.2f}", width="stretch")
    how_it_works("`core.vis.features.top_patches(model, layer, channel, images)` batches the "
                 "gallery through the network up to the layer, takes the largest positions of "
                 "the channel (two per picture at most), and for each back-propagates that one "
                 "unit to the pixels to find the box holding 90 % of its gradient.")
