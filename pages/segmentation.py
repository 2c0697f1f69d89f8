"""Semantic segmentation: transposed convolution, the U-Net and its skips, training, prediction."""
from __future__ import annotations

import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from core.segmentation import data, metrics
from core.segmentation.infer import segment_frame, yolo_segment_frame
from core.segmentation.train import train
from core.segmentation.unet import UNet, shapes
from dashboard.cache import get_model, model_or_error, provenance_badge
from dashboard.widgets import download_png, follow, image_input

try:  # the convolution lab's numpy reference implementation
    from core.convolution import conv_transpose2d, conv_transpose2d_steps, transposed_output_size
except ImportError:  # pragma: no cover - only while that module is missing
    conv_transpose2d = conv_transpose2d_steps = transposed_output_size = None

st.title("Semantic segmentation")
st.write(
    "Detection draws a box around an object; **semantic segmentation** gives *every pixel* a class. "
    "The input is an h×w×3 image, the output h×w×(number of classes): a class probability per pixel. "
    "A classifier's maps only shrink, so the network has to grow them back — with **transposed "
    "convolutions** — and, because shrinking loses *where* things were, the **U-Net** copies the "
    "encoder's detailed maps across to the decoder with **skip connections**.")
st.latex(r"\underbrace{h\times w\times 3}_{\text{image}}\;\xrightarrow{\text{down}}\;\text{context}"
         r"\;\xrightarrow{\text{up + skips}}\;\underbrace{h\times w\times n_{\text{classes}}}_{\text{scores}}"
         r"\qquad n_{\text{out}} = (n-1)\,s - 2p + f")


# --------------------------------------------------------------------------- shared helpers

def bundled_or_error():
    """The bundled U-Net from the shared model cache (zoo entry "unet-shapes")."""
    return model_or_error("unet-shapes")


def heatmap(values: np.ndarray, title: str, *, annotate: bool = True, highlight=None,
            colorscale: str = "Blues", height: int = 260, patch=None) -> go.Figure:
    v = np.asarray(values, dtype=float)
    text = [[f"{x:g}" for x in row] for row in v] if annotate else None
    fig = go.Figure(go.Heatmap(z=v, text=text, texttemplate="%{text}" if annotate else None,
                               colorscale=colorscale, showscale=False, xgap=2, ygap=2,
                               hovertemplate="row %{y}, col %{x}: %{z:.3g}<extra></extra>"))
    if highlight is not None:
        r0, r1, c0, c1 = highlight
        fig.add_shape(type="rect", x0=c0 - 0.5, x1=c1 - 0.5, y0=r0 - 0.5, y1=r1 - 0.5,
                      line=dict(color="#e53935", width=3))
    if patch is not None:
        r0, r1, c0, c1 = patch
        fig.add_shape(type="rect", x0=c0 - 0.45, x1=c1 - 0.55, y0=r0 - 0.45, y1=r1 - 0.55,
                      line=dict(color="#1e88e5", width=3, dash="dot"))
    fig.update_layout(title=dict(text=title, font=dict(size=14)), height=height,
                      margin=dict(l=10, r=10, t=36, b=10))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    return fig


def to_display(a: np.ndarray, scale: int) -> np.ndarray:
    import cv2

    return cv2.resize(a, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)


def feature_picture(t: torch.Tensor) -> np.ndarray:
    """(C, H, W) activations → grey picture of the mean |activation| (0–255)."""
    m = t.abs().mean(0).cpu().numpy()
    m = (m - m.min()) / max(1e-8, float(m.max() - m.min()))
    return (m * 255).astype(np.uint8)


def channel_pictures(t: torch.Tensor, k: int = 4) -> list[np.ndarray]:
    energy = t.abs().mean(dim=(1, 2))
    idx = energy.argsort(descending=True)[:k].tolist()
    out = []
    for c in idx:
        m = t[c].cpu().numpy()
        m = (m - m.min()) / max(1e-8, float(m.max() - m.min()))
        out.append((m * 255).astype(np.uint8))
    return out


tab_tc, tab_unet, tab_skip, tab_train, tab_pred = st.tabs(
    ["Transposed convolution", "U-Net diagram", "What the skips carry", "Train it yourself",
     "Segment images"])

# --------------------------------------------------------------------------- 1 transposed conv
with tab_tc:
    st.subheader("Transposed convolution: the up-sampling step")
    st.write("A regular convolution slides a *larger* input under the filter and sums. A transposed "
             "convolution does the opposite: every cell of a *small* input paints a copy of the "
             "filter, scaled by its value, onto a larger output, `s` cells apart; where copies "
             "overlap they add; finally `p` rows and columns are cut from every border.")
    if conv_transpose2d is None:
        st.warning("The convolution lab's `core.convolution` module is not available here.")
    else:
        c1, c2, c3, c4 = st.columns(4)
        n = c1.number_input("input n×n", 1, 6, 2, key="seg-tc-n")
        f = c2.number_input("filter f×f", 1, 5, 3, key="seg-tc-f")
        s = c3.number_input("stride s", 1, 4, 2, key="seg-tc-s")
        p = c4.number_input("padding p", 0, 3, 0, key="seg-tc-p")
        x = np.arange(1, n * n + 1, dtype=float).reshape(n, n)
        k = np.ones((f, f))
        try:
            size = transposed_output_size(n, f, p, s)
        except ValueError as e:
            st.error(str(e))
            size = None
        if size is not None:
            st.latex(rf"n_{{\text{{out}}}} = (n-1)\,s - 2p + f = ({n}-1)\cdot{s} - 2\cdot{p} + {f} = {size}")
            steps = list(conv_transpose2d_steps(x, k, stride=s, padding=p))
            upto = st.slider("Cells painted so far", 1, len(steps), len(steps), key="seg-tc-upto",
                             help="Each input cell adds value × filter at (i·s, j·s) of the canvas.")
            st_ = steps[upto - 1]
            a, b, c = st.columns([2, 2, 3])
            hl_in = (st_.in_pos[0], st_.in_pos[0] + 1, st_.in_pos[1], st_.in_pos[1] + 1)
            a.plotly_chart(heatmap(x, f"input {n}×{n} (cell {st_.in_pos} = {st_.value:g})",
                                   highlight=hl_in), width="stretch")
            b.plotly_chart(heatmap(k, f"filter {f}×{f} (all ones)", colorscale="Greens"), width="stretch")
            r, cc = st_.full_pos
            c.plotly_chart(heatmap(st_.canvas, f"canvas {st_.canvas.shape[0]}×{st_.canvas.shape[1]}; "
                                   f"blue: cell {st_.in_pos}'s copy; red: the {size}×{size} output",
                                   highlight=st_.crop, colorscale="Oranges", height=320,
                                   patch=(r, r + f, cc, cc + f)), width="stretch")
            out = conv_transpose2d(x, k, stride=s, padding=p)
            st.caption(f"Output {out.shape[0]}×{out.shape[1]} (the red window). Cells where copies "
                       f"overlap are sums — with f > s some output cells get more copies than others.")
        st.markdown("**On an image.** The U-Net's up-sampling is a learned 2×2 transposed convolution with "
                    "stride 2: every cell becomes a 2×2 block, n → 2n. With a fixed filter you can see "
                    "what the geometry does: a bilinear 4×4 filter (s=2, p=1) enlarges smoothly; a 3×3 "
                    "filter with stride 2 covers some output cells twice and others once — the "
                    "*checkerboard* pattern transposed convolutions are known for.")
        if conv_transpose2d is not None:
            img, _ = data.scene(11, 48)
            g = img.mean(axis=2) / 255.0
            bil = np.outer([0.25, 0.75, 0.75, 0.25], [0.25, 0.75, 0.75, 0.25])
            views = {"input 48×48": g,
                     "2×2 ones, s=2 → 96×96": conv_transpose2d(g, np.ones((2, 2)), stride=2),
                     "bilinear 4×4, s=2, p=1 → 96×96": conv_transpose2d(g, bil, stride=2, padding=1),
                     "3×3 ones, s=2, p=1 → 95×95": conv_transpose2d(g, np.ones((3, 3)), stride=2, padding=1)}
            cols = st.columns(len(views))
            for col, (name, v) in zip(cols, views.items()):
                v = np.clip(v / max(1e-8, v.max()), 0, 1)
                col.image((v * 255).astype(np.uint8), caption=name, width="stretch", clamp=True)
    with st.expander("How it works"):
        st.markdown(
            "- `core.convolution.transposed_output_size(n, f, p, s)` = (n − 1)·s − 2p + f (PyTorch's "
            "convention; `output_padding` adds one more row/column to undo a strided convolution's floor).\n"
            "- `core.convolution.conv_transpose2d_steps` yields each input cell's painted copy and the "
            "canvas so far; `conv_transpose2d` does it all at once (numpy, checked against "
            "`torch.nn.functional.conv_transpose2d` in the convolution lab's tests).\n"
            "- In the U-Net (`core.segmentation.unet.UNet`) each up-step is "
            "`nn.ConvTranspose2d(2c, c, kernel_size=2, stride=2)`: f = s = 2, so copies never overlap "
            "and the size exactly doubles.")

# --------------------------------------------------------------------------- 2 U-Net diagram
with tab_unet:
    st.subheader("The U-Net for your input size")
    c1, c2, c3, c4 = st.columns(4)
    H = c1.number_input("input height", 1, 2048, 100, key="seg-unet-h")
    W = c2.number_input("input width", 1, 2048, 100, key="seg-unet-w")
    base = c3.selectbox("base width (channels at level 1)", [4, 8, 12, 16, 32, 64], index=1, key="seg-unet-base",
                        help="8 with depth 3 is the bundled model; the paper used 64 with depth 4.")
    depth = c4.selectbox("depth (poolings)", [1, 2, 3, 4, 5], index=2, key="seg-unet-depth")
    table = shapes((int(H), int(W)), in_channels=3, num_classes=len(data.CLASSES), base=base, depth=depth)
    by = {b.name: b for b in table}

    def node(b, colour, extra=""):
        return f'"{b.name}" [label="{b.name}\\n{b.label}{extra}", fillcolor="{colour}"];'

    lines = ['digraph U { rankdir=TB; nodesep=0.5; ranksep=0.35; splines=true;',
             'node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
             'edge [fontname="Helvetica", fontsize=9, color="#555555"];']
    lines.append(node(by["padded"], "#eeeeee", f"\\n({by['input'].label} padded)"))
    lines.append(node(by["output"], "#fff3c4", "\\nper-pixel class scores"))
    for i in range(1, depth + 1):
        lines.append(node(by[f"enc{i}"], "#cfe3ff"))
        up, cat = by[f"up{i}"], by[f"concat{i}"]
        lines.append(f'"dec{i}" [label="dec{i}\\n{by[f"dec{i}"].label}\\n(up {up.label} + skip → {cat.label})", '
                     f'fillcolor="#d8f5d0"];')
        lines.append(f'{{ rank=same; "enc{i}"; "dec{i}"; }}')
        lines.append(f'"enc{i}" -> "dec{i}" [style=dashed, color="#e53935", constraint=false, '
                     f'label="copy {by[f"enc{i}"].label}", fontcolor="#e53935"];')
    lines.append(node(by["bottleneck"], "#ffd8b0"))
    lines.append('{ rank=same; "padded"; "output"; }')
    lines.append('"padded" -> "enc1" [label="2×(3×3 conv)"];')
    for i in range(1, depth):
        lines.append(f'"enc{i}" -> "enc{i + 1}" [label="max pool 2×2"];')
    lines.append(f'"enc{depth}" -> "bottleneck" [label="max pool 2×2"];')
    lines.append(f'"bottleneck" -> "dec{depth}" [label="up-conv 2×2, s=2", color="#2e7d32"];')
    for i in range(depth, 1, -1):
        lines.append(f'"dec{i}" -> "dec{i - 1}" [label="up-conv 2×2, s=2", color="#2e7d32"];')
    lines.append('"dec1" -> "output" [label="1×1 conv, crop"];')
    lines.append("}")
    g_col, m_col = st.columns([5, 2])
    g_col.graphviz_chart("\n".join(lines), width="stretch")
    total = sum(b.params for b in table)
    m_col.metric("parameters", f"{total:,}")
    m_col.metric("output", by["output"].label, help="H×W×classes: a score per class for every pixel")
    m_col.caption(by["padded"].op + (" — the scores are cropped back to "
                                  f"{int(H)}×{int(W)}." if by["padded"].shape != by["input"].shape else "."))
    st.dataframe({"block": [b.name for b in table], "shape (H×W×C)": [b.label for b in table],
                  "operation": [b.op for b in table], "params": [b.params for b in table]},
                 hide_index=True, width="stretch",
                 column_config={"operation": st.column_config.TextColumn(width="large")})
    with st.expander("How it works"):
        st.markdown(
            f"- `core.segmentation.unet.shapes(({int(H)}, {int(W)}), base={base}, depth={depth})` computes "
            "every shape from the arithmetic; the tests check it against `UNet.forward_features` on a real tensor.\n"
            "- 3×3 convolutions are padded, so only the 2×2 poolings change the size: it must be divisible "
            f"by 2^depth = {2 ** depth}. Other sizes are replicate-padded up to the next multiple and the "
            "scores cropped back, so the output is always H×W (the original paper used unpadded "
            "convolutions and a smaller output).\n"
            "- Red dashed arrows: the skip connections. The encoder map is *concatenated* with the "
            "up-sampled decoder map (channels add up), then two 3×3 convolutions mix them.")

# --------------------------------------------------------------------------- 3 skips
with tab_skip:
    st.subheader("What each skip connection carries")
    st.write("Left: the encoder map that is copied across (sharp, local: edges and textures). Middle: "
             "what comes up from below through the transposed convolution (coarse, but it knows *what* "
             "the shape is). Right: the prediction when that skip is replaced by zeros, and its mIoU — "
             "a measurement of how much this trained net relies on that level's detail (it differs "
             "from level to level and from scene to scene).")
    lm = bundled_or_error()
    if lm is not None:
        net = lm.model
        c1, c2 = st.columns([1, 3])
        seed = c1.number_input("scene seed", 0, 10_000, 9, key="seg-skip-seed")
        trained = int(lm.meta.get("recipe", {}).get("image_size", 64))
        size = c1.select_slider("size", sorted({48, 64, 80, 96, 128, trained}), trained, key="seg-skip-size",
                                help=f"The bundled U-Net was trained on {trained}×{trained} scenes.")
        img, truth = data.scene(int(seed), int(size))
        x = data.to_tensor(img, lm.device)
        with lm.lock, torch.inference_mode():
            feats = net.forward_features(x)
            pred = feats["output"].argmax(1)[0].cpu().numpy()
        c2.image([to_display(img, 2), to_display(data.overlay(img, pred, 0.55), 2)],
                 caption=["generated scene", f"prediction (mIoU {metrics.scores(truth, pred, 4)['mean_iou']:.3f})"])
        scale = max(1, 192 // int(size))
        for lvl in range(1, net.depth + 1):
            enc, up = feats[f"enc{lvl}"][0], feats[f"up{lvl}"][0]
            with lm.lock, torch.inference_mode():
                ablated = net.forward_features(x, drop_skips=(lvl,))["output"].argmax(1)[0].cpu().numpy()
            miou_ab = metrics.scores(truth, ablated, 4)["mean_iou"]
            st.markdown(f"**Level {lvl}** — skip `enc{lvl}` {enc.shape[1]}×{enc.shape[2]}×{enc.shape[0]} "
                        f"is concatenated with `up{lvl}` {up.shape[1]}×{up.shape[2]}×{up.shape[0]}")
            a, b, c = st.columns(3)
            a.image(to_display(feature_picture(enc), scale * 2 ** (lvl - 1)),
                    caption=f"enc{lvl}: mean |activation| (the skip)", width="stretch")
            b.image(to_display(feature_picture(up), scale * 2 ** (lvl - 1)),
                    caption=f"up{lvl}: mean |activation| (from below)", width="stretch")
            c.image(to_display(data.overlay(img, ablated, 0.55), scale),
                    caption=f"without this skip: mIoU {miou_ab:.3f}", width="stretch")
            with st.expander(f"Level {lvl}: the four strongest channels of each"):
                st.image([to_display(m, scale * 2 ** (lvl - 1)) for m in channel_pictures(enc)],
                         caption=[f"enc{lvl}"] * 4, width=150)
                st.image([to_display(m, scale * 2 ** (lvl - 1)) for m in channel_pictures(up)],
                         caption=[f"up{lvl}"] * 4, width=150)
    with st.expander("How it works"):
        st.markdown(
            "- `UNet.forward_features(x)` returns every intermediate tensor by name (`enc1`, `up1`, "
            "`concat1`, …) in one pass; nothing is hooked or changed in the cached model.\n"
            "- `UNet.forward_features(x, drop_skips=(level,))` replaces that level's copied encoder "
            "map by zeros before the concatenation: an ablation, computed on the fly.\n"
            "- The pictures show the mean absolute activation over channels, scaled to 0–255.")

# --------------------------------------------------------------------------- 4 training
with tab_train:
    st.subheader("Train a small U-Net yourself")
    st.write("A fresh batch of generated scenes every step; per-pixel cross-entropy plus a soft Dice "
             "term; AdamW with warm-up and cosine decay. Watch the prediction on a fixed validation "
             "scene (left) approach the truth (right).")
    st.latex(r"\mathcal{L} = -\frac{1}{HW}\sum_{i}\log p_{i,y_i} \;+\; \tfrac12\Big(1 - \frac{1}{K}\sum_k "
             r"\frac{2\sum_i p_{ik}\,[y_i=k]}{\sum_i p_{ik} + \sum_i [y_i=k]}\Big)")
    c1, c2, c3 = st.columns(3)
    steps = c1.number_input("steps", 10, 3000, 200, step=50, key="seg-train-steps")
    tbase = c2.selectbox("base width", [4, 8, 12, 16], index=1, key="seg-train-base")
    tsize = c3.selectbox("image size", [48, 64, 80, 96], index=1, key="seg-train-size")
    with st.expander("Advanced"):
        a1, a2, a3, a4 = st.columns(4)
        tbatch = a1.number_input("batch size", 1, 32, 8, key="seg-train-batch")
        tlr = a2.select_slider("peak learning rate", [1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2], 8e-3, key="seg-train-lr")
        tdepth = a3.selectbox("depth", [2, 3, 4], index=1, key="seg-train-depth")
        tseed = a4.number_input("seed", 0, 10_000, 0, key="seg-train-seed")
    net_params = sum(b.params for b in shapes(int(tsize), base=tbase, depth=tdepth))
    st.caption(f"UNet(3, 4, base={tbase}, depth={tdepth}): {net_params:,} parameters.")
    chart = st.empty()

    def loss_figure(losses: list[float], mious: list[tuple[int, float]]) -> go.Figure:
        fig = go.Figure(go.Scatter(y=losses, x=list(range(1, len(losses) + 1)), name="training loss",
                                   line=dict(color="#1e88e5")))
        if mious:
            fig.add_trace(go.Scatter(x=[m[0] for m in mious], y=[m[1] for m in mious],
                                     name="validation mIoU", yaxis="y2", mode="lines+markers",
                                     line=dict(color="#e53935")))
        fig.update_layout(height=300, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="step",
                          yaxis=dict(title="loss"), legend=dict(orientation="h", y=1.15),
                          yaxis2=dict(title="mIoU", overlaying="y", side="right", range=[0, 1],
                                      showgrid=False, tickmode="array", tickvals=[0, 0.25, 0.5, 0.75, 1]))
        return fig

    if st.button("Train", type="primary", key="seg-train-go", icon=":material/play_arrow:"):
        torch.manual_seed(int(tseed))
        model = UNet(3, len(data.CLASSES), base=tbase, depth=tdepth)
        hist = {"losses": [], "mious": [], "config": dict(steps=steps, base=tbase, size=tsize)}
        st.session_state["seg-train-hist"] = hist

        def tap(it):
            t0 = time.perf_counter()
            for snap in it:
                hist["losses"].append(snap.loss)
                if not hist["mious"] or hist["mious"][-1][1] != snap.info["val_miou"]:
                    hist["mious"].append((snap.step, snap.info["val_miou"]))
                if snap.step % 10 == 0 or snap.step == snap.total:
                    hist["seconds"] = time.perf_counter() - t0
                    chart.plotly_chart(loss_figure(hist["losses"], hist["mious"]), width="stretch")
                yield snap

        last = follow(tap(train(model, steps=int(steps), batch_size=int(tbatch), image_size=int(tsize),
                                lr=float(tlr), seed=int(tseed), val_every=10, scale=3)),
                      key="seg-train-snap", image_caption="validation scene: prediction | ground truth",
                      every=2)
        if last is not None:
            st.success(f"Done: {last.describe()} in {hist.get('seconds', 0):.0f} s.")
    elif "seg-train-hist" in st.session_state:
        hist = st.session_state["seg-train-hist"]
        snap = st.session_state.get("seg-train-snap")
        if hist["losses"]:
            chart.plotly_chart(loss_figure(hist["losses"], hist["mious"]), width="stretch")
        if snap is not None:
            st.image(snap.image, caption=f"last run, stopped at {snap.describe()} — prediction | ground truth")
    else:
        st.caption("Press **Train**: the loss curve and the validation prediction update as it learns "
                   "(200 steps of an 8-wide net: about a minute on a laptop CPU, longer on a busy server; "
                   "the bundled model needed 3200 steps to reach mIoU 0.9).")
    with st.expander("How it works"):
        st.markdown(
            "- `core.segmentation.train.train(model, steps=…)` is an iterator of snapshots (step, loss, "
            "the validation overlay); the page draws each one and the **Stop** button simply ends the loop.\n"
            "- Data: `core.segmentation.data.batch(rng, n, size)` draws scenes with circles, squares and "
            "triangles in random colours and textures, overlapping, on cluttered backgrounds, with their masks.\n"
            "- Loss: `segmentation_loss` = cross-entropy + ½ soft Dice (`soft_dice_loss`); "
            "validation mIoU from `core.segmentation.metrics`.\n"
            "- The bundled model on the next tab was trained the same way, longer, by "
            "`scripts/make_unet_assets.py` (see `assets/unet_shapes.md`).")

# --------------------------------------------------------------------------- 5 prediction
with tab_pred:
    st.subheader("Segment a picture")
    PRED_TRAINED = 64  # the bundled recipe's image size (assets/unet_shapes.md)
    models = {"unet": "U-Net (bundled, generated shapes)", "yolo": "YOLO11n-seg (COCO, if its weights are here)"}
    c1, c2 = st.columns([2, 1])
    which = c1.radio("Model", list(models), format_func=models.get, horizontal=True, key="seg-pred-model")
    alpha = c2.slider("mask opacity α", 0.0, 1.0, 0.5, 0.05, key="seg-pred-alpha")
    source = st.radio("Picture", ["Generated scene (with ground truth)", "Sample, upload or camera"],
                      horizontal=True, key="seg-pred-source")
    image, truth = None, None
    if source.startswith("Generated"):
        g1, g2 = st.columns(2)
        gseed = g1.number_input("scene seed", 0, 1_000_000, 22, key="seg-pred-seed")
        gsize = g2.select_slider("size", [48, 64, 80, 96, 128, 160, 256], PRED_TRAINED, key="seg-pred-size")
        image, truth = data.scene(int(gseed), int(gsize))
        st.caption(f"The bundled U-Net was trained on {PRED_TRAINED}×{PRED_TRAINED} scenes; other sizes "
                   "change the shapes' size in pixels, which it has not seen.")
    else:
        image = image_input("seg-pred-img", default="coins", max_side=1024)
    lm = None
    if which == "unet":
        lm = bundled_or_error()
        work_side = None
        if lm is not None and truth is None:
            work_side = st.slider("working size (px, longer side)", 48, 512, 128, 16, key="seg-pred-work",
                                  help="The U-Net learned shapes 20–40 px across; the picture is resized to "
                                       "this size, segmented, and the mask enlarged back.")
    else:
        from core import zoo

        try:
            lm = get_model("yolo11n-seg")
        except zoo.ModelUnavailable as e:
            st.info(f"YOLO11n-seg cannot be loaded here ({e}). Choose the bundled U-Net, or run "
                    "`cnnlab prefetch` on a machine with a network.", icon=":material/cloud_off:")
            lm = None
    if lm is not None:
        provenance_badge(lm)
    if lm is not None and image is not None:
        if which == "unet":
            with lm.lock:
                res = segment_frame(image, lm, alpha, work_side=work_side)
            colours = {n: "#%02x%02x%02x" % tuple(data.PALETTE[i]) for i, n in enumerate(data.CLASSES)}
        else:
            res = yolo_segment_frame(image, lm, alpha)
            colours = {}
        zoom = max(1, 320 // max(image.shape[:2]))
        a, b, left = st.columns(3)
        a.image(to_display(image if truth is None else data.overlay(image, truth, alpha), zoom),
                caption="input" if truth is None else "ground truth", width="stretch")
        b.image(to_display(res.image, zoom), caption=f"prediction ({res.seconds * 1000:.0f} ms)",
                width="stretch")
        with b:
            download_png(res.image, "segmentation.png", key="seg-pred-dl")
        right = st.container()
        with left:
            names = [n for n, v in res.areas.items() if n != "background"]
            fig = go.Figure(go.Bar(x=names, y=[100 * res.areas[n] for n in names],
                                   marker_color=[colours.get(n, "#888888") for n in names]))
            fig.update_layout(height=260, margin=dict(l=10, r=10, t=30, b=10), yaxis_title="% of pixels",
                              title=dict(text="Area per class", font=dict(size=14)))
            st.plotly_chart(fig, width="stretch")
        with right:
            if truth is not None and which == "unet":
                rep = metrics.scores(truth, res.mask, len(data.CLASSES), data.CLASSES)
                st.dataframe({"class": list(data.CLASSES),
                              "IoU": [rep["iou"][n] for n in data.CLASSES],
                              "Dice": [rep["dice"][n] for n in data.CLASSES],
                              "true px": [rep["true_pixels"][n] for n in data.CLASSES],
                              "predicted px": [rep["predicted_pixels"][n] for n in data.CLASSES]},
                             hide_index=True, width="stretch",
                             column_config={"IoU": st.column_config.NumberColumn(format="%.3f"),
                                            "Dice": st.column_config.NumberColumn(format="%.3f")})
                m1, m2 = st.columns(2)
                m1.metric("mean IoU", f"{rep['mean_iou']:.3f}")
                m2.metric("pixel accuracy", f"{rep['pixel_accuracy']:.3f}")
            else:
                st.caption("No ground truth for this picture, so no IoU: choose a generated scene to "
                           "see IoU and Dice per class.")
                if which == "unet":
                    st.caption("The bundled U-Net only ever saw circles, squares and triangles; on photos "
                               "it marks whatever looks like those (round coins are a fair test).")
    if which == "unet" and lm is not None and st.toggle(
            "Webcam live mode", key="seg-live-on",
            help="Streams your webcam through the same frame function, segment_frame."):
        from dashboard.live import live_view

        live_view("seg-live", segment_frame, {"model": lm, "alpha": alpha, "work_side": work_side or 128},
                  default_side=320, default_fps=10)
    with st.expander("How it works"):
        st.latex(r"\mathrm{IoU}_k = \frac{TP_k}{TP_k+FP_k+FN_k}\qquad "
                 r"\mathrm{Dice}_k = \frac{2\,TP_k}{2\,TP_k+FP_k+FN_k}\qquad "
                 r"\mathrm{mIoU} = \frac1K\sum_k \mathrm{IoU}_k")
        st.markdown(
            "- `core.segmentation.infer.segment_frame(frame, model, alpha)` → overlay, mask, area per "
            "class: the frame function shared by still images, camera snapshots and live video.\n"
            "- The U-Net's scores are computed at the working size and bilinearly enlarged back before "
            "the arg-max (`predict_logits`).\n"
            "- `core.segmentation.metrics`: one confusion matrix per picture; IoU, Dice and pixel "
            "accuracy all come from it.\n"
            "- YOLO11n-seg (through `core.zoo`) predicts *instance* masks; `yolo_semantic_mask` paints "
            "them into one class map, higher confidence on top.")
