"""Inside the network › Feature inversion: a picture rebuilt from one layer's features."""
from __future__ import annotations

import streamlit as st

from core.vis import features as Fe
from core.vis import optimise as O
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
    names = c.layer_names
    default_inv = [n for n in (["blocks[1]", "blocks[4]", "conv_head"] if "blocks[1]" in names
                               else ["block2_conv2", "block4_conv3", "block5_conv3"]) if n in names]
    i1, i2, i3 = st.columns([2, 1, 1])
    inv_layers = i1.multiselect("Layers", names, default=default_inv, key=f"inside-inv-layers-{c.key}")
    inv_steps = i2.slider("Steps", 20, 400, 120, key="inside-inv-steps")
    inv_tv = i3.slider("TV weight", 0.0, 5.0, 0.5, key="inside-inv-tv")
    small = Fe.prepare(c.image, 128)
    if st.button("Invert", type="primary", key="inside-inv-go", icon=":material/undo:"):
        out = {}
        for lay in inv_layers:
            st.caption(f"Inverting {lay}…")
            last = jobs.follow(O.feature_inversion(c.lm, small, lay, steps=inv_steps, tv=inv_tv),
                               f"inside-inv-run-{lay}", image_width=200)
            if last is not None:
                img = last.image if last.image is not None else st.session_state[f"inside-inv-run-{lay}"].image
                out[lay] = dict(image=img, loss=last.loss)
        st.session_state["inside-inv"] = out
        st.rerun()
    res = st.session_state.get("inside-inv")
    if res:
        cols = st.columns(len(res) + 1)
        cols[0].image(small, caption="original (128 px)", width="stretch")
        for col, (lay, r) in zip(cols[1:], res.items()):
            col.image(r["image"], caption=f"{lay} · feature error {r['loss']:.3f}", width="stretch")
    how_it_works("`core.vis.optimise.feature_inversion(model, image, layer, steps, tv)` takes "
                 "Φ(x₀) once, then per step asks `core.vis.ascent.gradient` for the gradient of "
                 "−‖Φ(x)−Φ(x₀)‖²/‖Φ(x₀)‖² − λ·TV(x) and lets Adam move the pixels; the loss shown "
                 "is the relative feature error.")
