"""Convolution › Pooling: the notes' max and average examples, and pooling a real feature map."""
from __future__ import annotations

import streamlit as st

from core import convolution as cv
from dashboard.figures import GREY, fmt, matrix, row, show
from dashboard.i18n import N_, _, opt
from dashboard.widgets import how_it_works

from .common import picture_section


def render() -> None:
    example = st.radio(_("The notes' example"), [N_("max: 5×5, f=3, s=1"), N_("average: 4×4, f=2, s=2")],
                       horizontal=True, key="conv-pool-ex", format_func=opt)
    if example.startswith("max"):
        x, f, s, mode = cv.MAXPOOL_INPUT, 3, 1, "max"
    else:
        x, f, s, mode = cv.AVGPOOL_INPUT, 2, 2, "avg"
    steps = list(cv.pool2d_steps(x, f, s, mode))
    idx = st.slider(_("Window position"), 1, len(steps), len(steps), key=f"conv-pool-step-{mode}") - 1
    step = steps[idx]
    done = cv.outputs_so_far(steps, idx + 1)
    with row("medium"):
        show(matrix(x, title=_("input {h}×{w}").format(h=x.shape[0], w=x.shape[1]), scale=GREY, zmid=None,
                    zrange=(0, 12), boxes=[(*step.in_pos, f, f)]), "p-in")
        show(matrix(done, title=_("{mode} pool f={f}, s={s}").format(mode=_(mode), f=f, s=s), scale="Blues", zmid=None,
                    zrange=(0, 12), boxes=[(*step.out_pos, 1, 1)]), "p-out")
        what = _("largest") if mode == "max" else _("mean")
        with st.container(width=320):
            st.markdown(_("Window at {pos}: {what} of {values} = **{value}**").format(
                pos=step.in_pos, what=what, values=", ".join(fmt(v) for v in step.window.ravel()),
                value=fmt(step.value)))
            st.markdown(_("No weights to learn — only f and s. Pooling works channel by channel, "
                          "so a 5×5×2 input gives 3×3×2."))
    _feature_map()
    how_it_works(_(
        "- `core.convolution.pool2d(x, f, s, mode)` takes all f×f windows with a strided "
        "view and reduces them with max or mean, channel by channel.\n"
        "- `core.convolution.pool2d_steps` yields each window for the step view; the edge "
        "map comes from `core.convolution.gradients`."
    ))


def _feature_map() -> None:
    image, left, right = picture_section(_("Pooling a real feature map"), "conv-pool", "camera")
    with left:
        source = st.radio(_("Pool"), [N_("Sobel edge magnitude"), N_("grey picture")], horizontal=True,
                          key="conv-pool-src", format_func=opt)
        c = st.columns(3)
        pf = c[0].number_input("f", 1, 64, 4, key="conv-pool-f")
        ps = c[1].number_input("s", 1, 64, 4, key="conv-pool-s")
        pmode = c[2].selectbox(_("mode"), [N_("max"), N_("avg")], key="conv-pool-mode", format_func=opt)
    if image is None:
        return
    img = cv.limit_size(image, 512)
    fmap = cv.gradients(img).magnitude if source.startswith("Sobel") else cv.to_gray(img)
    pooled = cv.pool2d(fmap, int(pf), int(ps), pmode)
    top = cv.percentile_scale(fmap, 99.5)
    with right:
        a, b = st.columns(2)
        a.image(cv.magnitude_to_gray(fmap, top), caption=_("feature map {w}×{h}").format(w=fmap.shape[1], h=fmap.shape[0]),
                width="stretch")
        big = cv.enlarge(cv.magnitude_to_gray(pooled, top), int(ps))
        b.image(big, caption=_("{mode} pooled → {w}×{h} (drawn at the same size)").format(
            mode=_(pmode), w=pooled.shape[1], h=pooled.shape[0]), width="stretch")
        if pmode == "max" and source.startswith("Sobel"):
            st.caption(_("Max pooling keeps each strong edge response, just less precisely "
                         "placed; average pooling dilutes thin edges."))
