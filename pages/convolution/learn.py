"""Convolution › Learn a filter: gradient descent finds the nine weights of an edge filter."""
from __future__ import annotations

import numpy as np
import streamlit as st

from core import convolution as cv
from dashboard import figures, jobs
from dashboard.figures import latex_matrix, matrix, show
from dashboard.i18n import N_, _, opt
from dashboard.widgets import how_it_works


JOB = "conv-learn-job"          # jobs.follow's key (progress, Stop)
RESULT = "conv-learn-result"    # (settings, losses, learned kernel) of the last finished run


def render() -> None:
    st.write(_("Instead of choosing the numbers of an edge filter by hand, let gradient descent "
               "find them: take images, compute the wanted edge maps with the true filter, start "
               "nine weights at random and follow the gradient of the squared error."))
    st.latex(latex_matrix(cv.LEARN_4x4) + r" * \begin{bmatrix} w_1 & w_2 & w_3 \\ w_4 & w_5 & "
             r"w_6 \\ w_7 & w_8 & w_9 \end{bmatrix} \approx " + _(r"\text{edge map}") + r",\qquad "
             r"\frac{\partial L}{\partial w} = \frac{2}{N}\, x * (x * w - y)")
    c = st.columns(5)
    target = c[0].selectbox(_("True filter"), ["vertical", "horizontal", "sobel_x", "sobel_y",
                                               "scharr_x", "laplacian"], key="conv-learn-k",
                            format_func=opt)
    data = c[1].selectbox(_("Training data"), [N_("random 8×8 images"), N_("the notes' 4×4 image"),
                                               N_("the notes' 6×6 image")], key="conv-learn-data",
                          format_func=opt)
    if data.startswith("random"):
        n_img = c[1].slider(_("How many"), 1, 20, 4, key="conv-learn-n",
                            help=_("Random 8×8 images of 0–9, like the notes' matrices."))
    steps = c[2].slider(_("Steps"), 10, 500, 120, step=10, key="conv-learn-steps")
    noise = c[3].slider(_("Label noise (σ)"), 0.0, 5.0, 0.0, step=0.5, key="conv-learn-noise")
    seed = int(c[4].number_input(_("Seed"), 0, 9999, 0, key="conv-learn-seed"))
    true_k = cv.get_kernel(target)
    if data.startswith("random"):
        pairs = cv.make_edge_pairs(target, n=n_img, size=8, seed=seed, noise=noise)
    else:
        img = cv.LEARN_4x4 if "4×4" in data else cv.NOTES_6x6
        pairs = cv.make_edge_pairs(target, seed=seed, noise=noise, images=[img])
    n_eq = sum(y.size for _x, y in pairs)
    st.caption((_("{n} image(s) → {eq} equations for {unknowns} unknown weights. Fewer equations "
                  "than unknowns: many filters fit the data exactly, so the learned one need not "
                  "be the true one.") if n_eq < true_k.size else
                _("{n} image(s) → {eq} equations for {unknowns} unknown weights.")).format(
        n=len(pairs), eq=n_eq, unknowns=true_k.size))
    run = st.button(_("Train"), type="primary", key="conv-learn-run", icon=":material/play_arrow:")
    progress = st.container()
    plot_slot, w_slot = st.columns([3, 2])
    loss_ph, weights_ph = plot_slot.empty(), w_slot.empty()
    config = (target, data, len(pairs), steps, noise, seed)

    def draw(losses, kernel, final: bool):
        fig = figures.loss_curves(
            [figures.Curve(_("loss"), list(range(1, len(losses) + 1)), losses)],
            title=_("loss (mean squared error)"), log_y=True, height=260, y_title=None,
            legend_y=None)
        show(fig, f"learn-loss-{len(losses)}-{final}", slot=loss_ph, width="stretch")
        with weights_ph.container(), figures.row():
            lim = float(np.abs(true_k).max())
            show(matrix(kernel, title=_("learned w"), zrange=(-lim, lim),
                        fmt=lambda v: f"{round(v, 2) + 0.0:.2f}"), f"learn-w-{len(losses)}-{final}")
            show(matrix(true_k, title=_("true filter"), zrange=(-lim, lim)),
                 f"learn-true-{len(losses)}-{final}")

    if run:
        history = jobs.History()
        losses = lambda: [r["loss"] for r in history.rows]  # noqa: E731

        def on_snapshot(snap) -> None:
            # kept at every drawn step, so a Stop keeps what the run reached
            st.session_state[RESULT] = (config, losses(), snap.kernel, snap.step, snap.total)
            draw(losses(), snap.kernel, snap.step == snap.total)

        last = jobs.follow(
            cv.learn_filter_steps(pairs, f=true_k.shape[0], steps=steps, seed=seed), JOB,
            area=progress, every=10, history=history, row=lambda s: {"loss": s.loss},
            on_snapshot=on_snapshot)
        if last is not None:
            st.session_state[RESULT] = (config, losses(), last.kernel, last.step, last.total)
            st.rerun()  # draw the finished run without its progress bar
    jobs.interrupted(JOB)  # a stopped run: what it reached is in RESULT
    result = st.session_state.get(RESULT)
    if result and result[0] == config:
        _config, losses, kernel, step, total = result
        draw(losses, kernel, True)
        err = float(np.abs(kernel - true_k).max())
        st.markdown((_("Final loss **{loss:.3g}**; largest difference from the true filter: "
                       "**{err:.3g}**.") if step >= total else
                     _("Final loss **{loss:.3g}**; largest difference from the true filter: "
                       "**{err:.3g}**. Stopped at step {step} of {total}.")).format(
            loss=losses[-1], err=err, step=step, total=total))
    else:
        st.caption(_("Press **Train** to watch the nine weights converge."))
    how_it_works(_(
        "- `core.convolution.make_edge_pairs(kernel, n, size, seed, noise)` makes "
        "(image, conv2d(image, kernel)) pairs.\n- `core.convolution.learn_filter_steps(pairs, "
        "f, steps)` is an iterator: each step takes the gradient 2/N·Σ x * residual, a "
        "momentum update with step size 1/L (L = the gradient's Lipschitz constant), and "
        "yields a snapshot with the loss and the current 3×3 weights."
    ))
