"""Inside the network › Feature inversion: a picture rebuilt from one layer's features."""
from __future__ import annotations

import numpy as np
import streamlit as st

from core import precompute
from core.vis import features as Fe
from core.vis import optimise as O
from dashboard import jobs
from dashboard.i18n import _
from dashboard.widgets import downloads, how_it_works

from . import common
from .common import Inside

RUN = "inside-inv-run"           # jobs.follow's key


def render(c: Inside) -> None:
    st.write(_("Feature inversion: keep the network fixed, start from a faint random picture, and "
             "change it until its features at one layer match your picture's. Shallow layers give "
             "the picture back almost exactly; deep layers keep only the layout and the parts the "
             "network cares about (eyes, nose) — the rest, colour included, is lost."))
    st.latex(r"x^{*}=\arg\min_x \frac{\lVert\Phi_\ell(x)-\Phi_\ell(x_0)\rVert^2}{\lVert\Phi_\ell(x_0)\rVert^2}"
             r"+\lambda_{TV}\,TV(x)")
    defaults = O.inversion_layers(c.lm)
    i1, i2, i3 = st.columns([2, 1, 1])
    inv_layers = i1.multiselect(_("Layers"), c.layer_names, default=[n for n in defaults if n in c.layer_names],
                                key=f"inside-inv-layers-{c.key}", placeholder=_("Choose options"),
                                help=_("Shallow to deep; each is inverted on its own."))
    inv_steps = i2.slider(_("Steps"), 10, 200, O.INVERSION_DEFAULTS["steps"], step=10, key="inside-inv-steps")
    inv_tv = i3.slider(_("TV weight"), 0.0, 5.0, O.INVERSION_DEFAULTS["tv"], key="inside-inv-tv",
                       help=_("The Fourier parameterisation already keeps the picture free of pixel noise."))
    layers = [n for n in c.layer_names if n in inv_layers]          # always shallow → deep
    small = Fe.prepare(c.image, precompute.INVERSION_SIDE)
    settings = dict(layers=layers, steps=int(inv_steps), tv=float(inv_tv))
    _finish_stopped(c, small, settings)
    if st.button(_("Invert"), type="primary", key="inside-inv-go", icon=":material/undo:", disabled=not layers):
        snapshots, record = precompute.start("inversion", c.lm, small, settings, share=True)
        st.session_state[f"{RUN}-record"], st.session_state[f"{RUN}-settings"] = record, settings
        last = jobs.follow(snapshots, RUN, image_width=200,
                           describe=lambda s: _("inverting {layer} · step {step}/{total} · feature error "
                                                "{loss:.3f}").format(layer=s.info["layer"], step=s.step,
                                                                     total=s.total, loss=s.loss))
        if last is not None:
            st.session_state["inside-inv"] = precompute.finish("inversion", c.lm, small, settings, record)
    if not layers:
        st.info(_("Choose at least one layer to invert."))
    cur = precompute.current("inversion", c.lm, settings, small, st.session_state.get("inside-inv"))
    res = cur.result
    if res and res.get("images"):
        _result(res, common.note(cur))
    how_it_works(_("`core.vis.optimise.feature_inversion(model, image, layer, steps, tv)` takes "
                 "Φ(x₀) once, then runs `core.vis.ascent.render` — the loop of the Class visualization "
                 "tab — with the objective −‖Φ(x)−Φ(x₀)‖²/‖Φ(x₀)‖², the parameterisation "
                 "`FourierImage` (smooth colours, no pixel noise) and Adam, 128×128 px. The number under "
                 "each picture is that relative feature error."))


def _finish_stopped(c: Inside, small: np.ndarray, settings: dict) -> None:
    """A stopped run (Stop, or any widget change) keeps the layers it finished."""
    if jobs.interrupted(RUN) is None:
        return
    record = st.session_state.get(f"{RUN}-record")
    if record is not None and record.extra.get("images"):
        ran = st.session_state.get(f"{RUN}-settings", settings)
        st.session_state["inside-inv"] = precompute.finish("inversion", c.lm, small, ran, record)


def _result(res: dict, note: str | None) -> None:
    cols = st.columns(len(res["layers"]) + 1)
    cols[0].image(res["pic"], caption=_("original ({w} px)").format(w=res["pic"].shape[1]), width="stretch")
    for col, lay, img, loss in zip(cols[1:], res["layers"], res["images"], res["losses"]):
        col.image(img, caption=_("{layer} · feature error {loss:.3f}").format(layer=lay, loss=loss), width="stretch")
    left = len(res.get("layers", [])) if res.get("stopped") else None
    stopped = _(" · stopped after {n} layer(s)").format(n=left) if left is not None else ""
    st.caption(_("Left to right: shallow to deep{stopped} · {seconds:.1f} s. Shallow layers keep texture and "
                 "colour; deeper layers keep where things are, not what they look like. Each feature error is "
                 "relative to that layer's own features, so compare pictures, not numbers, across layers: a "
                 "deep layer can be matched closely by a picture that looks little like yours — many "
                 "pictures share its features.").format(stopped=stopped, seconds=res.get("seconds", 0)))
    if note:
        st.caption(note)
    row = np.concatenate([res["pic"], *res["images"]], axis=1)
    downloads(row, [res["pic"], *res["images"]], "feature-inversion", key="inside-inv", duration_ms=700)
