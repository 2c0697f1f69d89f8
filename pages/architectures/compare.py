"""Architectures › Compare: accuracy against multiply-accumulates and parameters for
torchvision's weights."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from dashboard import figures

from .common import FAMILY_COLOURS, GREY, LOCALIZED, cached_comparison, cached_summary, human, n

VIEWS = {  # view: (x, y, x title, y title, log y) — x is always on a log axis
    "top-1 vs MACs": (lambda r: r["gmacs"], lambda r: r["top1"],
                      "GMACs per image (log)", "ImageNet top-1 %", False),
    "top-1 vs parameters": (lambda r: r["params"] / 1e6, lambda r: r["top1"],
                            "parameters, millions (log)", "ImageNet top-1 %", False),
    "parameters vs MACs": (lambda r: r["gmacs"], lambda r: r["params"] / 1e6,
                           "GMACs per image (log)", "parameters, millions (log)", True),
}


def render() -> None:
    st.write("Accuracy is not free: each point is a network with the ImageNet top-1 accuracy "
             "of torchvision's weights, its multiply-accumulates for one image and its "
             "parameters (the area of the dot). Hover for the details; counts are on logarithmic axes.")
    a, b = st.columns([1, 2])
    recipe = a.radio("Weights", ["original", "best"], horizontal=True, key="arch-cmp-recipe",
                     format_func=lambda r: {"original": "original paper recipe (V1)",
                                            "best": "best torchvision recipe"}[r])
    view = b.radio("View", list(VIEWS), horizontal=True, key="arch-cmp-view")
    rows = cached_comparison(recipe)
    figures.show(_scatter(rows, view), "arch-cmp-fig", width="stretch")
    st.dataframe(
        [{"network": r["title"], "year": r["year"], "params": r["params"],
          "GMACs": r["gmacs"], "top-1 %": r["top1"], "top-5 %": r["top5"],
          "input px": r["resolution"], "file MB": r["file_mb"], "weights": r["weights"]}
         for r in rows],
        hide_index=True, column_config={"params": LOCALIZED})
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


def _scatter(rows: list[dict], view: str) -> go.Figure:
    fx, fy, xt, yt, ylog = VIEWS[view]
    fig = go.Figure()
    for fam in dict.fromkeys(r["family"] for r in rows):
        sub = [r for r in rows if r["family"] == fam]
        fig.add_trace(go.Scatter(
            x=[fx(r) for r in sub], y=[fy(r) for r in sub], mode="markers+text", name=fam,
            text=[r["title"].split(" (")[0] for r in sub],
            # ResNets to the right of their dots: over them they hid GoogLeNet's and each other's
            textposition="middle right" if fam == "ResNet" else "top center", textfont={"size": 10},
            marker={"size": [8 + 3 * np.sqrt(r["params"] / 1e6) for r in sub],
                    "color": FAMILY_COLOURS.get(fam, GREY), "opacity": 0.8,
                    "line": {"width": 1, "color": "white"}},
            customdata=[[r["params"], r["gmacs"], r["top1"], r["weights"], r["resolution"]]
                        for r in sub],
            hovertemplate="<b>%{text}</b><br>%{customdata[0]:,} params<br>%{customdata[1]} "
                          "GMACs<br>top-1 %{customdata[2]:.2f}%<br>%{customdata[4]} px<br>"
                          "%{customdata[3]}<extra></extra>"))
    fig.update_xaxes(title=xt, type="log", dtick="D2")
    fig.update_yaxes(title=yt, type="log" if ylog else "linear", dtick="D2" if ylog else None)
    fig.update_layout(height=520, margin={"l": 10, "r": 10, "t": 20, "b": 10},  # under the axis title,
                      legend={"orientation": "h", "y": -0.15 * figures.sizes().scale})  # however large
    return fig
