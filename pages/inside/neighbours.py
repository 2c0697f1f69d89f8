"""Inside the network › Neighbours & t-SNE: feature space against pixel space."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.vis import features as Fe
from core.vis import neighbours as N
from dashboard import figures
from dashboard.gallery import your_pictures
from dashboard.i18n import N_, _, tr
from dashboard.widgets import download_png, how_it_works

from .common import Inside, sample_pictures

_SAMPLES, _YOURS = N_("bundled samples"), N_("your pictures")
_THUMBS = 120                                                 # more thumbnails than this only clutter the map
_PROJ_NAMES = {"tsne": "t-SNE", "pca": "PCA", "umap": "UMAP"}   # as the field writes them
_VIEWS = ["", N_(" (corner 1)"), N_(" (corner 2)"), N_(" (corner 4)")]    # whole + three of the four corners


def render(c: Inside) -> None:
    st.write(_("The last convolutional stage turns each picture into one vector. Near neighbours in "
             "that **feature space** are pictures of the same kind — even mirrored or in dim light, far "
             "away in **pixel space** (the notes' left- and right-facing elephants). t-SNE squeezes "
             "the vectors onto a plane so that neighbours stay neighbours."))
    n1, n2 = st.columns(2)
    how = n2.selectbox(_("Query: your picture"), list(N.QUERIES), format_func=lambda q: tr(N.QUERIES[q]),
                       key="inside-nn-query",
                       help=_("Not the picture itself (a gallery view of it would be found at distance 0): "
                              "the same picture changed so that its pixels differ but its content does not."))
    proj = n1.radio(_("Projection"), N.PROJECTIONS, horizontal=True, key="inside-nn-proj",
                    format_func=_PROJ_NAMES.__getitem__)
    if proj == "umap" and not N.umap_available():
        n1.caption(_("UMAP needs the `umap-learn` package, which is not installed here: t-SNE is used."))
    mine = your_pictures("inside-nn", label=N_("Add your own pictures to the gallery (several files, or one .zip; "
                                               "folders inside colour the map by class)"))
    mine_id = (tuple(mine.names), len(mine)) if mine else None
    if st.button(_("Embed the gallery"), type="primary", key="inside-nn-go", icon=":material/scatter_plot:"):
        with st.spinner(_("Embedding {n} views…").format(n=40 + (len(mine) if mine else 0))):
            names, gal, labels = [], [], []
            for name, pic in sample_pictures():
                views = Fe.gallery_variants(pic, 128)
                for j, v in enumerate([views[0], views[1], views[2], views[4]]):
                    gal.append(np.ascontiguousarray(v))
                    names.append(f"{name}{_(_VIEWS[j]) if _VIEWS[j] else ''}")
                    labels.append(_SAMPLES)
            for name, pic, lab in zip(mine.names, mine.pictures, mine.labels) if mine else ():
                gal.append(np.ascontiguousarray(Fe.prepare(pic, 128)))
                names.append(name)
                labels.append(lab or _YOURS)
            q = N.query_view(c.image, how, 128)
            feats = N.embed(c.lm, gal + [q])
            pix = N.pixels(gal + [q])
            method = proj if proj != "umap" or N.umap_available() else "tsne"
            xy = N.project(feats, method)
        st.session_state["inside-nn"] = dict(names=names, gal=gal, q=q, feats=feats, pix=pix, xy=xy, method=method,
                                             how=how, model=c.key, pic=c.image, labels=labels, mine=mine_id)
    res = st.session_state.get("inside-nn")
    if res and (res["how"], res["model"], res.get("mine")) == (how, c.key, mine_id) and np.array_equal(res["pic"], c.image):
        _results(res)
    elif res:
        st.caption(_("The last embedding was for another picture, query, model or set of your pictures: press **Embed the gallery** again."))
    how_it_works(_("`core.vis.neighbours.embed(model, images)` averages the last stage's maps over "
                 "positions (1280 numbers on Lite0); `pixels` shrinks each picture to 32×32; "
                 "`neighbours` ranks by Euclidean distance; `project(features, 'tsne'|'pca'|'umap')` "
                 "maps to 2-D (scikit-learn t-SNE; UMAP only when `umap-learn` is installed)."))


def _results(res: dict) -> None:
    nq = len(res["gal"])
    fe = N.neighbours(res["feats"][nq], res["feats"][:nq], k=5)
    px = N.neighbours(res["pix"][nq], res["pix"][:nq], k=5)
    st.caption(_("Query: your picture **{how}** (so it is not in the gallery as such). Top row: its 5 nearest "
                 "views in feature space; bottom row: in pixel space (distance in brackets).").format(
                     how=tr(N.QUERIES[res["how"]])))
    cols = st.columns(6)
    cols[0].image(res["q"], caption=_("query"), width="stretch")
    for col, (i, d) in zip(cols[1:], fe):
        col.image(res["gal"][i], caption=_("feature: {name} ({d:.1f})").format(name=res["names"][i], d=d), width="stretch")
    cols = st.columns(6)
    cols[0].caption(_("pixel space →"))
    for col, (i, d) in zip(cols[1:], px):
        col.image(res["gal"][i], caption=_("pixel: {name} ({d:.1f})").format(name=res["names"][i], d=d), width="stretch")
    blank = np.full_like(res["q"], 255)
    download_png(Fe.tile_grid([res["q"]] + [res["gal"][i] for i, _ in fe] + [blank] + [res["gal"][i] for i, _ in px],
                              cols=6, pad=4),
                 f"neighbours-{res['how']}.png", label=N_("Download the neighbours (PNG: feature row, pixel row)"),
                 key="inside-nn-png")
    figures.show(_map(res), width="stretch")


def _map(res: dict) -> go.Figure:
    """The 2-D projection, one colour per class (samples, your folders), views as thumbnails."""
    from PIL import Image

    xy, nq = res["xy"], len(res["gal"])
    labels = res.get("labels") or [_SAMPLES] * nq
    colour = {lab: _PALETTE[i % len(_PALETTE)] for i, lab in enumerate(dict.fromkeys(labels))}
    fig = go.Figure()
    for lab in dict.fromkeys(labels):
        idx = [j for j, v in enumerate(labels) if v == lab]
        fig.add_trace(go.Scatter(x=xy[idx, 0], y=xy[idx, 1], mode="markers", name=_(lab) if lab in (_SAMPLES, _YOURS) else lab,
                                 text=[res["names"][j] for j in idx],
                                 marker=dict(size=7, color=colour[lab])))
    fig.add_trace(go.Scatter(x=xy[nq:, 0], y=xy[nq:, 1], mode="markers", name=_("query"), text=[_("query")],
                             marker=dict(size=11, color="#d62728", symbol="star")))
    span = float(max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1]))) or 1.0
    pics = list(zip(xy, res["gal"] + [res["q"]]))
    frames = [colour[lab] if lab != _SAMPLES else None for lab in labels] + ["#d62728"]
    pics = [(xy_, _framed(pic, f)) for (xy_, pic), f in zip(pics, frames)]
    if len(pics) > _THUMBS:                                  # the query and an even spread of the rest
        pics = [pics[i] for i in np.linspace(0, len(pics) - 2, _THUMBS - 1).astype(int)] + [pics[-1]]
    for (x, y), pic in pics:
        fig.add_layout_image(dict(source=Image.fromarray(pic), x=float(x), y=float(y), xref="x", yref="y",
                                  sizex=span * 0.07, sizey=span * 0.07, xanchor="center", yanchor="middle"))
    fig.update_layout(height=560, margin=dict(l=10, r=10, t=30, b=10), legend=dict(title=_("class")),
                      title=_("{method} of the last-stage features (hover for names)").format(
                          method=_PROJ_NAMES[res["method"]]))
    return fig


def _framed(pic: np.ndarray, colour: str | None, width: int = 10) -> np.ndarray:
    """The thumbnail in a frame of its class colour (your pictures, the query), so the map shows classes."""
    if colour is None:
        return pic
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return np.stack([np.pad(pic[..., c], width, constant_values=rgb[c]) for c in range(3)], axis=-1)


_PALETTE = ["#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
