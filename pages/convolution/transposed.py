"""Convolution › Transposed conv: each input cell paints a scaled filter onto the output.

The Segmentation page's transposed tab draws with the same pieces (``settings``, ``formula``,
``pictures``, ``link``), so both tabs show one convention: PyTorch's
n_out = (n − 1)·s + f − 2p + out_pad, the copies painted s cells apart, and the same result as
zeros inserted between the input cells followed by an ordinary convolution.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from core import convolution as cv
from dashboard import nav
from dashboard.figures import fmt, matrix, row, show
from dashboard.i18n import N_, _, ngettext, opt
from dashboard.widgets import how_it_works

VIEWS = (N_("paint copies s cells apart (the notes)"), N_("insert zeros, then an ordinary convolution"))
# the other tab on the other page: (url, tab key prefix, tab title, link label)
OTHER = {"conv": ("segmentation", "seg-", "Transposed convolution",
                  N_("Segmentation › Transposed convolution: the same step as a U-Net's up-sampling")),
         "seg": ("convolution", "conv-", "Transposed conv",
                 N_("Convolution lab › Transposed conv: the same step on the notes' example"))}


def render() -> None:
    st.write(_("The reverse of a regular convolution: the input is smaller than the filter. "
               "Each input cell paints a copy of the filter, scaled by its value, onto the output "
               "s cells apart; overlaps add up; then p rows/columns are cropped from each side. "
               "U-Net uses it to upsample."))
    x, k = cv.TRANSPOSE_INPUT, cv.TRANSPOSE_KERNEL
    c = st.columns(4)
    s, p, op = settings("conv-t", 2, 3, c[:3], default_p=1, default_op=1)  # 2×2 → 4×4
    out = cv.conv_transpose2d(x, k, s, p, op)
    c[3].metric(_("output"), f"{out.shape[0]}×{out.shape[1]}")
    st.latex(formula(2, 3, p, s, op))
    pictures(x, k, s, p, op, out, "conv-t")
    link("conv")
    how_it_works(_(
        "- `core.convolution.conv_transpose2d(x, k, stride, padding, output_padding)` "
        "scatters x[i, j]·k at (i·s, j·s) for all cells at once (one add per filter tap) "
        "and crops; the tests check it against `torch.nn.functional.conv_transpose2d`.\n"
        "- `core.convolution.conv_transpose2d_steps` yields each cell's painted patch and "
        "the canvas after it.\n"
        "- `core.convolution.zero_insertion(x, k, stride, padding, output_padding)` builds the "
        "zero-inserted, zero-padded input and the turned filter; `conv2d` of the two is the same "
        "output (the tests check it for every small geometry)."
    ))


def _clamp(key: str, lo: int, hi: int) -> None:
    """Keep a number input's remembered value inside bounds that depend on other inputs."""
    v = st.session_state.get(key)
    if isinstance(v, (int, float)) and not lo <= v <= hi:
        st.session_state[key] = min(max(int(v), lo), hi)


def settings(key: str, n: int, f: int, cols, default_p: int = 0,
             default_op: int = 0) -> tuple[int, int, int]:
    """Stride, output padding and padding, each constrained by the others: output padding
    < s (none at stride 1), and 2p < (n − 1)·s + f + out_pad (something is left)."""
    s = int(cols[0].number_input(_("stride s"), 1, 4, 2, key=f"{key}-s",
                                 help=_("How many cells apart the copies are painted.")))
    _clamp(f"{key}-op", 0, s - 1)
    op = int(cols[1].number_input(
        _("output padding"), 0, s - 1, min(default_op, s - 1), key=f"{key}-op", disabled=s == 1,
        help=_("Extra rows/columns at the bottom/right; it must be smaller than the stride, so "
               "stride 1 has none. A stride-s convolution maps s input sizes to one output size; "
               "the output padding picks which of them to give back.")))
    p_max = cv.max_transposed_padding(n, f, s, op)
    _clamp(f"{key}-p", 0, p_max)
    p = int(cols[2].number_input(
        _("padding p"), 0, p_max, min(default_p, p_max), key=f"{key}-p",
        help=_("Rows/columns cropped from every side of the painted canvas; at most {p_max} here "
               "(2p must be less than (n − 1)·s + f + out_pad).").format(p_max=p_max)))
    return s, p, op


def formula(n: int, f: int, p: int, s: int, op: int) -> str:
    return cv.transposed_formula(n, f, p, s, op)


def _cell(cols: int) -> tuple[int, int]:
    """Cell and font size so that the widest matrix stays on screen."""
    cell = int(np.clip(560 // max(cols, 1), 18, 32))
    return cell, 13 if cell >= 28 else 11


def pictures(x: np.ndarray, k: np.ndarray, s: int, p: int, op: int, out: np.ndarray,
             key: str) -> None:
    """The two views of one transposed convolution, with a slider through its steps."""
    view = st.radio(_("View"), VIEWS, horizontal=True, key=f"{key}-view", format_func=opt,
                    help=_("Both give the same output; the tests check it."))
    if view == VIEWS[0]:
        _painting(x, k, s, p, op, out, key)
    else:
        _zeros(x, k, s, p, op, out, key)


def _painting(x, k, s, p, op, out, key) -> None:
    steps = list(cv.conv_transpose2d_steps(x, k, s, p, op))
    if len(steps) > 1:
        _clamp(f"{key}-step", 1, len(steps))
        idx = st.slider(_("Input cell"), 1, len(steps), 1, key=f"{key}-step",
                        help=_("Each input cell adds value × filter at (i·s, j·s) of the canvas.")) - 1
    else:
        idx = 0
        st.caption(_("A 1×1 input paints one copy of the filter."))
    step = steps[idx]
    r0, r1, c0, c1 = step.crop
    f = k.shape[0]
    hi = float(max(np.abs(out).max(), np.abs(steps[-1].canvas).max(), 1))  # one colour range
    cell, font = _cell(step.canvas.shape[1])
    kw = dict(scale="Blues", zmid=None, zrange=(0, hi), cell=cell, font=font)
    i, j = step.in_pos
    with row("xxsmall"):  # the small matrices' own margins space them; wraps when narrow
        show(matrix(x, title=_("input {h}×{w}").format(h=x.shape[0], w=x.shape[1]), boxes=[(i, j, 1, 1)], **kw),
             f"{key}-in")
        show(matrix(k, title=_("filter {f}×{f}").format(f=f), scale="Blues", zmid=None, cell=cell, font=font,
                    zrange=(0, max(float(np.abs(k).max()), 1))), f"{key}-k")
        show(matrix(step.patch, title=_("{value} × filter").format(value=fmt(step.value)), **kw), f"{key}-patch")
        show(matrix(step.canvas, title=_("canvas after cell ({i}, {j})").format(i=i, j=j),
                    boxes=[(*step.full_pos, f, f)], dashed=[(r0, c0, r1 - r0, c1 - c0)], **kw),
             f"{key}-canvas")
        so_far = step.canvas[r0:r1, c0:c1]
        done = idx == len(steps) - 1
        title = (_("output {h}×{w}") if done else _("output {h}×{w} so far")).format(
            h=out.shape[0], w=out.shape[1])
        show(matrix(so_far, title=title,
                    **kw), f"{key}-out")
    where = (_("Cell ({i}, {j}) paints its copy at ({i}·{s}, {j}·{s}) = {pos} (orange). The dashed "
               "square is the output: the canvas minus p = {p} from every side, plus {op} "
               "row/column of output padding at the bottom/right.") if op else
             _("Cell ({i}, {j}) paints its copy at ({i}·{s}, {j}·{s}) = {pos} (orange). The dashed "
               "square is the output: the canvas minus p = {p} from every side.")
             ).format(i=i, j=j, s=s, pos=step.full_pos, p=p, op=op)
    overlap = (_("Where copies overlap (f > s) the cells are sums.") if f > s else
               _("With f ≤ s the copies do not overlap.") if f == s else
               _("With f < s the copies leave gaps of zeros between them."))
    st.caption(f"{where} {overlap}")


def _zeros(x, k, s, p, op, out, key) -> None:
    z = cv.zero_insertion(x, k, s, p, op)
    steps = list(cv.conv2d_steps(z.grid, z.flipped))
    _clamp(f"{key}-zstep", 1, len(steps))
    idx = st.slider(_("Output cell"), 1, len(steps), 1, key=f"{key}-zstep") - 1 if len(steps) > 1 else 0
    step = steps[idx]
    f = k.shape[0]
    hi = float(max(np.abs(out).max(), np.abs(x).max(), 1))
    cell, font = _cell(z.grid.shape[1])
    kw = dict(scale="Blues", zmid=None, zrange=(0, hi), cell=cell, font=font)
    cells = [(r, c, 1, 1, "#2166ac") for r, c in z.cells]
    with row("xxsmall"):
        show(matrix(z.grid, title=_("input with zeros {h}×{w}").format(h=z.grid.shape[0], w=z.grid.shape[1]),
                    boxes=cells + [(*step.in_pos, f, f)], **kw), f"{key}-zgrid")
        show(matrix(z.flipped, title=_("filter turned 180°"), scale="Blues", zmid=None, cell=cell,
                    font=font, zrange=(0, max(float(np.abs(k).max()), 1))), f"{key}-zk")
        show(matrix(step.products, title=_("products, Σ = {sum}").format(sum=fmt(step.value)), **kw), f"{key}-zprod")
        show(matrix(out, title=_("output {h}×{w}").format(h=out.shape[0], w=out.shape[1]),
                    boxes=[(*step.out_pos, 1, 1)], **kw), f"{key}-zout")
    gaps = ngettext("{n} zero between neighbouring input cells (s − 1)",
                    "{n} zeros between neighbouring input cells (s − 1)", s - 1).format(n=s - 1) \
        if s > 1 else _("no zeros between the cells (s = 1)")
    border = (_("{n} zero row(s)/column(s) around (f − 1 − p)").format(n=z.border) if z.border > 0 else
              _("no border (f − 1 − p = 0)") if z.border == 0 else
              _("{n} row(s)/column(s) cut from every side (f − 1 − p = {b})").format(n=-z.border, b=z.border))
    how = (_("The same output another way: {gaps}, {border}, {op} more at the bottom/right (output "
             "padding); then the filter turned by 180° slides over it with stride 1. Blue outlines: "
             "the input cells; orange: the window for output cell {pos}. This is why a transposed "
             "convolution is also called a *fractionally strided* convolution.") if op else
           _("The same output another way: {gaps}, {border}; then the filter turned by 180° slides "
             "over it with stride 1. Blue outlines: the input cells; orange: the window for output "
             "cell {pos}. This is why a transposed convolution is also called a *fractionally "
             "strided* convolution."))
    st.caption(how.format(gaps=gaps, border=border, op=op, pos=step.out_pos))


def link(here: str) -> None:
    """A button to the other page's transposed-convolution tab (opened on that tab)."""
    url, prefix, title, label = OTHER[here]
    target = nav.page(url)
    if target is None:  # the page runs outside the app shell (unit tests): a plain link
        st.markdown(_("See also: [{label}](/{url})").format(label=_(label), url=url))
        return
    if st.button(_(label), key=f"{'conv-t' if here == 'conv' else 'seg-tc'}-link-go",
                 icon=":material/arrow_forward:", type="tertiary"):
        st.session_state[f"_{prefix}tab-kept"] = title  # dashboard.tabs reopens the kept tab
        st.session_state.pop(f"{prefix}tab", None)
        st.switch_page(target)
