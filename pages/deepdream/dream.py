"""DeepDream › Dream: the chosen layer amplified, live, octave by octave."""
from __future__ import annotations

import streamlit as st

from dashboard import figures
from dashboard.widgets import downloads

from .common import Dream, current, finish_interrupted, loss_plot, run_dream, steps_text


def render(d: Dream) -> None:
    finish_interrupted("dd-run", "dd-result")
    steps = d.settings["steps"]
    st.caption(f"{d.image.shape[1]}×{d.image.shape[0]} px · octaves at "
               + ", ".join(f"{w}×{h}" for h, w in d.sizes)
               + f" · {steps_text(len(d.sizes) * steps)} in all")
    go_dream = st.button("Dream", type="primary", icon=":material/cloud:", key="dd-go")
    a, b = st.columns(2)
    a.image(d.image, caption="Input", width="stretch")
    with b:
        if go_dream:
            res = run_dream(d, "dd-run", d.layer, f"dreaming on {d.layer}")
            if res is not None:
                st.session_state["dd-result"] = res
                st.rerun()
        cur = current(d, d.layer, st.session_state.get("dd-result"))
        res = cur.result
        if res is None:
            st.caption("Press **Dream**: the picture updates live, octave by octave; Stop keeps "
                       "what was reached.")
        else:
            if res["stopped"]:
                what = f"stopped at step {res['step']}/{res['total']}"
            elif cur.state == "prepared":  # its time is the preparing machine's, not this one's
                what = (f"{steps_text(res['total'])}, {res['seconds']:.1f} s on one CPU thread when "
                        "it was prepared (a live run's time depends on this machine and its load)")
            else:
                what = f"{steps_text(res['total'])} in {res['seconds']:.1f} s here" + \
                    (" (computed once, shared by visitors with the same settings)" if res.get("shared") else "")
            st.image(res["image"], caption=f"{res['layer']} · {what}{cur.tail}", width="stretch")
            if cur.stale_note:
                st.caption(cur.stale_note)
            downloads(res["image"], res["frames"], "deepdream", "dd", duration_ms=150)
    if res is not None and res["losses"]:
        gains = []
        for o in sorted({o for _, o, _ in res["losses"]}):
            vals = [v for _, oo, v in res["losses"] if oo == o]
            if len(vals) > 1 and vals[0]:  # an octave stopped at its first step has no gain yet
                gains.append(f"octave {o}: ×{vals[-1] / vals[0]:.2f}")
        figures.show(loss_plot(res["losses"]), width="stretch")
        if gains:
            st.caption("Objective gain within each octave (last step ÷ first step): "
                       + " · ".join(gains))
