"""Convolution › Pooling: the notes' max and average examples, and pooling a real feature map."""
from __future__ import annotations

import streamlit as st

from core import convolution as cv
from dashboard.figures import GREY, fmt, matrix, row, show
from dashboard.widgets import how_it_works

from .common import picture_section


def render() -> None:
    example = st.radio("The notes' example", ["max: 5×5, f=3, s=1", "average: 4×4, f=2, s=2"],
                       horizontal=True, key="conv-pool-ex")
    if example.startswith("max"):
        x, f, s, mode = cv.MAXPOOL_INPUT, 3, 1, "max"
    else:
        x, f, s, mode = cv.AVGPOOL_INPUT, 2, 2, "avg"
    steps = list(cv.pool2d_steps(x, f, s, mode))
    idx = st.slider("Window position", 1, len(steps), len(steps), key=f"conv-pool-step-{mode}") - 1
    step = steps[idx]
    done = cv.outputs_so_far(steps, idx + 1)
    with row("medium"):
        show(matrix(x, title=f"input {x.shape[0]}×{x.shape[1]}", scale=GREY, zmid=None,
                    zrange=(0, 12), boxes=[(*step.in_pos, f, f)]), "p-in")
        show(matrix(done, title=f"{mode} pool f={f}, s={s}", scale="Blues", zmid=None,
                    zrange=(0, 12), boxes=[(*step.out_pos, 1, 1)]), "p-out")
        what = "largest" if mode == "max" else "mean"
        with st.container(width=320):
            st.markdown(f"Window at {step.in_pos}: {what} of "
                        f"{', '.join(fmt(v) for v in step.window.ravel())} = **{fmt(step.value)}**")
            st.markdown("No weights to learn — only f and s. Pooling works channel by channel, "
                        "so a 5×5×2 input gives 3×3×2.")
    _feature_map()
    how_it_works(
        "- `core.convolution.pool2d(x, f, s, mode)` takes all f×f windows with a strided "
        "view and reduces them with max or mean, channel by channel.\n"
        "- `core.convolution.pool2d_steps` yields each window for the step view; the edge "
        "map comes from `core.convolution.gradients`."
    )


def _feature_map() -> None:
    image, left, right = picture_section("Pooling a real feature map", "conv-pool", "camera")
    with left:
        source = st.radio("Pool", ["Sobel edge magnitude", "grey picture"], horizontal=True,
                          key="conv-pool-src")
        c = st.columns(3)
        pf = c[0].number_input("f", 1, 64, 4, key="conv-pool-f")
        ps = c[1].number_input("s", 1, 64, 4, key="conv-pool-s")
        pmode = c[2].selectbox("mode", ["max", "avg"], key="conv-pool-mode")
    if image is None:
        return
    img = cv.limit_size(image, 512)
    fmap = cv.gradients(img).magnitude if source.startswith("Sobel") else cv.to_gray(img)
    pooled = cv.pool2d(fmap, int(pf), int(ps), pmode)
    top = cv.percentile_scale(fmap, 99.5)
    with right:
        a, b = st.columns(2)
        a.image(cv.magnitude_to_gray(fmap, top), caption=f"feature map {fmap.shape[1]}×{fmap.shape[0]}",
                width="stretch")
        big = cv.enlarge(cv.magnitude_to_gray(pooled, top), int(ps))
        b.image(big, caption=f"{pmode} pooled → {pooled.shape[1]}×{pooled.shape[0]} "
                             f"(drawn at the same size)", width="stretch")
        if pmode == "max" and source.startswith("Sobel"):
            st.caption("Max pooling keeps each strong edge response, just less precisely "
                       "placed; average pooling dilutes thin edges.")
