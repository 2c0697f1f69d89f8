"""Architectures › Depthwise separable & MobileNetV2: the separable convolution's cost, checked
block by block against MobileNet v1, and MobileNetV2's inverted residual."""
from __future__ import annotations

import streamlit as st

import core.architectures as arch
from dashboard import figures
from dashboard.i18n import N_, _, tr

from .common import LOCALIZED, cached_summary, human, n, shape_text


def render() -> None:
    st.write(_(
        "MobileNet replaces each standard convolution by a **depthwise** convolution (one "
        "f×f filter per input channel, channels kept apart) followed by a **pointwise** 1×1 "
        "convolution that mixes the channels. Same output shape, a fraction of the cost."))
    st.latex(r"\frac{\text{depthwise} + \text{pointwise}}{\text{standard}} = "
             r"\frac{n_{out}^2 f^2 n_C + n_{out}^2 n_C n_C'}{n_{out}^2 f^2 n_C n_C'} = "
             r"\frac{1}{n_C'} + \frac{1}{f^2}")
    if not _calculator():
        return
    _mobilenet_v1()
    _inverted_residual()
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `core.architectures.depthwise_separable_cost(n, n_c, f, n_c_out, stride, "
            "padding)` gives the three costs; the table checks it against the "
            "multiply-accumulates `summarize` measured for each block of our MobileNet v1 "
            "(`core.architectures.MobileNetV1`, built from `DepthwiseSeparable` blocks).\n"
            "- `core.architectures.inverted_residual(h, w, c_in, c_out, expansion, stride)` "
            "lists MobileNetV2's steps."))


def _calculator() -> bool:
    c = st.columns(6)
    nn_ = c[0].number_input(_("input n (n×n)"), 1, 1024, 6, key="arch-ds-n")
    nc = c[1].number_input(_("input channels n_C"), 1, 4096, 3, key="arch-ds-nc")
    f = c[2].selectbox(_("filter f"), [1, 3, 5, 7], index=1, key="arch-ds-f")
    nco = c[3].number_input(_("output channels n_C'"), 1, 4096, 5, key="arch-ds-nco")
    stride = c[4].selectbox(_("stride"), [1, 2], key="arch-ds-s")
    pad = c[5].selectbox(_("padding"), [0, 1, 2, 3], key="arch-ds-p")
    d = arch.depthwise_separable_cost(int(nn_), int(nc), int(f), int(nco), int(stride), int(pad))
    if d.output_shape[0] < 1:
        st.error(_("The filter does not fit: choose a larger input or more padding."))
        return False
    o = d.output_shape[0]
    m = st.columns(4)
    m[0].metric(_("Standard"), n(d.standard), help=f"{o}·{o}·{nco} × {f}·{f}·{nc}")
    m[1].metric(_("Depthwise"), n(d.depthwise), help=f"{o}·{o}·{nc} × {f}·{f}")
    m[2].metric(_("Pointwise"), n(d.pointwise), help=f"{o}·{o}·{nco} × {nc}")
    m[3].metric(_("Ratio"), f"{d.ratio:.4f}",
                help=f"1/{nco} + 1/{f}² = {1 / nco + 1 / f ** 2:.4f}")
    st.caption(_(
        "Output {shape}. Standard: {o}·{o}·{nco} outputs × "
        "{f}·{f}·{nc} = {standard}. Depthwise {depthwise} + pointwise "
        "{pointwise} = {separable}, i.e. {ratio:.4f} of the cost = 1/{nco} + "
        "1/{f}² = {formula:.4f}. The course's example is 6×6×3, 3×3, 5 filters: "
        "2,160 vs 432 + 240 = 672.").format(
            shape=shape_text(d.output_shape), o=o, nco=nco, f=f, nc=nc, standard=n(d.standard),
            depthwise=n(d.depthwise), pointwise=n(d.pointwise), separable=n(d.separable),
            ratio=d.ratio, formula=1 / nco + 1 / f ** 2))
    return True



def _mobilenet_v1() -> None:
    st.subheader(_("MobileNet v1, block by block"))
    s = cached_summary("mobilenet_v1", (3, 224, 224))
    # English keys (the sums below read them), shown translated
    table = [{N_("block"): b["block"], N_("input"): shape_text(b["depthwise"].input_shape),
              N_("output"): shape_text(b["pointwise"].output_shape),
              N_("depthwise MACs"): b["depthwise"].macs, N_("pointwise MACs"): b["pointwise"].macs,
              N_("formula"): b["cost"].separable, N_("equal"): "✓" if b["equal"] else "✗",
              N_("standard 3×3 conv"): b["cost"].standard, N_("ratio"): round(b["cost"].ratio, 4)}
             for b in arch.separable_blocks(s)]
    figures.table(st, [{_(k): v for k, v in t.items()} for t in table], hide_index=True, height=300,
                 column_config={_(k): LOCALIZED for k in
                                ("depthwise MACs", "pointwise MACs", "formula",
                                 "standard 3×3 conv")})
    sep = sum(t["formula"] for t in table)
    std = sum(t["standard 3×3 conv"] for t in table)
    st.caption(_("The 13 blocks cost {sep} multiply-accumulates as depthwise separable "
                 "convolutions, {std} as standard 3×3 convolutions ({times:.1f}× more). "
                 "Whole network: {params} parameters, {macs} MACs "
                 "(MobileNet v1 1.0-224: 4.2M and 569M).").format(
                     sep=n(sep), std=n(std), times=std / sep, params=n(s.total_params),
                     macs=human(s.total_macs)))


def _inverted_residual() -> None:
    st.subheader(_("MobileNetV2: the inverted residual (bottleneck) block"))
    st.write(_("v2 adds a residual connection and a bottleneck turned inside out: a 1×1 "
               "**expansion** to t× more channels, the depthwise 3×3 in that wide space, and a "
               "1×1 **projection** back to few channels (linear, no ReLU, to keep information). "
               "The skip joins the narrow ends when the shapes match."))
    c = st.columns(5)
    hh = c[0].number_input("H = W", 1, 512, 56, key="arch-ir-h")
    ci = c[1].number_input(_("input channels"), 1, 2048, 24, key="arch-ir-cin")
    co = c[2].number_input(_("output channels"), 1, 2048, 24, key="arch-ir-cout")
    t = c[3].select_slider(_("expansion t"), [1, 2, 3, 4, 6, 8], value=6, key="arch-ir-t")
    st_ = c[4].selectbox(_("stride"), [1, 2], key="arch-ir-s")
    steps = arch.inverted_residual(int(hh), int(hh), int(ci), int(co), int(t), int(st_))
    left, right = st.columns([2, 3])
    with left:
        st.graphviz_chart(figures.diagram(arch.inverted_residual_dot(steps, hh, hh, ci, translate=tr),
                                          scale=False), width="stretch")
    with right:
        figures.table(st, [{_("step"): tr(x["step"]), _("output"): shape_text(x["shape"]),
                       _("multiplications"): x["macs"], _("params"): x["params"]} for x in steps],
                     hide_index=True, column_config={_("multiplications"): LOCALIZED})
        st.caption(_("Total {macs} multiplications.").format(macs=n(sum(x["macs"] for x in steps)))
                   + " " + (_("Skip connection: yes (stride 1, same channels).")
                            if steps[-1]["step"].startswith("+")
                            else _("No skip: the stride or the channels change.")))
        s2 = cached_summary("mobilenet_v2", (3, 224, 224))
        real = [r for r in s2.rows if r.name.startswith("features.3.") and r.type == "Conv2d"]
        if real:
            st.caption(_("In torchvision's MobileNetV2 (block features.3, from a forward pass): "
                         "{steps}").format(steps=" → ".join(
                             _("{kernel} to {shape}").format(kernel=r.kernel,
                                                             shape=shape_text(r.output_shape))
                             for r in real)))
