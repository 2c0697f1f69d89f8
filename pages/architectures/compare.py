"""Architectures › Compare: accuracy against multiply-accumulates and parameters for
torchvision's weights."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from dashboard import figures
from dashboard.i18n import N_, _, opt

from .common import (FAMILY_COLOURS, GREY, LOCALIZED, cached_comparison, cached_summary, human,
                     log_ticks, n)

VIEWS = {  # view: (x, y, x title, y title, log y) — x is always on a log axis
    N_("top-1 vs MACs"): (lambda r: r["gmacs"], lambda r: r["top1"],
                          N_("GMACs per image (log)"), N_("ImageNet top-1 %"), False),
    N_("top-1 vs parameters"): (lambda r: r["params"] / 1e6, lambda r: r["top1"],
                                N_("parameters, millions (log)"), N_("ImageNet top-1 %"), False),
    N_("parameters vs MACs"): (lambda r: r["gmacs"], lambda r: r["params"] / 1e6,
                               N_("GMACs per image (log)"), N_("parameters, millions (log)"), True),
}
RECIPES = {"original": N_("original paper recipe (V1)"), "best": N_("best torchvision recipe")}


def render() -> None:
    st.write(_("Accuracy is not free: each point is a network with the ImageNet top-1 accuracy "
               "of torchvision's weights, its multiply-accumulates for one image and its "
               "parameters (the area of the dot). Hover for the details; counts are on logarithmic axes."))
    a, b = st.columns([1, 2])
    recipe = a.radio(_("Weights"), list(RECIPES), horizontal=True, key="arch-cmp-recipe",
                     format_func=lambda r: opt(RECIPES[r]))
    view = b.radio(_("View"), list(VIEWS), horizontal=True, key="arch-cmp-view", format_func=opt)
    rows = cached_comparison(recipe)
    figures.show(_scatter(rows, view), "arch-cmp-fig", width="stretch")
    figures.table(st,
        [{_("network"): r["title"], _("year"): r["year"], _("params"): r["params"],
          "GMACs": r["gmacs"], _("top-1 %"): r["top1"], _("top-5 %"): r["top5"],
          _("input px"): r["resolution"], _("file MB"): r["file_mb"], _("weights"): r["weights"]}
         for r in rows],
        hide_index=True, column_config={_("params"): LOCALIZED})
    v1 = cached_summary("mobilenet_v1", (3, 224, 224))
    st.caption(_(
        "MobileNet v1 and LeNet-5 have no torchvision weights, so no accuracy here. Our "
        "MobileNet v1 has {params} parameters and {macs} MACs "
        "(the paper: 4.2M and 569M, 70.6% top-1).").format(params=n(v1.total_params),
                                                            macs=human(v1.total_macs)))
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `core.architectures.comparison_table(recipe)` reads `weights.meta` of each "
            "torchvision weights enum (`num_params`, `_metrics['ImageNet-1K']['acc@1']`, "
            "`_ops`, `_file_size`) — shipped with torchvision, no download and no typed-in "
            "numbers. torchvision's `_ops` counts multiply-accumulates, the same convention "
            "as `summarize` (ResNet-50: 4.089 G in both).\n"
            "- *original* uses `IMAGENET1K_V1` (the paper's training); *best* uses the enum's "
            "`DEFAULT`, which for ResNet-50 and MobileNetV2 is a newer training recipe: same "
            "network, better accuracy."))


# where a label may go, in order of preference: plotly's textposition and the label box's
# offset from the dot (in label widths/heights and dot radii)
SPOTS = {"top center": (-0.5, 0, 1), "bottom center": (-0.5, -1, -1),
         "middle right": (0, -0.5, 0), "middle left": (-1, -0.5, 0),
         "top right": (0, 0, 1), "bottom right": (0, -1, -1), "top left": (-1, 0, 1),
         "bottom left": (-1, -1, -1)}
# px of the plotting area: the narrowest (1280 px with the sidebar open) and a wide one;
# labels must stay apart in both
# (presentation mode closes the sidebar: at 1280 px the plot is about 1050 px wide)
PLOT_WIDTHS = {False: (760, 1100), True: (1000, 1400)}


def plot_sizes(presenting: bool) -> tuple[int, list[tuple[int, int]]]:
    """The figure's height and the plotting area's (width, height) for each width allowed for:
    taller when presenting, where the labels are larger."""
    height = 700 if presenting else 520
    return height, [(w, height - (200 if presenting else 120)) for w in PLOT_WIDTHS[presenting]]


def _boxes_overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _box(x: float, y: float, r: float, spot: str, w: float, h: float):
    fx, fy, side = SPOTS[spot]
    x0 = x + fx * w + (r + 2) * (1 if fx == 0 else -1 if fx == -1 else 0)
    y0 = y + fy * h + side * (r + 1)
    return (x0, y0, x0 + w, y0 + h)


def label_boxes(layouts: list[list[tuple[float, float]]], texts: list[str], radii: list[float],
                font: float, sizes: list[tuple[int, int]]
                ) -> list[tuple[str, list[tuple[float, float, float, float]]]]:
    """A textposition for every label so that no two labels (nor a label and another dot)
    overlap where that can be avoided, in every one of ``layouts`` (the dots in pixels, x
    right, y up, for each plot size): greedy, biggest dot first, then a few passes that move
    any label still in a clash to its best spot. Returns per dot its textposition and its
    label box in each layout."""
    n = len(texts)
    dims = [(0.58 * font * len(t) + 2, 1.25 * font) for t in texts]
    boxes_of = {(i, spot): [_box(*px[i], radii[i], spot, *dims[i]) for px in layouts]
                for i in range(n) for spot in SPOTS}
    chosen: dict[int, str] = {}

    def cost(i: int, spot: str) -> int:
        total = 0
        for k, (px, (pw, ph)) in enumerate(zip(layouts, sizes)):
            box = boxes_of[i, spot][k]
            total += 10 * sum(_boxes_overlap(box, boxes_of[j, s][k]) for j, s in chosen.items()
                              if j != i)
            total += 10 * sum(_boxes_overlap(box, (x - r, y - r, x + r, y + r))
                              for j, ((x, y), r) in enumerate(zip(px, radii)) if j != i)
            total += box[0] < 0 or box[2] > pw or box[1] < 0 or box[3] > ph
        return total

    def best(i: int) -> str:
        return min(SPOTS, key=lambda spot: (cost(i, spot), list(SPOTS).index(spot)))

    for i in sorted(range(n), key=lambda i: -radii[i]):
        chosen[i] = best(i)
    for _unused in range(4):  # move what still clashes, now that every label has a place
        moved = False
        for i in range(n):
            if cost(i, chosen[i]) >= 10:
                spot = best(i)
                moved |= spot != chosen[i]
                chosen[i] = spot
        if not moved:
            break
    return [(chosen[i], boxes_of[i, chosen[i]]) for i in range(n)]


def pixels(xs, ys, xr, yr, ylog: bool, sizes) -> list[list[tuple[float, float]]]:
    """The dots in pixels for every plot size (axis ranges in log10 where log)."""
    def at(v, r, size, log):
        return ((np.log10(v) if log else v) - r[0]) / (r[1] - r[0]) * size
    return [[(at(x, xr, w, True), at(y, yr, h, ylog)) for x, y in zip(xs, ys)]
            for w, h in sizes]


def _scatter(rows: list[dict], view: str) -> go.Figure:
    fx, fy, xt, yt, ylog = VIEWS[view]
    s = figures.sizes()
    font = s.plot_font if s.presenting else 11
    xs, ys = [fx(r) for r in rows], [fy(r) for r in rows]
    # fixed ranges, so the label placement knows where every dot is drawn
    xr = (np.log10(min(xs) / 1.5), np.log10(max(xs) * 1.5))
    yr = ((np.log10(min(ys) / 1.5), np.log10(max(ys) * 1.5)) if ylog else
          (min(ys) - 0.08 * (max(ys) - min(ys)) - 1, max(ys) + 0.12 * (max(ys) - min(ys)) + 1))
    marker = [8 + 3 * np.sqrt(r["params"] / 1e6) for r in rows]
    texts = [r["title"].split(" (")[0] for r in rows]
    height, plots = plot_sizes(s.presenting)
    where = label_boxes(pixels(xs, ys, xr, yr, ylog, plots), texts, [m / 2 for m in marker], font,
                        plots)
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
            hovertemplate=_("<b>%{text}</b><br>%{customdata[0]:,} params<br>%{customdata[1]} "
                            "GMACs<br>top-1 %{customdata[2]:.2f}%<br>%{customdata[4]} px<br>"
                            "%{customdata[3]}<extra></extra>")))
    xv, xtext = log_ticks(10 ** xr[0], 10 ** xr[1])
    xt, yt = _(xt), _(yt)
    fig.update_xaxes(title=xt, type="log", range=list(xr), tickvals=xv, ticktext=xtext)
    if ylog:
        yv, ytext = log_ticks(10 ** yr[0], 10 ** yr[1])
        fig.update_yaxes(title=yt, type="log", range=list(yr), tickvals=yv, ticktext=ytext)
    else:
        fig.update_yaxes(title=yt, range=list(yr))
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 20, "b": 10},  # under the axis title,
                      legend={"orientation": "h", "y": -0.15 * s.scale})  # however large
    return fig
