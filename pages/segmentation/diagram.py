"""Segmentation › U-Net diagram: every block's shape and parameters for the chosen input size."""
from __future__ import annotations

import streamlit as st

from core.segmentation import data
from core.segmentation.unet import Block, shapes
from dashboard import figures
from dashboard.i18n import _, tr


def render() -> None:
    st.subheader(_("The U-Net for your input size"))
    c1, c2, c3, c4 = st.columns(4)
    H = c1.number_input(_("input height"), 1, 2048, 100, key="seg-unet-h")
    W = c2.number_input(_("input width"), 1, 2048, 100, key="seg-unet-w")
    base = c3.selectbox(_("base width (channels at level 1)"), [4, 8, 12, 16, 32, 64], index=1, key="seg-unet-base",
                        help=_("8 with depth 3 is the bundled model; the paper used 64 with depth 4."))
    depth = c4.selectbox(_("depth (poolings)"), [1, 2, 3, 4, 5], index=2, key="seg-unet-depth")
    table = shapes((int(H), int(W)), in_channels=3, num_classes=len(data.CLASSES), base=base, depth=depth)
    by = {b.name: b for b in table}
    g_col, m_col = st.columns([5, 2])
    g_col.graphviz_chart(figures.diagram(dot(by, depth), scale=False), width="stretch")
    m_col.metric(_("parameters"), f"{sum(b.params for b in table):,}")
    m_col.metric(_("output"), by["output"].label, help=_("H×W×classes: a score per class for every pixel"))
    padded = tr(by["padded"].op)
    m_col.caption(_("{op} — the scores are cropped back to {h}×{w}.").format(op=padded, h=int(H), w=int(W))
                  if by["padded"].shape != by["input"].shape else padded + ".")
    operation = _("operation")
    figures.table(st, {_("block"): [b.name for b in table], _("shape (H×W×C)"): [b.label for b in table],
                  operation: [tr(b.op) for b in table], _("params"): [b.params for b in table]},
                 hide_index=True, width="stretch",
                 column_config={operation: st.column_config.TextColumn(width="large")})
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `core.segmentation.unet.shapes(({h}, {w}), base={base}, depth={depth})` computes "
            "every shape from the arithmetic; the tests check it against `UNet.forward_features` on a real tensor.\n"
            "- 3×3 convolutions are padded, so only the 2×2 poolings change the size: it must be divisible "
            "by 2^depth = {m}. Other sizes are replicate-padded up to the next multiple and the "
            "scores cropped back, so the output is always H×W (the original paper used unpadded "
            "convolutions and a smaller output).\n"
            "- Red dashed arrows: the skip connections. The encoder map is *concatenated* with the "
            "up-sampled decoder map (channels add up), then two 3×3 convolutions mix them.").format(
                h=int(H), w=int(W), base=base, depth=depth, m=2 ** depth))


def dot(by: dict[str, Block], depth: int) -> str:
    """The U-Net as a Graphviz diagram: encoder down the left, decoder up the right, skips across."""

    def node(b: Block, colour: str, extra: str = "") -> str:
        return f'"{b.name}" [label="{b.name}\\n{b.label}{extra}", fillcolor="{colour}"];'

    lines = ['digraph U { rankdir=TB; nodesep=0.5; ranksep=0.35; splines=true;',
             'node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
             'edge [fontname="Helvetica", fontsize=9, color="#555555"];']
    lines.append(node(by["padded"], "#eeeeee", "\\n" + _("({shape} padded)").format(shape=by["input"].label)))
    lines.append(node(by["output"], "#fff3c4", "\\n" + _("per-pixel class scores")))
    for i in range(1, depth + 1):
        lines.append(node(by[f"enc{i}"], "#cfe3ff"))
        up, cat = by[f"up{i}"], by[f"concat{i}"]
        came = _("(up {up} + skip → {cat})").format(up=up.label, cat=cat.label)
        lines.append(f'"dec{i}" [label="dec{i}\\n{by[f"dec{i}"].label}\\n{came}", fillcolor="#d8f5d0"];')
        lines.append(f'{{ rank=same; "enc{i}"; "dec{i}"; }}')
        copy = _("copy {shape}").format(shape=by[f"enc{i}"].label)
        lines.append(f'"enc{i}" -> "dec{i}" [style=dashed, color="#e53935", constraint=false, '
                     f'label="{copy}", fontcolor="#e53935"];')
    lines.append(node(by["bottleneck"], "#ffd8b0"))
    lines.append('{ rank=same; "padded"; "output"; }')
    pool, upconv, head = _("max pool 2×2"), _("up-conv 2×2, s=2"), _("1×1 conv, crop")
    lines.append('"padded" -> "enc1" [label="2×(3×3 conv)"];')
    for i in range(1, depth):
        lines.append(f'"enc{i}" -> "enc{i + 1}" [label="{pool}"];')
    lines.append(f'"enc{depth}" -> "bottleneck" [label="{pool}"];')
    lines.append(f'"bottleneck" -> "dec{depth}" [label="{upconv}", color="#2e7d32"];')
    for i in range(depth, 1, -1):
        lines.append(f'"dec{i}" -> "dec{i - 1}" [label="{upconv}", color="#2e7d32"];')
    lines.append(f'"dec1" -> "output" [label="{head}"];')
    lines.append("}")
    return "\n".join(lines)
