"""DeepDream: amplify what a layer sees, octave by octave (core.dream on core.vis.ascent)."""
from __future__ import annotations

import time

import plotly.graph_objects as go
import streamlit as st

from core import dream as dd
from core import images, precompute
from core.vis import ascent as A
from dashboard.cache import model_picker
from dashboard.widgets import download_gif, download_png, follow, image_input

st.title("DeepDream")
st.write(
    "Instead of changing the picture to raise one class score, DeepDream changes it to raise "
    "**everything a chosen layer already responds to**: whatever faintly looks like an eye to "
    "that layer is painted in as an eye, again and again. Low layers paint edges and braids, "
    "high layers paint eyes, dog faces and animal parts. The picture is dreamed at several "
    "sizes (**octaves**), smallest first, so the patterns come out large as well as fine.")
st.latex(r"L(x)=\frac{1}{N}\sum_{c,i,j}F_\ell(x)_{c,i,j}^{2},\qquad "
         r"x\leftarrow x+\eta\,\frac{\nabla_x L}{\operatorname{mean}\lvert\nabla_x L\rvert}")

SIZES = [256, 384, 512, 768, 1024, 1920]

# --------------------------------------------------------------------------- inputs
left, right = st.columns([1, 1], gap="large")
with left:
    picked = image_input("dd-image", default="china", max_side=2048)
with right:
    lm = model_picker("dd-model")
    catalogue = {i.name: i for i in A.layer_catalogue(lm)}
    classic = dd.preset(lm)
    k = lm.name                                   # widget keys per network: layer names differ
    defaults = {f"dd-layer-{k}": classic["layers"], "dd-octaves": classic["octaves"],
                "dd-scale": classic["octave_scale"], "dd-steps": classic["steps"],
                "dd-eta": classic["step_size"], "dd-jitter": classic["jitter"]}
    for key, value in defaults.items():
        st.session_state.setdefault(key, value)

    def _classic() -> None:
        st.session_state.update(defaults)

    layer = st.selectbox("Layer", list(catalogue), key=f"dd-layer-{k}",
                         format_func=lambda n: f"{n} — {catalogue[n].hint}",
                         help="Shallow layers (top of the list) see edges and textures; deep "
                              "layers see parts of objects.")
    st.caption(f"`{layer}` · stride {catalogue[layer].stride} px · {catalogue[layer].hint}")
    c1, c2 = st.columns(2)
    octaves = c1.slider("Octaves", 1, 6, key="dd-octaves",
                        help="How many sizes the picture is dreamed at, smallest first.")
    scale = c2.slider("Octave scale", 1.1, 2.0, step=0.05, key="dd-scale",
                      help="Each octave is this many times smaller than the next.")
    steps = c1.slider("Steps per octave", 1, 50, key="dd-steps")
    eta = c2.slider("Intensity η", 0.002, 0.03, step=0.001, format="%.3f", key="dd-eta",
                    help="Change per step on 0–1 pixels, after dividing the gradient by its mean size.")
    st.button("Classic preset", icon=":material/auto_awesome:", on_click=_classic,
              help=f"{classic['layers']}, {classic['octaves']} octaves × {classic['steps']} steps, "
                   f"scale {classic['octave_scale']}, η {classic['step_size']}: eyes and dog faces.")
    with st.expander("Advanced"):
        side = st.select_slider("Processing size (longer side, px)", SIZES, value=384, key="dd-side",
                                help="384 px dreams in seconds on a laptop CPU; large sizes are "
                                     "processed tile by tile and take minutes on a CPU.")
        jitter = st.slider("Jitter (random roll, ± px)", 0, 64, key="dd-jitter")
        tile = st.select_slider("Tile size (px)", [256, 384, 512, 768], value=512, key="dd-tile",
                                help="Pictures larger than this are dreamed tile by tile, so "
                                     "memory stays bounded.")
        seed = st.number_input("Random seed", 0, 10_000, 0, key="dd-seed")
        use_guide = st.checkbox("Dream toward a guide image", key="dd-use-guide",
                                help="Pull each position toward the guide's most similar feature "
                                     "instead of amplifying the layer as it is.")
        guide = None
        if use_guide:
            names = list(images.samples())
            gname = st.selectbox("Guide (sample)", names, index=names.index("flower"),
                                 key="dd-guide", format_func=lambda n: images.samples()[n].title)
            guide = images.load_sample(gname, max_side=256)

if picked is None:
    st.info("Pick a sample, upload a picture or take a snapshot to dream on.")
    st.stop()
image = images.resize_max(picked, side)
settings = dict(layers=layer, steps=steps, step_size=eta, octaves=octaves, octave_scale=scale,
                jitter=jitter, tile_size=tile, seed=int(seed), guide=guide)
stamp = (lm.name, image.shape, int(image[::7, ::7].sum()), layer, steps, eta, octaves, scale,
         jitter, tile, int(seed), use_guide)
sizes = dd.octave_sizes(image.shape[0], image.shape[1], octaves, scale)


def _n(steps_: int) -> str:
    return f"{steps_} step" + ("" if steps_ == 1 else "s")


def _finish_interrupted(run_key: str, result_key: str) -> None:
    """A run that was stopped (Stop, or any widget change) leaves its last snapshot behind."""
    if st.session_state.pop(f"{run_key}-active", None) is None:
        return
    snap = st.session_state.get(run_key)
    record = st.session_state.get(f"{run_key}-record") or {"frames": [], "losses": []}
    frames = record["frames"]
    if snap is not None and frames:
        last = snap.image if snap.image is not None else frames[-1]
        st.session_state[result_key] = dict(
            image=last, frames=frames, stopped=True, step=snap.step, total=snap.total,
            losses=record["losses"], seconds=None, stamp=None,
            layer=st.session_state.get(f"{run_key}-layer"))


def prepared(layer_name: str) -> dict | None:
    """The same dream prepared ahead by `cnnlab precompute`, if there is one."""
    if guide is not None:
        return None
    res = precompute.load("deepdream", precompute.dream_params({**settings, "layers": layer_name},
                                                                lm.name), image)
    if res is not None:
        res.update(stamp=stamp, losses=[tuple(x) for x in res.get("losses", [])])
    return res


def run_dream(run_key: str, layer_name: str, caption: str) -> dict | None:
    """Dream with the chosen settings on ``layer_name``, drawing progress; the result dict."""
    try:
        snapshots, record = precompute.run_dream_recorded(image, lm, {**settings, "layers": layer_name})
    except ValueError as e:
        st.error(str(e))
        return None
    st.session_state[f"{run_key}-record"] = record
    st.session_state[f"{run_key}-layer"] = layer_name
    st.session_state[f"{run_key}-active"] = True
    t0 = time.perf_counter()
    last = follow(snapshots, run_key, image_caption=caption, image_width="stretch")
    st.session_state.pop(f"{run_key}-active", None)
    if last is None:
        return None
    return dict(image=last.image, frames=record["frames"], stopped=False,
                step=last.step, total=last.total, losses=record["losses"], layer=layer_name,
                seconds=time.perf_counter() - t0, stamp=stamp)


def loss_plot(losses: list[tuple[int, int, float]]) -> go.Figure:
    fig = go.Figure()
    for o in sorted({o for _, o, _ in losses}):
        pts = [(s, v) for s, oo, v in losses if oo == o]
        fig.add_scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], mode="lines",
                        name=f"octave {o}")
    fig.update_layout(height=240, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="step",
                      yaxis_title="objective L", title="The objective rises in every octave")
    return fig


# --------------------------------------------------------------------------- results
dream_tab, pair_tab = st.tabs(["Dream", "Low vs high layer"])

with dream_tab:
    _finish_interrupted("dd-run", "dd-result")
    st.caption(f"{image.shape[1]}×{image.shape[0]} px · octaves at "
               + ", ".join(f"{w}×{h}" for h, w in sizes)
               + f" · {_n(len(sizes) * steps)} in all")
    go_dream = st.button("Dream", type="primary", icon=":material/cloud:", key="dd-go")
    a, b = st.columns(2)
    a.image(image, caption="Input", width="stretch")
    with b:
        if go_dream:
            res = run_dream("dd-run", layer, f"dreaming on {layer}")
            if res is not None:
                st.session_state["dd-result"] = res
                st.rerun()
        res = st.session_state.get("dd-result")
        if res is None or res.get("stamp") != stamp:
            res = prepared(layer) or res
            if res is not None and res.get("prepared"):
                st.session_state["dd-result"] = res
        if res is None:
            st.caption("Press **Dream**: the picture updates live, octave by octave; Stop keeps "
                       "what was reached.")
        else:
            what = (f"stopped at step {res['step']}/{res['total']}" if res["stopped"]
                    else f"{_n(res['total'])} in {res['seconds']:.1f} s")
            if res.get("prepared"):
                what += " · prepared ahead by `cnnlab precompute`"
            st.image(res["image"], caption=f"{res['layer']} · {what}", width="stretch")
            if res.get("stamp") not in (None, stamp):
                st.caption("The settings or picture changed since this dream — press **Dream** "
                           "to dream again.")
            d1, d2 = st.columns(2)
            with d1:
                download_png(res["image"], "deepdream.png", key="dd-png")
            with d2:
                download_gif(res["frames"], "deepdream.gif", key="dd-gif", duration_ms=150)
    res = st.session_state.get("dd-result")
    if res is not None and res["losses"]:
        gains = []
        for o in sorted({o for _, o, _ in res["losses"]}):
            vals = [v for _, oo, v in res["losses"] if oo == o]
            gains.append(f"octave {o}: ×{vals[-1] / vals[0]:.2f}" if vals[0] else f"octave {o}")
        st.plotly_chart(loss_plot(res["losses"]), width="stretch")
        st.caption("Objective gain within each octave (last step ÷ first step): " + " · ".join(gains))

with pair_tab:
    _finish_interrupted("dd-low", "dd-pair-low")
    _finish_interrupted("dd-high", "dd-pair-high")
    st.write("The notes dream on a sky: a **high** layer fills it with dogs, eyes and fish-like "
             "animals, a **low** layer with edges and strange patterns. Pick *Temple in China* "
             "(sky, roof and trees) or *Rocket launch* above; both dreams use the settings above.")
    names = list(catalogue)
    p1, p2 = st.columns(2)
    low = p1.selectbox("Low layer", names, index=names.index(A.LOW_LAYER.get(lm.name, names[2])),
                       key=f"dd-low-{k}", format_func=lambda n: f"{n} — {catalogue[n].hint}")
    high = p2.selectbox("High layer", names, index=names.index(A.HIGH_LAYER.get(lm.name, names[-3])),
                        key=f"dd-high-{k}", format_func=lambda n: f"{n} — {catalogue[n].hint}")
    go_pair = st.button("Dream both", type="primary", icon=":material/compare:", key="dd-pair-go")
    cols = st.columns(3)
    cols[0].image(image, caption="Input", width="stretch")
    for col, key, name, word in ((cols[1], "dd-low", low, "low"), (cols[2], "dd-high", high, "high")):
        with col:
            if go_pair:
                res = run_dream(key, name, f"{word} layer {name}")
                if res is not None:
                    st.session_state[f"dd-pair-{word}"] = res
            res = st.session_state.get(f"dd-pair-{word}")
            if (res is None or res.get("stamp") != stamp) and not go_pair:
                res = prepared(name) or res
            if res is not None and not go_pair:
                tail = " (stopped)" if res["stopped"] else (" (prepared ahead)" if res.get("prepared") else "")
                st.image(res["image"], caption=f"{word} layer: {res['layer']}{tail}", width="stretch")
                download_png(res["image"], f"deepdream-{word}-{res['layer']}.png", key=f"dd-png-{word}")
    if go_pair:
        st.rerun()

with st.expander("How it works"):
    st.markdown(f"""
1. The picture is scaled so its longer side is {side} px (`core.images.resize_max`) and turned
   into pixels in [0, 1]; the model ({lm.title}) normalises them inside the graph.
2. `core.dream.octave_sizes` lists the octaves, each {scale:g}× smaller than the next. Dreaming
   starts on the smallest; after each octave only the **detail** it added (dreamed − base) is
   scaled up and added to the next, sharper base — the detail-preserving scheme of the
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
""")
