"""Architectures › Compare: accuracy against multiply-accumulates and parameters for
torchvision's weights."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from dashboard import figures

from .common import (FAMILY_COLOURS, GREY, LOCALIZED, cached_comparison, cached_summary, human,
                     log_ticks, n)

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


# where a label may go, in order of preference: plotly's textposition and the label box's
# offset from the dot (in label widths/heights and dot radii)
SPOTS = {"top center": (-0.5, 0, 1), "bottom center": (-0.5, -1, -1),
         "middle right": (0, -0.5, 0), "middle left": (-1, -0.5, 0),
         "top right": (0, 0, 1), "bottom right": (0, -1, -1), "top left": (-1, 0, 1),
         "bottom left": (-1, -1, -1)}
PLOT_W, PLOT_H = 760, 420  # px of the plotting area at 1280 px with the sidebar (narrowest case)


def _boxes_overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def label_boxes(px: list[tuple[float, float]], texts: list[str], radii: list[float],
                font: float) -> list[tuple[str, tuple[float, float, float, float]]]:
    """A textposition for every label so that no two labels (nor a label and another dot)
    overlap where that can be avoided; greedy, biggest dot first. ``px``: the dots in pixels
    (x right, y up). Returns (textposition, label box x0, y0, x1, y1) per dot."""
    placed: list[tuple[float, float, float, float]] = []
    dots = [(x - r, y - r, x + r, y + r) for (x, y), r in zip(px, radii)]
    out: list = [None] * len(px)
    for i in sorted(range(len(px)), key=lambda i: -radii[i]):
        (x, y), r = px[i], radii[i]
        w, h = 0.58 * font * len(texts[i]) + 2, 1.25 * font
        best = None
        for spot, (fx, fy, side) in SPOTS.items():
            gap_x = (r + 2) * (1 if fx == 0 else -1 if fx == -1 else 0)
            x0 = x + fx * w + gap_x
            y0 = y + fy * h + side * (r + 1)
            box = (x0, y0, x0 + w, y0 + h)
            hits = sum(_boxes_overlap(box, b) for b in placed) + sum(
                _boxes_overlap(box, d) for j, d in enumerate(dots) if j != i)
            outside = box[0] < 0 or box[2] > PLOT_W or box[1] < 0 or box[3] > PLOT_H
            cost = hits * 10 + outside
            if best is None or cost < best[0]:
                best = (cost, spot, box)
            if cost == 0:
                break
        placed.append(best[2])
        out[i] = (best[1], best[2])
    return out


def _scatter(rows: list[dict], view: str) -> go.Figure:
    fx, fy, xt, yt, ylog = VIEWS[view]
    s = figures.sizes()
    font = s.plot_font if s.presenting else 11
    xs, ys = [fx(r) for r in rows], [fy(r) for r in rows]
    # fixed ranges, so the label placement knows where every dot is drawn
    xr = (np.log10(min(xs) / 1.5), np.log10(max(xs) * 1.5))
    yr = ((np.log10(min(ys) / 1.5), np.log10(max(ys) * 1.5)) if ylog else
          (min(ys) - 0.08 * (max(ys) - min(ys)) - 1, max(ys) + 0.12 * (max(ys) - min(ys)) + 1))
    to_px = lambda v, r, size, log: (((np.log10(v) if log else v) - r[0]) / (r[1] - r[0]) * size)  # noqa: E731
    px = [(to_px(x, xr, PLOT_W, True), to_px(y, yr, PLOT_H, ylog)) for x, y in zip(xs, ys)]
    marker = [8 + 3 * np.sqrt(r["params"] / 1e6) for r in rows]
    texts = [r["title"].split(" (")[0] for r in rows]
    where = label_boxes(px, texts, [m / 2 for m in marker], font)
    fig = go.Figure()
    for fam in dict.fromkeys(r["family"] for r in rows):
        idx = [i for i, r in enumerate(rows) if r["family"] == fam]
        sub = [rows[i] for i in idx]
        fig.add_trace(go.Scatter(
            x=[xs[i] for i in idx], y=[ys[i] for i in idx], mode="markers+text", name=fam,
            text=[texts[i] for i in idx], textposition=[where[i][0] for i in idx],
            textfont={"size": font},
            marker={"size": [marker[i] for i in idx], "color": FAMILY_COLOURS.get(fam, GREY),
                    "opacity": 0.8, "line": {"width": 1, "color": "white"}},
            customdata=[[r["params"], r["gmacs"], r["top1"], r["weights"], r["resolution"]]
                        for r in sub],
            hovertemplate="<b>%{text}</b><br>%{customdata[0]:,} params<br>%{customdata[1]} "
                          "GMACs<br>top-1 %{customdata[2]:.2f}%<br>%{customdata[4]} px<br>"
                          "%{customdata[3]}<extra></extra>"))
    xv, xtext = log_ticks(10 ** xr[0], 10 ** xr[1])
    fig.update_xaxes(title=xt, type="log", range=list(xr), tickvals=xv, ticktext=xtext)
    if ylog:
        yv, ytext = log_ticks(10 ** yr[0], 10 ** yr[1])
        fig.update_yaxes(title=yt, type="log", range=list(yr), tickvals=yv, ticktext=ytext)
    else:
        fig.update_yaxes(title=yt, range=list(yr))
    fig.update_layout(height=520, margin={"l": 10, "r": 10, "t": 20, "b": 10},  # under the axis title,
                      legend={"orientation": "h", "y": -0.15 * s.scale})  # however large
    return fig
