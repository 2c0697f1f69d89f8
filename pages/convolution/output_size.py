"""Convolution › Output size: ⌊(n + 2p − f)/s⌋ + 1 worked out, with the window animated."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from core import convolution as cv
from dashboard.figures import HIGHLIGHT, fmt, show, sizes
from dashboard.i18n import N_, _, opt
from dashboard.widgets import how_it_works



def render() -> None:
    c = st.columns(5)
    n = c[0].number_input(_("n (input)"), min_value=1, max_value=4096, value=6, key="conv-n")
    f = c[1].number_input(_("f (filter)"), min_value=1, max_value=4096, value=3, key="conv-f")
    mode = c[2].selectbox(_("padding"), [N_("custom"), N_("valid (p = 0)"), N_("same (p = (f−1)/2)")],
                          key="conv-pmode", format_func=opt)
    if mode.startswith("valid"):
        p = 0
    elif mode.startswith("same"):
        p = cv.same_padding(int(f))
    else:
        p = c[2].number_input("p", min_value=0, max_value=1000, value=1, key="conv-p")
    s = c[3].number_input(_("s (stride)"), min_value=1, max_value=100, value=2, key="conv-s")
    n, f, p, s = int(n), int(f), int(p), int(s)
    out = cv.output_size(n, f, p, s)
    num = n + 2 * p - f
    st.latex(
        rf"n_{{out}} = \left\lfloor \frac{{{n} + 2\cdot{p} - {f}}}{{{s}}} \right\rfloor + 1"
        rf" = \left\lfloor \frac{{{num}}}{{{s}}} \right\rfloor + 1"
        rf" = \lfloor {fmt(num / s)} \rfloor + 1 = {out}"
    )
    c[4].metric(_("output"), f"{out}×{out}")
    left_over = num - (out - 1) * s
    if num % s:
        st.info(_(
            "(n + 2p − f)/s = {num}/{s} is not a whole number: after {steps} steps of {s} the "
            "next step would push the filter {past} pixel(s) past the padded edge, so "
            "that position is not computed — hence the floor. The last {left} "
            "row(s)/column(s) of the padded input are never seen (pink below)."
        ).format(num=num, s=s, steps=out - 1, past=s - left_over, left=left_over))
    same = f"p = {cv.same_padding(f)} → {cv.output_size(n, f, cv.same_padding(f), 1)}" \
        if f % 2 else _("impossible with an even f (p would not be whole)")
    st.markdown(
        f"**valid** (p = 0, s = 1): {n} − {f} + 1 = {cv.output_size(n, f, 0, 1) if f <= n else '—'}"
        f" · **same** (s = 1): {same}"
    )
    if n + 2 * p <= 24:
        show(window_animation(n, f, p, s), "size-anim")
        st.caption(_("Grey = padding, white = input, pink = never covered by the filter. "
                     "Press ▶ or drag the slider to move the window."))
    else:
        st.caption(_("The animation is drawn for n + 2p ≤ 24."))
    how_it_works(_(
        "- `core.convolution.output_size(n, f, p, s)` = ⌊(n + 2p − f)/s⌋ + 1; it raises "
        "`ValueError` with the rule when the filter does not fit, the stride is < 1 or the "
        "padding negative.\n- `core.convolution.same_padding(f)` = (f − 1)/2, only for odd "
        "f.\n- `core.convolution.window_positions(n, f, p, s)` gives the window offsets "
        "animated above."
    ))


def window_animation(n: int, f: int, p: int, s: int) -> go.Figure:
    """The padded input (``core.convolution.window_coverage``) with the window playing over it."""
    z = cv.window_coverage(n, f, p, s)  # 0 padding, 1 never covered (floor), 2 input
    size = z.shape[0]
    pos = cv.window_positions(n, f, p, s)
    k = sizes().scale  # presentation mode: larger cells, and room for the larger slider text
    cell = round(max(14, min(32, 420 // size)) * k)
    fig = go.Figure(go.Heatmap(
        z=z, colorscale=[[0, "#c4c8d0"], [0.5, "#f4b0b0"], [1, "#ffffff"]], zmin=0, zmax=2,
        showscale=False, xgap=1, ygap=1, hoverinfo="skip"))

    def rect(r, c):
        return {"type": "rect", "x0": c - 0.5, "x1": c + f - 0.5, "y0": r - 0.5,
                "y1": r + f - 0.5, "line": {"color": HIGHLIGHT, "width": sizes().line},
                "fillcolor": "rgba(245,166,35,0.25)"}

    frames = []
    at = _("window at ({r}, {c}) → output ({i}, {j})")
    for i, r in enumerate(pos):
        for j, c in enumerate(pos):
            frames.append(go.Frame(name=f"{i * len(pos) + j + 1}", layout={
                "shapes": [rect(r, c)],
                "title": {"text": at.format(r=r, c=c, i=i, j=j)}}))
    fig.frames = frames
    fig.update_layout(
        shapes=[rect(pos[0], pos[0])], height=size * cell + round(165 * k),
        width=max(size * cell + 20, round(340 * k)),
        margin={"l": 10, "r": max(10, round(330 * k) - size * cell), "t": round(30 * k),
                "b": round(130 * k)},
        title={"text": at.format(r=0, c=0, i=0, j=0), "font": {"size": round(13 * k)}, "x": 0,
               "xanchor": "left"},
        plot_bgcolor="#9aa1ad", paper_bgcolor="rgba(0,0,0,0)",
        updatemenus=[{
            "type": "buttons", "showactive": False, "x": 0, "y": -0.02, "xanchor": "left",
            "yanchor": "top", "direction": "left",
            "buttons": [
                {"label": "▶ " + _("Play"), "method": "animate",
                 "args": [None, {"frame": {"duration": 350, "redraw": True},
                                 "transition": {"duration": 0}, "fromcurrent": True}]},
                {"label": "❚❚", "method": "animate",
                 "args": [[None], {"frame": {"duration": 0}, "mode": "immediate"}]},
            ],
        }],
        sliders=[{
            "x": 0, "len": 1, "y": -0.02, "yanchor": "top", "pad": {"t": round(42 * k)},
            "currentvalue": {"prefix": _("step") + " ", "font": {"size": 12}},
            "steps": [{"label": fr.name, "method": "animate",
                       "args": [[fr.name], {"frame": {"duration": 0, "redraw": True},
                                            "mode": "immediate"}]} for fr in frames],
        }],
    )
    fig.update_xaxes(visible=False, range=[-0.5, size - 0.5], fixedrange=True)
    fig.update_yaxes(visible=False, range=[size - 0.5, -0.5], fixedrange=True,
                     scaleanchor="x", scaleratio=1)
    return fig
