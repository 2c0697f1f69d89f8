"""Convolution › Transposed conv: each input cell paints a scaled filter onto the output."""
from __future__ import annotations

import numpy as np
import streamlit as st

from core import convolution as cv
from dashboard.figures import fmt, matrix, row, show
from dashboard.widgets import how_it_works



def render() -> None:
    st.write("The reverse of a regular convolution: the input is smaller than the filter. "
             "Each input cell paints a copy of the filter, scaled by its value, onto the output "
             "at stride s; overlaps add up; then p rows/columns are cropped from each side. "
             "U-Net uses it to upsample.")
    c = st.columns(4)
    s = int(c[0].number_input("stride s", 1, 4, 2, key="conv-t-s"))
    p = int(c[1].number_input("padding p", 0, 4, 1, key="conv-t-p"))
    op = int(c[2].number_input("output padding", 0, 3, min(1, s - 1), key="conv-t-op",
                               help="Extra rows/columns at the bottom/right (must be < s)."))
    x, k = cv.TRANSPOSE_INPUT, cv.TRANSPOSE_KERNEL
    n_out = cv.transposed_output_size(2, 3, p, s, op)
    c[3].metric("output", f"{n_out}×{n_out}")
    st.latex(rf"n_{{out}} = (n-1)\,s - 2p + f + \text{{out\_pad}} = (2-1)\cdot{s} - 2\cdot{p}"
             rf" + 3 + {op} = {n_out}")
    steps = list(cv.conv_transpose2d_steps(x, k, s, p, op))
    idx = st.slider("Input cell", 1, len(steps), 1, key="conv-t-step") - 1
    step = steps[idx]
    r0, r1, c0, c1 = step.crop
    final = cv.conv_transpose2d(x, k, s, p, op)
    hi = float(max(np.abs(final).max(), np.abs(steps[-1].canvas).max(), 1))  # colour range
    with row("xxsmall"):  # the small matrices' own margins space them; one line at 1280 px
        show(matrix(x, title="input 2×2", scale="Blues", zmid=None, zrange=(0, 4),
                    boxes=[(*step.in_pos, 1, 1)]), "t-in")
        show(matrix(k, title="filter 3×3", scale="Blues", zmid=None, zrange=(0, 4)), "t-k")
        show(matrix(step.patch, title=f"{fmt(step.value)} × filter", scale="Blues", zmid=None,
                    zrange=(0, hi)), "t-patch")
        show(matrix(step.canvas, title="canvas so far", scale="Blues", zmid=None, cell=32,
                    zrange=(0, hi), boxes=[(*step.full_pos, 3, 3)],
                    dashed=[(r0, c0, r1 - r0, c1 - c0)]), "t-canvas")
        show(matrix(final, title=f"output {n_out}×{n_out}", scale="Blues", zmid=None,
                    zrange=(0, hi)), "t-out")
    st.caption("The dashed square is what remains after cropping p from every side "
               "(and keeping the output padding at the bottom/right).")
    how_it_works(
        "- `core.convolution.conv_transpose2d(x, k, stride, padding, output_padding)` "
        "scatters x[i, j]·k at (i·s, j·s) for all cells at once (one add per filter tap) "
        "and crops; the tests check it against `torch.nn.functional.conv_transpose2d`.\n"
        "- `core.convolution.conv_transpose2d_steps` yields each cell's painted patch and "
        "the canvas after it."
    )
