"""Style › Texture synthesis: noise changed until its Gram matrices match the style picture's."""
from __future__ import annotations

import streamlit as st

from core import images, precompute
from dashboard import figures
from dashboard.i18n import N_, _
from dashboard.widgets import download_png

from .common import Style, loss_figure, run_job, shown, stale_note, style_picker, tail


def render(s: Style) -> None:
    st.write(_(
        "Neural texture synthesis (notes 001): start from **noise** and change its pixels until "
        "its Gram matrices at the chosen layers match those of the style picture — nothing else "
        "is asked, so the result has the style's textures everywhere and its layout nowhere. "
        "Shallow layers alone give colours and grain; adding deeper layers gives larger "
        "structures (notes 003: the deeper, the better the texture). The picture itself counts "
        "as one more layer (`pixels`: its colours' Gram matrix), and the texture is optimised at "
        "half size and enlarged: this loss network's first convolution has stride 2 and would "
        "leave single-pixel colours free — rainbow noise. A grey style gives a grey texture."))
    D = precompute.defaults("texture", s.lm)        # the defaults a result is prepared ahead for
    t1, t2 = st.columns(2, gap="large")
    with t1:
        tstyle = style_picker("st-tex", default=precompute.TEXTURE_PATTERN)
        if tstyle is not None:
            st.image(images.resize_max(tstyle, 256), caption=_("Style picture"), width=220)
    with t2:
        tlayers = st.multiselect(_("Layers whose Gram matrices are matched"), s.labels,
                                 default=D["style_layers"], key="st-tex-layers",
                                 placeholder=_("Choose options"))
        tsize = st.select_slider(_("Texture size (px)"), [96, 128, 160, 192, 256], value=D["size"],
                                 key="st-tex-size")
        tsteps = st.slider(_("Steps (L-BFGS loss evaluations)"), 20, 300, D["steps"], step=10, key="st-tex-steps")
        ttv = st.select_slider(_("TV weight (noise loss)"), [0.0, 1.0, 3.0, 10.0, 30.0], value=D["tv_weight"],
                               key="st-tex-tv", help=_("Smooths the pixel noise the start leaves behind."))
        go_tex = st.button(_("Synthesize"), type="primary", icon=":material/texture:", key="st-tex-go",
                           disabled=tstyle is None or not tlayers)
    settings = dict(size=tsize, steps=tsteps, tv_weight=ttv, style_layers=list(tlayers))
    if go_tex and tstyle is not None and tlayers:
        res = run_job("texture", s, tstyle, settings, "st-tex-run", N_("texture from noise"))
        if res is not None:
            st.session_state["st-tex-result"] = res
            st.rerun()
    cur = shown("texture", s, settings, tstyle, "st-tex-result")
    res = cur.result
    if res is not None:
        r1, r2 = st.columns([1, 1])
        r1.image(res["image"], caption=_("Synthesised from noise · {n} layers + pixels · "
                                         "{seconds:.1f} s").format(n=len(res["layers"]), seconds=res["seconds"])
                 + tail(cur), width="stretch")
        if stale_note(cur):
            r1.caption(stale_note(cur))
        with r1:
            download_png(res["image"], "texture.png", key="st-tex-png")
        first, last = res["rows"][0]["J_style"], res["rows"][-1]["J_style"]
        figures.show(loss_figure(res["rows"], {"J_style": N_("Gram distance J_style")},
                                 _("Gram distance falls")), slot=r2, width="stretch")
        r2.caption(_("Gram distance {first:.3g} → {last:.3g} ({lower:.1f} % lower).").format(
            first=first, last=last, lower=100 * (1 - last / first)))
