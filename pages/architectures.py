"""Classic architectures lab: LeNet-5 to EfficientNet as layer tables, diagrams and cost
explorers, the residual experiment, data augmentation and LeNet-5 trained in the page.

Thin page: every number comes from ``core.architectures``; this file reads inputs and
draws. Tabs are lazy (only the open tab runs) so the page stays fast.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

import core.architectures as arch
from core.architectures import summary as arch_summary
from dashboard.widgets import keep_tab_state

BLUE, ORANGE, GREEN, PURPLE, GREY = "#4a6fa5", "#e8833a", "#3a9e5c", "#8e5ccf", "#8a8f98"
PLAIN = "#c44e52"  # the plain (no-skip) net in the residual experiment
FAMILY_COLOURS = {"LeNet": GREY, "AlexNet": "#c44e52", "VGG": ORANGE, "ResNet": BLUE,
                  "Inception": GREEN, "MobileNet": PURPLE, "EfficientNet": "#d4a017"}
PLOT_CONFIG = {"displayModeBar": False}


# ----------------------------------------------------------------------------- helpers


def guard(fn) -> None:
    """Run a tab body; bad parameters become a readable message, never a traceback."""
    try:
        fn()
    except ValueError as e:
        st.error(str(e), icon=":material/error:")


def n(x: float) -> str:
    """12,443,648 style."""
    return f"{int(x):,}"


def human(x: float) -> str:
    for unit, v in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= v:
            return f"{x / v:.3g}{unit}"
    return f"{x:.3g}"


def shape_text(shape) -> str:
    return "×".join(str(d) for d in shape)


def chart(fig: go.Figure, key: str, height: int | None = None) -> None:
    if height:
        fig.update_layout(height=height)
    st.plotly_chart(fig, key=key, config=PLOT_CONFIG)


# the big ones are built on PyTorch's meta device: a forward pass through every module
# that computes shapes only (the tests check it gives the same rows as real numbers)
_META = {"vgg16", "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7"}


def summary_device(name: str, size: tuple[int, int, int]) -> str:
    return "meta" if name in _META or max(size[1:]) > 320 else "cpu"


@st.cache_data(show_spinner="Building and summarizing the network…", max_entries=64)
def cached_summary(name: str, size: tuple[int, int, int]) -> arch.Summary:
    device = summary_device(name, size)
    return arch.summarize(arch.build(name, device=device), size)


@st.cache_data(show_spinner=False)
def cached_comparison(recipe: str) -> list[dict]:
    return arch.comparison_table(recipe)


@st.cache_resource(show_spinner="Loading scikit-learn's digits…")
def cached_digits(seed: int) -> arch.DigitsData:
    return arch.digits_dataset(seed=seed)


def layer_plot(s: arch.Summary, title: str, depth: int | None = None) -> go.Figure:
    """H×W shrinking while channels grow, along the forward pass."""
    trace = arch.shape_trace(s, depth)
    x = list(range(len(trace)))
    names = [f"{t['layer']} ({t['type']})" for t in trace]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=x, y=[t["height"] for t in trace], name="height H (= W here)",
                             mode="lines+markers", line={"color": BLUE, "shape": "hv"},
                             text=names, hovertemplate="%{text}<br>H = %{y}<extra></extra>"),
                  secondary_y=False)
    fig.add_trace(go.Scatter(x=x, y=[t["channels"] for t in trace], name="channels / units",
                             mode="lines+markers", line={"color": ORANGE, "shape": "hv"},
                             text=names, hovertemplate="%{text}<br>C = %{y}<extra></extra>"),
                  secondary_y=True)
    fig.update_layout(title={"text": title, "font": {"size": 14}}, height=330,
                      margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"orientation": "h", "y": -0.18})
    fig.update_xaxes(title="shape change #", dtick=max(1, len(x) // 12))
    hs, cs = [t["height"] for t in trace], [t["channels"] for t in trace]
    fig.update_yaxes(title="height H (log)", type="log", secondary_y=False, color=BLUE,
                     tickvals=pow2_ticks(hs), range=[-0.1, np.log10(max(hs)) + 0.1],
                     showgrid=False)
    fig.update_yaxes(title="channels (log)", type="log", secondary_y=True, color=ORANGE,
                     tickvals=pow2_ticks(cs), range=[-0.1, np.log10(max(cs)) + 0.1],
                     showgrid=False)
    return fig


def cost_plot(s: arch.Summary) -> go.Figure:
    rows = [r for r in s.rows if r.macs]  # conv / fully connected layers
    names = [f"{r.name} ({r.type} → {shape_text(r.output_shape)})" for r in rows]
    x = list(range(len(rows)))
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("parameters per layer", "multiply-accumulates per layer"))
    fig.add_trace(go.Bar(x=x, y=[max(r.params, 0.9) for r in rows], marker_color=ORANGE,
                         text=names, hovertemplate="%{text}<br>%{y:,} params<extra></extra>",
                         name="params"), row=1, col=1)
    fig.add_trace(go.Bar(x=x, y=[max(r.macs, 0.9) for r in rows], marker_color=BLUE,
                         text=names, hovertemplate="%{text}<br>%{y:,} MACs<extra></extra>",
                         name="MACs"), row=2, col=1)
    fig.update_traces(textposition="none")
    fig.update_yaxes(type="log", dtick=1, exponentformat="SI")
    fig.update_xaxes(title="layer with weights #", row=2, col=1)
    fig.update_layout(height=380, showlegend=False, margin={"l": 10, "r": 10, "t": 30, "b": 10})
    fig.update_annotations(font_size=13)
    return fig


def net_label(name: str) -> str:
    info = arch.ARCHITECTURES[name]
    return info.title if str(info.year) in info.title else f"{info.title} ({info.year})"


def pow2_ticks(values) -> list[int]:
    lo, hi = max(1, min(values)), max(values)
    ticks, t = [], 1
    while t <= hi * 1.01:
        if t >= lo / 2:
            ticks.append(t)
        t *= 2
    return ticks


def digit_image(img8: np.ndarray, scale: int = 8) -> np.ndarray:
    """An 8×8 digit (0..16) as dark ink on white, enlarged without blur."""
    g = 255 - np.clip(np.asarray(img8, float) / 16.0 * 255, 0, 255).astype(np.uint8)
    return np.kron(g, np.ones((scale, scale), dtype=np.uint8))


# ----------------------------------------------------------------------------- page head

st.title("Classic architectures")
st.write(
    "From LeNet-5 (1998) to EfficientNet (2019): the classic networks are stacks of the same "
    "few layers — convolution, pooling, fully connected — and going deeper the picture gets "
    "smaller (H×W shrinks) while it gets richer (channels grow). Later ideas make depth "
    "trainable (residual blocks) and cheap (1×1 bottlenecks, depthwise separable "
    "convolutions, compound scaling). Every network here is built untrained, and its numbers "
    "come from a real forward pass."
)
st.latex(r"\text{params}^{[l]} = (f^{[l]}\, f^{[l]}\, n_C^{[l-1]} + 1)\, n_C^{[l]} \qquad "
         r"\text{MACs}^{[l]} = n_H^{[l]}\, n_W^{[l]}\, n_C^{[l]} \cdot f^{[l]}\, f^{[l]}\, "
         r"n_C^{[l-1]}")

keep_tab_state("arch-")  # only the open tab runs; keep the others' settings

TABS = ["Networks", "Compare", "Residual block", "1×1 & Inception",
        "Depthwise separable & MobileNetV2", "EfficientNet scaling", "Augmentation",
        "LeNet-5 live"]
tabs = st.tabs(TABS, key="arch-tab", on_change="rerun")


def _is_open(i: int) -> bool:
    return tabs[i].open is not False


# ----------------------------------------------------------------------------- 1 networks


def tab_networks() -> None:
    top = st.columns([2, 1, 1])
    name = top[0].selectbox("Network", arch.NAMES, key="arch-net",
                            format_func=net_label)
    info = arch.ARCHITECTURES[name]
    c, h, _w = info.input_size
    with top[1]:
        side = st.number_input("Input size (H = W)", 32 if c == 1 else 64, 1024, h, step=16,
                               key=f"arch-net-size-{name}", disabled=c == 1,
                               help="The size it was designed for is the default. LeNet-5's "
                                    "fully connected part needs exactly 32×32.")
    try:
        s = cached_summary(name, (c, int(side), int(side)))
    except RuntimeError as e:
        st.error(f"{info.title} cannot take a {side}×{side} input: {str(e).splitlines()[0]}")
        return
    layers = sum(1 for r in s.rows if r.type in ("Conv2d", "Linear", "PartialConv"))
    top[2].metric("Layers with weights", layers, help="conv + fully connected layers")
    m = st.columns(4)
    m[0].metric("Parameters", n(s.total_params))
    m[1].metric("Multiply-accumulates", human(s.total_macs),
                help=f"{n(s.total_macs)} MACs for one {shape_text(s.input_size)} image")
    m[2].metric("Input", shape_text(s.input_size))
    m[3].metric("Output", shape_text(s.output_shape))
    st.caption(f"**Idea:** {info.idea}.")

    if name == "lenet5":
        with st.expander("Why exactly 60,000 parameters?", expanded=False):
            st.markdown(
                "LeCun et al. (1998) count **trainable** parameters: C1 6×(5·5+1) = 156 · "
                "S2 6×2 = 12 (a coefficient and a bias per map) · C3 **1,516** (each of the 16 "
                "maps sees only 3, 4 or 6 of the 6 S2 maps, by the paper's connection table; "
                "fully connected it would be 2,416) · S4 16×2 = 32 · C5 120×(400+1) = 48,120 · "
                "F6 84×(120+1) = 10,164 — total **60,000**. The output layer's 10 RBF codes "
                "(84 numbers each) were fixed, not learned. The modern form (ReLU, max pool, "
                "full C3, a 10-way fully connected softmax layer) has 61,706.")
            st.dataframe({
                "C3 map": list(range(16)),
                "S2 maps it sees": [", ".join(map(str, t)) for t in arch.C3_TABLE],
                "parameters": [len(t) * 25 + 1 for t in arch.C3_TABLE],
            }, hide_index=True, height=250)

    left, right = st.columns([2, 3], gap="large")
    with left:
        top_depth = arch_summary.max_depth(s)
        default = arch_summary.auto_depth(s)
        if top_depth > 1:
            depth = st.slider("Diagram detail (1 = stages … max = single layers)", 1, top_depth,
                              default, key=f"arch-net-depth-{name}")
        else:
            depth = 1
        st.graphviz_chart(arch.to_dot(s, depth), width="content")
        st.caption("Double border: a block with a skip connection or parallel branches. "
                   "Activations and normalisations are folded into the box before them.")
    with right:
        chart(layer_plot(s, f"{info.title}: H×W shrinks while channels grow", depth),
              "arch-net-shape")
        st.caption("Shapes at the outputs of the diagram's boxes (the detail slider).")
        chart(cost_plot(s), "arch-net-cost")

    st.subheader("Layer table")
    st.dataframe(s.table(), hide_index=True, height=360,
                 column_config={"params": st.column_config.NumberColumn(format="localized"),
                                "MACs": st.column_config.NumberColumn(format="localized")})
    with st.expander("How it works"):
        st.markdown(
            f"- `core.architectures.build({name!r})` builds the untrained network "
            "(torchvision with `weights=None`; LeNet-5 and MobileNet v1 are written in "
            "`core.architectures.builders`). "
            + ("Here it is built on PyTorch's *meta* device, which allocates no weights and "
               "computes shapes only — the same rows as real numbers, a lot faster.\n"
               if summary_device(name, s.input_size) == "meta" else
               "Here it runs on the CPU with real (random) weights and a zero image.\n")
            +
            f"- `core.architectures.summarize(model, {shape_text(s.input_size)})` runs one "
            "forward pass with a forward hook on every layer (removed in `finally`) and "
            "records each call's output shape, its parameters and its multiply-accumulates "
            "(conv: output values × f·f·n_C/groups; fully connected: outputs × inputs). "
            "The tests check that these shapes equal a forward pass with real numbers and "
            "that the totals equal the published counts.\n"
            "- `core.architectures.to_dot(summary, depth)` draws the diagram; "
            "`shape_trace(summary)` gives the H×W / channel curve."
        )


# ----------------------------------------------------------------------------- 2 compare


def tab_compare() -> None:
    st.write("Accuracy is not free: each point is a network with the ImageNet top-1 accuracy "
             "of torchvision's weights, its multiply-accumulates for one image and its "
             "parameters (the area of the dot). Hover for the details; counts are on logarithmic axes.")
    a, b = st.columns([1, 2])
    recipe = a.radio("Weights", ["original", "best"], horizontal=True, key="arch-cmp-recipe",
                     format_func=lambda r: {"original": "original paper recipe (V1)",
                                            "best": "best torchvision recipe"}[r])
    view = b.radio("View", ["top-1 vs MACs", "top-1 vs parameters", "parameters vs MACs"],
                   horizontal=True, key="arch-cmp-view")
    rows = cached_comparison(recipe)
    fig = go.Figure()
    for fam in dict.fromkeys(r["family"] for r in rows):
        sub = [r for r in rows if r["family"] == fam]
        if view == "top-1 vs MACs":
            x, y = [r["gmacs"] for r in sub], [r["top1"] for r in sub]
            xt, yt, xlog, ylog = "GMACs per image (log)", "ImageNet top-1 %", True, False
        elif view == "top-1 vs parameters":
            x, y = [r["params"] / 1e6 for r in sub], [r["top1"] for r in sub]
            xt, yt, xlog, ylog = "parameters, millions (log)", "ImageNet top-1 %", True, False
        else:
            x, y = [r["gmacs"] for r in sub], [r["params"] / 1e6 for r in sub]
            xt, yt, xlog, ylog = "GMACs per image (log)", "parameters, millions (log)", True, True
        fig.add_trace(go.Scatter(
            x=x, y=y, mode="markers+text", name=fam,
            text=[r["title"].split(" (")[0] for r in sub],
            textposition="top center", textfont={"size": 10},
            marker={"size": [8 + 3 * np.sqrt(r["params"] / 1e6) for r in sub],
                    "color": FAMILY_COLOURS.get(fam, GREY), "opacity": 0.8,
                    "line": {"width": 1, "color": "white"}},
            customdata=[[r["params"], r["gmacs"], r["top1"], r["weights"], r["resolution"]]
                        for r in sub],
            hovertemplate="<b>%{text}</b><br>%{customdata[0]:,} params<br>%{customdata[1]} "
                          "GMACs<br>top-1 %{customdata[2]:.2f}%<br>%{customdata[4]} px<br>"
                          "%{customdata[3]}<extra></extra>"))
    fig.update_xaxes(title=xt, type="log" if xlog else "linear", dtick="D2" if xlog else None)
    fig.update_yaxes(title=yt, type="log" if ylog else "linear", dtick="D2" if ylog else None)
    fig.update_layout(height=520, margin={"l": 10, "r": 10, "t": 20, "b": 10},
                      legend={"orientation": "h", "y": -0.15})
    chart(fig, "arch-cmp-fig")
    st.dataframe(
        [{"network": r["title"], "year": r["year"], "params": r["params"],
          "GMACs": r["gmacs"], "top-1 %": r["top1"], "top-5 %": r["top5"],
          "input px": r["resolution"], "file MB": r["file_mb"], "weights": r["weights"]}
         for r in rows],
        hide_index=True,
        column_config={"params": st.column_config.NumberColumn(format="localized")})
    v1 = cached_summary("mobilenet_v1", (3, 224, 224))
    st.caption(
        f"MobileNet v1 and LeNet-5 have no torchvision weights, so no accuracy here. Our "
        f"MobileNet v1 has {n(v1.total_params)} parameters and {human(v1.total_macs)} MACs "
        "(the paper: 4.2M and 569M, 70.6% top-1).")
    with st.expander("How it works"):
        st.markdown(
            "- `core.architectures.comparison_table(recipe)` reads `weights.meta` of each "
            "torchvision weights enum (`num_params`, `_metrics['ImageNet-1K']['acc@1']`, "
            "`_ops`, `_file_size`) — shipped with torchvision, no download and no typed-in "
            "numbers. torchvision's `_ops` counts multiply-accumulates, the same convention "
            "as `summarize` (ResNet-50: 4.089 G in both).\n"
            "- *original* uses `IMAGENET1K_V1` (the paper's training); *best* uses the enum's "
            "`DEFAULT`, which for ResNet-50 and MobileNetV2 is a newer training recipe: same "
            "network, better accuracy.")


# ----------------------------------------------------------------------------- 3 residual


RES_BLOCK_DOT = """digraph R {
  rankdir=LR; nodesep=0.3; bgcolor="transparent";
  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11,
        fillcolor="#eef3fb", color="#4a6fa5"];
  a0 [label="a[l]", shape=ellipse, fillcolor="white"];
  l1 [label="linear\\nz[l+1] = W[l+1] a[l] + b[l+1]"];
  g1 [label="ReLU\\na[l+1]"];
  l2 [label="linear\\nz[l+2] = W[l+2] a[l+1] + b[l+2]"];
  add [label="+", shape=circle, fillcolor="#f3e8ff"];
  g2 [label="ReLU\\na[l+2]"];
  a0 -> l1 -> g1 -> l2 -> add -> g2;
  a0 -> add [style=dashed, color="#8e5ccf", label="  shortcut (skip connection)",
             fontname="Helvetica", fontsize=10, fontcolor="#8e5ccf", constraint=false];
}"""


def tab_residual() -> None:
    st.write(
        "A plain network's main path computes a[l+2] = g(z[l+2]). A residual block also "
        "sends a[l] along a shortcut and adds it just before the ReLU. Deep plain networks "
        "get *worse* on the training set as they get deeper (vanishing gradients); residual "
        "networks do not, because a block can always fall back to the identity.")
    st.latex(r"a^{[l+2]} = g\big(z^{[l+2]} + a^{[l]}\big) = "
             r"g\big(W^{[l+2]} a^{[l+1]} + b^{[l+2]} + a^{[l]}\big)")
    st.graphviz_chart(RES_BLOCK_DOT, width="stretch")

    st.subheader("The identity when W[l+2] = 0")
    c1, c2 = st.columns([1, 3])
    seed = c1.number_input("Seed for a[l] and W[l+1]", 0, 9999, 3, key="arch-res-id-seed")
    rng = np.random.default_rng(int(seed))
    demo = arch.identity_demo(np.round(np.maximum(rng.normal(0.5, 1.0, 6), 0), 2),
                              seed=int(seed))
    with c2:
        st.dataframe(
            {"": ["a[l]", "a[l+1] = g(W[l+1] a[l] + b[l+1])", "z[l+2] = 0·a[l+1] + 0",
                  "plain: g(z[l+2])", "residual: g(z[l+2] + a[l])"],
             **{f"unit {i + 1}": [round(float(demo[k][i]), 3) for k in
                                  ("a_l", "a_l1", "z_l2", "plain", "residual")]
                for i in range(len(demo["a_l"]))}},
            hide_index=True)
    st.caption("With W[l+2] = 0 and b[l+2] = 0 the plain block outputs g(0) = 0 — the "
               "information is gone. The residual block outputs g(a[l]) = a[l] (a[l] ≥ 0 "
               "after a ReLU): adding the block cannot hurt, and learning a small change "
               "to the identity is easy.")

    st.subheader("Experiment: a deep plain net vs the same net with skips")
    st.write("Two fully connected nets with the same layers and the *same starting weights* "
             "(PyTorch's default initialisation, no batch norm), trained side by side on "
             "scikit-learn's 8×8 digits with the same mini-batches. The only difference is "
             "the shortcut in every block.")
    c = st.columns(4)
    blocks = c[0].slider("Residual blocks", 2, 30, 10, key="arch-res-blocks",
                         help="2 layers each; the nets have 2·blocks + 2 linear layers")
    steps = c[1].slider("Training steps", 50, 800, 300, step=50, key="arch-res-steps")
    lr = c[2].select_slider("Learning rate (SGD, momentum 0.9)", [0.005, 0.01, 0.02, 0.05, 0.1],
                            value=0.05, key="arch-res-lr")
    width = c[3].select_slider("Width", [16, 32, 64, 128], value=64, key="arch-res-width")
    go_btn = st.button("Train both nets", type="primary", key="arch-res-go",
                       icon=":material/play_arrow:")
    progress_area = st.container()
    curves = st.empty()
    grads = st.empty()
    result = st.session_state.get("arch-res-result")
    if go_btn:
        with progress_area:
            st.button("Stop", key="arch-res-stop", icon=":material/stop_circle:",
                      help="Stops training; what was reached stays on the page.")
            bar = st.progress(0.0, text="starting…")
        hist = {"step": [], "plain": [], "res": []}
        result = {"hist": hist, "blocks": blocks, "gp": [], "gr": [], "done": False}
        st.session_state["arch-res-result"] = result
        every = max(1, steps // 40)
        for snap in arch.residual_experiment(blocks=blocks, width=width, steps=steps, lr=lr,
                                             threads=1):
            hist["step"].append(snap.step)
            hist["plain"].append(snap.loss_plain)
            hist["res"].append(snap.loss_res)
            if snap.step == 0:
                result["gp"], result["gr"] = snap.grad_norms_plain, snap.grad_norms_res
                _draw_grads(grads, result)
            if snap.step % every == 0 or snap.step == steps:
                bar.progress(snap.fraction, text=f"step {snap.step}/{steps} · plain loss "
                             f"{snap.loss_plain:.3f} · residual loss {snap.loss_res:.3f} · "
                             f"{snap.seconds:.1f} s")
                _draw_curves(curves, result)
        result["done"] = True
    if result:
        if not go_btn:  # (while training, the loop drew them)
            _draw_curves(curves, result)
            _draw_grads(grads, result)
        h = result["hist"]
        if len(h["step"]) > 1:
            k = max(1, len(h["step"]) // 10)
            st.caption(f"Mean loss over the last {k} steps: plain {np.mean(h['plain'][-k:]):.3f}, "
                       f"residual {np.mean(h['res'][-k:]):.3f} (chance level: ln 10 = 2.303)."
                       + ("" if result["done"] else " — stopped early."))
    else:
        st.info("Press **Train both nets**: a few seconds on a CPU.", icon=":material/info:")
    with st.expander("How it works"):
        st.markdown(
            "- `core.architectures.identity_demo(a_l, seed)` computes the table above.\n"
            "- `core.architectures.residual_experiment(blocks, width, steps, lr)` builds "
            "`DeepNet(residual=False)` and copies its weights into `DeepNet(residual=True)`, "
            "then yields a snapshot per step (both losses); the first snapshot also carries "
            "`gradient_norms(model, x, y)` = ‖∂L/∂W‖ of every layer at initialisation.\n"
            "- Without skips, each layer multiplies the signal (and on the way back the "
            "gradient) by roughly the same factor < 1, so the first layers of a deep plain net "
            "get gradients many orders of magnitude smaller than the last: they do not learn. "
            "The shortcut gives the gradient a path that skips the multiplications.")


def _draw_curves(slot, result) -> None:
    h = result["hist"]
    fig = go.Figure()
    fig.add_hline(y=float(np.log(10)), line_dash="dot", line_color="#bbb",
                  annotation_text="chance (ln 10)", annotation_position="bottom right")
    fig.add_trace(go.Scatter(x=h["step"], y=h["plain"], name="plain", line={"color": PLAIN}))
    fig.add_trace(go.Scatter(x=h["step"], y=h["res"], name="residual", line={"color": PURPLE}))
    top = max([2.6] + h["plain"] + h["res"])
    fig.update_yaxes(range=[0, min(top * 1.05, 4.0)])
    fig.update_layout(title=f"training loss, {2 * result['blocks'] + 2} layers", height=320,
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, xaxis_title="step",
                      yaxis_title="cross-entropy", legend={"orientation": "h", "y": -0.25})
    slot.plotly_chart(fig, config=PLOT_CONFIG)


def _draw_grads(slot, result) -> None:
    if not result.get("gp"):
        return
    fig = go.Figure()
    x = list(range(1, len(result["gp"]) + 1))
    fig.add_trace(go.Scatter(x=x, y=result["gp"], name="plain", mode="lines+markers",
                             line={"color": PLAIN}))
    fig.add_trace(go.Scatter(x=x, y=result["gr"], name="residual", mode="lines+markers",
                             line={"color": PURPLE}))
    fig.update_yaxes(type="log", title="‖∂L/∂W‖ (log)", exponentformat="power")
    fig.update_layout(title="gradient norm per layer at initialisation (input → output)",
                      height=320, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      xaxis_title="layer", legend={"orientation": "h", "y": -0.25})
    slot.plotly_chart(fig, config=PLOT_CONFIG)


# ----------------------------------------------------------------------------- 4 1x1 / inception


def inception_dot(branches: list[arch.InceptionBranch], c_in: int, h: int, w: int) -> str:
    lines = ['digraph I {', '  rankdir=TB; nodesep=0.35; ranksep=0.3; bgcolor="transparent";',
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, '
             'fillcolor="#eef3fb", color="#4a6fa5"];',
             f'  in [label="previous activation\\n{h}×{w}×{c_in}", shape=ellipse, '
             'fillcolor="white"];']
    total = sum(b.output_shape[2] for b in branches)
    lines.append(f'  cat [label="channel concat\\n{h}×{w}×{total}", fillcolor="#f3e8ff"];')
    for i, b in enumerate(branches):
        prev = "in"
        for j, layer in enumerate(b.layers):
            node = f"b{i}_{j}"
            fill = "#e3f5e1" if "pool" in layer else ("#fff4d6" if "1x1" in layer else "#dbe9ff")
            lines.append(f'  {node} [label="{layer}", fillcolor="{fill}"];')
            lines.append(f"  {prev} -> {node};")
            prev = node
        lines.append(f'  {prev} -> cat [label=" {shape_text(b.output_shape)}", '
                     'fontname="Helvetica", fontsize=9];')
    lines.append("}")
    return "\n".join(lines)


def tab_inception() -> None:
    st.write(
        "A 1×1 convolution looks useless on one channel (it multiplies by a number), but on "
        "a volume each output value is a weighted sum across *all* channels at one pixel — a "
        "small fully connected layer applied at every position (\"network in network\"). It "
        "changes the number of channels (pooling cannot) and adds a non-linearity.")
    st.latex(r"\text{out}[i,j,k] = g\Big(\sum_{c=1}^{n_C} w_{c,k}\, x[i,j,c] + b_k\Big)"
             r"\qquad 6{\times}6{\times}32 \;*\; (1{\times}1{\times}32)\times n_C' "
             r"\;\to\; 6{\times}6{\times}n_C'")

    st.subheader("The bottleneck: multiplications with and without a 1×1 layer")
    c = st.columns(6)
    h = c[0].number_input("H = W", 1, 512, 28, key="arch-bn-h")
    cin = c[1].number_input("input channels", 1, 4096, 192, key="arch-bn-cin")
    f = c[2].selectbox("filter f", [1, 3, 5, 7], index=2, key="arch-bn-f")
    cout = c[3].number_input("output channels", 1, 4096, 32, key="arch-bn-cout")
    mid = c[4].number_input("bottleneck channels", 1, 4096, 16, key="arch-bn-mid")
    b = arch.bottleneck_cost(int(h), int(h), int(cin), int(cout), int(f), int(mid))
    c[5].metric("saving", f"{b.saving:.1f}×")
    left, right = st.columns([3, 2])
    with left:
        st.markdown(
            f"**Direct** {f}×{f} same conv, {h}×{h}×{cin} → {h}×{h}×{cout}: "
            f"{h}·{h}·{cout} outputs × {f}·{f}·{cin} = **{n(b.direct)}** multiplications.\n\n"
            f"**With a 1×1 bottleneck** to {mid} channels: {h}·{h}·{mid} × {cin} = "
            f"{n(b.reduce)}, then {h}·{h}·{cout} × {f}·{f}·{mid} = {n(b.conv)}; "
            f"together **{n(b.with_bottleneck)}**.")
        st.caption("The notes' example: 28×28×192 → 5×5 conv to 32 channels costs about 120 "
                   "million multiplications; through a 16-channel bottleneck about 12.4 "
                   "million — ten times fewer, with the same output shape. Shrink the "
                   "bottleneck too far and the layer loses what it needs to represent.")
    with right:
        fig = go.Figure()
        fig.add_trace(go.Bar(y=["direct", "bottleneck"], x=[b.direct, 0], orientation="h",
                             name=f"{f}×{f} conv", marker_color=BLUE))
        fig.add_trace(go.Bar(y=["direct", "bottleneck"], x=[0, b.reduce], orientation="h",
                             name="1×1 reduce", marker_color=ORANGE))
        fig.add_trace(go.Bar(y=["direct", "bottleneck"], x=[0, b.conv], orientation="h",
                             name=f"{f}×{f} after bottleneck", marker_color=GREEN))
        fig.update_layout(barmode="stack", height=220, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                          xaxis_title="multiplications", legend={"orientation": "h", "y": -0.45})
        chart(fig, "arch-bn-fig")

    st.subheader("The Inception module")
    st.write("Instead of choosing a filter size or whether to pool, do them all in parallel "
             "(same convolutions, stride 1, so every branch keeps H×W) and stack the results "
             "along the channels. Bottlenecks keep the cost down. GoogLeNet stacks nine such "
             "modules; side branches in the middle (auxiliary classifiers) help training.")
    naive = st.toggle("Naive module (no 1×1 bottlenecks)", key="arch-inc-naive")
    br = arch.inception_module(**arch.INCEPTION_3A, use_bottlenecks=not naive)
    left, right = st.columns([1, 1])
    with left:
        st.graphviz_chart(inception_dot(br, 192, 28, 28), width="stretch")
    with right:
        st.dataframe([{"branch": x.name, "layers": " → ".join(x.layers),
                       "output": shape_text(x.output_shape), "multiplications": x.macs,
                       "params": x.params} for x in br], hide_index=True,
                     column_config={"multiplications": st.column_config.NumberColumn(format="localized"),
                                    "params": st.column_config.NumberColumn(format="localized")})
        total_c = sum(x.output_shape[2] for x in br)
        st.metric("Concatenated output", f"28×28×{total_c}")
        st.metric("Multiplications", n(sum(x.macs for x in br)),
                  help="naive vs bottleneck: toggle above")
    s = cached_summary("googlenet", (3, 224, 224))
    real = [r for r in s.rows if r.name.startswith("inception3a.") and r.type == "Conv2d"]
    with st.expander("The same module inside GoogLeNet (torchvision, from a forward pass)"):
        st.dataframe([{"layer": r.name, "kernel": r.kernel, "input": shape_text(r.input_shape),
                       "output": shape_text(r.output_shape), "params": r.params,
                       "MACs": r.macs} for r in real], hide_index=True)
        st.caption("Note: torchvision's GoogLeNet uses a 3×3 kernel in the \"5×5\" branch "
                   "(branch3), a known slip kept so that its pretrained weights still load.")
    with st.expander("How it works"):
        st.markdown(
            "- `core.architectures.bottleneck_cost(h, w, c_in, c_out, f, bottleneck)` and "
            "`inception_module(...)` count multiplications as output values × filter "
            "volume (`conv_macs`) and parameters as f·f·n_C·n_C' + n_C' (`conv_params`).\n"
            "- `INCEPTION_3A` is GoogLeNet's first module, the course's example.")


# ----------------------------------------------------------------------------- 5 mobilenet


def tab_mobilenet() -> None:
    st.write(
        "MobileNet replaces each standard convolution by a **depthwise** convolution (one "
        "f×f filter per input channel, channels kept apart) followed by a **pointwise** 1×1 "
        "convolution that mixes the channels. Same output shape, a fraction of the cost.")
    st.latex(r"\frac{\text{depthwise} + \text{pointwise}}{\text{standard}} = "
             r"\frac{n_{out}^2 f^2 n_C + n_{out}^2 n_C n_C'}{n_{out}^2 f^2 n_C n_C'} = "
             r"\frac{1}{n_C'} + \frac{1}{f^2}")
    c = st.columns(6)
    nn_ = c[0].number_input("input n (n×n)", 1, 1024, 6, key="arch-ds-n")
    nc = c[1].number_input("input channels n_C", 1, 4096, 3, key="arch-ds-nc")
    f = c[2].selectbox("filter f", [1, 3, 5, 7], index=1, key="arch-ds-f")
    nco = c[3].number_input("output channels n_C'", 1, 4096, 5, key="arch-ds-nco")
    stride = c[4].selectbox("stride", [1, 2], key="arch-ds-s")
    pad = c[5].selectbox("padding", [0, 1, 2, 3], key="arch-ds-p")
    d = arch.depthwise_separable_cost(int(nn_), int(nc), int(f), int(nco), int(stride), int(pad))
    if d.output_shape[0] < 1:
        st.error("The filter does not fit: choose a larger input or more padding.")
        return
    o = d.output_shape[0]
    m = st.columns(4)
    m[0].metric("Standard", n(d.standard), help=f"{o}·{o}·{nco} × {f}·{f}·{nc}")
    m[1].metric("Depthwise", n(d.depthwise), help=f"{o}·{o}·{nc} × {f}·{f}")
    m[2].metric("Pointwise", n(d.pointwise), help=f"{o}·{o}·{nco} × {nc}")
    m[3].metric("Ratio", f"{d.ratio:.4f}",
                help=f"1/{nco} + 1/{f}² = {1 / nco + 1 / f ** 2:.4f}")
    st.caption(
        f"Output {shape_text(d.output_shape)}. Standard: {o}·{o}·{nco} outputs × "
        f"{f}·{f}·{nc} = {n(d.standard)}. Depthwise {n(d.depthwise)} + pointwise "
        f"{n(d.pointwise)} = {n(d.separable)}, i.e. {d.ratio:.4f} of the cost = 1/{nco} + "
        f"1/{f}² = {1 / nco + 1 / f ** 2:.4f}. The course's example is 6×6×3, 3×3, 5 filters: "
        "2,160 vs 432 + 240 = 672.")

    st.subheader("MobileNet v1, block by block")
    s = cached_summary("mobilenet_v1", (3, 224, 224))
    by_block: dict[str, dict] = {}
    for r in s.rows:
        parts = r.name.split(".")
        if len(parts) == 3 and r.type == "Conv2d" and parts[2] in ("depthwise", "pointwise"):
            by_block.setdefault(".".join(parts[:2]), {})[parts[2]] = r
    table = []
    for key, rr in by_block.items():
        dw, pw = rr["depthwise"], rr["pointwise"]
        cin, hin = dw.input_shape[0], dw.input_shape[1]
        stride_b = 2 if dw.output_shape[1] < hin else 1
        formula = arch.depthwise_separable_cost(hin, cin, 3, pw.output_shape[0], stride_b, 1)
        table.append({"block": key, "input": shape_text(dw.input_shape),
                      "output": shape_text(pw.output_shape),
                      "depthwise MACs": dw.macs, "pointwise MACs": pw.macs,
                      "formula": formula.separable,
                      "equal": "✓" if formula.separable == dw.macs + pw.macs else "✗",
                      "standard 3×3 conv": formula.standard,
                      "ratio": round(formula.ratio, 4)})
    st.dataframe(table, hide_index=True, height=300,
                 column_config={k: st.column_config.NumberColumn(format="localized") for k in
                                ("depthwise MACs", "pointwise MACs", "formula",
                                 "standard 3×3 conv")})
    sep = sum(t["formula"] for t in table)
    std = sum(t["standard 3×3 conv"] for t in table)
    st.caption(f"The 13 blocks cost {n(sep)} multiply-accumulates as depthwise separable "
               f"convolutions, {n(std)} as standard 3×3 convolutions ({std / sep:.1f}× more). "
               f"Whole network: {n(s.total_params)} parameters, {human(s.total_macs)} MACs "
               "(MobileNet v1 1.0-224: 4.2M and 569M).")

    st.subheader("MobileNetV2: the inverted residual (bottleneck) block")
    st.write("v2 adds a residual connection and a bottleneck turned inside out: a 1×1 "
             "**expansion** to t× more channels, the depthwise 3×3 in that wide space, and a "
             "1×1 **projection** back to few channels (linear, no ReLU, to keep information). "
             "The skip joins the narrow ends when the shapes match.")
    c = st.columns(5)
    hh = c[0].number_input("H = W", 1, 512, 56, key="arch-ir-h")
    ci = c[1].number_input("input channels", 1, 2048, 24, key="arch-ir-cin")
    co = c[2].number_input("output channels", 1, 2048, 24, key="arch-ir-cout")
    t = c[3].select_slider("expansion t", [1, 2, 3, 4, 6, 8], value=6, key="arch-ir-t")
    st_ = c[4].selectbox("stride", [1, 2], key="arch-ir-s")
    steps = arch.inverted_residual(int(hh), int(hh), int(ci), int(co), int(t), int(st_))
    left, right = st.columns([2, 3])
    with left:
        dot = ['digraph V {', '  rankdir=TB; ranksep=0.2; bgcolor="transparent";',
               '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10,'
               ' fillcolor="#eef3fb", color="#4a6fa5"];',
               f'  in [label="input\\n{hh}×{hh}×{ci}", shape=ellipse, fillcolor="white"];']
        prev = "in"
        for i, stp in enumerate(steps):
            if stp["step"].startswith("+"):
                dot.append(f'  s{i} [label="+", shape=circle, fillcolor="#f3e8ff"];')
                dot.append(f"  {prev} -> s{i};")
                dot.append(f'  in -> s{i} [style=dashed, color="{PURPLE}"];')
            else:
                w = 1.2 + 1.8 * (stp["shape"][2] / max(s_["shape"][2] for s_ in steps))
                dot.append(f'  s{i} [label="{stp["step"]}\\n{shape_text(stp["shape"])}", '
                           f'width={w:.2f}];')
                dot.append(f"  {prev} -> s{i};")
            prev = f"s{i}"
        dot.append("}")
        st.graphviz_chart("\n".join(dot), width="stretch")
    with right:
        st.dataframe([{"step": x["step"], "output": shape_text(x["shape"]),
                       "multiplications": x["macs"], "params": x["params"]} for x in steps],
                     hide_index=True,
                     column_config={"multiplications": st.column_config.NumberColumn(format="localized")})
        st.caption(f"Total {n(sum(x['macs'] for x in steps))} multiplications. "
                   + ("Skip connection: yes (stride 1, same channels)." if steps[-1]["step"]
                      .startswith("+") else "No skip: the stride or the channels change."))
        s2 = cached_summary("mobilenet_v2", (3, 224, 224))
        real = [r for r in s2.rows if r.name.startswith("features.3.") and r.type == "Conv2d"]
        if real:
            st.caption("In torchvision's MobileNetV2 (block features.3, from a forward pass): "
                       + " → ".join(f"{r.kernel} to {shape_text(r.output_shape)}" for r in real))
    with st.expander("How it works"):
        st.markdown(
            "- `core.architectures.depthwise_separable_cost(n, n_c, f, n_c_out, stride, "
            "padding)` gives the three costs; the table checks it against the "
            "multiply-accumulates `summarize` measured for each block of our MobileNet v1 "
            "(`core.architectures.MobileNetV1`, built from `DepthwiseSeparable` blocks).\n"
            "- `core.architectures.inverted_residual(h, w, c_in, c_out, expansion, stride)` "
            "lists MobileNetV2's steps.")


# ----------------------------------------------------------------------------- 6 efficientnet


def tab_efficientnet() -> None:
    st.write(
        "A network can grow in depth (more layers), width (more channels) or resolution "
        "(bigger images). EfficientNet scales all three together with one compound "
        "coefficient φ: pick φ for the compute you have.")
    st.latex(r"d = \alpha^{\phi},\; w = \beta^{\phi},\; r = \gamma^{\phi},\qquad "
             r"\alpha \beta^2 \gamma^2 \approx 2 \;\Rightarrow\; \text{FLOPs} \propto d\,w^2 r^2 "
             r"\approx 2^{\phi} \qquad (\alpha=1.2,\ \beta=1.1,\ \gamma=1.15)")
    phi = st.slider("compound coefficient φ", 0.0, 7.0, 1.0, 0.1, key="arch-eff-phi")
    cs = arch.compound_scaling(phi)
    m = st.columns(5)
    m[0].metric("depth ×", f"{cs['depth']:.2f}")
    m[1].metric("width ×", f"{cs['width']:.2f}")
    m[2].metric("resolution", f"{cs['resolution_px']} px", help=f"224 × {cs['resolution']:.3f}")
    m[3].metric("FLOPs ×", f"{cs['flops']:.2f}", help="(α β² γ²)^φ = 1.920^φ")
    m[4].metric("2^φ", f"{2 ** phi:.2f}")
    phis = np.linspace(0, 7, 71)
    fig = go.Figure()
    for key_, colour, label in (("depth", BLUE, "depth d = 1.2^φ"),
                                ("width", ORANGE, "width w = 1.1^φ"),
                                ("resolution", GREEN, "resolution r = 1.15^φ"),
                                ("flops", PURPLE, "FLOPs (1.92^φ)")):
        fig.add_trace(go.Scatter(x=phis, y=[arch.compound_scaling(p)[key_] for p in phis],
                                 name=label, line={"color": colour}))
    fig.add_trace(go.Scatter(x=phis, y=2 ** phis, name="2^φ", line={"color": GREY, "dash": "dot"}))
    fig.add_vline(x=phi, line_color="#999")
    fig.update_yaxes(type="log", title="multiplier (log)")
    fig.update_layout(height=330, xaxis_title="φ", margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      legend={"orientation": "h", "y": -0.25})
    chart(fig, "arch-eff-curves")

    st.subheader("The released EfficientNet-B0 … B7")
    meta = {r["name"]: r for r in cached_comparison("original")}
    rows = []
    for name, cfg in arch.EFFICIENTNET_CONFIGS.items():
        ph = arch.implied_phi(cfg)
        r = meta.get(name, {})
        rows.append({"model": arch.ARCHITECTURES[name].title, "width ×": cfg["width"],
                     "depth ×": cfg["depth"], "resolution": cfg["resolution"],
                     "φ from depth": round(ph["from_depth"], 2),
                     "φ from width": round(ph["from_width"], 2),
                     "φ from resolution": round(ph["from_resolution"], 2),
                     "params": r.get("params"), "GMACs": r.get("gmacs"),
                     "top-1 %": r.get("top1")})
    st.dataframe(rows, hide_index=True,
                 column_config={"params": st.column_config.NumberColumn(format="localized")})
    b0 = rows[0]["GMACs"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(range(8)), y=[r["GMACs"] for r in rows], name="real GMACs",
                             mode="lines+markers+text", text=[r["model"][-2:] for r in rows],
                             textposition="top left", line={"color": PURPLE}))
    fig.add_trace(go.Scatter(x=list(range(8)), y=[b0 * 2 ** k for k in range(8)],
                             name="B0 × 2^k", line={"color": GREY, "dash": "dot"}))
    fig.update_yaxes(type="log", title="GMACs per image (log)")
    fig.update_layout(height=300, xaxis_title="k in B-k", margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      legend={"orientation": "h", "y": -0.3})
    chart(fig, "arch-eff-real")
    st.caption("torchvision evaluates its B2 weights at 288 px (the paper: 260), so its GMACs "
               "and top-1 for B2 are for 288 px. "
               "The released models were tuned one by one (the paper fixed α, β, γ by a small "
               "grid search on B0, then picked the larger models' multipliers), so their φ "
               "read back from depth, width and resolution disagree a little — but each step "
               "B-k → B-k+1 roughly doubles the compute, as 2^φ says.")
    with st.expander("How it works"):
        st.markdown(
            "- `core.architectures.compound_scaling(phi, alpha=1.2, beta=1.1, gamma=1.15)` → "
            "depth, width, resolution and the FLOPs factor d·w²·r².\n"
            "- `EFFICIENTNET_CONFIGS` holds the B0–B7 multipliers of torchvision's builders "
            "(the tests check them against the built networks); params, GMACs and top-1 come "
            "from `weights.meta` via `comparison_table()`; `implied_phi(config)` reads φ back.")


# ----------------------------------------------------------------------------- 7 augmentation


def tab_augmentation() -> None:
    from core.images import resize_max
    from dashboard.widgets import download_png, image_input

    st.write("More (virtual) training data from the data you have: the label stays, the "
             "picture changes. Small data sets can be augmented ahead of time; usually it "
             "is done on the fly while loading each batch.")
    left, right = st.columns([1, 3], gap="large")
    with left:
        image = image_input("arch-aug", default="chelsea")
        seed = st.number_input("Seed", 0, 10_000, 0, key="arch-aug-seed",
                               help="The same seed gives the same pictures.")
        with st.expander("Advanced"):
            crop = st.slider("random crop: side kept", 0.2, 1.0, (0.4, 0.8), key="arch-aug-crop")
            rot = st.slider("rotation: max degrees", 0, 180, 30, key="arch-aug-rot")
            shr = st.slider("shearing: max degrees", 0, 45, 20, key="arch-aug-shear")
            warp = st.slider("local warping: strength", 0.0, 0.15, 0.04, 0.005,
                             key="arch-aug-warp")
            shift = st.slider("colour shift: max per channel", 0, 128, 40, key="arch-aug-shift")
            pca_std = st.slider("PCA colour: σ of α (AlexNet 0.1)", 0.0, 2.0, 0.5, 0.05,
                                key="arch-aug-pca")
    if image is None:
        st.info("Choose, upload or snap an image.")
        return
    img = resize_max(image, 384)
    seed = int(seed)
    outs = {
        "original": img,
        "mirror": arch.mirror(img),
        "random crop": arch.random_crop(img, seed=seed, scale=tuple(crop)),
        "rotation": arch.rotate(img, seed=seed, max_degrees=rot),
        "shearing": arch.shear(img, seed=seed, max_degrees=shr),
        "local warping": arch.local_warp(img, seed=seed, strength=warp),
        "colour shift": arch.color_shift(img, seed=seed, max_shift=shift),
        "PCA colour (AlexNet)": arch.pca_color(img, seed=seed, std=pca_std),
    }
    with right:
        names = list(outs)
        for row in range(0, len(names), 4):
            cols = st.columns(4)
            for col, name in zip(cols, names[row:row + 4]):
                col.image(outs[name], caption=name, width="stretch")
        pick = st.selectbox("Download", names[1:], key="arch-aug-pick")
        download_png(outs[pick], f"{pick.split(' (')[0].replace(' ', '_')}_seed{seed}.png",
                     key="arch-aug-dl")
    vals, vecs = arch.pca_color_basis(img)
    with st.expander("PCA colour augmentation: the image's colour directions"):
        st.write("AlexNet adds to every pixel a random multiple of the principal components of "
                 "the RGB colours, scaled by how much the colours spread along each: the "
                 "colours move mostly along the directions the picture already varies in.")
        st.latex(r"\Delta I_{xy} = [\,p_1\ p_2\ p_3\,]\,[\,\alpha_1\lambda_1,\ \alpha_2\lambda_2,"
                 r"\ \alpha_3\lambda_3\,]^T,\qquad \alpha_i \sim \mathcal{N}(0, \sigma)")
        st.dataframe([{"component": i + 1, "spread λ (std)": round(float(np.sqrt(v)), 4),
                       "R": round(float(vecs[0, i]), 3), "G": round(float(vecs[1, i]), 3),
                       "B": round(float(vecs[2, i]), 3)} for i, v in enumerate(vals)],
                     hide_index=True)
    with st.expander("How it works"):
        st.markdown(
            "- `core.architectures.mirror`, `random_crop`, `rotate`, `shear`, `local_warp`, "
            "`color_shift` and `pca_color` each take an RGB uint8 image and a `seed` and return "
            "an image of the same size (crops are resized back; rotations and shears fill the "
            "corners by reflection).\n"
            "- Local warping draws a random displacement on a coarse grid and interpolates it "
            "smoothly (bicubic) before resampling, so nearby pixels move together.\n"
            "- `pca_color_basis(image)` is the eigen-decomposition of the 3×3 RGB covariance.")


# ----------------------------------------------------------------------------- 8 lenet live


def tab_lenet() -> None:
    st.write(
        "LeNet-5 reads 32×32 greyscale digits: two CONV + POOL stages shrink 32×32×1 to "
        "5×5×16 while the channels grow, then fully connected layers 120 → 84 → 10. Here "
        "it learns scikit-learn's handwritten digits (1,797 images of 8×8 pixels, shipped "
        "with scikit-learn), upsampled to 28×28 and padded to 32×32 like MNIST in the paper.")
    c = st.columns(5)
    variant = c[0].radio("Form", ["lenet5_modern", "lenet5"], key="arch-le-variant",
                         format_func=lambda v: {"lenet5_modern": "modern (ReLU, max pool)",
                                                "lenet5": "1998 (tanh, RBF)"}[v])
    epochs = c[1].slider("Epochs", 1, 30, 10, key="arch-le-epochs")
    lr = c[2].select_slider("Learning rate (Adam)", [5e-4, 1e-3, 2e-3, 5e-3, 1e-2], value=5e-3,
                            key="arch-le-lr")
    batch = c[3].select_slider("Batch size", [16, 32, 64, 128], value=32, key="arch-le-batch")
    seed = c[4].number_input("Seed", 0, 9999, 0, key="arch-le-seed")
    data = cached_digits(int(seed))
    go_btn = st.button("Train LeNet-5", type="primary", key="arch-le-go",
                       icon=":material/play_arrow:")
    progress_area = st.container()
    curves = st.empty()
    if go_btn:
        with progress_area:
            st.button("Stop", key="arch-le-stop", icon=":material/stop_circle:",
                      help="Stops training; the model reached so far is kept.")
            bar = st.progress(0.0, text="starting…")
        st.session_state.pop("arch-lenet", None)
        for snap in arch.train_lenet_digits(epochs=epochs, variant=variant, lr=lr,
                                            batch_size=batch, seed=int(seed), data=data,
                                            threads=1):
            st.session_state["arch-lenet"] = {
                "model": snap.model, "history": snap.history, "variant": variant,
                "accuracy": snap.accuracy, "epoch": snap.epoch, "epochs": snap.epochs,
                "seed": int(seed), "seconds": snap.seconds}
            bar.progress(snap.fraction, text=f"epoch {snap.epoch}/{snap.epochs} · loss "
                         f"{snap.loss:.4f} · held-out accuracy {snap.accuracy:.2%} · "
                         f"{snap.seconds:.1f} s")
            _lenet_curves(curves, snap.history)
    state = st.session_state.get("arch-lenet")
    if not state:
        st.info("Press **Train LeNet-5**: ten epochs take a few seconds on a CPU.",
                icon=":material/info:")
        return
    if not go_btn:  # (while training, the loop drew them)
        _lenet_curves(curves, state["history"])
    model = state["model"]
    m = st.columns(4)
    m[0].metric("Held-out accuracy", f"{state['accuracy']:.2%}",
                help=f"{len(data.y_test)} digits never seen in training")
    m[1].metric("Epochs", f"{state['epoch']}/{state['epochs']}")
    m[2].metric("Time", f"{state['seconds']:.1f} s")
    m[3].metric("Parameters", n(sum(p.numel() for p in model.parameters())))
    if state["seed"] != int(seed):
        st.caption("The model was trained with another seed (another split): evaluation below "
                   "uses the current split.")
    pred, _probs = arch.predict(model, data.x_test)
    cm = arch.confusion_matrix(data.y_test.numpy(), pred)
    left, right = st.columns([1, 1], gap="large")
    with left:
        fig = go.Figure(go.Heatmap(
            z=cm, x=list(range(10)), y=list(range(10)), colorscale="Blues", showscale=False,
            text=cm, texttemplate="%{text}", xgap=1, ygap=1,
            hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>"))
        fig.update_xaxes(title="predicted", dtick=1, side="top")
        fig.update_yaxes(title="true", dtick=1, autorange="reversed")
        fig.update_layout(height=420, width=440, margin={"l": 10, "r": 10, "t": 60, "b": 10},
                          title={"text": "confusion matrix (held-out)", "font": {"size": 14},
                                 "y": 0.99})
        chart(fig, "arch-le-cm")
    with right:
        wrong = arch.misclassified(model, data, limit=12)
        st.markdown(f"**Misclassified held-out digits** ({int((pred != data.y_test.numpy()).sum())} "
                    f"of {len(pred)}), most confident first")
        if not wrong:
            st.success("None — every held-out digit is right.")
        for row in range(0, len(wrong), 6):
            cols = st.columns(6)
            for col, w in zip(cols, wrong[row:row + 6]):
                col.image(digit_image(w["image"]),
                          caption=f"{w['true']} → {w['pred']} ({w['confidence']:.0%})",
                          width="stretch")
        st.caption("Under each: true label → prediction (softmax confidence). The pictures "
                   "are the original 8×8 digits.")
    st.caption("The trained model stays in this session (st.session_state) for other pages.")
    with st.expander("How it works"):
        st.markdown(
            f"- `core.architectures.digits_dataset(seed)` loads scikit-learn's digits, splits "
            "off a stratified 20% test set, and `to_lenet_input` upsamples 8×8 → 28×28 and pads "
            "to 32×32 (background −0.1, ink 1.175, as in the paper).\n"
            f"- `core.architectures.train_lenet_digits(epochs, variant={variant!r}, lr, "
            "batch_size, seed)` is an iterator: Adam with a cosine learning-rate schedule and "
            "random shifts of up to 2 pixels; after every epoch it yields a snapshot (loss, "
            "held-out accuracy, history, the model). Stop breaks the loop.\n"
            "- `confusion_matrix(y_true, y_pred)` and `misclassified(model, data)` draw the "
            "results.\n"
            "- The 1998 form has 60,000 trainable parameters (scaled tanh, trainable "
            "subsampling, the sparse C3 table, Euclidean RBF outputs with fixed codes); the "
            "modern form 61,706.")


def _lenet_curves(slot, hist) -> None:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"))
    fig.add_trace(go.Scatter(x=hist["epoch"], y=hist["loss"], name="training loss",
                             mode="lines+markers", line={"color": BLUE}), row=1, col=1)
    fig.add_trace(go.Scatter(x=hist["epoch"], y=hist["test_loss"], name="held-out loss",
                             mode="lines+markers", line={"color": ORANGE}), row=1, col=1)
    fig.add_trace(go.Scatter(x=hist["epoch"], y=hist["train_accuracy"], name="training accuracy",
                             mode="lines+markers", line={"color": BLUE, "dash": "dot"}),
                  row=1, col=2)
    fig.add_trace(go.Scatter(x=hist["epoch"], y=hist["accuracy"], name="held-out accuracy",
                             mode="lines+markers", line={"color": ORANGE}), row=1, col=2)
    fig.update_xaxes(title="epoch", dtick=1 if len(hist["epoch"]) <= 15 else None)
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      legend={"orientation": "h", "y": -0.3})
    slot.plotly_chart(fig, config=PLOT_CONFIG)


# ----------------------------------------------------------------------------- render

for i, body in enumerate([tab_networks, tab_compare, tab_residual, tab_inception,
                          tab_mobilenet, tab_efficientnet, tab_augmentation, tab_lenet]):
    if _is_open(i):
        with tabs[i]:
            guard(body)
