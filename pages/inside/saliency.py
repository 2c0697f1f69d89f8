"""Inside the network › Saliency: which pixels made the network say this class."""
from __future__ import annotations

import streamlit as st

from core import precompute
from core.vis import attribution as T
from core.vis import features as Fe
from dashboard import jobs
from dashboard.i18n import _, tr
from dashboard.widgets import download_png, how_it_works

from . import common
from .common import Inside, top_table


def render(c: Inside) -> None:
    st.write(_("Which pixels made the network say this class? Five answers from one call shape, "
             "`attribute(method, model, image, target)`: hide squares and watch the probability "
             "(occlusion, red = important), follow the gradient to the pixels (vanilla, guided "
             "backprop, SmoothGrad, integrated gradients), or weight the last feature maps by "
             "their gradients (Grad-CAM)."))
    st.latex(r"\text{Grad-CAM}=\mathrm{ReLU}\Big(\sum_k \alpha_k A^k\Big),\quad "
             r"\alpha_k=\frac{1}{Z}\sum_{i,j}\frac{\partial y^c}{\partial A^k_{ij}}")
    top = common.top5(c.lm, c.key, c.crop)
    s1, s2 = st.columns([2, 2])
    options = [k for k, *_ in top] + [k for k in range(len(c.labels)) if k not in {t[0] for t in top}]
    target = s1.selectbox(_("Target class (default: the top prediction)"), options, format_func=c.class_name,
                          key=f"inside-sal-target-{c.key}-{top[0][0]}")  # the default follows the picture
    D = precompute.JOBS["saliency"].static         # the defaults a result is prepared ahead for
    methods = s2.multiselect(_("Methods"), list(T.METHODS), default=D["methods"], format_func=lambda m: tr(T.METHODS[m]),
                             key="inside-sal-methods", placeholder=_("Choose options"))
    with st.expander(_("Advanced")):
        a1, a2, a3 = st.columns(3)
        window = a1.select_slider(_("Occlusion window (px)"), [16, 32, 48, 64], value=D["window"], key="inside-occ-win")
        stride = a2.select_slider(_("Occlusion stride (px)"), [8, 16, 24, 32], value=D["stride"], key="inside-occ-stride")
        samples = a3.slider(_("SmoothGrad samples"), 4, 32, D["samples"], key="inside-sg-n")
        show_over = st.checkbox(_("Overlay on the picture"), value=True, key="inside-sal-over")
    settings = dict(methods=list(methods), window=window, stride=stride, samples=samples, target=int(target))
    if not methods:
        st.warning(_("Pick at least one method to explain the prediction with."))
    stopped = jobs.interrupted("inside-sal-run")
    if stopped is not None:
        st.caption(_("Stopped after {step} of {total} methods; press **Explain** to run them all.").format(
            step=stopped.step, total=stopped.total))
    if st.button(_("Explain"), type="primary", key="inside-sal-go", icon=":material/visibility:",
                 disabled=not methods):
        snapshots, record = precompute.start("saliency", c.lm, c.crop, settings, share=True)   # one call shape
        if jobs.follow(snapshots, "inside-sal-run", describe=lambda s: _("{method} done").format(method=tr(s.info["method"]))) is not None:
            st.session_state["inside-sal"] = precompute.finish("saliency", c.lm, c.crop, settings, record)
    cur = precompute.current("saliency", c.lm, settings, c.crop, st.session_state.get("inside-sal"))
    res = cur.result
    if res is not None:
        cols = st.columns(3)
        cols[0].image(res["pic"], caption=_("input ({w}×{h}, the network's view) · target {target}").format(
                          w=res["pic"].shape[1], h=res["pic"].shape[0], target=c.class_name(res["target"])),
                      width="stretch")
        pics = [res["pic"]]
        for i, (m, heat, secs) in enumerate(zip(res["methods"], res["maps"], res["method_seconds"])):
            pic = T.overlay(res["pic"], heat) if show_over else Fe.colorize(heat, 0, 1, cmap=2)
            pics.append(pic)
            cols[(i + 1) % 3].image(pic, width="stretch", caption=_("{method} · {seconds:.2f} s").format(method=tr(T.METHODS[m]), seconds=secs))
        download_png(Fe.tile_grid(pics, cols=min(3, len(pics)), pad=4),
                     f"saliency-{res['target']}-{'-'.join(res['methods'])}.png",
                     label=_("Download the maps (PNG: input, then {methods})").format(
                         methods=", ".join(tr(T.METHODS[m]) for m in res["methods"])),
                     key="inside-sal-png")
        if common.note(cur):
            st.caption(common.note(cur))
        if res.get("guided") is not None:
            st.image(res["guided"], width=360,
                     caption=_("Guided backprop as a colour picture (signed gradient around grey)"))
        if c.lm.name == "efficientnet_lite0":
            st.caption(_("On EfficientNet-Lite0 the pixel-level gradients (vanilla, SmoothGrad, IG) are "
                       "speckled; Grad-CAM on `conv_head` finds the object cleanly."))
    else:
        st.caption(_("Press **Explain**: occlusion runs the network once per square (tens of "
                   "passes), the gradient methods once or a few dozen times."))
    _cover(c, int(target))
    how_it_works(_("`core.vis.attribution.attribute` / `explain(method, model, image, target)` for "
                 "every method; occlusion slides a mean-grey square (window, stride) and records "
                 "the probability drop; guided backprop runs on the method's own deep copy of "
                 "the network with guided ReLUs (`guided_copy`), so the shared model is never "
                 "changed; Grad-CAM reads `conv_head` (VGG-16: `block5_conv3`) and the logits in "
                 "one pass with per-call hooks. `overlay` colours the map (red = important). "
                 "`occlude` runs the covered and uncovered picture together. The default settings' "
                 "maps are prepared ahead (`core.precompute`, shipped in `assets/prepared/`)."))


def _cover(c: Inside, target: int) -> None:
    st.subheader(_("The notes' experiment: cover the most telling part"))
    st.write(_("The notes ask whether the bird is still a bird with its beak and head hidden. Put a "
             "grey square over the cat's face (or anything else) and compare the probability."))
    H, W = c.crop.shape[:2]
    o1, o2, o3 = st.columns(3)
    ox = o1.slider(_("Square x"), 0, W - 16, min(W - 16, int(W * 0.55)), key="inside-occ-x")
    oy = o2.slider(_("Square y"), 0, H - 16, int(H * 0.25), key="inside-occ-y")
    osz = o3.slider(_("Square size"), 16, min(H, W), min(H, W) // 2, key="inside-occ-size")
    if st.button(_("Cover it"), key="inside-occ-go"):
        box = (ox, oy, min(W, ox + osz), min(H, oy + osz))
        pic, before, after, tgt = T.occlude(c.lm, c.crop, box, target)
        st.session_state["inside-occ"] = dict(pic=pic, before=before, after=after, tgt=tgt,
                                              top=T.top_classes(c.lm, pic, 3))
    occ = st.session_state.get("inside-occ")
    if occ:
        c1, c2 = st.columns([1, 1])
        c1.image(occ["pic"], width="stretch")
        with c2:
            st.metric(f"p({c.class_name(occ['tgt'])})", f"{occ['after']:.3f}", f"{occ['after'] - occ['before']:+.3f}")
            st.caption(_("Top classes with the square in place:"))
            top_table(occ["top"])
            st.caption(_("Both on {view}.").format(view=c.view_only))
