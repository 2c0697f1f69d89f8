"""Architectures › Depthwise separable & MobileNetV2: the separable convolution's cost, checked
block by block against MobileNet v1, and MobileNetV2's inverted residual."""
from __future__ import annotations

import streamlit as st

import core.architectures as arch
from dashboard import figures

from .common import LOCALIZED, cached_summary, human, n, shape_text


def render() -> None:
    st.write(
        "MobileNet replaces each standard convolution by a **depthwise** convolution (one "
        "f×f filter per input channel, channels kept apart) followed by a **pointwise** 1×1 "
        "convolution that mixes the channels. Same output shape, a fraction of the cost.")
    st.latex(r"\frac{\text{depthwise} + \text{pointwise}}{\text{standard}} = "
             r"\frac{n_{out}^2 f^2 n_C + n_{out}^2 n_C n_C'}{n_{out}^2 f^2 n_C n_C'} = "
             r"\frac{1}{n_C'} + \frac{1}{f^2}")
    if not _calculator():
        return
    _mobilenet_v1()
    _inverted_residual()
    with st.expander("How it works"):
        st.markdown(
            "- `core.architectures.depthwise_separable_cost(n, n_c, f, n_c_out, stride, "
            "padding)` gives the three costs; the table checks it against the "
            "multiply-accumulates `summarize` measured for each block of our MobileNet v1 "
            "(`core.architectures.MobileNetV1`, built from `DepthwiseSeparable` blocks).\n"
            "- `core.architectures.inverted_residual(h, w, c_in, c_out, expansion, stride)` "
            "lists MobileNetV2's steps.")


def _calculator() -> bool:
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
        return False
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
    return True


def _mobilenet_v1() -> None:
    st.subheader("MobileNet v1, block by block")
    s = cached_summary("mobilenet_v1", (3, 224, 224))
    table = [{"block": b["block"], "input": shape_text(b["depthwise"].input_shape),
              "output": shape_text(b["pointwise"].output_shape),
              "depthwise MACs": b["depthwise"].macs, "pointwise MACs": b["pointwise"].macs,
              "formula": b["cost"].separable, "equal": "✓" if b["equal"] else "✗",
              "standard 3×3 conv": b["cost"].standard, "ratio": round(b["cost"].ratio, 4)}
             for b in arch.separable_blocks(s)]
    figures.table(st, table, hide_index=True, height=300,
                 column_config={k: LOCALIZED for k in
                                ("depthwise MACs", "pointwise MACs", "formula",
                                 "standard 3×3 conv")})
    sep = sum(t["formula"] for t in table)
    std = sum(t["standard 3×3 conv"] for t in table)
    st.caption(f"The 13 blocks cost {n(sep)} multiply-accumulates as depthwise separable "
               f"convolutions, {n(std)} as standard 3×3 convolutions ({std / sep:.1f}× more). "
               f"Whole network: {n(s.total_params)} parameters, {human(s.total_macs)} MACs "
               "(MobileNet v1 1.0-224: 4.2M and 569M).")


def _inverted_residual() -> None:
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
        st.graphviz_chart(arch.inverted_residual_dot(steps, hh, hh, ci), width="stretch")
    with right:
        figures.table(st, [{"step": x["step"], "output": shape_text(x["shape"]),
                       "multiplications": x["macs"], "params": x["params"]} for x in steps],
                     hide_index=True, column_config={"multiplications": LOCALIZED})
        st.caption(f"Total {n(sum(x['macs'] for x in steps))} multiplications. "
                   + ("Skip connection: yes (stride 1, same channels)." if steps[-1]["step"]
                      .startswith("+") else "No skip: the stride or the channels change."))
        s2 = cached_summary("mobilenet_v2", (3, 224, 224))
        real = [r for r in s2.rows if r.name.startswith("features.3.") and r.type == "Conv2d"]
        if real:
            st.caption("In torchvision's MobileNetV2 (block features.3, from a forward pass): "
                       + " → ".join(f"{r.kernel} to {shape_text(r.output_shape)}" for r in real))
