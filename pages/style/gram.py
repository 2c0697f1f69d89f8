"""Style › Gram matrix: a layer's Gram matrix, two channels that fire together, and pictures
with the same Gram matrix but a different layout."""
from __future__ import annotations

import streamlit as st

from core import images
from core import style as S
from dashboard import figures
from dashboard.i18n import N_, _, opt
from dashboard.widgets import image_input

from .common import Style, pattern

PRESET_BELOW = 0.945


def render(s: Style) -> None:
    st.write(_(
        "The notes' recipe (003): take a layer's n_C × n_H × n_W feature map, treat it as "
        "n_H·n_W feature vectors, take the outer product of each vector with itself and average "
        "them: a **C × C** matrix. Entry (k, k') is large when channels k and k' are **active at "
        "the same places** — co-occurrence, much like a covariance (which would cost more to "
        "compute). The positions are summed away."))
    g1, g2 = st.columns([1, 2], gap="large")
    with g1:
        gimg = image_input("st-gram", default="coffee", max_side=512)
        glayer = st.selectbox(_("Layer"), s.labels, index=1, key="st-gram-layer",
                              help=_("The layers style transfer uses, shallow to deep."))
    if gimg is None:
        st.info(_("Pick a picture."))
        return
    rep = _report(s.lm, s.lm.name, gimg, glayer)
    with g2:
        _gram_figure(rep, glayer)
    _co_occurrence(rep, gimg)
    _same_gram(s, rep, gimg, glayer)


def _gram_figure(rep: S.GramReport, glayer: str) -> None:
    c = rep.gram.shape[0]
    show = st.radio(_("Show"), [N_("Gram matrix G"), N_("Correlation G_kk'/√(G_kk·G_k'k')")],
                    horizontal=True, key="st-gram-show", format_func=opt,
                    help=_("The correlation divides out each channel's own strength, so "
                           "co-occurrence between weak channels shows too."))
    gram = show.startswith("Gram")
    title = (_("Gram of {layer}: {c}×{c}, G = FFᵀ/(n_H·n_W)") if gram
             else _("Correlation of {layer}: {c}×{c}, G = FFᵀ/(n_H·n_W)")).format(layer=glayer, c=c)
    fig = figures.heatmap(rep.gram if gram else rep.correlations, title,
                          annotate=False, colorscale="Viridis", height=420, square=False, gap=0,
                          hover=N_("channel k %{y}, channel k' %{x}: %{z:.3g}<extra></extra>"),
                          x_title=_("channel k'"), y_title=_("channel k"),
                          colorbar="G_kk'" if gram else _("corr"))
    figures.show(fig, width="stretch")
    h, w = rep.features.shape[1:]
    st.caption(_("Activation {c}×{h}×{w} → {hw} feature vectors of {c} numbers. The "
                 "notes' unnormalised sum G = FFᵀ is {hw}× larger (its largest entry here "
                 "is {largest:,.0f}); the picture looks the same.").format(
                     c=c, h=h, w=w, hw=h * w, largest=rep.gram_sum.max()))


def _co_occurrence(rep: S.GramReport, gimg) -> None:
    c = rep.gram.shape[0]
    st.subheader(_("Co-occurrence: two channels that fire together"))
    kk = st.columns(4)
    # keyed by the preset pair too: a new picture (or layer) with another preset starts from it
    i, j = rep.top_pair
    k = kk[0].number_input(_("channel k"), 0, c - 1, i, key=f"st-gram-k-{rep.layer}-{i}-{j}")
    k2 = kk[1].number_input(_("channel k'"), 0, c - 1, j, key=f"st-gram-k2-{rep.layer}-{i}-{j}")
    kk[2].caption(_("Preset: channels {i} and {j}, the most "
                    "correlated pair that is not a near-copy (pairs at 0.95 or above are "
                    "left out).").format(i=rep.top_pair[0], j=rep.top_pair[1]))
    mk, mk2, product = S.co_occurrence_maps(rep.features, k, k2, zoom=4)
    p = st.columns(4)
    p[0].image(images.resize_max(gimg, 256), caption=_("Picture"), width="stretch")
    p[1].image(mk, caption=_("channel {k}").format(k=k), width="stretch", clamp=True)
    p[2].image(mk2, caption=_("channel {k}").format(k=k2), width="stretch", clamp=True)
    p[3].image(product, caption=_("product: G[{k},{k2}] is its mean").format(k=k, k2=k2), width="stretch")
    st.caption(_("G[{k},{k2}] = {g:.3g}, correlation G_kk'/√(G_kk·G_k'k') = "
                 "{corr:.2f}. Bright where both "
                 "channels are active: the Gram entry sums exactly this product map.").format(
                     k=k, k2=k2, g=rep.gram[k, k2], corr=rep.correlations[k, k2]))


@st.cache_data(show_spinner=False, max_entries=16)
def _report(_lm, name: str, image, layer: str) -> S.GramReport:
    # below 0.945: a preset never reads "0.95" at two decimals next to "0.95 or above left out"
    return S.gram_report(image, _lm, layer, size=256, max_correlation=PRESET_BELOW)


@st.cache_data(show_spinner=False, max_entries=32)
def _distance(_lm, name: str, a, b, layers: tuple[str, ...]) -> dict:
    """core.style.gram_distance, kept per pictures and model: reruns of this tab (any widget)
    would otherwise repeat its forward passes (2.3 s of a 3.1 s run)."""
    return S.gram_distance(a, b, _lm, layers=list(layers), size=256)


def _same_gram(s: Style, rep: S.GramReport, gimg, glayer: str) -> None:
    st.subheader(_("Same Gram matrix, different layout"))
    patch = st.select_slider(_("Patch size (px)"), [16, 32, 64], value=32, key="st-gram-patch")
    base = images.resize_max(gimg, 256)
    shuffled = S.shuffle_patches(base, patch=patch, seed=0)
    crop = base[:shuffled.shape[0], :shuffled.shape[1]]
    other = pattern("stripes", 256)
    layers_demo = s.labels[:4]
    near = _distance(s.lm, s.lm.name, shuffled, crop, tuple(layers_demo))
    far = _distance(s.lm, s.lm.name, other, crop, tuple(layers_demo))
    q = st.columns(3)
    q[0].image(crop, caption=_("Original"), width="stretch")
    q[1].image(shuffled, caption=_("Shuffled {patch}-px patches").format(patch=patch), width="stretch")
    q[2].image(other, caption=_("A different picture (stripes)"), width="stretch")
    rows = [{_("layer"): n, _("shuffled vs original"): _num(near[n]),
             _("stripes vs original"): _num(far[n])} for n in layers_demo]
    figures.table(st, rows, hide_index=True, width="stretch")
    diff = S.permutation_gram_change(rep.features, seed=0)
    st.caption(_(
        "Relative Gram difference ‖G − G_orig‖²/‖G_orig‖² per layer: the shuffled picture is "
        "nearly as good as the original to the Gram matrix (only the patch borders differ), "
        "though a person sees a scrambled picture. Exactly: permuting the positions of the "
        "{layer} feature map moves every feature vector, yet the Gram matrix changes by at most "
        "{diff:.1e} of its largest entry (rounding) — layout is invisible to it, which is why it "
        "describes texture.").format(layer=glayer, diff=diff))


def _num(v: float) -> str:
    """Two significant digits, no padding: 0.95, 0.013, 1.2 (not 0.950, 0.013, 1.200)."""
    return f"{v:.2g}"
