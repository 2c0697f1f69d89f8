"""Architectures › Residual block: the identity argument with numbers, and a deep plain net
trained side by side with the same net with skips."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

import core.architectures as arch
from dashboard import figures, jobs
from dashboard.figures import Curve
from dashboard.i18n import N_, _, tr

from .common import PLAIN, PURPLE

CHANCE = float(np.log(10))  # the loss of a uniform guess over 10 digits
NETS = {"plain": N_("plain"), "residual": N_("residual")}  # curve names, shown translated
ZERO_CAPTION = {  # per net: its layers whose gradient underflows to 0
    "plain": N_("Plain net: the gradient of {n} layer(s) ({layers}) is exactly 0 — smaller than "
                "float32 can hold (underflow). They are the ▼ at the bottom of the plot: those "
                "layers get no update at all."),
    "residual": N_("Residual net: the gradient of {n} layer(s) ({layers}) is exactly 0 — smaller "
                   "than float32 can hold (underflow). They are the ▼ at the bottom of the plot: "
                   "those layers get no update at all."),
}


def render() -> None:
    st.write(_(
        "A plain network's main path computes a[l+2] = g(z[l+2]). A residual block also "
        "sends a[l] along a shortcut and adds it just before the ReLU. Deep plain networks "
        "get *worse* on the training set as they get deeper (vanishing gradients); residual "
        "networks do not, because a block can always fall back to the identity."))
    st.latex(r"a^{[l+2]} = g\big(z^{[l+2]} + a^{[l]}\big) = "
             r"g\big(W^{[l+2]} a^{[l+1]} + b^{[l+2]} + a^{[l]}\big)")
    st.graphviz_chart(figures.diagram(arch.residual_block_dot(translate=tr), scale=False), width="stretch")
    _identity()
    _experiment()
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `core.architectures.identity_demo(a_l, seed)` computes the table above.\n"
            "- `core.architectures.residual_experiment(blocks, width, steps, lr)` builds "
            "`DeepNet(residual=False)` and copies its weights into `DeepNet(residual=True)`, "
            "then yields a snapshot per step (both losses); the first snapshot also carries "
            "`gradient_norms(model, x, y)` = ‖∂L/∂W‖ of every layer at initialisation.\n"
            "- Without skips, each layer multiplies the signal (and on the way back the "
            "gradient) by roughly the same factor < 1, so the first layers of a deep plain net "
            "get gradients many orders of magnitude smaller than the last: they do not learn. "
            "The shortcut gives the gradient a path that skips the multiplications."))


def _identity() -> None:
    st.subheader(_("The identity when W[l+2] = 0"))
    c1, c2 = st.columns([1, 3])
    seed = c1.number_input(_("Seed for a[l] and W[l+1]"), 0, 9999, 3, key="arch-res-id-seed")
    demo = arch.identity_demo(arch.demo_activation(int(seed)), seed=int(seed))
    with c2:
        figures.table(st, 
            {"": ["a[l]", "a[l+1] = g(W[l+1] a[l] + b[l+1])", "z[l+2] = 0·a[l+1] + 0",
                  _("plain: g(z[l+2])"), _("residual: g(z[l+2] + a[l])")],
             **{_("unit {i}").format(i=i + 1): [round(float(demo[k][i]), 3) for k in
                                  ("a_l", "a_l1", "z_l2", "plain", "residual")]
                for i in range(len(demo["a_l"]))}},
            hide_index=True)
    st.caption(_("With W[l+2] = 0 and b[l+2] = 0 the plain block outputs g(0) = 0 — the "
                 "information is gone. The residual block outputs g(a[l]) = a[l] (a[l] ≥ 0 "
                 "after a ReLU): adding the block cannot hurt, and learning a small change "
                 "to the identity is easy."))


def _experiment() -> None:
    st.subheader(_("Experiment: a deep plain net vs the same net with skips"))
    st.write(_("Two fully connected nets with the same layers and the *same starting weights* "
               "(PyTorch's default initialisation, no batch norm), trained side by side on "
               "scikit-learn's 8×8 digits with the same mini-batches. The only difference is "
               "the shortcut in every block."))
    jobs.interrupted("arch-res")  # a stopped run: what it reached is in arch-res-result
    c = st.columns(4)
    blocks = c[0].slider(_("Residual blocks"), 2, 30, 10, key="arch-res-blocks",
                         help=_("2 layers each; the nets have 2·blocks + 2 linear layers"))
    steps = c[1].slider(_("Training steps"), 50, 800, 300, step=50, key="arch-res-steps")
    lr = c[2].select_slider(_("Learning rate (SGD, momentum 0.9)"), [0.005, 0.01, 0.02, 0.05, 0.1],
                            value=0.05, key="arch-res-lr")
    width = c[3].select_slider(_("Width"), [16, 32, 64, 128], value=64, key="arch-res-width")
    go_btn = st.button(_("Train both nets"), type="primary", key="arch-res-go",
                       icon=":material/play_arrow:")
    progress_area = st.container()
    curves = st.empty()
    grads = st.empty()
    result = st.session_state.get("arch-res-result")
    if go_btn:
        result = {"hist": {"step": [], "plain": [], "res": []}, "blocks": blocks,
                  "gp": [], "gr": [], "done": False}
        st.session_state["arch-res-result"] = result

        def on_snapshot(snap) -> None:
            if snap.step == 0:
                _draw_grads(grads, result)
            _draw_curves(curves, result)

        jobs.follow(_recorded(arch.residual_experiment(blocks=blocks, width=width, steps=steps,
                                                       lr=lr, threads=1), result),
                    "arch-res", every=max(1, steps // 40), area=progress_area,
                    describe=lambda s: _("step {step}/{steps} · plain loss {plain:.3f} "
                                         "· residual loss {res:.3f} · {seconds:.1f} s").format(
                        step=s.step, steps=steps, plain=s.loss_plain, res=s.loss_res,
                        seconds=s.seconds),
                    on_snapshot=on_snapshot,
                    stop_help=_("Stops training; what was reached stays on the page."))
        result["done"] = True
    if result:
        if not go_btn:  # (while training, the loop drew them)
            _draw_curves(curves, result)
            _draw_grads(grads, result)
        h = result["hist"]
        if len(h["step"]) > 1:
            k = max(1, len(h["step"]) // 10)
            plain, res = np.mean(h["plain"][-k:]), np.mean(h["res"][-k:])
            st.caption(_("Mean loss over the last {k} steps: plain {plain:.3f}, "
                         "residual {res:.3f} (chance level: ln 10 = 2.303).").format(
                             k=k, plain=plain, res=res)
                       + (" " + _("The plain net's thick red curve lies on the chance line: it "
                                  "has learnt nothing.") if abs(plain - CHANCE) < 0.02 else "")
                       + ("" if result["done"] else " " + _("— stopped early.")))
    else:
        st.info(_("Press **Train both nets**: the defaults (10 blocks, 300 steps) take about 3 s "
                  "on a free CPU core, longer on a busy server; the bar shows the time so far."),
                icon=":material/info:")


def _recorded(snapshots, result: dict):
    """The experiment's snapshots, each one's losses (and the first one's gradient norms)
    written into ``result`` before it is drawn, so a stopped run keeps all it reached."""
    h = result["hist"]
    for snap in snapshots:
        h["step"].append(snap.step)
        h["plain"].append(snap.loss_plain)
        h["res"].append(snap.loss_res)
        if snap.step == 0:
            result["gp"], result["gr"] = snap.grad_norms_plain, snap.grad_norms_res
        yield snap


def _draw_curves(slot, result) -> None:
    h = result["hist"]
    top = max([2.6] + h["plain"] + h["res"])
    fig = figures.loss_curves(
        [Curve(NETS["plain"], h["step"], h["plain"], PLAIN),
         Curve(NETS["residual"], h["step"], h["res"], PURPLE)],
        title=_("training loss, {n} layers").format(n=2 * result["blocks"] + 2), height=320,
        y_title=N_("cross-entropy"), y_range=(0, min(top * 1.05, 4.0)), legend_y=-0.25,
        hline=(CHANCE, N_("chance (ln 10)")))
    # a plain net that learns nothing sits exactly on the chance line: draw the line under the
    # curves and the plain curve thick, so it is seen on top of it
    fig.update_shapes(layer="below", line_color="#999")
    fig.update_traces(line_width=4, selector={"name": _(NETS["plain"])})
    figures.show(fig, slot=slot, width="stretch")


def underflow(norms) -> tuple[list[float | None], list[int]]:
    """Gradient norms for a log axis: zeros (float32 underflow) and non-finite values become
    gaps, and their 0-based layer indices are returned so the plot can mark them."""
    shown, lost = [], []
    for i, g in enumerate(norms):
        ok = g is not None and np.isfinite(g) and g > 0
        shown.append(float(g) if ok else None)
        if not ok:
            lost.append(i)
    return shown, lost


def _draw_grads(slot, result) -> None:
    if not result.get("gp"):
        return
    x = list(range(1, len(result["gp"]) + 1))
    curves, marks = [], []
    for name, norms, colour in (("plain", result["gp"], PLAIN), ("residual", result["gr"], PURPLE)):
        shown, lost = underflow(norms)
        curves.append(Curve(NETS[name], x, shown, colour, mode="lines+markers"))
        marks.append((name, lost, colour))
    fig = figures.loss_curves(curves, title=N_("gradient norm per layer at initialisation "
                                               "(input → output)"), height=320, x_title=N_("layer"),
                              y_title=N_("‖∂L/∂W‖ (log)"), log_y=True, legend_y=-0.25)
    positive = [v for c in curves for v in c.y if v is not None]
    floor = min(positive) / 10 if positive else 1e-30
    for name, lost, colour in marks:
        if lost:  # at the bottom of the axis, as downward triangles: "0 here", not left out
            fig.add_trace(go.Scatter(
                x=[x[i] for i in lost], y=[floor] * len(lost), mode="markers",
                name=_("{net}: 0 (underflow)").format(net=_(NETS[name])), marker={"symbol": "triangle-down", "size": 9,
                                                        "color": colour},
                hovertemplate=_("layer %{x}: gradient 0 (below float32's range)<extra></extra>")))
    fig.update_yaxes(figures.decade_ticks(positive + [floor]))    # the floor's triangles widen the span
    box = slot.container()
    figures.show(fig, slot=box, width="stretch")
    for name, lost, _colour in marks:
        if lost:
            box.caption(_(ZERO_CAPTION[name]).format(n=len(lost),
                                                      layers=_ranges([i + 1 for i in lost])))


def _ranges(layers: list[int]) -> str:
    """[1, 2, 3, 7] → "1–3, 7"."""
    parts, start = [], None
    for a, b in zip(layers, layers[1:] + [None]):
        start = a if start is None else start
        if b != a + 1:
            parts.append(f"{start}–{a}" if a != start else f"{a}")
            start = None
    return ", ".join(parts)
