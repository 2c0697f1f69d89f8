"""Architectures › 1×1 & Inception: the bottleneck's saving and GoogLeNet's first module."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

import core.architectures as arch
from dashboard import figures
from dashboard.i18n import _, tr

from .common import BLUE, GREEN, LOCALIZED, ORANGE, cached_summary, n, shape_text


def render() -> None:
    st.write(_(
        "A 1×1 convolution looks useless on one channel (it multiplies by a number), but on "
        "a volume each output value is a weighted sum across *all* channels at one pixel — a "
        "small fully connected layer applied at every position (\"network in network\"). It "
        "changes the number of channels (pooling cannot) and adds a non-linearity."))
    st.latex(r"\text{out}[i,j,k] = g\Big(\sum_{c=1}^{n_C} w_{c,k}\, x[i,j,c] + b_k\Big)"
             r"\qquad 6{\times}6{\times}32 \;*\; (1{\times}1{\times}32)\times n_C' "
             r"\;\to\; 6{\times}6{\times}n_C'")
    _bottleneck()
    _module()
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `core.architectures.bottleneck_cost(h, w, c_in, c_out, f, bottleneck)` and "
            "`inception_module(...)` count multiplications as output values × filter "
            "volume (`conv_macs`) and parameters as f·f·n_C·n_C' + n_C' (`conv_params`).\n"
            "- `INCEPTION_3A` is GoogLeNet's first module, the course's example."))


def _bottleneck() -> None:
    st.subheader(_("The bottleneck: multiplications with and without a 1×1 layer"))
    c = st.columns(6)
    h = c[0].number_input("H = W", 1, 512, 28, key="arch-bn-h")
    cin = c[1].number_input(_("input channels"), 1, 4096, 192, key="arch-bn-cin")
    f = c[2].selectbox(_("filter f"), [1, 3, 5, 7], index=2, key="arch-bn-f")
    cout = c[3].number_input(_("output channels"), 1, 4096, 32, key="arch-bn-cout")
    mid = c[4].number_input(_("bottleneck channels"), 1, 4096, 16, key="arch-bn-mid")
    b = arch.bottleneck_cost(int(h), int(h), int(cin), int(cout), int(f), int(mid))
    c[5].metric(_("saving"), f"{b.saving:.1f}×")
    left, right = st.columns([3, 2])
    with left:
        st.markdown(_(
            "**Direct** {f}×{f} same conv, {h}×{h}×{cin} → {h}×{h}×{cout}: "
            "{h}·{h}·{cout} outputs × {f}·{f}·{cin} = **{direct}** multiplications.\n\n"
            "**With a 1×1 bottleneck** to {mid} channels: {h}·{h}·{mid} × {cin} = "
            "{reduce}, then {h}·{h}·{cout} × {f}·{f}·{mid} = {conv}; "
            "together **{total}**.").format(
                f=f, h=h, cin=cin, cout=cout, mid=mid, direct=n(b.direct), reduce=n(b.reduce),
                conv=n(b.conv), total=n(b.with_bottleneck)))
        st.caption(_("The notes' example: 28×28×192 → 5×5 conv to 32 channels costs about 120 "
                     "million multiplications; through a 16-channel bottleneck about 12.4 "
                     "million — ten times fewer, with the same output shape. Shrink the "
                     "bottleneck too far and the layer loses what it needs to represent."))
    with right:
        bars = [_("direct"), _("bottleneck")]
        fig = go.Figure()
        fig.add_trace(go.Bar(y=bars, x=[b.direct, 0], orientation="h",
                             name=_("{f}×{f} conv").format(f=f), marker_color=BLUE))
        fig.add_trace(go.Bar(y=bars, x=[0, b.reduce], orientation="h",
                             name=_("1×1 reduce"), marker_color=ORANGE))
        fig.add_trace(go.Bar(y=bars, x=[0, b.conv], orientation="h",
                             name=_("{f}×{f} after bottleneck").format(f=f), marker_color=GREEN))
        fig.update_layout(barmode="stack", height=round(220 * figures.sizes().scale),  # presenting: taller
                          margin={"l": 10, "r": 10, "t": 10, "b": 10},
                          xaxis_title=_("multiplications"), legend={"orientation": "h", "y": -0.45})
        figures.show(fig, "arch-bn-fig", width="stretch")


def _module() -> None:
    st.subheader(_("The Inception module"))
    st.write(_("Instead of choosing a filter size or whether to pool, do them all in parallel "
               "(same convolutions, stride 1, so every branch keeps H×W) and stack the results "
               "along the channels. Bottlenecks keep the cost down. GoogLeNet stacks nine such "
               "modules; side branches in the middle (auxiliary classifiers) help training."))
    naive = st.toggle(_("Naive module (no 1×1 bottlenecks)"), key="arch-inc-naive")
    br = arch.inception_module(**arch.INCEPTION_3A, use_bottlenecks=not naive)
    left, right = st.columns([3, 1], vertical_alignment="center")
    with left:
        st.graphviz_chart(figures.diagram(arch.inception_dot(br, 192, 28, 28, translate=tr), scale=False),
                           width="stretch")
    with right:
        total_c = sum(x.output_shape[2] for x in br)
        st.metric(_("Concatenated output"), f"28×28×{total_c}")
        st.metric(_("Multiplications"), n(sum(x.macs for x in br)),
                  help=_("naive vs bottleneck: toggle above"))
    # the whole width: in half of it the numbers were cut off behind a scroll bar
    figures.table(st, [{_("branch"): tr(x.name), _("layers"): " → ".join(tr(y) for y in x.layers),
                   _("output"): shape_text(x.output_shape), _("multiplications"): x.macs,
                   _("params"): x.params} for x in br], hide_index=True, width="stretch",
                 column_config={_("multiplications"): LOCALIZED, _("params"): LOCALIZED})
    s = cached_summary("googlenet", (3, 224, 224))
    real = [r for r in s.rows if r.name.startswith("inception3a.") and r.type == "Conv2d"]
    with st.expander(_("The same module inside GoogLeNet (torchvision, from a forward pass)")):
        figures.table(st, [{_("layer"): r.name, _("kernel"): r.kernel,
                            _("input"): shape_text(r.input_shape),
                            _("output"): shape_text(r.output_shape), _("params"): r.params,
                            "MACs": r.macs} for r in real], hide_index=True)
        st.caption(_("Note: torchvision's GoogLeNet uses a 3×3 kernel in the \"5×5\" branch "
                     "(branch3), a known slip kept so that its pretrained weights still load."))
