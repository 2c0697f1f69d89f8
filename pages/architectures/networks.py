"""Architectures › Networks: one network as metrics, a diagram, its shape and cost curves and
its layer table, all from one forward pass."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

import core.architectures as arch
from core.architectures import summary as arch_summary
from dashboard import figures
from dashboard.i18n import N_, _, tr

from .common import (BLUE, LOCALIZED, ORANGE, cached_summary, human, n, net_label, pow2_ticks,
                     shape_text, summary_device)

_TABLE_HEADERS = (N_("layer"), N_("type"), N_("kernel"), N_("output shape"))  # Summary.table()


def render() -> None:
    top = st.columns([2, 1, 1])
    name = top[0].selectbox(_("Network"), arch.NAMES, key="arch-net",
                            format_func=net_label)
    info = arch.ARCHITECTURES[name]
    c, h, _w = info.input_size
    with top[1]:
        side = st.number_input(_("Input size (H = W)"), 32 if c == 1 else 64, 1024, h, step=16,
                               key=f"arch-net-size-{name}", disabled=c == 1,
                               help=_("The size it was designed for is the default. LeNet-5's "
                                      "fully connected part needs exactly 32×32."))
    try:
        s = cached_summary(name, (c, int(side), int(side)))
    except RuntimeError as e:
        st.error(_("{net} cannot take a {side}×{side} input: {error}").format(
            net=info.title, side=side, error=str(e).splitlines()[0]))
        return
    layers = sum(1 for r in s.rows if r.type in ("Conv2d", "Linear", "PartialConv"))
    top[2].metric(_("Layers with weights"), layers, help=_("conv + fully connected layers"))
    m = st.columns(4)
    m[0].metric(_("Parameters"), n(s.total_params))
    m[1].metric(_("Multiply-accumulates"), human(s.total_macs),
                help=_("{macs} MACs for one {shape} image").format(
                    macs=n(s.total_macs), shape=shape_text(s.input_size)))
    m[2].metric(_("Input"), shape_text(s.input_size))
    m[3].metric(_("Output"), shape_text(s.output_shape))
    st.caption(_("**Idea:** {idea}.").format(idea=tr(info.idea)))

    if name == "lenet5":
        _lenet_parameters()

    left, right = st.columns([2, 3], gap="large")
    with left:
        top_depth = arch_summary.max_depth(s)
        default = arch_summary.auto_depth(s)
        if top_depth > 1:
            depth = st.slider(_("Diagram detail (1 = stages … max = single layers)"), 1, top_depth,
                              default, key=f"arch-net-depth-{name}")
        else:
            depth = 1
        st.graphviz_chart(figures.diagram(arch.to_dot(s, depth, gettext=_)), width="content")
        st.caption(_("Double border: a block with a skip connection or parallel branches. "
                     "Activations and normalisations are folded into the box before them."))
    with right:
        figures.show(layer_plot(s, _("{net}: H×W shrinks while channels grow").format(net=info.title),
                                depth),
                     "arch-net-shape", width="stretch")
        st.caption(_("Shapes at the outputs of the diagram's boxes (the detail slider)."))
        figures.show(cost_plot(s), "arch-net-cost", width="stretch")

    st.subheader(_("Layer table"))
    figures.table(st, [{_(k): v for k, v in row.items()} for row in s.table()], hide_index=True,
                  height=360, column_config={_("params"): LOCALIZED, "MACs": LOCALIZED})
    with st.expander(_("How it works")):
        meta = summary_device(name, s.input_size) == "meta"
        st.markdown((_(
            "- `core.architectures.build({name})` builds the untrained network "
            "(torchvision with `weights=None`; LeNet-5 and MobileNet v1 are written in "
            "`core.architectures.builders`). Here it is built on PyTorch's *meta* device, which "
            "allocates no weights and computes shapes only — the same rows as real numbers, a "
            "lot faster.\n")
            if meta else _(
            "- `core.architectures.build({name})` builds the untrained network "
            "(torchvision with `weights=None`; LeNet-5 and MobileNet v1 are written in "
            "`core.architectures.builders`). Here it runs on the CPU with real (random) weights "
            "and a zero image.\n")).format(name=repr(name))
            + _(
            "- `core.architectures.summarize(model, {shape})` runs one "
            "forward pass with a forward hook on every layer (removed in `finally`) and "
            "records each call's output shape, its parameters and its multiply-accumulates "
            "(conv: output values × f·f·n_C/groups; fully connected: outputs × inputs). "
            "The tests check that these shapes equal a forward pass with real numbers and "
            "that the totals equal the published counts.\n"
            "- `core.architectures.to_dot(summary, depth)` draws the diagram; "
            "`shape_trace(summary)` gives the H×W / channel curve.").format(
                shape=shape_text(s.input_size)))


def _lenet_parameters() -> None:
    with st.expander(_("Why exactly 60,000 parameters?"), expanded=False):
        st.markdown(_(
            "LeCun et al. (1998) count **trainable** parameters: C1 6×(5·5+1) = 156 · "
            "S2 6×2 = 12 (a coefficient and a bias per map) · C3 **1,516** (each of the 16 "
            "maps sees only 3, 4 or 6 of the 6 S2 maps, by the paper's connection table; "
            "fully connected it would be 2,416) · S4 16×2 = 32 · C5 120×(400+1) = 48,120 · "
            "F6 84×(120+1) = 10,164 — total **60,000**. The output layer's 10 RBF codes "
            "(84 numbers each) were fixed, not learned. The modern form (ReLU, max pool, "
            "full C3, a 10-way fully connected softmax layer) has 61,706."))
        figures.table(st, {
            _("C3 map"): list(range(16)),
            _("S2 maps it sees"): [", ".join(map(str, t)) for t in arch.C3_TABLE],
            _("parameters"): [len(t) * 25 + 1 for t in arch.C3_TABLE],
        }, hide_index=True, height=250)


def layer_plot(s: arch.Summary, title: str, depth: int | None = None) -> go.Figure:
    """H×W shrinking while channels grow, along the forward pass."""
    trace = arch.shape_trace(s, depth)
    x = list(range(len(trace)))
    names = [f"{t['layer']} ({t['type']})" for t in trace]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=x, y=[t["height"] for t in trace], name=_("height H (= W here)"),
                             mode="lines+markers", line={"color": BLUE, "shape": "hv"},
                             text=names, hovertemplate="%{text}<br>H = %{y}<extra></extra>"),
                  secondary_y=False)
    fig.add_trace(go.Scatter(x=x, y=[t["channels"] for t in trace], name=_("channels / units"),
                             mode="lines+markers", line={"color": ORANGE, "shape": "hv"},
                             text=names, hovertemplate="%{text}<br>C = %{y}<extra></extra>"),
                  secondary_y=True)
    fig.update_layout(title={"text": title, "font": {"size": 14}}, height=round(330 * figures.sizes().scale),
                      margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"orientation": "h", "y": -0.18})
    fig.update_xaxes(title=_("shape change #"), dtick=max(1, len(x) // 12))
    hs, cs = [t["height"] for t in trace], [t["channels"] for t in trace]
    fig.update_yaxes(title=_("height H (log)"), type="log", secondary_y=False, color=BLUE,
                     tickvals=pow2_ticks(hs), range=[-0.1, np.log10(max(hs)) + 0.1],
                     showgrid=False)
    fig.update_yaxes(title=_("channels (log)"), type="log", secondary_y=True, color=ORANGE,
                     tickvals=pow2_ticks(cs), range=[-0.1, np.log10(max(cs)) + 0.1],
                     showgrid=False)
    return fig


def cost_plot(s: arch.Summary) -> go.Figure:
    rows = [r for r in s.rows if r.macs]  # conv / fully connected layers
    names = [f"{r.name} ({r.type} → {shape_text(r.output_shape)})" for r in rows]
    x = list(range(len(rows)))
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=(_("parameters per layer"), _("multiply-accumulates per layer")))
    fig.add_trace(go.Bar(x=x, y=[max(r.params, 0.9) for r in rows], marker_color=ORANGE,
                         text=names, hovertemplate=_("%{text}<br>%{y:,} params<extra></extra>"),
                         name=_("params")), row=1, col=1)
    fig.add_trace(go.Bar(x=x, y=[max(r.macs, 0.9) for r in rows], marker_color=BLUE,
                         text=names, hovertemplate="%{text}<br>%{y:,} MACs<extra></extra>",
                         name="MACs"), row=2, col=1)
    fig.update_traces(textposition="none")
    fig.update_yaxes(type="log", dtick=1, exponentformat="SI")
    fig.update_xaxes(title=_("layer with weights #"), row=2, col=1)
    fig.update_layout(height=round(380 * figures.sizes().scale),  # taller when presenting
                      showlegend=False, margin={"l": 10, "r": 10, "t": 30, "b": 10})
    fig.update_annotations(font_size=13)
    return fig
