"""Inside the network › Feature inversion: a picture rebuilt from one layer's features."""
from __future__ import annotations

import streamlit as st

from core import precompute
from core.vis import features as Fe
from dashboard import jobs
from dashboard.widgets import how_it_works

from .common import Inside


def render(c: Inside) -> None:
    st.write("Feature inversion: keep the network fixed, start from noise, and change the pixels "
             "until their features at one layer match your picture's. A total-variation term keeps "
             "the result smooth. Shallow layers give the picture back almost exactly; deep layers "
             "keep only the layout and the parts the network cares about.")
    st.latex(r"x^{*}=\arg\min_x \frac{\lVert\Phi_\ell(x)-\Phi_\ell(x_0)\rVert^2}{\lVert\Phi_\ell(x_0)\rVert^2}"
             r"+\lambda_{TV}\,TV(x)")
    D = precompute.defaults("inversion", c.lm)       # the defaults a result is prepared ahead for
    i1, i2, i3 = st.columns([2, 1, 1])
    inv_layers = i1.multiselect("Layers", c.layer_names, default=D["layers"], key=f"inside-inv-layers-{c.key}")
    inv_steps = i2.slider("Steps", 20, 400, D["steps"], key="inside-inv-steps")
    inv_tv = i3.slider("TV weight", 0.0, 5.0, D["tv"], key="inside-inv-tv")
    small = Fe.prepare(c.image, precompute.INVERSION_SIDE)
    settings = dict(layers=list(inv_layers), steps=inv_steps, tv=inv_tv)
    if st.button("Invert", type="primary", key="inside-inv-go", icon=":material/undo:", disabled=not inv_layers):
        snapshots, record = precompute.start("inversion", c.lm, small, settings)
        last = jobs.follow(snapshots, "inside-inv-run", image_width=200,
                           describe=lambda s: f"inverting {s.info['layer']} · step {s.step}/{s.total}")
        if last is not None:
            st.session_state["inside-inv"] = precompute.finish("inversion", c.lm, small, settings, record)
            st.rerun()
    cur = precompute.current("inversion", c.lm, settings, small, st.session_state.get("inside-inv"))
    res = cur.result
    if res:
        cols = st.columns(len(res["layers"]) + 1)
        cols[0].image(res["pic"], caption=f"original ({res['pic'].shape[1]} px)", width="stretch")
        for col, lay, img, loss in zip(cols[1:], res["layers"], res["images"], res["losses"]):
            col.image(img, caption=f"{lay} · feature error {loss:.3f}", width="stretch")
        if cur.note:
            st.caption(cur.note)
    how_it_works("`core.vis.optimise.feature_inversion(model, image, layer, steps, tv)` takes "
                 "Φ(x₀) once, then per step asks `core.vis.ascent.gradient` for the gradient of "
                 "−‖Φ(x)−Φ(x₀)‖²/‖Φ(x₀)‖² − λ·TV(x) and lets Adam move the pixels; the loss shown "
                 "is the relative feature error.")
