"""Convolution › Worked examples: the notes' 6×6 example window by window, and the step image."""
from __future__ import annotations

import streamlit as st

from core import convolution as cv
from dashboard.figures import GREY, fmt, matrix, row, show
from dashboard.i18n import _
from dashboard.widgets import how_it_works



def render() -> None:
    st.subheader(_("The notes' 6×6 image * vertical filter = 4×4"))
    k = cv.KERNELS["vertical"]
    steps = list(cv.conv2d_steps(cv.NOTES_6x6, k))
    idx = st.slider(_("Window position (step)"), 1, len(steps), 1, key="conv-worked-step") - 1
    step = steps[idx]
    r, c = step.in_pos
    done = cv.outputs_so_far(steps, idx + 1)
    with row("medium"):
        show(matrix(cv.NOTES_6x6, title=_("input 6×6"), scale=GREY, zmid=None, zrange=(0, 12),
                    boxes=[(r, c, 3, 3)]), "w-in")
        show(matrix(k, title=_("filter 3×3")), "w-k")
        show(matrix(step.products, title=_("products")), "w-prod")
        show(matrix(done, title=_("output 4×4"), boxes=[(*step.out_pos, 1, 1)],
                    zrange=(-16, 16)), "w-out")
    terms = " + ".join(f"({fmt(w)}·{fmt(f)})" for w, f in zip(step.window.ravel(), k.ravel()))
    st.markdown(_("Output cell {pos}: {terms} = **{value}**").format(
        pos=step.out_pos, terms=terms, value=fmt(step.value)))
    st.caption(_("Drag the slider: after 16 steps the output is the notes' "
                 "[−5 −4 0 8 / −10 −2 2 3 / 0 −2 −4 −7 / −3 −2 −3 −16]."))

    st.subheader(_("Why it finds vertical edges: the 10 / 0 step image"))
    flip = st.toggle(_("Flip the image (dark on the left, bright on the right)"),
                     key="conv-worked-flip")
    img = cv.STEP_IMAGE[:, ::-1] if flip else cv.STEP_IMAGE
    out = cv.conv2d(img, k)
    with row("medium"):
        show(matrix(img, title=_("input"), scale=GREY, zmid=None, zrange=(0, 10)), "s-in")
        show(matrix(k, title=_("filter")), "s-k")
        show(matrix(out, title=_("output"), zrange=(-30, 30)), "s-out")
    if flip:
        st.markdown(_("Brightness now *increases* from left to right: the middle columns are "
                      "**−30**, a negative edge."))
    else:
        st.markdown(_("Bright (10) on the left, dark (0) on the right: the two middle columns "
                      "are **30**, a positive edge. On a 6×6 image the edge looks thick; on a "
                      "large picture it is a thin line."))
    how_it_works(_(
        "- `core.convolution.conv2d_steps(x, k)` yields every window position with the "
        "window, the 9 element-wise products and their sum.\n"
        "- `core.convolution.conv2d(x, k)` computes all positions at once: for each of "
        "the 9 filter taps it multiplies a shifted copy of the image by that weight and adds "
        "it up; its 4×4 result is the notes' result.\n"
        "- The matrices are `NOTES_6x6` and `STEP_IMAGE` in `core.convolution`, shared with "
        "the tests."
    ))
