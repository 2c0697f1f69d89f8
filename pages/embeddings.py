"""Embeddings and faces lab: why embeddings, training one three ways with triplet mining, face
detection / landmarks / alignment / descriptors, verification, identification, live
recognition and interactive projections.

Thin page: the maths lives in ``core.embeddings``; tabs are lazy (only the open one runs).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.embeddings import faces, losses, metrics, mining, project
from core.zoo import ModelUnavailable
from dashboard.cache import get_model
from dashboard.widgets import download_png, follow, image_input, keep_tab_state

st.title("Embeddings and faces")
st.write(
    "An **embedding** is a short vector that keeps similarity: two pictures of the same person "
    "(or the same digit) land close together, different ones far apart. A network learns it "
    "with a classifier whose head is cut off, with a contrastive loss on pairs, or with the "
    "triplet loss on (anchor, positive, negative). Then one picture per person is enough "
    "(one-shot learning): two faces are the same person when their distance is at most τ."
)
st.latex(r"L(A,P,N)=\max\!\left(0,\ \lVert f(A)-f(P)\rVert^2-\lVert f(A)-f(N)\rVert^2+\alpha\right)"
         r"\qquad d(\mathrm{img}_1,\mathrm{img}_2)\le\tau\ \Rightarrow\ \text{same person}")

keep_tab_state("emb-")  # only the open tab runs; keep the others' settings

TABS = ["Why embeddings", "Train your own", "Faces & landmarks", "Verification (1:1)",
        "Identification (1:K)", "Live", "Plots"]
tabs = st.tabs(TABS, key="emb-tab", on_change="rerun")


def _is_open(i: int) -> bool:
    return tabs[i].open is not False


# ----------------------------------------------------------------------------- helpers


def _face_models() -> faces.FaceModels:
    """dlib's models from the shared model cache (zoo entry "dlib-faces")."""
    return get_model("dlib-faces").model


def face_models() -> faces.FaceModels | None:
    try:
        return _face_models()
    except (faces.FaceModelsUnavailable, ModelUnavailable) as e:
        st.error(str(e))
        return None


@st.cache_data(show_spinner="Finding faces…", max_entries=24)
def _find(image: np.ndarray, detector: str, upsample: int) -> list[faces.Face]:
    return faces.embed_faces(image, detector=detector, upsample=upsample, models=_face_models())


def find_faces(image: np.ndarray, detector: str = "hog", upsample: int = 1) -> list[faces.Face]:
    if face_models() is None:
        return []
    return _find(image, detector, upsample)


def gallery() -> faces.Gallery:
    if "emb-gallery-obj" not in st.session_state:
        st.session_state["emb-gallery-obj"] = faces.Gallery()
    return st.session_state["emb-gallery-obj"]


def guard(fn) -> None:
    try:
        fn()
    except ValueError as e:
        st.error(str(e), icon=":material/error:")


def distance_bar(d: float, tau: float, key: str) -> None:
    top = max(1.2, d * 1.1)
    fig = go.Figure(go.Bar(x=[d], y=["d"], orientation="h",
                           marker_color="#2ca02c" if d <= tau else "#d62728",
                           text=[f"{d:.3f}"], textposition="outside"))
    fig.add_vline(x=tau, line_dash="dash", annotation_text=f"τ = {tau:.2f}")
    fig.update_layout(height=130, margin={"l": 10, "r": 10, "t": 25, "b": 25},
                      xaxis={"range": [0, top], "title": "descriptor distance"}, yaxis={"visible": False})
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})


SAMPLE_PEOPLE = [("astronaut", 0, "Eileen Collins"), ("zidane", 0, "Carlo Ancelotti"),
                 ("bus", 0, "Bus passenger")]


@st.cache_data(show_spinner="Embedding the sample faces…", max_entries=2)
def sample_labelled_set() -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Faces from the bundled samples plus changed copies (mirrored, darker, rotated, shifted):
    a small labelled set that needs no network and no shared data."""
    from core import images

    desc, labels, chips = [], [], []
    m = _face_models()
    for sample, index, name in SAMPLE_PEOPLE:
        img = images.load_sample(sample, max_side=1280)
        found = sorted(faces.embed_faces(img, upsample=1, models=m), key=lambda f: f.box[0])
        if index >= len(found):
            continue
        base = found[index]
        desc.append(base.descriptor)
        labels.append(name)
        chips.append(base.chip)
        for variant in faces.variants(img).values():
            fs = faces.embed_faces(variant, upsample=1, models=m)
            if fs:   # the copies move the face: take the one most like the original
                f = min(fs, key=lambda f: faces.face_distance(f.descriptor, base.descriptor))
                desc.append(f.descriptor)
                labels.append(name)
                chips.append(f.chip)
    return np.array(desc), np.array(labels), chips


def labelled_set() -> tuple[np.ndarray, np.ndarray, list[np.ndarray]] | None:
    return st.session_state.get("emb-labelled")


# ----------------------------------------------------------------------------- 1 why


def tab_why() -> None:
    st.subheader("Why not compare pixels?")
    st.write("The notes: searching by the raw picture means computing with hundreds of "
             "thousands to millions of values per comparison, most of them unnecessary detail; "
             "simply shrinking the picture loses its meaning. An embedding keeps the meaning in a "
             "few numbers (dlib's face descriptor: 128).")
    rows = []
    for name, (w, h) in metrics.RESOLUTIONS.items():
        c = metrics.comparison_cost(w, h)
        rows.append({"picture": name, "pixels": f"{c['pixels']:,} (≈ {c['pixels'] / 1e4:.0f} × 10⁴)",
                     "numbers (×3 colours)": f"{c['values']:,}", "embedding": c["embedding"],
                     "fewer numbers": f"{c['ratio']:,.0f}×"})
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    n = st.select_slider("Pictures in the database", [1_000, 10_000, 100_000, 1_000_000],
                         value=100_000, key="emb-why-n")
    hd = metrics.comparison_cost(1280, 720)
    a, b = st.columns(2)
    a.metric("Numbers read per search (HD pixels)", f"{hd['values'] * n:,.0f}")
    b.metric("Numbers read per search (128-D embedding)", f"{128 * n:,.0f}")

    st.subheader("Same person, different pixels")
    st.write("The astronaut's face changed in ways that keep the person — mirrored, darker, "
             "rotated, shifted — against another person. In **pixel space** (a 150×150 crop at the "
             "same place) the changed copies are almost as far as a stranger; as **descriptors** "
             "they stay well inside τ = 0.6 while the stranger is far outside.")
    if st.button("Compare pixel and embedding distances", type="primary", key="emb-why-go"):
        if face_models() is None:
            return
        from core import images

        ref = images.load_sample("astronaut")
        other = images.load_sample("zidane", max_side=1280)
        st.session_state["emb-why-rows"] = faces.pixel_vs_embedding(
            ref, {**faces.variants(ref), "another person": other})
    rows = st.session_state.get("emb-why-rows")
    if rows:
        stranger = [r for r in rows if r["picture"] == "another person"]
        cols = st.columns(len(rows))
        for col, r in zip(cols, rows):
            col.image(r["crop"], caption=r["picture"], width="stretch")
            col.metric("pixel L2", f"{r['pixel distance']:.1f}")
            col.metric("descriptor", f"{r['descriptor distance']:.3f}")
        if stranger:
            s = stranger[0]
            changed = [r for r in rows if r["picture"] not in ("reference", "another person")]
            px = max(r["pixel distance"] for r in changed) / s["pixel distance"]
            em = max(r["descriptor distance"] for r in changed) / s["descriptor distance"]
            st.info(f"Largest same-person distance as a share of the stranger's: pixels "
                    f"**{px:.0%}**, descriptors **{em:.0%}**.")
    with st.expander("How it works"):
        st.markdown(
            "- `core.embeddings.metrics.comparison_cost(w, h)` counts the numbers per comparison.\n"
            "- `core.embeddings.faces.variants(image)` makes the changed copies; "
            "`faces.pixel_vs_embedding(reference, others)` detects the face in each "
            "(`faces.embed_faces`), crops the reference face's box for the pixel distance "
            "(`faces.pixel_distance`, values in [0, 1]) and compares 128-D descriptors "
            "(`faces.face_distance`).")


# ----------------------------------------------------------------------------- 2 train


def tab_train() -> None:
    from core.embeddings import train

    st.subheader("The triplet loss, worked by hand")
    st.write("2-D unit vectors, α = 0.2, one anchor, one positive and three negatives. "
             "**Easy** negatives (d(A,N) ≥ d(A,P) + α) give zero loss and teach nothing; "
             "**hard** ones (d(A,N) ≤ d(A,P)) can be mislabelled faces and dominate; "
             "**semi-hard** ones, d(A,P) < d(A,N) < d(A,P) + α, are FaceNet's choice.")
    ex = losses.WORKED_EXAMPLE
    rows = [{"negative": r["negative"], "A": str(ex["A"]), "P": str(ex["P"]), "N": str(r["N"]),
             "‖A−P‖²": round(r["d(A,P)"], 4), "‖A−N‖²": round(r["d(A,N)"], 4),
             "L = max(0, ‖A−P‖² − ‖A−N‖² + α)": round(r["loss"], 4)}
            for r in losses.worked_example()]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    st.latex(r"\text{contrastive: } L = y\,d^2 + (1-y)\max(0,\ m-d)^2"
             r"\qquad \text{cross-entropy: train a classifier, cut its last layer}")

    st.subheader("Train your own embedding on handwritten digits")
    st.write("scikit-learn's 1,797 digits (8×8, bundled, offline), 70 % to train, 30 % held out. "
             "A small CNN maps each digit to 16 numbers on the unit sphere. The scatter is a fixed "
             "set of 300 held-out digits, projected to 2-D while the network learns.")
    c1, c2, c3, c4 = st.columns(4)
    route = c1.selectbox("Loss (route)", train.ROUTES, index=2, key="emb-train-route")
    miner = c2.selectbox("Miner", mining.STRATEGIES, index=2, key="emb-train-miner",
                         disabled=route != "triplet",
                         help="Which triplets of each batch of 80 (10 digits × 8) are trained on.")
    steps = c3.slider("Steps", 20, 600, 200, 20, key="emb-train-steps")
    proj = c4.selectbox("Scatter", project.METHODS, format_func=project.TITLES.get,
                        key="emb-train-proj",
                        help="PCA is instant; t-SNE and UMAP cost about a second per frame.")
    with st.expander("Advanced"):
        margin = st.slider("Margin (α for triplet, m for contrastive)", 0.05, 2.0,
                           float(train.DEFAULT_MARGIN[route] or 0.2), 0.05, key="emb-train-margin",
                           disabled=route == "cross-entropy")
        every = st.slider("Redraw every … steps", 5, 100, 20, 5, key="emb-train-every")
    if proj == "umap" and not project.umap_ready():
        project.warm_up_umap()
        st.caption("UMAP is compiling in the background (first use, ~10–20 s); until then frames "
                   "use PCA.")
    if st.button("Train", type="primary", key="emb-train-go", icon=":material/play_arrow:"):
        if proj != "pca":
            every = max(every, steps // 8)
        last = follow(train.train(route, miner, steps, margin=margin, every=every,
                                  projection=proj), "emb-train-run",
                      image_caption="held-out digits, current embedding", image_width=420)
        if last is not None and "model" in last.info:
            data = train.load_digits_split()
            emb = train.embed_numpy(last.info["model"], data.x_test)
            st.session_state["emb-digits"] = {"embedding": emb, "labels": data.y_test,
                                              "images": data.images_test,
                                              "name": f"{route} {miner if route == 'triplet' else ''}"}
    snap = st.session_state.get("emb-train-run")
    if snap is not None:
        i = snap.info
        a, b, c, d = st.columns(4)
        a.metric("Loss", f"{snap.loss:.4f}")
        b.metric("Active triplets", f"{i['active']:.1%}",
                 help="Share of the batch's valid triplets still inside the margin α = 0.2.")
        c.metric("recall@1 (300 held-out)", f"{i['recall@1']:.3f}")
        d.metric("Step", f"{snap.step}/{snap.total}")
        if i.get("message"):
            st.caption(i["message"])
        fig = scatter(i["xy"], i["labels"], f"{project.TITLES[i['projection']]} of the embedding")
        st.plotly_chart(fig, key="emb-train-scatter")

    st.subheader("Compare the three routes")
    st.write("Same data, same network, same number of steps; recall@1 and verification AUC on "
             "all 540 held-out digits. Raw pixels (no learning) are the baseline: digits are easy, "
             "so the point is that 16 learned numbers do as well as or better than 64 pixels.")
    csteps = st.slider("Steps per route", 50, 400, 150, 50, key="emb-cmp-steps")
    if st.button("Compare routes", key="emb-cmp-go", icon=":material/table:"):
        bar = st.progress(0.0, text="raw pixels")
        table = []
        for n, (route_name, snap, row) in enumerate(train.compare_routes(csteps)):
            if snap is not None:
                k = train.ROUTES.index(route_name)
                bar.progress(min(1.0, (k + snap.fraction) / 3), text=f"{route_name}: {snap.describe()}")
            if row is not None:
                table.append(row)
        bar.progress(1.0, text="done")
        st.session_state["emb-cmp-table"] = table
    if st.session_state.get("emb-cmp-table"):
        st.dataframe(pd.DataFrame(st.session_state["emb-cmp-table"]).round(4), hide_index=True)
    with st.expander("How it works"):
        st.markdown(
            "- `core.embeddings.losses.triplet_loss(a, p, n, margin)`, `contrastive_loss(x1, x2, "
            "same, margin)` and `cross_entropy` are the three routes (numpy or torch).\n"
            "- `core.embeddings.mining.mine(emb, labels, 'all' | 'hard' | 'semi-hard', margin)` "
            "picks triplets inside the batch; `mining.active_fraction` counts the ones with loss > 0.\n"
            "- `core.embeddings.train.train(route, miner, steps)` is an iterator of snapshots "
            "(loss, active triplets, recall@1, the projected held-out set); "
            "`train.compare_routes` trains all three; `metrics.recall_at_k` and `metrics.roc` score them.\n"
            "- `core.embeddings.project.project(x, 'pca' | 'tsne' | 'umap')`, warm-started from "
            "the previous frame and aligned with `project.align_to` so the scatter does not spin.")


def scatter(xy, labels, title: str, outlier_mask=None, texts=None, dim: int = 2) -> go.Figure:
    labels = np.asarray(labels)
    fig = go.Figure()
    idx_all = np.arange(len(labels))
    for lab in sorted(set(labels.tolist()), key=str):
        m = labels == lab
        hover = [texts[i] for i in idx_all[m]] if texts is not None else None
        kw = dict(mode="markers", name=str(lab), customdata=idx_all[m], hovertext=hover,
                  hoverinfo="text+name" if hover else None)
        if dim == 3:
            fig.add_trace(go.Scatter3d(x=xy[m, 0], y=xy[m, 1], z=xy[m, 2],
                                       marker={"size": 3}, **kw))
        else:
            fig.add_trace(go.Scatter(x=xy[m, 0], y=xy[m, 1], marker={"size": 7, "opacity": 0.8}, **kw))
    if outlier_mask is not None and outlier_mask.any():
        o = np.asarray(outlier_mask)
        if dim == 3:
            fig.add_trace(go.Scatter3d(x=xy[o, 0], y=xy[o, 1], z=xy[o, 2], mode="markers",
                                       name="outliers", marker={"size": 6, "symbol": "x", "color": "black"}))
        else:
            fig.add_trace(go.Scatter(x=xy[o, 0], y=xy[o, 1], mode="markers", name="outliers",
                                     customdata=idx_all[o],
                                     marker={"size": 13, "symbol": "circle-open", "color": "black",
                                             "line": {"width": 2}}))
    fig.update_layout(title=title, height=520, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"itemsizing": "constant"})
    return fig


# ----------------------------------------------------------------------------- 3 faces


def tab_faces() -> None:
    st.write("A face system in four steps: **detect** the face, find its **landmarks**, "
             "**align** it (eyes and nose moved to fixed places) and **embed** it as 128 numbers. "
             "The notes' landmark network outputs 1 + 2·n numbers — is there a face, then (x, y) "
             "for each of n points: 64 points → 1 + 64 × 2 = 129 outputs; dlib's 68 → 137.")
    st.latex(r"y = [\,p_c,\ l_{1x},\ l_{1y},\ \dots,\ l_{64x},\ l_{64y}\,]^{\mathsf T}"
             r"\in\mathbb{R}^{1+2\cdot 64=129}")
    left, right = st.columns([1, 1], gap="large")
    with left:
        image = image_input("emb-faces", default="astronaut", max_side=1600)
    with right:
        detector = st.radio("Detector", faces.DETECTORS, horizontal=True, key="emb-faces-det",
                            format_func={"hog": "dlib HOG + SVM", "haar": "OpenCV Haar cascade"}.get)
        show_lm = st.toggle("Show 68 landmarks", value=True, key="emb-faces-lm")
        with st.expander("Advanced"):
            upsample = st.slider("Upsample before HOG (finds smaller faces, slower)", 0, 2, 1,
                                 key="emb-faces-up")
    if image is None:
        return
    found = find_faces(image, detector, upsample)
    m = face_models()
    if m is not None:
        st.badge("dlib ResNet face descriptor · pretrained", icon=":material/verified:", color="green")
        st.caption(m.provenance)
    annotated = faces.draw_faces(image, found, show_landmarks=show_lm)
    st.image(annotated, caption=f"{len(found)} face(s) found by {detector.upper()}", width="stretch")
    download_png(annotated, "faces.png", key="emb-faces-dl")
    if not found:
        st.warning("No face found. Try the other detector, more upsampling, or a frontal face.")
        return
    for i, f in enumerate(found[:6]):
        st.markdown(f"**Face {i + 1}** — box {f.box}, score {f.score:.2f}")
        a, b, c = st.columns([1, 1, 2])
        pad = max(8, f.size // 4)
        x0, y0 = max(0, f.box[0] - pad), max(0, f.box[1] - pad)
        x1, y1 = min(image.shape[1], f.box[2] + pad), min(image.shape[0], f.box[3] + pad)
        lm = faces.draw_landmarks(image[y0:y1, x0:x1], f.landmarks - [x0, y0])
        a.image(lm, caption="68 landmarks", width="stretch")
        b.image(f.chip, caption="aligned 150×150 chip", width="stretch")
        hm = go.Figure(go.Heatmap(z=f.descriptor.reshape(8, 16), colorscale="RdBu_r", zmid=0,
                                  showscale=False))
        hm.update_layout(height=170, margin={"l": 0, "r": 0, "t": 25, "b": 0},
                         title={"text": "128-D descriptor (8×16)", "font": {"size": 13}},
                         xaxis={"visible": False}, yaxis={"visible": False})
        c.plotly_chart(hm, key=f"emb-faces-desc-{i}", config={"displayModeBar": False})
    with st.expander("How it works"):
        st.markdown(
            "- `core.embeddings.faces.detect(image, 'hog' | 'haar')`: dlib's HOG + linear SVM "
            "(frontal faces ≥ 80 px, or smaller after upsampling) or OpenCV's Viola–Jones cascade.\n"
            "- `faces.landmarks(image, box, 68 | 5)`: dlib's regression-tree shape predictors.\n"
            "- `faces.align(image, box)`: similarity transform fitted to the 5 landmarks → 150×150 chip.\n"
            "- `faces.embed_faces(image)` runs all steps; the descriptor is dlib's ResNet "
            "(`face-recognition-models` package) — same person usually < 0.6 apart.\n"
            "- Uploaded pictures stay in memory; nothing is written to disk.")


# ----------------------------------------------------------------------------- 4 verification


def pick_face(image, key: str):
    found = find_faces(image, "hog", 1)
    if not found:
        st.warning("No face found in this picture.")
        return None
    i = 0
    if len(found) > 1:
        i = st.selectbox("Which face", range(len(found)), key=f"{key}-which",
                         format_func=lambda k: f"face {k + 1} at {found[k].box[:2]}")
    st.image(found[i].chip, caption="aligned face", width=150)
    return found[i]


def tab_verify() -> None:
    st.write("Face **verification** is a 1:1 question — is this the person they claim to be? "
             "Compute d = ‖f(img₁) − f(img₂)‖ and compare it with the threshold τ.")
    a, b = st.columns(2, gap="large")
    with a:
        img1 = image_input("emb-v1", default="astronaut", label="First picture", max_side=1280)
        f1 = pick_face(img1, "emb-v1") if img1 is not None else None
    with b:
        img2 = image_input("emb-v2", default="zidane", label="Second picture", max_side=1280)
        f2 = pick_face(img2, "emb-v2") if img2 is not None else None
    tau = st.slider("Threshold τ", 0.2, 1.2, faces.DEFAULT_THRESHOLD, 0.01, key="emb-v-tau")
    if f1 is not None and f2 is not None:
        d = faces.face_distance(f1.descriptor, f2.descriptor)
        same = d <= tau
        (st.success if same else st.error)(
            f"d = {d:.3f} {'≤' if same else '>'} τ = {tau:.2f} → **{'same person' if same else 'different people'}**")
        distance_bar(d, tau, "emb-v-bar")

    st.subheader("ROC of a labelled set")
    st.write("Sweeping τ over every pair of a labelled set gives the ROC curve. The default set is "
             "built offline from the sample pictures (3 people, each also mirrored, darker, "
             "rotated and shifted); upload your own (several pictures per person, named "
             "`Name_1.jpg`, `Name_2.jpg`, …) for a real test. On LFW (20 people × 15 pictures) "
             "the project's tests measure accuracy 0.991 at τ = 0.6 and AUC 0.998.")
    ups = st.file_uploader("Labelled pictures (optional)", type=["jpg", "jpeg", "png", "bmp", "webp"],
                           accept_multiple_files=True, key="emb-v-upload")
    if st.button("Embed the labelled set", key="emb-v-go", type="primary"):
        if face_models() is not None:
            if ups:
                st.session_state["emb-labelled"] = embed_uploads(ups)
            else:
                st.session_state["emb-labelled"] = sample_labelled_set()
    ls = labelled_set()
    if ls is not None:
        desc, labels, _ = ls
        if len(set(labels.tolist())) < 2 or len(labels) < 3:
            st.warning("The set needs at least two people and three faces.")
            return
        d, same = metrics.pair_distances(desc, labels)
        if same.all() or not same.any():
            st.warning("The set needs pairs of the same person and of different people.")
            return
        r = metrics.roc(d, same)
        rates = metrics.rates_at(d, same, tau)
        fig = go.Figure(go.Scatter(x=r.fpr, y=r.tpr, mode="lines", name=f"AUC {r.auc:.3f}",
                                   customdata=r.thresholds,
                                   hovertemplate="τ = %{customdata:.3f}<br>FAR %{x:.3f}, TAR %{y:.3f}"))
        fig.add_trace(go.Scatter(x=[rates["FAR"]], y=[rates["TAR"]], mode="markers",
                                 marker={"size": 12, "color": "red"}, name=f"τ = {tau:.2f}"))
        fig.update_layout(height=380, xaxis_title="false-accept rate", yaxis_title="true-accept rate",
                          margin={"l": 10, "r": 10, "t": 30, "b": 10})
        c1, c2 = st.columns([3, 2])
        c1.plotly_chart(fig, key="emb-v-roc")
        c2.dataframe(pd.DataFrame([{k: (round(v, 4) if isinstance(v, float) else v)
                                    for k, v in rates.items()}]).T.rename(columns={0: "value"}))
        c2.caption(f"{len(labels)} faces of {len(set(labels.tolist()))} people; best τ on this set: "
                   f"{metrics.best_threshold(d, same):.3f}")
    with st.expander("How it works"):
        st.markdown(
            "- `core.embeddings.faces.face_distance(d1, d2)`: Euclidean distance of descriptors.\n"
            "- `core.embeddings.metrics.pair_distances`, `metrics.roc` (scikit-learn's roc_curve "
            "on −d) and `metrics.rates_at(d, same, τ)` (TAR, FAR, accuracy).\n"
            "- The notes' alternative, verification as binary classification (|f(x₁) − f(x₂)| → "
            "logistic regression → sigmoid), learns the same decision with weights per dimension.")


def embed_uploads(ups) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    from core import images

    desc, labels, chips = [], [], []
    for up in ups:
        try:
            img = images.load_image(up.getvalue(), max_side=1280)
        except ValueError as e:
            st.error(f"**{up.name}**: {e}")
            continue
        fs = find_faces(img, "hog", 1)
        if not fs:
            st.warning(f"No face in {up.name}; skipped.")
            continue
        f = faces.central_face(fs, img.shape)
        stem = up.name.rsplit(".", 1)[0]
        name = stem.rstrip("0123456789").rstrip("_- ") or stem
        desc.append(f.descriptor)
        labels.append(name)
        chips.append(f.chip)
    return np.array(desc).reshape(-1, 128), np.array(labels), chips


# ----------------------------------------------------------------------------- 5 identification


def tab_identify() -> None:
    g = gallery()
    st.write("Face **recognition** is a 1:K question — which of the K enrolled people is this? "
             "One picture per person is enough (one-shot): the answer is the nearest enrolled "
             "descriptor, or *unknown* when even that is farther than τ. The gallery lives in this "
             "browser session only.")
    st.subheader(f"Gallery: {len(g)} face(s), {len(g.people)} people")
    if len(g):
        cols = st.columns(8)
        for i, (name, chip) in enumerate(zip(g.names, g.chips)):
            with cols[i % len(cols)]:
                st.image(chip, caption=name, width="stretch")
                if st.button("Remove", key=f"emb-id-del-{i}", icon=":material/delete:"):
                    g.remove(i)
                    st.rerun()
    c1, c2 = st.columns(2)
    if c1.button("Enrol the sample faces", key="emb-id-samples", icon=":material/group_add:"):
        from core import images

        for sample, index, name in SAMPLE_PEOPLE:
            fs = sorted(find_faces(images.load_sample(sample, max_side=1280), "hog", 1),
                        key=lambda f: f.box[0])
            if index < len(fs) and name not in g.names:
                g.enroll(name, fs[index])
        st.rerun()
    if c2.button("Clear the gallery", key="emb-id-clear", disabled=not len(g)):
        g.clear()
        st.rerun()

    with st.expander("Enrol someone", expanded=not len(g)):
        img = image_input("emb-enrol", default="astronaut", max_side=1280)
        if img is not None:
            for i, f in enumerate(find_faces(img, "hog", 1)[:6]):
                a, b, c = st.columns([1, 2, 1])
                a.image(f.chip, width=96)
                name = b.text_input("Name", key=f"emb-enrol-name-{i}", placeholder="Who is this?")
                if c.button("Enrol", key=f"emb-enrol-{i}"):
                    try:
                        g.enroll(name, f)
                        st.rerun()
                    except ValueError as e:
                        st.error(str(e))

    st.subheader("Who is this?")
    tau = st.slider("Threshold τ", 0.2, 1.2, faces.DEFAULT_THRESHOLD, 0.01, key="emb-id-tau")
    query = image_input("emb-query", default="zidane", max_side=1280)
    if query is not None and face_models() is not None:
        out, data = faces.recognize_frame(query, g, tau, upsample=1)
        st.image(out, width="stretch", caption="green: enrolled person within τ; red: unknown")
        if data:
            st.dataframe(pd.DataFrame([{"face": i + 1, "name": d["name"] or "unknown",
                                        "distance to nearest": round(d["distance"], 3)}
                                       for i, d in enumerate(data)]), hide_index=True)

    st.subheader("The 1:K effect")
    st.write("The notes: recognition is harder than verification because a small error per "
             "comparison grows with K. If one comparison with a stranger falsely matches with "
             "probability p, a query meets K − 1 strangers:")
    st.latex(r"P(\text{at least one false match}) = 1-(1-p)^{K-1}")
    p = st.slider("p, false-match rate of one comparison", 0.0005, 0.05, 0.008, 0.0005,
                  format="%.4f", key="emb-id-p",
                  help="0.008 is dlib's measured false-accept rate at τ = 0.6 on the LFW subset.")
    ks = np.unique(np.logspace(0, 4, 60).astype(int))
    fig = go.Figure(go.Scatter(x=ks, y=metrics.false_match_curve(p, ks), mode="lines"))
    fig.update_layout(height=300, xaxis_type="log", xaxis_title="K, people in the gallery",
                      yaxis_title="P(false match)", margin={"l": 10, "r": 10, "t": 10, "b": 10})
    st.plotly_chart(fig, key="emb-id-k")
    st.caption(f"K = 100: {metrics.false_match_curve(p, [100])[0]:.1%} · "
               f"K = 1,000: {metrics.false_match_curve(p, [1000])[0]:.1%}")
    ls = labelled_set()
    if ls is not None and len(set(ls[1].tolist())) >= 3:
        ksm, acc = metrics.top1_vs_k(ls[0], ls[1], trials=20)
        st.write("Measured on the labelled set of the Verification tab (one enrolled face each):")
        st.dataframe(pd.DataFrame({"K": ksm, "top-1": np.round(acc, 3)}).T, hide_index=False)
    with st.expander("How it works"):
        st.markdown(
            "- `core.embeddings.faces.Gallery` keeps names, descriptors and chips in memory "
            "(`st.session_state`); `Gallery.match(descriptor, τ)` is the nearest neighbour.\n"
            "- `faces.recognize_frame(frame, gallery, τ)` detects, embeds, matches and draws.\n"
            "- `metrics.false_match_curve(p, K)` and `metrics.top1_vs_k(emb, labels)` give the 1:K effect.")


# ----------------------------------------------------------------------------- 6 live


def tab_live() -> None:
    g = gallery()
    st.write("Every webcam frame goes through `core.embeddings.faces.recognize_frame` — the same "
             "function as the still pictures — against the gallery of the Identification tab.")
    if not len(g):
        st.info("The gallery is empty: faces will be boxed but not named. Enrol people in the "
                "Identification tab (your own face from the camera works).")
    tau = st.slider("Threshold τ", 0.2, 1.2, faces.DEFAULT_THRESHOLD, 0.01, key="emb-live-tau")
    if face_models() is None:
        return
    from dashboard.live import live_view

    def show(data):
        if data:
            st.write(", ".join(f"{d['name'] or 'unknown'} ({d['distance']:.2f})" for d in data))

    live_view("emb-live-view", faces.recognize_frame,
              {"gallery": g, "threshold": tau, "upsample": 0}, default_fps=5, show_data=show)


# ----------------------------------------------------------------------------- 7 plots


def tab_plots() -> None:
    from core.embeddings import train

    st.write("Any embedding set, reduced to 2-D or 3-D: PCA (linear), t-SNE or UMAP (keep "
             "neighbours together). Colour is the label; circled points are outliers — nearer "
             "another class's centre or far from their own. Select points (click, box or lasso) to "
             "see their pictures.")
    sets = ["Digits: raw pixels (64-D)"]
    if st.session_state.get("emb-digits"):
        sets.append("Digits: your trained embedding")
    if labelled_set() is not None:
        sets.append("Faces: labelled set (Verification tab)")
    if len(gallery()) >= 4:
        sets.append("Faces: gallery")
    c1, c2, c3 = st.columns(3)
    which = c1.selectbox("Embedding set", sets, key="emb-plot-set")
    method = c2.selectbox("Method", project.METHODS, format_func=project.TITLES.get, key="emb-plot-method")
    dim = c3.radio("Dimensions", [2, 3], horizontal=True, key="emb-plot-dim")
    if which.startswith("Digits: raw"):
        data = train.load_digits_split()
        x, labels = data.x_test.reshape(len(data.x_test), -1), data.y_test
        thumbs = [np.repeat(np.repeat(im, 8, 0), 8, 1) for im in data.images_test]
    elif which.startswith("Digits: your"):
        dd = st.session_state["emb-digits"]
        x, labels = dd["embedding"], dd["labels"]
        thumbs = [np.repeat(np.repeat(im, 8, 0), 8, 1) for im in dd["images"]]
    elif which.startswith("Faces: labelled"):
        x, labels, thumbs = labelled_set()
    else:
        g = gallery()
        x, labels, thumbs = np.stack(g.descriptors), np.array(g.names), g.chips
    if method == "umap" and not project.umap_ready():
        project.warm_up_umap()
    key = (which, method, dim, len(x))
    if method == "pca" or st.button("Project", type="primary", key="emb-plot-go"):
        with st.spinner(f"{project.TITLES[method]} of {len(x)} points…"):
            xy, used, msg = project.project(x, method, dim, wait=False)
        st.session_state["emb-plot-result"] = (key, xy, used, msg)
    res = st.session_state.get("emb-plot-result")
    if res is None or res[0] != key:
        st.caption(f"Press **Project** to run {project.TITLES[method]}.")
        return
    _, xy, used, msg = res
    if msg:
        st.info(msg)
    out = project.outliers(x, labels)
    fig = scatter(xy, labels, f"{project.TITLES[used]} of {which} — {int(out.sum())} outliers",
                  out, texts=[f"#{i} label {l}" for i, l in enumerate(labels)], dim=dim)
    event = st.plotly_chart(fig, key="emb-plot-chart", on_select="rerun" if dim == 2 else "ignore",
                            selection_mode=("points", "box", "lasso"))
    picked = []
    if dim == 2 and event and event.selection and event.selection.points:
        picked = [int(p["customdata"]) for p in event.selection.points if "customdata" in p][:24]
    if not picked:
        picked = list(np.nonzero(out)[0][:12])
        if picked:
            st.caption("Outliers (select points to see others):")
    if picked:
        cols = st.columns(12)
        for n, i in enumerate(picked):
            cols[n % 12].image(thumbs[i], caption=f"#{i} {labels[i]}", width="stretch")
    with st.expander("How it works"):
        st.markdown(
            "- `core.embeddings.project.project(x, method, dim)`: PCA by SVD, scikit-learn's "
            "t-SNE, umap-learn's UMAP; UMAP's first call compiles numba code, so "
            "`project.warm_up_umap()` runs it on a background thread and PCA answers meanwhile.\n"
            "- `project.outliers(x, labels)` marks points nearer another class's centre, or "
            "beyond the 95th percentile of distances to their own.")


# ----------------------------------------------------------------------------- render

for _i, _body in enumerate([tab_why, tab_train, tab_faces, tab_verify, tab_identify, tab_live,
                            tab_plots]):
    if _is_open(_i):
        with tabs[_i]:
            guard(_body)
