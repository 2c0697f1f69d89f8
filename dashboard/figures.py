"""Every figure more than one tab draws: number matrices, heatmaps, loss curves, confusion
matrices, and the one place that owns their sizes in normal and presentation mode.

Pages build a figure here (or with plotly directly) and show it with :func:`show`, which applies
:func:`sizes` to any figure: in presentation mode no title, tick, axis title, legend, annotation,
slider or text in a figure is drawn under 18 px, and no number in a matrix cell under 20 px.
A page that must call ``st.plotly_chart`` itself passes the figure through :func:`styled` first.
Several matrices side by side go in a :func:`row`, and several formulas in :func:`formulas`:
both wrap instead of clipping when the main column is narrow (1280 px with the sidebar open).
``sizes().scale`` is also the factor pages hand to ``core`` drawing functions for box lines and
labels in pictures. The maths behind the numbers stays in ``core``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from dashboard import urlstate
from dashboard.i18n import N_, _, tr

DIVERGING = "RdBu_r"  # blue negative, white zero, red positive (same as core.convolution.signed_to_rgb)
GREY = "gray"
HIGHLIGHT = "#f5a623"
PLOT_CONFIG = {"displayModeBar": False}


@dataclass(frozen=True)
class Sizes:
    """Pixel sizes of figure text and marks; presentation mode makes them legible from the back."""
    cell: int            # px per matrix cell
    cell_font: int       # numbers in matrix cells
    title_font: int      # figure titles
    plot_font: int       # axes, legends, ticks
    line: int            # box and highlight outline width
    scale: float         # factor for anything else (box lines and labels in pictures, heights)
    presenting: bool = False  # cell_font and plot_font are floors: nothing in a figure is smaller


NORMAL = Sizes(cell=34, cell_font=13, title_font=14, plot_font=12, line=4, scale=1.0)
PRESENTING = Sizes(cell=48, cell_font=20, title_font=22, plot_font=18, line=6, scale=1.5,
                   presenting=True)


def sizes() -> Sizes:
    """The sizes for this view (presentation mode follows ``?present=1``)."""
    try:
        return PRESENTING if urlstate.presenting() else NORMAL
    except Exception:  # noqa: BLE001 - outside a Streamlit run (a notebook): normal sizes
        return NORMAL


def fmt(v: float) -> str:
    """A matrix cell: integers as integers, others with at most two decimals, NaN empty."""
    if np.isnan(v):
        return ""
    if float(v).is_integer():
        return f"{int(v)}"
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _width(text: str) -> int:
    """A title's length in half-width characters (Hangul and other wide glyphs count two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def latex_matrix(m) -> str:
    rows = [" & ".join(fmt(v) for v in row) for row in np.asarray(m, dtype=float)]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def _at_least(font, size: int, unset: bool = False) -> None:
    """Raise a plotly font object's size to ``size`` when it is set smaller (unset sizes follow
    the layout font, which :func:`styled` sets, or get ``size`` when ``unset``)."""
    if font is None:
        return
    current = font.size
    if current is None:
        if unset:
            font.size = size
        return
    if isinstance(current, (list, tuple)):
        font.size = [max(v, size) if v is not None else size for v in current]
    elif current < size:
        font.size = size


def styled(fig: go.Figure) -> go.Figure:
    """Apply :func:`sizes` to any figure: the layout font, and in presentation mode a floor under
    every text the figure draws (title, axes, legend, annotations, colour bars, sliders, buttons,
    text on traces; numbers in heatmap cells get the matrix floor)."""
    s = sizes()
    from dashboard import i18n

    fig.update_layout(font={"size": s.plot_font})
    if i18n.current() != i18n.DEFAULT:  # Korean titles and axes need a font with Hangul; English
        fig.update_layout(font_family=i18n.HANGUL_FONT)  # keeps Streamlit's (narrower) one
    if not s.presenting:
        return fig
    lay = fig.layout
    if lay.title is not None and lay.title.text:
        _at_least(lay.title.font, s.title_font)
    # Streamlit's chart theme draws unset tick labels at 0.875 of the layout font: set them
    for ax in (*fig.select_xaxes(), *fig.select_yaxes()):
        # a log axis labels the digits between powers of ten at 3/4 of the tick font: only the
        # 2s and 5s then (a larger font otherwise makes plotly label every digit, overlapping)
        log = ax.type == "log" and (ax.dtick is None or str(ax.dtick).startswith("D"))
        if log and ax.dtick is None:
            ax.dtick = "D2"
        _at_least(ax.tickfont, round(s.plot_font / 0.75) if log else s.plot_font, unset=True)
        if ax.title is not None:
            _at_least(ax.title.font, s.plot_font)
    for scene in fig.select_scenes():
        for ax in (scene.xaxis, scene.yaxis, scene.zaxis):
            _at_least(ax.tickfont, s.plot_font, unset=True)
            _at_least(ax.title.font, s.plot_font)
    _at_least(lay.legend.font, s.plot_font, unset=True)
    _at_least(lay.legend.title.font, s.plot_font)
    for a in lay.annotations:
        _at_least(a.font, s.plot_font)
    for group in (lay.sliders, lay.updatemenus):
        for item in group:
            _at_least(item.font, s.plot_font)
            if getattr(item, "currentvalue", None) is not None:
                _at_least(item.currentvalue.font, s.plot_font)
    if lay.coloraxis is not None and lay.coloraxis.colorbar is not None:
        _at_least(lay.coloraxis.colorbar.tickfont, s.plot_font, unset=True)
    for t in fig.data:
        cells = t.type in ("heatmap", "table")
        for name in ("textfont", "insidetextfont", "outsidetextfont"):
            if name in t:
                _at_least(t[name], s.cell_font if cells else s.plot_font, unset=cells)
        if "colorbar" in t and t.colorbar is not None:
            _at_least(t.colorbar.tickfont, s.plot_font, unset=True)
            _at_least(t.colorbar.title.font, s.plot_font)
    return fig


def show(fig: go.Figure, key: str | None = None, *, slot=None, width: str = "content",
         height: int | None = None) -> None:
    """Show a plotly figure (no mode bar) in the page or in ``slot`` (an ``st.empty``/column),
    sized for the view (:func:`styled`); ``height`` is in normal-mode pixels and grows with
    ``sizes().scale`` in presentation mode."""
    if height:
        fig.update_layout(height=round(height * sizes().scale))
    styled(fig)
    target = slot if slot is not None else st
    kw = {"key": key} if key else {}
    target.plotly_chart(fig, width=width, config=PLOT_CONFIG, **kw)


def row(gap: str | int | None = "xsmall"):
    """A row of figures (use as ``with figures.row(): show(...); show(...)``) that wraps onto the
    next line when the main column is too narrow, instead of clipping or overlapping the way
    fixed ``st.columns`` do. Each figure keeps its own width; nest ``st.container(width="content")``
    to keep a group together."""
    return st.container(horizontal=True, gap=gap, vertical_alignment="top")


def diagram(dot: str, scale: bool = True) -> str:
    """A Graphviz source ready to show: its ``fontsize`` values scaled for the view (presentation
    mode: × ``sizes().scale``) for a diagram shown at its own size (``width="content"``;
    ``scale=False`` for one stretched to the column), and its boxes wide enough for Hangul."""
    k = sizes().scale if scale else 1
    if k != 1:
        dot = re.sub(r"fontsize=(\d+(?:\.\d+)?)", lambda m: f"fontsize={float(m.group(1)) * k:g}", dot)
    return fit_wide_labels(dot)


_WIDE = re.compile(r"[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7a3\uf900-\ufaff\uff00-\uffef]")
_LABEL = re.compile(r'label="((?:[^"\\]|\\.)*)"')
_NODE_START = re.compile(r'^\s*(?:"[^"]*"|\w+)\s*\[')
_FONTSIZE = re.compile(r"fontsize=(\d+(?:\.\d+)?)")


def _em(line: str) -> float:
    """A line's width in ems as a browser draws it (Hangul and CJK about 1 em wide)."""
    return sum(1.0 if _WIDE.match(c) else 0.3 if c == " " else 0.6 for c in line)


def fit_wide_labels(dot: str) -> str:
    """Graphviz (viz.js in the browser) sizes a box from Latin font metrics, so a Korean label
    is measured at about half its width and spills out of its box. Give every node whose label
    has Hangul (or other wide characters) a ``width`` from the label's drawn width instead."""
    if not _WIDE.search(dot):
        return dot
    found = _FONTSIZE.search(dot[dot.find("node [") :]) if "node [" in dot else None
    default = float(found.group(1)) if found else 14.0
    out, last = [], 0
    for m in _LABEL.finditer(dot):
        label = m.group(1)
        start = dot.rfind("\n", 0, m.start()) + 1
        prefix = dot[start:m.start()]
        if not _WIDE.search(label) or not _NODE_START.match(prefix) or "->" in prefix or "--" in prefix:
            continue
        end = dot.find("\n", m.end())
        own = _FONTSIZE.search(dot[start:end if end >= 0 else len(dot)])
        size = float(own.group(1)) if own else default
        lines = label.replace("\\l", "\\n").replace("\\r", "\\n").split("\\n")
        inches = max(_em(line) for line in lines if _WIDE.search(line)) * size / 72 + 0.3
        out.append(dot[last:m.start()])
        out.append(f"width={inches:.2f}, ")
        last = m.start()
    out.append(dot[last:])
    return "".join(out)


def formulas(*parts: str) -> None:
    """Display formulas side by side, each kept whole, wrapping onto the next line when they do
    not fit (one ``st.latex`` with ``\\qquad`` between them is cut off instead)."""
    with st.container(horizontal=True, horizontal_alignment="center", vertical_alignment="center",
                      gap="xxsmall"):
        for i, p in enumerate(parts):  # the space between them goes at the end of a line
            st.latex(p + (r"\qquad" if i < len(parts) - 1 else ""), width="content")


# --------------------------------------------------------------------------- matrices

def matrix(m, *, title: str | None = None, scale: str = DIVERGING, zmid: float | None = 0.0,
           zrange: tuple[float, float] | None = None, boxes=(), fmt: Callable[[float], str] = fmt,
           cell: int | None = None, font: int | None = None, dashed=()) -> go.Figure:
    """A small matrix as a grid of square cells with its numbers written in them.

    ``boxes``: (row, col, h, w[, colour]) outlines; ``dashed``: (row, col, h, w) dashed ones.
    ``zmid`` centres a diverging scale on that value; ``zrange`` fixes it instead.
    """
    s = sizes()
    title = tr(title) if title else title    # the page's title (marked or translated), or a Msg
    cell = round((cell or NORMAL.cell) * s.cell / NORMAL.cell)
    font = round((font or NORMAL.cell_font) * s.cell_font / NORMAL.cell_font)
    z = np.asarray(m, dtype=float)
    if z.ndim == 1:
        z = z[None, :]
    text = [[fmt(v) for v in row] for row in z]
    if s.presenting:  # the floor, and cells wide enough for the longest number at that size
        font = max(font, s.cell_font)
        longest = max((len(t) for r in text for t in r), default=1)
        cell = max(cell, round(font * (0.62 * max(longest, 2) + 0.6)))
    kw = {}
    if zrange is not None:
        kw.update(zmin=zrange[0], zmax=zrange[1])
    elif zmid is not None:
        lim = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
        kw.update(zmin=-(lim or 1.0), zmax=lim or 1.0)
    fig = go.Figure(
        go.Heatmap(z=z, text=text, texttemplate="%{text}", textfont={"size": font},
                   colorscale=scale, showscale=False, xgap=1, ygap=1,
                   hovertemplate=_("row %{y}, col %{x}: %{z}") + "<extra></extra>", **kw))
    for b in boxes:
        r, c, h, w = b[:4]
        colour = b[4] if len(b) > 4 else HIGHLIGHT
        fig.add_shape(type="rect", x0=c - 0.5, x1=c + w - 0.5, y0=r - 0.5, y1=r + h - 0.5,
                      line={"color": colour, "width": s.line})
    for r, c, h, w in dashed:
        fig.add_shape(type="rect", x0=c - 0.5, x1=c + w - 0.5, y0=r - 0.5, y1=r + h - 0.5,
                      line={"color": "#333", "width": max(2, s.line // 2), "dash": "dash"})
    rows, cols = z.shape
    title_font = round(13 * s.title_font / NORMAL.title_font)
    top = round(26 * s.scale) if title else 2
    # plotly renders at least 150 px wide; long titles need room too
    width = max(cols * cell + 4, 150, 12 + round(0.54 * title_font) * _width(title or ""))
    # fixed pixel sizes (no scaleanchor) so every cell is a square of `cell` px
    fig.update_layout(
        title={"text": title, "font": {"size": title_font}, "x": 0, "xanchor": "left", "y": 1,
               "yanchor": "top", "pad": {"t": 4}} if title else None,
        height=rows * cell + top + 2, width=width,
        margin={"l": 2, "r": width - 2 - cols * cell, "t": top, "b": 2},
        plot_bgcolor="#eef0f4", paper_bgcolor="rgba(0,0,0,0)")
    fig.update_xaxes(visible=False, range=[-0.5, cols - 0.5], fixedrange=True)
    fig.update_yaxes(visible=False, range=[rows - 0.5, -0.5], fixedrange=True)
    return fig


def heatmap(values, title: str = "", *, annotate: bool = True, text=None, highlight=None,
            patch=None, colorscale: str = "Blues", height: int = 260, zmin=None, zmax=None,
            square: bool = True, hover: str = N_("row %{y}, col %{x}: %{z:.3g}<extra></extra>"),
            gap: int = 2, ticks: bool = False, x_title: str | None = None,
            y_title: str | None = None, colorbar: str | None = None,
            zmid: float | None = None) -> go.Figure:
    """A heatmap of any size, its values (or ``text``) written in the cells when ``annotate``.

    ``highlight``/``patch``: (r0, r1, c0, c1) outlines, solid red and dotted blue. ``ticks`` shows
    row and column numbers (and tick marks); ``colorbar`` (its title) shows the colour scale;
    ``zmid`` centres the colour scale on that value (symmetric limits).
    """
    s = sizes()
    title, hover, x_title, y_title, colorbar = (tr(t) if t else t for t in (title, hover, x_title, y_title,
                                                                               colorbar))
    v = np.asarray(values, dtype=float)
    if zmid is not None and zmin is None and zmax is None:
        lim = float(np.nanmax(np.abs(v - zmid))) if np.isfinite(v).any() else 1.0
        zmin, zmax = zmid - (lim or 1.0), zmid + (lim or 1.0)
    if text is None and annotate:
        text = [[f"{x:g}" for x in row] for row in v]
    fig = go.Figure(go.Heatmap(z=v, text=text, texttemplate="%{text}" if annotate else None,
                               textfont={"size": s.cell_font} if annotate else None,
                               colorscale=colorscale, showscale=colorbar is not None,
                               colorbar=dict(title=colorbar) if colorbar is not None else None,
                               xgap=gap, ygap=gap, zmin=zmin, zmax=zmax, hovertemplate=hover))
    if highlight is not None:
        r0, r1, c0, c1 = highlight
        fig.add_shape(type="rect", x0=c0 - 0.5, x1=c1 - 0.5, y0=r0 - 0.5, y1=r1 - 0.5,
                      line=dict(color="#e53935", width=s.line - 1))
    if patch is not None:
        r0, r1, c0, c1 = patch
        fig.add_shape(type="rect", x0=c0 - 0.45, x1=c1 - 0.55, y0=r0 - 0.45, y1=r1 - 0.55,
                      line=dict(color="#1e88e5", width=s.line - 1, dash="dot"))
    top = 36 + title.count("<br>") * round(1.3 * s.title_font) if title else 10  # a line per <br>
    fig.update_layout(title=dict(text=title, font=dict(size=s.title_font)) if title else None,
                      height=round(height * s.scale) + top - (36 if title else 10),
                      margin=dict(l=10, r=10, t=top, b=10))
    ticks = ticks or bool(x_title or y_title)
    marks = {"showticklabels": ticks, **({} if ticks else {"ticks": ""})}
    fig.update_yaxes(autorange="reversed", title=y_title, **marks,
                     **({"scaleanchor": "x"} if square else {}))
    fig.update_xaxes(title=x_title, **marks)
    return fig


def confusion(cm, labels: Sequence | None = None, *, title: str = N_("confusion matrix"),
              height: int = 420, width: int | None = 440, x_title: str = N_("predicted"),
              y_title: str = N_("true")) -> go.Figure:
    """A confusion matrix: rows true class, columns predicted, counts written in the cells."""
    s = sizes()
    title, x_title, y_title = (tr(t) for t in (title, x_title, y_title))
    cm = np.asarray(cm)
    labels = list(labels) if labels is not None else list(range(cm.shape[0]))
    fig = go.Figure(go.Heatmap(
        z=cm, x=labels, y=labels, colorscale="Blues", showscale=False, text=cm,
        texttemplate="%{text}", textfont={"size": s.cell_font}, xgap=1, ygap=1,
        hovertemplate=f"{y_title} %{{y}}, {x_title} %{{x}}: %{{z}}<extra></extra>"))
    fig.update_xaxes(title=x_title, dtick=1, side="top")
    fig.update_yaxes(title=y_title, dtick=1, autorange="reversed")
    fig.update_layout(height=round(height * s.scale), width=round(width * s.scale) if width else None,
                      margin={"l": 10, "r": 10, "t": 60, "b": 10},
                      title={"text": title, "font": {"size": s.title_font}, "y": 0.99})
    return fig


# --------------------------------------------------------------------------- curves

@dataclass(frozen=True)
class Curve:
    """One line of a loss plot. ``axis="y2"`` puts it on the right-hand axis; ``panel`` picks
    a side-by-side panel (0-based) when the plot has ``panels`` > 1."""
    name: str
    x: Sequence[float]
    y: Sequence[float]
    colour: str | None = None
    dash: str | None = None
    mode: str = "lines"
    axis: str = "y"
    panel: int = 0


def loss_curves(curves: Iterable[Curve], *, title: str | None = None, x_title: str = N_("step"),
                y_title: str = N_("loss"), log_y: bool = False, height: int = 280,
                y2_title: str | None = None, y2_range=None, y2_ticks: Sequence[float] | None = None,
                y_range=None, hline=None,
                panels: Sequence[str] = (), legend_y: float | None = -0.3, y_format: Sequence[str | None] = (),
                dtick=None) -> go.Figure:
    """Training or optimisation curves: any number of named lines, an optional second y axis,
    an optional horizontal reference line ``hline=(y, text)``, or side-by-side ``panels``."""
    s = sizes()
    curves = list(curves)
    # the page's texts (marked N_, already translated, or a core Msg) in the visitor's language
    title, x_title, y_title, y2_title = (tr(t) if t else t for t in (title, x_title, y_title, y2_title))
    panels = [tr(p) for p in panels]
    if panels:
        from plotly.subplots import make_subplots

        fig = make_subplots(rows=1, cols=len(panels), subplot_titles=tuple(panels))
    else:
        fig = go.Figure()
    for c in curves:
        line = {k: v for k, v in (("color", c.colour), ("dash", c.dash)) if v}
        trace = go.Scatter(x=list(c.x), y=list(c.y), name=tr(c.name), mode=c.mode, line=line or None,
                           marker={"size": 4} if "markers" in c.mode else None,
                           yaxis=c.axis if c.axis != "y" and not panels else None)
        if panels:
            fig.add_trace(trace, row=1, col=c.panel + 1)
        else:
            fig.add_trace(trace)
    if hline is not None:
        y, text = hline
        fig.add_hline(y=y, line_dash="dot", line_color="#bbb", annotation_text=tr(text),
                      annotation_position="bottom right")
    layout = dict(height=round(height * s.scale), margin=dict(l=10, r=10, t=40 if title else 30, b=10))
    if legend_y is not None:  # None: plotly's own legend at the right
        layout["legend"] = dict(orientation="h", y=legend_y)
    if title:
        layout["title"] = dict(text=title, font=dict(size=s.title_font))
    if not panels:
        layout.update(xaxis_title=x_title, yaxis=dict(title=y_title))
        if log_y:
            layout["yaxis"]["type"] = "log"
            layout["yaxis"].update(decade_ticks([v for c in curves if c.axis == "y" for v in c.y]))
        if y_range is not None:
            layout["yaxis"]["range"] = list(y_range)
        if any(c.axis == "y2" for c in curves):
            layout["yaxis2"] = dict(title=y2_title, overlaying="y", side="right", showgrid=False,
                                    **({"range": list(y2_range)} if y2_range is not None else {}),
                                    **({"tickmode": "array", "tickvals": list(y2_ticks)}
                                       if y2_ticks is not None else {}))
    else:
        fig.update_xaxes(title=x_title, dtick=dtick)
        for i, f in enumerate(y_format):
            if f:
                fig.update_yaxes(tickformat=f, row=1, col=i + 1)
    fig.update_layout(**layout)
    return fig


def decade_ticks(values) -> dict:
    """A log axis over many decades labelled at powers of ten only (every k-th one, about six
    labels at most): plotly's own 2s and 5s between them pile up into an unreadable column."""
    positive = [float(v) for v in values if v is not None and np.isfinite(v) and v > 0]
    if not positive:
        return {}
    span = np.log10(max(positive)) - np.log10(min(positive))
    if span <= 3:   # a few decades: plotly's 1-2-5 labels are readable and help
        return {}
    return {"dtick": max(1, int(np.ceil(span / 6))), "exponentformat": "power"}


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _tick_label(v: float, powers: bool = False) -> str:
    """A tick written out (0.05, 200, 10,000); far from 1, or with ``powers``, as a power of ten
    (10⁻¹⁰, 2×10⁸; 1 and 10 stay 1 and 10)."""
    if 1e-4 <= v < 1e7 and not (powers and not 1 <= v <= 10):
        return f"{v:,.0f}" if v >= 1 else f"{v:.{max(0, -int(np.floor(np.log10(v))))}f}"
    k = int(np.floor(np.log10(v) + 1e-9))
    m = round(v / 10.0 ** k)
    return ("" if m == 1 else f"{m}×") + "10" + str(k).translate(_SUPERSCRIPT)


def log_ticks(lo: float, hi: float, most: int = 7) -> tuple[list[float], list[str]]:
    """Ticks for a log axis from ``lo`` to ``hi`` (> 0), for ``tickvals``/``ticktext``: 1-2-5 in
    every decade when the range spans at most three, powers of ten otherwise (every k-th one,
    ``most`` labels at most: twelve decades of a loss that starts at 0 read 10⁻¹⁰ … 100, not
    twelve crowded rows); labels written out, never plotly's bare "2 5 2 5" minor digits."""
    lo, hi = float(min(lo, hi)), float(max(lo, hi))
    if not lo > 0:
        raise ValueError(f"A log axis needs positive values; got {lo!r}.")
    first, last = int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi)))
    if last - first <= 3:
        vals = [m * 10.0 ** e for e in range(first, last + 1) for m in (1, 2, 5)]
    else:
        top = int(np.floor(np.log10(hi * 1.05)))          # the highest power on the axis is labelled
        every = max(1, int(np.ceil((top - first + 1) / most)))
        vals = [10.0 ** e for e in range(top, first - 1, -every)][::-1]
    inside = [v for v in vals if lo / 1.05 <= v <= hi * 1.05]
    if len(inside) < 2:        # a narrow range: the neighbours around it
        inside = [v for v in vals if v < lo][-1:] + inside + [v for v in vals if v > hi][:1]
    # powers of ten only: all written as powers once one of them must be (not 0.001 next to 10⁻⁵)
    powers = last - first > 3 and any(not 1e-4 <= v < 1e7 for v in inside)
    return inside, [_tick_label(v, powers) for v in inside]


def _cell(v) -> str:
    """One table cell as the dataframe would show it: floats to at most 3 decimals, no trailing
    zeros; large numbers with thousands separators."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (float, np.floating)):
        text = str(v)
        # st.table reads cells as markdown: "+ skip" would become a bulleted list
        return "\\" + text if text[:2] in ("+ ", "- ", "* ") else text
    if not np.isfinite(v):
        return "" if np.isnan(v) else str(v)
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3f}".rstrip("0").rstrip(".") if v != 0 else "0"


def table(where, data, *, hide_index: bool | None = None, height: int | str | None = None,
          width: int | str = "stretch", column_config: dict | None = None, **kw):
    """A table in ``where`` (``st`` or a column): ``st.dataframe`` (sortable, scrollable), but in
    presentation mode ``st.table``, whose text grows with the page — the dataframe is drawn on a
    canvas and stays about 14 px on a projector whatever the CSS says."""
    if not sizes().presenting:
        extra = {k: v for k, v in (("hide_index", hide_index), ("height", height),
                                   ("column_config", column_config)) if v is not None}
        return where.dataframe(data, width=width, **extra, **kw)
    import pandas as pd

    df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    style = df.style.format(_cell)
    if hide_index or (hide_index is None and isinstance(df.index, pd.RangeIndex)):
        style = style.hide(axis="index")
    return where.table(style)
