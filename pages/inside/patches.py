"""Inside the network › Maximally activating patches: the gallery crops one channel likes most."""
from __future__ import annotations

import time

import numpy as np
import streamlit as st

from core.vis import features as Fe
from dashboard.gallery import your_pictures
from dashboard.i18n import N_, _
from dashboard.widgets import download_png, how_it_works

from . import common
from .common import Inside

_MAX_OWN = 40                                  # of the user's pictures: 240 views, under a minute on a CPU


def render(c: Inside) -> None:
    st.write(_("Pick one channel of one layer, run every picture of a gallery through the network, "
             "and cut out the places where that channel fires most. The crops are each unit's "
             "*effective receptive field*: the pixels its gradient actually reaches."))
    p1, p2 = st.columns(2)
    play = p1.selectbox(_("Layer"), c.layer_names, index=c.deep_index, key=f"inside-tp-layer-{c.key}")
    fm_p = c.maps(c.crop, play)
    pch = p2.number_input(_("Channel"), 0, fm_p.maps.shape[0] - 1, int(fm_p.channels[0]),
                          key=f"inside-tp-ch-{c.key}-{play}",       # the default follows the layer
                          help=_("`{layer}` has {n} channels. Default: the one that fires most on your "
                                 "picture.").format(layer=play, n=fm_p.maps.shape[0]))
    mine = your_pictures("inside-tp", label=N_("Add your own pictures to the gallery (several files, or one .zip)"))
    own = list(zip(mine.names, mine.pictures))[:_MAX_OWN] if mine else []
    if mine and len(mine) > _MAX_OWN:
        st.caption(_("The search uses the first {n} of your {total} pictures: each adds 6 views and the "
                     "whole gallery goes through the network in one go (about 0.2 s a view on a "
                     "CPU).").format(n=_MAX_OWN, total=len(mine)))
    samples = common.sample_views()
    n_views = sum(len(v) for _, v in samples) + 6 * len(own)
    st.caption(_gallery_caption(len(samples), len(own), _uploaded(c), n_views + (6 if _uploaded(c) else 0)))
    if st.button(_("Find top patches"), type="primary", key="inside-tp-go"):
        with st.spinner(_("Running the gallery through the network…")):
            gallery, groups = [], []
            named = samples + [(name, Fe.gallery_variants(pic, mirror=True)) for name, pic in own]
            if _uploaded(c):                                   # a sample is in the gallery already
                named.append((_("your picture"), Fe.gallery_variants(c.image, mirror=True)))
            for name, views in named:
                gallery += views
                groups += [name] * len(views)
            t0 = time.perf_counter()
            found = Fe.top_patches(c.lm, play, int(pch), gallery, k=9, groups=groups)
        st.session_state["inside-tp"] = dict(patches=found, names=[groups[p.index] for p in found], layer=play,
                                             ch=int(pch), seconds=time.perf_counter() - t0, n=len(gallery),
                                             model=c.key)
    res = st.session_state.get("inside-tp")
    if res and res["model"] == c.key:
        st.caption(_("{layer} channel {ch}: best {k} of {n} views ({seconds:.1f} s)").format(
            layer=res["layer"], ch=res["ch"], k=len(res["patches"]), n=res["n"], seconds=res["seconds"]))
        cols = st.columns(9)
        for col, p, name in zip(cols, res["patches"], res["names"]):
            col.image(p.crop, caption=f"{p.score:.2f} · {name}", width="stretch")
        if res["patches"]:
            download_png(Fe.tile_grid([_square(p.crop) for p in res["patches"]], cols=9, pad=4),
                         f"top-patches-{res['layer']}-{res['ch']}.png", key="inside-tp-png")
    how_it_works(_("`core.vis.features.top_patches(model, layer, channel, images)` batches the "
                 "gallery through the network up to the layer, takes the largest positions of "
                 "the channel (two per view and two per photo at most, none on the map's outer ring where "
                 "the unit sees the zero padding), and back-propagates those units to the pixels in one "
                 "pass to find, for each, the box holding 90 % of its gradient."))


def _gallery_caption(samples: int, own: int, uploaded: bool, views: int) -> str:
    """The gallery in words: one message per case (the Korean word order differs)."""
    if own and uploaded:
        return _("Gallery: the {samples} bundled samples, each whole, mirrored and as four corner crops "
                 "plus {own} picture(s) of yours plus your picture ({views} views). At most 2 patches "
                 "come from one photo.").format(samples=samples, own=own, views=views)
    if own:
        return _("Gallery: the {samples} bundled samples, each whole, mirrored and as four corner crops "
                 "plus {own} picture(s) of yours ({views} views). At most 2 patches come from one "
                 "photo.").format(samples=samples, own=own, views=views)
    if uploaded:
        return _("Gallery: the {samples} bundled samples, each whole, mirrored and as four corner crops "
                 "plus your picture ({views} views). At most 2 patches come from one photo.").format(
                     samples=samples, views=views)
    return _("Gallery: the {samples} bundled samples, each whole, mirrored and as four corner crops "
             "({views} views). At most 2 patches come from one photo.").format(samples=samples, views=views)


def _uploaded(c: Inside) -> bool:
    return st.session_state.get("inside-classify-source", "Sample") != "Sample"


def _square(crop: np.ndarray, side: int = 96) -> np.ndarray:
    import cv2

    return cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)
