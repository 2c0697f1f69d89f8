"""Inside the network: filters, feature maps, patches, saliency, gradient ascent, inversion,
neighbours, adversarial and fooling images (core.vis.*)."""
from __future__ import annotations

import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core import images
from core.vis import ascent as A
from core.vis import attribution as T
from core.vis import features as Fe
from core.vis import neighbours as N
from core.vis import optimise as O
from dashboard.cache import model_picker, provenance_badge
from dashboard.widgets import download_png, follow, image_input

st.title("Inside the network")
st.write(
    "A trained CNN is not a black box if we look: the first layer's filters are edges and colour "
    "blobs, deeper feature maps respond to parts, the last layer places pictures in a space where "
    "similar things are close. Gradients tell which pixels mattered, gradient ascent paints what "
    "a unit wants, and the same gradients build pictures that fool the network.")
st.latex(r"I^{*}=\arg\max_{I}\; f(I)+R(I)\qquad "
         r"x_{t+1}=x_t+\eta\,\frac{\partial a_i(x)}{\partial x}")

top_l, top_r = st.columns([1, 1], gap="large")
with top_r:
    lm = model_picker("inside-model")
    if lm.name != "vgg16":
        st.caption("The notes use ImageNet-trained **VGG-16** (block1_conv1 … block5_conv3). Its "
                   "weights are not available here, so EfficientNet-Lite0 stands in; its stages are "
                   "named stem, blocks[0] … blocks[6], conv_head.")
with top_l:
    image = image_input("inside-classify", default="chelsea", max_side=1024)
if image is None:
    st.info("Pick a sample, upload a picture or take a snapshot.")
    st.stop()

crop = Fe.prepare(image, 224)                  # what the network sees (224×224 centre crop)
whole = Fe.prepare(image, 224, crop=False)     # the whole picture, shorter side 224
layers = Fe.layer_choices(lm)
layer_names = [i.name for i in layers]
info = {i.name: i for i in layers}
labels = lm.labels
K = lm.name


def class_name(i: int) -> str:
    return f"{i} {labels[i]}" if i < len(labels) else str(i)


@st.cache_data(show_spinner=False, max_entries=16)
def _top5(_lm, name: str, pic: np.ndarray) -> list:
    return T.top_classes(_lm, pic, 5)


@st.cache_data(show_spinner=False, max_entries=16)
def _maps(_lm, name: str, pic: np.ndarray, layer: str):
    return Fe.activations(_lm, pic, [layer])[layer]


@st.cache_data(show_spinner=False, max_entries=4)
def _filters(_lm, name: str, layer: str | None):
    return Fe.filters(_lm, layer)


def top_table(rows: list) -> None:
    st.dataframe({"class": [f"{i} {n}" for i, n, _ in rows], "probability": [p for *_, p in rows]},
                 column_config={"probability": st.column_config.ProgressColumn(
                     "probability", min_value=0.0, max_value=1.0, format="%.3f")},
                 hide_index=True, width="stretch")


tabs = st.tabs(["What the model says", "Filters & feature maps", "Maximally activating patches",
                "Saliency", "Class visualization", "Feature inversion", "Neighbours & t-SNE",
                "Adversarial & fooling"])

# --------------------------------------------------------------------------- 0: classifier + live
with tabs[0]:
    st.write("The model every view on this page opens up, run on your picture: the five classes it "
             "finds most likely, with their softmax probabilities.")
    left, right = st.columns([1, 1])
    left.image(image, width="stretch")
    with right:
        if st.button("Classify", type="primary", key="inside-classify-go"):
            provenance_badge(lm)
            top_table(lm.classify(image, topk=5))
        else:
            st.caption("Press **Classify** to run the model on the picture.")
    st.subheader("Live: the network on your webcam")
    st.write("Every frame goes through one pure frame function — the same one a snapshot uses: "
             "`core.frames.classify_frame` (top classes), `core.vis.attribution.gradcam_frame` "
             "(where it looks) or `core.vis.features.feature_frame` (what a layer sees).")
    if st.toggle("Live mode", key="inside-live", help="Shows the webcam stream through the model."):
        from core.frames import classify_frame
        from dashboard.live import live_view

        what = st.radio("Show", ["Top classes", "Grad-CAM", "Feature maps"], horizontal=True,
                        key="inside-live-what")
        if what == "Top classes":
            live_view("inside-live-view", classify_frame, {"model": lm, "topk": 3}, default_fps=10)
        elif what == "Grad-CAM":
            live_view("inside-live-view", T.gradcam_frame, {"model": lm}, default_fps=5)
        else:
            lay = st.selectbox("Layer", layer_names, index=min(3, len(layer_names) - 1), key=f"inside-live-layer-{K}")
            live_view("inside-live-view", Fe.feature_frame, {"model": lm, "layer": lay}, default_fps=5)

# --------------------------------------------------------------------------- 1: filters, maps
with tabs[1]:
    st.write("**① Filters.** The first convolution looks at pixels directly, so its weights can be "
             "drawn as little colour pictures: oriented edges, blobs and colour opponents. Deeper "
             "filters mix hundreds of channels and stop being readable — the notes' point.")
    fg = _filters(lm, K, None)
    c1, c2 = st.columns([1, 1])
    c1.image(fg.image, caption=f"First layer `{fg.layer}`: {fg.shape[0]} filters of "
             f"{fg.shape[1]}×{fg.shape[2]}×{fg.shape[3]}, each scaled to its own range", width="stretch")
    with c2:
        deep = st.selectbox("A deeper convolution", layer_names[1:], key=f"inside-filt-{K}")
        dg = _filters(lm, K, deep)
        st.image(dg.image, caption=f"`{dg.layer}` {dg.shape}: first filters (rows) × first input "
                 "channels (columns), grey", width="stretch")
        if lm.name == "efficientnet_lite0":
            st.caption("EfficientNet's filters are 3×3 or 1×1 (depthwise + pointwise), so even the "
                       "first layer shows tiny tiles; AlexNet's 11×11 first layer in the notes is "
                       "the large-filter case.")
    st.write("**② Feature maps.** The same picture seen by one layer: each tile is one channel's "
             "activation map, strongest channels first.")
    f1, f2, f3 = st.columns([2, 1, 1])
    layer = f1.selectbox("Layer", layer_names, index=min(4, len(layer_names) - 1),
                         format_func=lambda n: f"{n} — stride {info[n].stride}", key=f"inside-fm-layer-{K}")
    n_maps = f2.select_slider("Channels shown", [8, 16, 32, 64], value=32, key="inside-fm-n")
    shared = f3.checkbox("One colour scale", key="inside-fm-shared",
                         help="Off: each map uses its own range. On: all maps share one, so weak "
                              "channels look dark.")
    fm = _maps(lm, K, crop, layer)
    g1, g2 = st.columns([3, 2])
    g1.image(Fe.feature_grid(fm, n=n_maps, cols=8, shared_scale=shared), width="stretch",
             caption=f"{layer}: {fm.maps.shape[0]} channels of {fm.maps.shape[1]}×{fm.maps.shape[2]}")
    with g2:
        rank = st.number_input("Channel rank (0 = strongest)", 0, fm.maps.shape[0] - 1, 0, key="inside-fm-rank")
        ch = int(fm.channels[rank])
        st.image(Fe.overlay_map(crop, fm.maps[rank]), width="stretch",
                 caption=f"channel {ch} of {layer} over the picture (mean activation {fm.strength[rank]:.3f})")
    with st.expander("How it works"):
        st.markdown("`core.vis.features.filters(model, layer)` reads the convolution's weights "
                    "(out × in × k × k) and normalises each filter; "
                    "`core.vis.features.activations(model, image, layers)` runs the network up to "
                    "the layer with per-call hooks (`core.vis.ascent.activations`, removed right "
                    "after, under the model's lock) and sorts channels by mean activation; "
                    "`feature_grid` and `overlay_map` draw them.")

# --------------------------------------------------------------------------- 2: patches
with tabs[2]:
    st.write("Pick one channel of one layer, run every picture of a gallery through the network, "
             "and cut out the places where that channel fires most. The crops are each unit's "
             "*effective receptive field*: the pixels its gradient actually reaches.")
    p1, p2 = st.columns(2)
    play = p1.selectbox("Layer", layer_names, index=min(4, len(layer_names) - 1), key=f"inside-tp-layer-{K}")
    fm_p = _maps(lm, K, crop, play)
    pch = p2.number_input("Channel", 0, fm_p.maps.shape[0] - 1, int(fm_p.channels[0]), key=f"inside-tp-ch-{K}",
                          help="Default: the channel that fires most on your picture.")
    st.caption("Gallery: the 10 bundled samples, each whole and as four corner crops (50 views), "
               "plus your picture when it is an upload or snapshot.")
    if st.button("Find top patches", type="primary", key="inside-tp-go"):
        with st.spinner("Running the gallery through the network…"):
            gallery = []
            for name in images.samples():
                try:
                    gallery += Fe.gallery_variants(images.load_sample(name, max_side=512))
                except ValueError:
                    pass
            gallery += Fe.gallery_variants(image)
            t0 = time.perf_counter()
            patches = Fe.top_patches(lm, play, int(pch), gallery, k=9)
        st.session_state["inside-tp"] = dict(patches=patches, layer=play, ch=int(pch),
                                             seconds=time.perf_counter() - t0, n=len(gallery))
    res = st.session_state.get("inside-tp")
    if res:
        st.caption(f"{res['layer']} channel {res['ch']}: best 9 of {res['n']} views "
                   f"({res['seconds']:.1f} s)")
        cols = st.columns(9)
        for col, p in zip(cols, res["patches"]):
            col.image(p.crop, caption=f"{p.score:.2f}", width="stretch")
    with st.expander("How it works"):
        st.markdown("`core.vis.features.top_patches(model, layer, channel, images)` batches the "
                    "gallery through the network up to the layer, takes the largest positions of "
                    "the channel (two per picture at most), and for each back-propagates that one "
                    "unit to the pixels to find the box holding 90 % of its gradient.")

# --------------------------------------------------------------------------- 3: saliency
with tabs[3]:
    st.write("Which pixels made the network say this class? Five answers from one call shape, "
             "`attribute(method, model, image, target)`: hide squares and watch the probability "
             "(occlusion, red = important), follow the gradient to the pixels (vanilla, guided "
             "backprop, SmoothGrad, integrated gradients), or weight the last feature maps by "
             "their gradients (Grad-CAM).")
    st.latex(r"\text{Grad-CAM}=\mathrm{ReLU}\Big(\sum_k \alpha_k A^k\Big),\quad "
             r"\alpha_k=\frac{1}{Z}\sum_{i,j}\frac{\partial y^c}{\partial A^k_{ij}}")
    top = _top5(lm, K, whole)
    s1, s2 = st.columns([2, 2])
    options = [c for c, *_ in top] + [c for c in range(len(labels)) if c not in {t[0] for t in top}]
    target = s1.selectbox("Target class (default: the top prediction)", options, format_func=class_name,
                          key=f"inside-sal-target-{K}")
    methods = s2.multiselect("Methods", list(T.METHODS), default=[m for m in T.METHODS if m != "integrated_gradients"], format_func=T.METHODS.get,
                             key="inside-sal-methods")
    with st.expander("Advanced"):
        a1, a2, a3 = st.columns(3)
        window = a1.select_slider("Occlusion window (px)", [16, 32, 48, 64], value=64, key="inside-occ-win")
        stride = a2.select_slider("Occlusion stride (px)", [8, 16, 24, 32], value=32, key="inside-occ-stride")
        samples = a3.slider("SmoothGrad samples", 4, 32, 12, key="inside-sg-n")
        show_over = st.checkbox("Overlay on the picture", value=True, key="inside-sal-over")
    if st.button("Explain", type="primary", key="inside-sal-go", icon=":material/visibility:"):
        results = []
        bar = st.progress(0.0)
        for i, m in enumerate(methods):                 # one loop, one call shape
            bar.progress(i / max(1, len(methods)), text=f"{T.METHODS[m]}…")
            opts = {"occlusion": dict(window=window, stride=stride), "smoothgrad": dict(samples=samples)}.get(m, {})
            results.append(T.explain(m, lm, whole, int(target), **opts))
        bar.empty()
        st.session_state["inside-sal"] = dict(results=results, target=int(target), pic=whole)
    res = st.session_state.get("inside-sal")
    if res is not None:
        cols = st.columns(3)
        cols[0].image(res["pic"], caption=f"input · target {class_name(res['target'])}", width="stretch")
        for i, r in enumerate(res["results"]):
            pic = T.overlay(res["pic"], r.map) if show_over else Fe.colorize(r.map, 0, 1, cmap=2)
            cols[(i + 1) % 3].image(pic, width="stretch", caption=f"{T.METHODS[r.method]} · {r.seconds:.2f} s")
        if any(r.method == "guided_backprop" for r in res["results"]):
            st.image(T.guided_backprop_rgb(lm, res["pic"], res["target"]), width=360,
                     caption="Guided backprop as a colour picture (signed gradient around grey)")
        if lm.name == "efficientnet_lite0":
            st.caption("On EfficientNet-Lite0 the pixel-level gradients (vanilla, SmoothGrad, IG) are "
                       "speckled; Grad-CAM on `conv_head` finds the object cleanly.")
    else:
        st.caption("Press **Explain**: occlusion runs the network once per square (tens of "
                   "passes), the gradient methods once or a few dozen times.")
    st.subheader("The notes' experiment: cover the most telling part")
    st.write("The notes ask whether the bird is still a bird with its beak and head hidden. Put a "
             "grey square over the cat's face (or anything else) and compare the probability.")
    H, W = whole.shape[:2]
    o1, o2, o3 = st.columns(3)
    ox = o1.slider("Square x", 0, W - 16, min(W - 16, int(W * 0.55)), key="inside-occ-x")
    oy = o2.slider("Square y", 0, H - 16, int(H * 0.25), key="inside-occ-y")
    osz = o3.slider("Square size", 16, min(H, W), min(H, W) // 2, key="inside-occ-size")
    if st.button("Cover it", key="inside-occ-go"):
        box = (ox, oy, min(W, ox + osz), min(H, oy + osz))
        pic, before, after, tgt = T.occlude(lm, whole, box, int(target))
        st.session_state["inside-occ"] = dict(pic=pic, before=before, after=after, tgt=tgt,
                                              top=T.top_classes(lm, pic, 3))
    occ = st.session_state.get("inside-occ")
    if occ:
        c1, c2 = st.columns([1, 1])
        c1.image(occ["pic"], width="stretch")
        with c2:
            st.metric(f"p({class_name(occ['tgt'])})", f"{occ['after']:.3f}", f"{occ['after'] - occ['before']:+.3f}")
            st.caption("Top classes with the square in place:")
            top_table(occ["top"])
    with st.expander("How it works"):
        st.markdown("`core.vis.attribution.attribute` / `explain(method, model, image, target)` for "
                    "every method; occlusion slides a mean-grey square (window, stride) and records "
                    "the probability drop; guided backprop runs on the method's own deep copy of "
                    "the network with guided ReLUs (`guided_copy`), so the shared model is never "
                    "changed; Grad-CAM reads `conv_head` (VGG-16: `block5_conv3`) and the logits in "
                    "one pass with per-call hooks. `overlay` colours the map (red = important). "
                    "`occlude` runs the covered and uncovered picture together.")

# --------------------------------------------------------------------------- 4: class visualization
with tabs[4]:
    st.write("Gradient ascent as in the notes: start from an all-zero image (mean grey), then "
             "repeat — score the class, back-propagate to the pixels, nudge the pixels up the "
             "gradient — with a regularizer R(I) (L2, blur, jitter, total variation) to keep the "
             "picture natural. The same loop on one channel of a layer draws what that channel "
             "looks for.")
    st.latex(r"I^{*}=\arg\max_I\, S_c(I)-\lambda_2\lVert I\rVert_2^2-\lambda_{TV}\,TV(I)")
    v1, v2 = st.columns(2)
    mode = v1.radio("Maximise", ["A class score", "One channel of a layer"], horizontal=True, key="inside-cv-mode")
    if mode == "A class score":
        cls = v2.selectbox("Class", list(range(len(labels))), index=130 if len(labels) > 130 else 0,
                           format_func=class_name, key=f"inside-cv-class-{K}")
        cv_layer = None
    else:
        cv_layer = v2.selectbox("Layer", layer_names, index=min(4, len(layer_names) - 1), key=f"inside-cv-layer-{K}")
        cls = st.number_input("Channel", 0, 4095, 0, key=f"inside-cv-ch-{K}")
    r1, r2, r3, r4 = st.columns(4)
    steps = r1.slider("Steps", 10, 300, 100, key="inside-cv-steps")
    l2w = r2.slider("L2 weight", 0.0, 10.0, 0.0, key="inside-cv-l2")
    tvw = r3.slider("TV weight", 0.0, 50.0, 0.0, key="inside-cv-tv")
    jit = r4.slider("Jitter (± px)", 0, 32, 8, key="inside-cv-jit")
    with st.expander("Advanced"):
        b1, b2, b3 = st.columns(3)
        blur0 = b1.slider("Blur σ at start", 0.0, 3.0, 1.0, key="inside-cv-blur")
        eta = b2.slider("Step η", 0.002, 0.05, 0.01, format="%.3f", key="inside-cv-eta")
        init = b3.radio("Start from", ["zeros", "noise"], key="inside-cv-init")
        side = st.select_slider("Size (px)", [128, 160, 224], value=160, key="inside-cv-size")
    if st.button("Run gradient ascent", type="primary", key="inside-cv-go", icon=":material/trending_up:"):
        t0 = time.perf_counter()
        last = follow(O.class_visualization(lm, int(cls), layer=cv_layer, steps=steps, size=side,
                                            step_size=eta, l2=l2w, tv=tvw, blur=(blur0, blur0 / 2),
                                            jitter=jit, init=init), "inside-cv-run", image_width=320)
        if last is not None:
            img = st.session_state["inside-cv-run"].image
            if img is None:
                img = last.image
            st.session_state["inside-cv"] = dict(
                image=img, start=last.info.get("start"), end=O.objective_value(lm, img, int(cls), cv_layer),
                top=T.top_classes(lm, img, 5), what=(class_name(int(cls)) if cv_layer is None else f"{cv_layer} channel {cls}"),
                seconds=time.perf_counter() - t0)
    res = st.session_state.get("inside-cv")
    if res:
        c1, c2 = st.columns([1, 1])
        c1.image(res["image"], caption=f"{res['what']} · {res['seconds']:.1f} s", width="stretch")
        with c2:
            st.metric("Objective (logit or channel mean)", f"{res['end']:.2f}", f"{res['end'] - res['start']:+.2f} from the start")
            st.caption("What the network now says about this picture:")
            top_table(res["top"])
            download_png(res["image"], "class-visualization.png", key="inside-cv-png")
    if lm.name == "efficientnet_lite0":
        st.info("Honest result on EfficientNet-Lite0: the ascent drives the class score to ~100 % "
                "within a hundred steps, yet the picture is mostly coloured texture with hints of "
                "the class (pink curves for *flamingo*) that a person could not name. That is the "
                "notes' warning in action: a picture the network is certain about need not look "
                "like anything — the fooling images in the last tab are the extreme case. VGG-16 "
                "gives more recognisable pictures when its weights are available.")
    with st.expander("How it works"):
        st.markdown("`core.vis.optimise.class_visualization(model, class_or_channel, …)` is an "
                    "iterator over `core.vis.ascent.ascend` with the objective `class_logit(c)` or "
                    "`channel(layer, k)`, the transform `roll` (jitter), the penalties `l2_penalty` "
                    "and `tv_penalty`, and `smooth_gradient` (blur); each step is a "
                    "`normalised_step`. Pixels stay in [0, 1] and are normalised inside the graph.")

# --------------------------------------------------------------------------- 5: feature inversion
with tabs[5]:
    st.write("Feature inversion: keep the network fixed, start from noise, and change the pixels "
             "until their features at one layer match your picture's. A total-variation term keeps "
             "the result smooth. Shallow layers give the picture back almost exactly; deep layers "
             "keep only the layout and the parts the network cares about.")
    st.latex(r"x^{*}=\arg\min_x \frac{\lVert\Phi_\ell(x)-\Phi_\ell(x_0)\rVert^2}{\lVert\Phi_\ell(x_0)\rVert^2}"
             r"+\lambda_{TV}\,TV(x)")
    default_inv = [n for n in (["blocks[1]", "blocks[4]", "conv_head"] if "blocks[1]" in layer_names
                               else ["block2_conv2", "block4_conv3", "block5_conv3"]) if n in layer_names]
    i1, i2, i3 = st.columns([2, 1, 1])
    inv_layers = i1.multiselect("Layers", layer_names, default=default_inv, key=f"inside-inv-layers-{K}")
    inv_steps = i2.slider("Steps", 20, 400, 120, key="inside-inv-steps")
    inv_tv = i3.slider("TV weight", 0.0, 5.0, 0.5, key="inside-inv-tv")
    small = Fe.prepare(image, 128)
    if st.button("Invert", type="primary", key="inside-inv-go", icon=":material/undo:"):
        out = {}
        for lay in inv_layers:
            st.caption(f"Inverting {lay}…")
            last = follow(O.feature_inversion(lm, small, lay, steps=inv_steps, tv=inv_tv),
                          f"inside-inv-run-{lay}", image_width=200)
            if last is not None:
                first = st.session_state.get(f"inside-inv-first-{lay}")
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
    with st.expander("How it works"):
        st.markdown("`core.vis.optimise.feature_inversion(model, image, layer, steps, tv)` takes "
                    "Φ(x₀) once, then per step asks `core.vis.ascent.gradient` for the gradient of "
                    "−‖Φ(x)−Φ(x₀)‖²/‖Φ(x₀)‖² − λ·TV(x) and lets Adam move the pixels; the loss shown "
                    "is the relative feature error.")

# --------------------------------------------------------------------------- 6: neighbours
with tabs[6]:
    st.write("The last convolutional stage turns each picture into one vector. Near neighbours in "
             "that **feature space** are pictures of the same kind — even mirrored, which is far "
             "away in **pixel space** (the notes' left- and right-facing elephants). t-SNE squeezes "
             "the vectors onto a plane so that neighbours stay neighbours.")
    n1, n2 = st.columns(2)
    proj = n1.radio("Projection", N.PROJECTIONS, horizontal=True, key="inside-nn-proj",
                    format_func=lambda m: {"tsne": "t-SNE", "pca": "PCA", "umap": "UMAP"}[m])
    if proj == "umap" and not N.umap_available():
        n1.caption("UMAP needs the `umap-learn` package, which is not installed here: t-SNE is used.")
    if st.button("Embed the gallery", type="primary", key="inside-nn-go", icon=":material/scatter_plot:"):
        with st.spinner("Embedding 40 views…"):
            names, gal = [], []
            for name in images.samples():
                try:
                    pic = images.load_sample(name, max_side=512)
                except ValueError:
                    continue
                views = Fe.gallery_variants(pic, 128)
                for j, v in enumerate([views[0], views[1], views[2], views[4]]):
                    gal.append(np.ascontiguousarray(v))
                    names.append(f"{name}" + ["", " (corner 1)", " (corner 2)", " (corner 4)"][j])
            q = Fe.prepare(image, 128)[:, ::-1].copy()
            feats = N.embed(lm, gal + [q])
            pix = N.pixels(gal + [q])
            method = proj if proj != "umap" or N.umap_available() else "tsne"
            xy = N.project(feats, method)
        st.session_state["inside-nn"] = dict(names=names, gal=gal, q=q, feats=feats, pix=pix, xy=xy, method=method)
    res = st.session_state.get("inside-nn")
    if res:
        nq = len(res["gal"])
        fe = N.neighbours(res["feats"][nq], res["feats"][:nq], k=5)
        px = N.neighbours(res["pix"][nq], res["pix"][:nq], k=5)
        st.caption("Query: your picture **mirrored** (so it is not in the gallery as such).")
        cols = st.columns(6)
        cols[0].image(res["q"], caption="query", width="stretch")
        for col, (i, d) in zip(cols[1:], fe):
            col.image(res["gal"][i], caption=f"feature: {res['names'][i]} ({d:.1f})", width="stretch")
        cols = st.columns(6)
        cols[0].caption("pixel space →")
        for col, (i, d) in zip(cols[1:], px):
            col.image(res["gal"][i], caption=f"pixel: {res['names'][i]} ({d:.1f})", width="stretch")
        xy = res["xy"]
        fig = go.Figure(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", text=res["names"] + ["query"],
                                   marker=dict(size=6, color=["#1f77b4"] * nq + ["#d62728"])))
        span = float(max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1]))) or 1.0
        for (x, y), pic in zip(xy, res["gal"] + [res["q"]]):
            from PIL import Image

            fig.add_layout_image(dict(source=Image.fromarray(pic), x=float(x), y=float(y), xref="x", yref="y",
                                      sizex=span * 0.07, sizey=span * 0.07, xanchor="center", yanchor="middle"))
        fig.update_layout(height=560, margin=dict(l=10, r=10, t=30, b=10),
                          title=f"{res['method'].upper()} of the last-stage features (hover for names)")
        st.plotly_chart(fig, width="stretch")
    with st.expander("How it works"):
        st.markdown("`core.vis.neighbours.embed(model, images)` averages the last stage's maps over "
                    "positions (1280 numbers on Lite0); `pixels` shrinks each picture to 32×32; "
                    "`neighbours` ranks by Euclidean distance; `project(features, 'tsne'|'pca'|'umap')` "
                    "maps to 2-D (scikit-learn t-SNE; UMAP only when `umap-learn` is installed).")

# --------------------------------------------------------------------------- 7: adversarial
with tabs[7]:
    st.write("An adversarial example changes every pixel by an invisible amount in the direction "
             "that hurts the network most — the sign of the loss gradient — and the class changes. "
             "A fooling image goes further: from pure noise to a picture the network is sure about.")
    st.latex(r"x_{adv}=x+\epsilon\,\mathrm{sign}\big(\nabla_x J(x,y)\big)")
    e1, e2, e3 = st.columns(3)
    eps255 = e1.slider("ε (out of 255 per pixel)", 0.5, 16.0, 2.0, step=0.5, key="inside-adv-eps")
    adv_steps = e2.slider("Steps (1 = FGSM)", 1, 20, 10, key="inside-adv-steps")
    tgt_opts = [-1] + list(range(len(labels)))
    adv_target = e3.selectbox("Push toward", tgt_opts, index=0,
                              format_func=lambda c: "any other class (untargeted)" if c < 0 else class_name(c),
                              key=f"inside-adv-target-{K}")
    if st.button("Attack", type="primary", key="inside-adv-go", icon=":material/bolt:"):
        r = O.adversarial(lm, crop, None if adv_target < 0 else int(adv_target), eps=eps255 / 255, steps=adv_steps)
        st.session_state["inside-adv"] = dict(r=r, pic=crop)
    res = st.session_state.get("inside-adv")
    if res:
        r = res["r"]
        c1, c2, c3 = st.columns(3)
        c1.image(res["pic"], caption="original", width="stretch")
        c2.image(r.amplified(), caption=f"perturbation ×{0.5 / max(1e-9, np.abs(r.perturbation).max()):.0f} "
                 f"(max {np.abs(r.perturbation).max() * 255:.1f}/255)", width="stretch")
        c3.image(r.image, caption="adversarial", width="stretch")
        t1, t2 = st.columns(2)
        with t1:
            st.caption("Before")
            top_table(r.before)
        with t2:
            st.caption(f"After ({'FGSM' if r.steps == 1 else f'{r.steps} steps'}, {r.seconds:.1f} s) — "
                       + ("**the class changed**" if r.flipped else "the class held"))
            top_table(r.after)
        download_png(r.image, "adversarial.png", key="inside-adv-png")
    st.subheader("Fooling image from noise")
    fool_cls = st.selectbox("Make the network see", list(range(len(labels))), index=min(859, len(labels) - 1),
                            format_func=class_name, key=f"inside-fool-class-{K}")
    if st.button("Fool it", key="inside-fool-go", icon=":material/blur_on:"):
        last = follow(O.fooling_image(lm, int(fool_cls), size=160, steps=80), "inside-fool-run", image_width=240)
        if last is not None:
            img = last.image if last.image is not None else st.session_state["inside-fool-run"].image
            st.session_state["inside-fool"] = dict(image=img, top=T.top_classes(lm, img, 3), steps=last.step)
    res = st.session_state.get("inside-fool")
    if res:
        c1, c2 = st.columns(2)
        c1.image(res["image"], caption=f"after {res['steps']} steps", width="stretch")
        with c2:
            top_table(res["top"])
    with st.expander("How it works"):
        st.markdown("`core.vis.optimise.adversarial(model, image, target, eps, steps)`: FGSM (one "
                    "step of ε·sign(∇x J)) or iterative FGSM projected back into the ε-ball, then "
                    "rounded to 8-bit pixels and scored as such. `fooling_image(model, target)` "
                    "starts from uniform noise and lets Adam raise log p(target) until it passes 0.99.")
