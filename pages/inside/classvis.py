"""Inside the network › Class visualization: gradient ascent toward a class or one channel."""
from __future__ import annotations

import streamlit as st

from core import precompute
from dashboard import jobs
from dashboard.widgets import download_png, how_it_works

from .common import Inside, top_table


def render(c: Inside) -> None:
    st.write("Gradient ascent as in the notes: start from an all-zero image (mean grey), then "
             "repeat — score the class, back-propagate to the pixels, nudge the pixels up the "
             "gradient — with a regularizer R(I) (L2, blur, jitter, total variation) to keep the "
             "picture natural. The same loop on one channel of a layer draws what that channel "
             "looks for.")
    st.latex(r"I^{*}=\arg\max_I\, S_c(I)-\lambda_2\lVert I\rVert_2^2-\lambda_{TV}\,TV(I)")
    D = precompute.defaults("classvis", c.lm)        # the defaults a result is prepared ahead for
    v1, v2 = st.columns(2)
    mode = v1.radio("Maximise", ["A class score", "One channel of a layer"], horizontal=True, key="inside-cv-mode")
    if mode == "A class score":
        cls = v2.selectbox("Class", list(range(len(c.labels))), index=D["target"],
                           format_func=c.class_name, key=f"inside-cv-class-{c.key}")
        cv_layer = None
    else:
        cv_layer = v2.selectbox("Layer", c.layer_names, index=c.deep_index, key=f"inside-cv-layer-{c.key}")
        n = c.channels(cv_layer)                      # bounded by the layer's real channel count
        cls = st.number_input("Channel", 0, n - 1, 0, key=f"inside-cv-ch-{c.key}",
                              help=f"`{cv_layer}` has {n} channels: 0 … {n - 1}.")
    r1, r2, r3, r4 = st.columns(4)
    steps = r1.slider("Steps", 10, 300, D["steps"], key="inside-cv-steps")
    l2w = r2.slider("L2 weight", 0.0, 10.0, D["l2"], key="inside-cv-l2")
    tvw = r3.slider("TV weight", 0.0, 50.0, D["tv"], key="inside-cv-tv")
    jit = r4.slider("Jitter (± px)", 0, 32, D["roll"], key="inside-cv-jit")
    with st.expander("Advanced"):
        b1, b2, b3 = st.columns(3)
        blur0 = b1.slider("Blur σ at start", 0.0, 3.0, D["blur"], key="inside-cv-blur")
        eta = b2.slider("Step η", 0.002, 0.05, D["step_size"], format="%.3f", key="inside-cv-eta")
        inits = ["zeros", "noise"]
        init = b3.radio("Start from", inits, index=inits.index(D["init"]), key="inside-cv-init")
        side = st.select_slider("Size (px)", [128, 160, 224], value=D["size"], key="inside-cv-size")
    settings = dict(target=int(cls), layer=cv_layer, steps=steps, size=side, step_size=eta, l2=l2w,
                    tv=tvw, blur=blur0, roll=jit, init=init)
    if st.button("Run gradient ascent", type="primary", key="inside-cv-go", icon=":material/trending_up:"):
        snapshots, record = precompute.start("classvis", c.lm, None, settings)
        if jobs.follow(snapshots, "inside-cv-run", image_width=320) is not None:
            st.session_state["inside-cv"] = precompute.finish("classvis", c.lm, None, settings, record)
    cur = precompute.current("classvis", c.lm, settings, None, st.session_state.get("inside-cv"))
    res = cur.result
    if res:
        c1, c2 = st.columns([1, 1])
        c1.image(res["image"], caption=f"{res['what']} · {res['seconds']:.1f} s{cur.tail}", width="stretch")
        if cur.stale_note:
            c1.caption(cur.stale_note)
        with c2:
            st.metric("Objective (logit or channel mean)", f"{res['end']:.2f}", f"{res['end'] - res['start']:+.2f} from the start")
            st.caption("What the network now says about this picture:")
            top_table(res["top"])
            download_png(res["image"], "class-visualization.png", key="inside-cv-png")
    if c.lm.name == "efficientnet_lite0":
        st.info("Honest result on EfficientNet-Lite0: the ascent drives the class score to ~100 % "
                "within a hundred steps, yet the picture is mostly coloured texture with hints of "
                "the class (pink curves for *flamingo*) that a person could not name. That is the "
                "notes' warning in action: a picture the network is certain about need not look "
                "like anything — the fooling images in the last tab are the extreme case. VGG-16 "
                "gives more recognisable pictures when its weights are available.")
    how_it_works("`core.vis.optimise.class_visualization(model, class_or_channel, …)` is an "
                 "iterator over `core.vis.ascent.ascend` with the objective `class_logit(c)` or "
                 "`channel(layer, k)`, the transform `roll` (jitter), the penalties `l2_penalty` "
                 "and `tv_penalty`, and `smooth_gradient` (blur); each step is a "
                 "`normalised_step`. Pixels stay in [0, 1] and are normalised inside the graph. The "
                 "result for the default settings is prepared ahead by the same call "
                 "(`core.precompute`, shipped in `assets/prepared/`).")
