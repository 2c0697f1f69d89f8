"""DeepDream: amplify what a layer sees, octave by octave (core.dream on core.vis.ascent).

Tabs: ``dream.py`` (Dream), ``pair.py`` (Low vs high layer); what they share is in ``common.py``.
"""
from __future__ import annotations

import streamlit as st

from core import dream as dd
from core import images, precompute
from core.vis import ascent as A
from dashboard import tabs
from dashboard.i18n import N_, _, shown, tr
from dashboard.tabs import Tab
from dashboard.widgets import image_input, model_picker

from . import dream, pair
from .common import Dream

SIZES = [256, 384, 512, 768, 1024, 1920]
TABS = [Tab(N_("Dream"), dream.render), Tab(N_("Low vs high layer"), pair.render)]


def render() -> None:
    st.title(_("DeepDream"))
    st.write(_(
        "Instead of changing the picture to raise one class score, DeepDream changes it to raise "
        "**everything a chosen layer already responds to**: whatever faintly looks like an eye to "
        "that layer is painted in as an eye, again and again. Low layers paint edges and braids, "
        "high layers paint eyes, dog faces and animal parts. The picture is dreamed at several "
        "sizes (**octaves**), smallest first, so the patterns come out large as well as fine."))
    st.latex(r"L(x)=\frac{1}{N}\sum_{c,i,j}F_\ell(x)_{c,i,j}^{2},\qquad "
             r"x\leftarrow x+\eta\,\frac{\nabla_x L}{\operatorname{mean}\lvert\nabla_x L\rvert}")
    d = _inputs()
    if d is None:
        return
    tabs.run(TABS, "dd-", d)
    _how_it_works(d)


def _inputs() -> Dream | None:
    left, right = st.columns([1, 1], gap="large")
    with left:
        picked = image_input("dd-image", default="china", max_side=2048)
    with right:
        lm = model_picker("dd-model", own=True)
        catalogue = {i.name: i for i in A.layer_catalogue(lm)}
        if len(catalogue) < 3:
            st.warning(_("{model}: DeepDream amplifies a layer's feature maps, and {why}.").format(
                model=lm.title,
                why=tr(lm.meta.get("layers_note")) or _("this network has fewer than three layers to dream on")))
            return None
        classic = dd.preset(lm)
        k = lm.name                                   # widget keys per network: layer names differ
        defaults = {f"dd-layer-{k}": classic["layers"], "dd-octaves": classic["octaves"],
                    "dd-scale": classic["octave_scale"], "dd-steps": classic["steps"],
                    "dd-eta": classic["step_size"], "dd-jitter": classic["jitter"]}
        for key, value in defaults.items():
            st.session_state.setdefault(key, value)

        def _classic() -> None:
            st.session_state.update(defaults)

        layer = st.selectbox(_("Layer"), list(catalogue), key=f"dd-layer-{k}",
                             format_func=shown(catalogue, lambda n: f"{n} — {tr(catalogue[n].hint)}"),
                             help=_("Shallow layers (top of the list) see edges and textures; deep "
                                    "layers see parts of objects."))
        st.caption(_("`{layer}` · stride {stride} px · {hint}").format(
            layer=layer, stride=catalogue[layer].stride, hint=tr(catalogue[layer].hint)))
        c1, c2 = st.columns(2)
        octaves = c1.slider(_("Octaves"), 1, 6, key="dd-octaves",
                            help=_("How many sizes the picture is dreamed at, smallest first."))
        scale = c2.slider(_("Octave scale"), 1.1, 2.0, step=0.05, key="dd-scale",
                          help=_("Each octave is this many times smaller than the next."))
        steps = c1.slider(_("Steps per octave"), 1, 50, key="dd-steps")
        eta = c2.slider(_("Intensity η"), 0.002, 0.03, step=0.001, format="%.3f", key="dd-eta",
                        help=_("Change per step on 0–1 pixels, after dividing the gradient by its mean size."))
        st.button(_("Classic preset"), icon=":material/auto_awesome:", on_click=_classic,
                  help=_("{layers}, {octaves} octaves × {steps} steps, scale {scale}, η {eta}: eyes and "
                         "dog faces.").format(layers=classic["layers"], octaves=classic["octaves"],
                                              steps=classic["steps"], scale=classic["octave_scale"],
                                              eta=classic["step_size"]))
        with st.expander(_("Advanced")):
            side = st.select_slider(_("Processing size (longer side, px)"), SIZES, value=precompute.DREAM_SIDE,
                                    key="dd-side",
                                    help=_("384 px dreams in seconds on a laptop CPU; large sizes are "
                                           "processed tile by tile and take minutes on a CPU."))
            jitter = st.slider(_("Jitter (random roll, ± px)"), 0, 64, key="dd-jitter")
            tile = st.select_slider(_("Tile size (px)"), [256, 384, 512, 768], value=512, key="dd-tile",
                                    help=_("Pictures larger than this are dreamed tile by tile, so "
                                           "memory stays bounded."))
            seed = st.number_input(_("Random seed"), 0, 10_000, 0, key="dd-seed")
            use_guide = st.checkbox(_("Dream toward a guide image"), key="dd-use-guide",
                                    help=_("Pull each position toward the guide's most similar feature "
                                           "instead of amplifying the layer as it is."))
            guide = None
            if use_guide:
                names = list(images.samples())
                gname = st.selectbox(_("Guide (sample)"), names, index=names.index("flower"),
                                     key="dd-guide",
                                     format_func=shown(names, lambda n: tr(images.samples()[n].title)))
                guide = images.load_sample(gname, max_side=256)

    if picked is None:
        st.info(_("Pick a sample, upload a picture or take a snapshot to dream on."))
        return None
    image = images.resize_max(picked, side)
    settings = dict(layers=layer, steps=steps, step_size=eta, octaves=octaves, octave_scale=scale,
                    jitter=jitter, tile_size=tile, seed=int(seed), guide=guide)
    stamp = precompute.key("deepdream", lm, settings, image)
    return Dream(lm=lm, image=image, catalogue=catalogue, layer=layer, settings=settings,
                 stamp=stamp, sizes=dd.octave_sizes(image.shape[0], image.shape[1], octaves, scale),
                 use_guide=use_guide)


def _how_it_works(d: Dream) -> None:
    s = d.settings
    with st.expander(_("How it works")):
        st.markdown(_("""
1. The picture is scaled so its longer side is {side} px (`core.images.resize_max`)
   and turned into pixels in [0, 1]; the model ({model}) normalises them inside the graph.
2. `core.dream.octave_sizes` lists the octaves, each {scale:g}× smaller than the next.
   Dreaming starts on the smallest; after each octave only the **detail** it added (dreamed − base)
   is scaled up and added to the next, sharper base — the detail-preserving scheme of the
   original DeepDream.
3. Every step (`core.vis.ascent.ascend`) rolls the picture by a random shift of up to ±{jitter} px
   (`roll`), runs the network only up to `{layer}` with per-call hooks that are removed right
   after (`activations`), and back-propagates L = mean(F²) (`layer_l2`) to the pixels
   (`gradient`). Pictures larger than the tile size are sent through in tiles with a margin,
   starting on the network's 32 px grid, so memory stays bounded (`tiles`).
4. The gradient is smoothed by Gaussian blurs at σ and 2σ, σ growing within each octave
   (`smooth_gradient`), divided by its mean absolute value and added with step η = {eta:g}
   (`normalised_step`); pixels are kept in [0, 1].
5. `core.dream.dream` yields a snapshot after every step (octave, step, objective, picture) —
   the live picture above — and the same loop drives the class and channel visualizations on
   the *Inside the network* page.
""").format(side=max(d.image.shape[:2]), model=d.lm.title, scale=s["octave_scale"], jitter=s["jitter"],
            layer=d.layer, eta=s["step_size"]))
