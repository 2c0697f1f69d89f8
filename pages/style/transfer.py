"""Style › Style transfer: Gatys' J(G) = αJ_content + βJ_style + w·TV minimised over the
pixels, live, and a sweep over the style weight β."""
from __future__ import annotations

import streamlit as st

from core import images, precompute
from core.vis import ascent as A
from dashboard import figures, jobs
from dashboard.i18n import N_, _, opt, tr
from dashboard.widgets import downloads, image_input

from .common import Style, loss_figure, note, run_job, shown, stale_note, style_picker, tail

BETAS = [1e1, 1e2, 3e2, 1e3, 3e3, 1e4, 1e5]


def render(s: Style) -> None:
    st.write(_(
        "Neural style transfer (notes 001/004): texture synthesis for the style picture plus "
        "feature inversion for the content picture, in one loss. Start from the content picture "
        "(or noise) and minimise J(G) with **L-BFGS**; the content term keeps the layout, the "
        "style term paints the textures, the TV term (the notes' noise loss) keeps neighbouring "
        "pixels alike."))
    D = precompute.defaults("transfer", s.lm)       # the defaults a result is prepared ahead for
    s1, s2, s3 = st.columns([1, 1, 1], gap="medium")
    with s1:
        content = image_input("st-content", default=precompute.CONTENT_SAMPLE, label=N_("Content picture"),
                              max_side=1024)
    with s2:
        style_img = style_picker("st-style", default=precompute.STYLE_PATTERN)
        if style_img is not None:
            st.image(images.resize_max(style_img, 256), caption=_("Style picture"), width=200)
    with s3:
        alpha = st.select_slider(_("α (content weight)"), [0.0, 0.1, 0.3, 1.0, 3.0, 10.0], value=D["alpha"],
                                 key="st-alpha")
        beta = st.select_slider(_("β (style weight)"), BETAS, value=D["beta"], key="st-beta",
                                format_func=lambda v: f"{v:g}")
        tvw = st.select_slider(_("TV weight (noise loss)"), [0.0, 1.0, 3.0, 10.0, 30.0, 100.0],
                               value=D["tv_weight"], key="st-tv")
        steps = st.slider(_("Steps (L-BFGS loss evaluations)"), 20, 400, D["steps"], step=10, key="st-steps",
                          help=_("Each is one forward + backward pass of the loss network; 100 at "
                                 "256 px take about 10–30 s on a laptop CPU."))
        side = st.select_slider(_("Size (longer side, px)"), [128, 192, 256, 320, 384, 512], value=D["size"],
                                key="st-side")
    with st.expander(_("Advanced: layers, start, optimiser, colours")):
        a1, a2 = st.columns(2)
        layers = a1.multiselect(_("Style layers"), s.labels, default=D["style_layers"],
                                key="st-layers", placeholder=_("Choose options"), help=_("Measured best on EfficientNet-Lite0: stem + "
                                                        "the 1×1 expansion of the first block of stages 1–4."))
        content_choices = [D["content_layer"]] + [i.name for i in A.layer_catalogue(s.lm)
                                                  if i.name != D["content_layer"]]
        content_layer = a2.selectbox(_("Content layer"), content_choices, key="st-content-layer",
                                     help=_("Deeper: only the layout is kept; shallower: details too."))
        starts, optimisers = [N_("content"), N_("noise")], ["lbfgs", "adam"]
        init = a1.radio(_("Start from"), starts, index=starts.index(D["init"]), horizontal=True, key="st-init",
                        format_func=opt)
        optimizer = a2.radio(_("Optimiser"), optimisers, index=optimisers.index(D["optimizer"]),
                             horizontal=True, key="st-opt",
                             format_func={"lbfgs": "L-BFGS", "adam": "Adam (lr 0.02)"}.get,
                             help=_("L-BFGS gives clean strokes; Adam gives small swirls and speckle."))
        keep_colour = a1.checkbox(_("Preserve the content's colours"), value=D["preserve_color"], key="st-colour",
                                  help=_("Keep the stylised luminance, take the colours from the content."))
    ready = content is not None and style_img is not None and bool(layers)
    b1, b2 = st.columns([1, 3])
    go_st = b1.button(_("Stylize"), type="primary", icon=":material/brush:", key="st-go", disabled=not ready)
    b2.caption(_("Loss network {model}: style on {layers}; content on "
                 "{content_layer}. Style loss as G = FFᵀ/HW with ‖G−G_S‖²/‖G_S‖² averaged over "
                 "the layers (the notes' 1/(2n_Hn_Wn_C)² normalisation is the same up to a constant "
                 "per layer; this one weighs every layer equally).").format(
                     model=s.lm.title, layers=", ".join(layers) or "—", content_layer=content_layer))
    pictures = (content, style_img)
    common = dict(alpha=alpha, tv_weight=tvw, style_layers=list(layers), content_layer=content_layer,
                  preserve_color=keep_colour)
    settings = dict(common, beta=beta, init=init, optimizer=optimizer, steps=steps, size=side)
    if go_st and ready:
        res = run_job("transfer", s, pictures, settings, "st-run", N_("stylizing…"))
        if res is not None:
            st.session_state["st-result"] = res
            st.rerun()
    _result(shown("transfer", s, settings, pictures, "st-result"))
    _sweep(pictures, s, ready, common)


def _result(cur) -> None:
    res = cur.result
    if st.session_state.get("st-result") is None and st.session_state.get("st-run") is not None:
        snap = st.session_state["st-run"]
        st.image(snap.image, caption=_("Stopped at {step}/{total}").format(step=snap.step, total=snap.total),
                 width=360)
        return
    if res is None:
        return
    r1, r2 = st.columns([1, 1])
    with r1:
        st.image(res["image"], caption=_("β = {beta:g} · {steps} evaluations in "
                                         "{seconds:.1f} s").format(beta=res["beta"], steps=res["steps"],
                                                                   seconds=res["seconds"]) + tail(cur),
                 width="stretch")
        if stale_note(cur):
            st.caption(stale_note(cur))
        downloads(res["image"], res["frames"], "style-transfer", "st")
    with r2:
        figures.show(loss_figure(res["rows"], {"content": "α·J_content", "style": "β·J_style",
                                               "tv": "w·J_TV", "total": N_("J(G) total")},
                                 _("The three loss terms")), width="stretch")
        r0, rn = res["rows"][0], res["rows"][-1]
        st.caption(_("J(G): {first:.4g} → {last:.4g} "
                     "({lower:.0f} % lower). Starting from the "
                     "content picture the content term starts at 0 and rises while the style "
                     "term falls: the trade-off α : β decides where they meet.").format(
                         first=r0["total"], last=rn["total"], lower=100 * (1 - rn["total"] / r0["total"])))


def _sweep(pictures: tuple, s: Style, ready: bool, common: dict) -> None:
    st.subheader(_("Sweep over the style weight β"))
    D = precompute.defaults("sweep", s.lm)
    sw1, sw2 = st.columns([1, 3])
    sweep_betas = sw1.multiselect(_("β values"), BETAS, default=D["betas"], key="st-sweep-b", placeholder=_("Choose options"),
                                  format_func=lambda v: f"{v:g}")
    sw_steps = sw1.slider(_("Steps each"), 10, 100, D["steps"], step=10, key="st-sweep-steps")
    go_sweep = sw1.button(tr(precompute.JOBS["sweep"].button), icon=":material/grid_view:", key="st-sweep-go",
                          disabled=not ready or not sweep_betas)
    settings = dict(common, betas=list(sweep_betas), steps=sw_steps, size=D["size"])
    with sw2:
        if go_sweep and ready:
            # follow() takes its Stop button, bar and picture away when the sweep ends; the
            # rerun draws the grid below from the stored result
            st.session_state.pop("st-sweep-run", None)     # no earlier sweep's last snapshot
            res = run_job("sweep", s, pictures, settings, "st-sweep-run", "", image_width=200,
                          describe=lambda snap: _("β = {beta:g} done").format(beta=snap.info["beta"]))
            if res is not None:
                st.session_state["st-sweep"] = res
                st.rerun()
        stopped = jobs.interrupted("st-sweep-run")
        if stopped is None and st.session_state.get("st-sweep-run-stop"):
            st.info(_("Sweep stopped before its first β value was done."))
        if stopped is not None:
            st.info(_("Sweep stopped after {step} of {total} β values "
                      "(the last one done: β = {beta:g}).").format(
                          step=stopped.step, total=stopped.total, beta=stopped.info["beta"]))
        cur = shown("sweep", s, settings, pictures, "st-sweep")
        grid = cur.result
        if grid:
            cols = st.columns(len(grid["betas"]))
            for col, b, img in zip(cols, grid["betas"], grid["images"]):
                col.image(img, caption=f"β = {b:g}", width="stretch")
            st.caption(_("Small β: the photo barely changes; large β: the style's textures take over "
                         "and the layout fades (the notes' 003: the result depends on which loss is "
                         "weighted more)."))
            if note(cur):
                st.caption(note(cur))
