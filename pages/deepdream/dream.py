"""DeepDream › Dream: the chosen layer amplified, live, octave by octave."""
from __future__ import annotations

import streamlit as st

from dashboard import figures
from dashboard.i18n import _, ngettext
from dashboard.widgets import downloads

from .common import Dream, current, finish_interrupted, loss_plot, run_dream, stale_note, tail


def render(d: Dream) -> None:
    finish_interrupted("dd-run", "dd-result")
    steps = d.settings["steps"]
    n = len(d.sizes) * steps
    st.caption(ngettext("{w}×{h} px · octaves at {sizes} · {n} step in all",
                        "{w}×{h} px · octaves at {sizes} · {n} steps in all", n).format(
        w=d.image.shape[1], h=d.image.shape[0], sizes=", ".join(f"{w}×{h}" for h, w in d.sizes), n=n))
    go_dream = st.button(_("Dream"), type="primary", icon=":material/cloud:", key="dd-go")
    a, b = st.columns(2)
    a.image(d.image, caption=_("Input"), width="stretch")
    with b:
        if go_dream:
            res = run_dream(d, "dd-run", d.layer, _("dreaming on {layer}").format(layer=d.layer))
            if res is not None:
                st.session_state["dd-result"] = res
                st.rerun()
        cur = current(d, d.layer, st.session_state.get("dd-result"))
        res = cur.result
        if res is None:
            st.caption(_("Press **Dream**: the picture updates live, octave by octave; Stop keeps "
                         "what was reached."))
        else:
            total = res["total"]
            if res["stopped"]:
                what = _("stopped at step {step}/{total}").format(step=res["step"], total=total)
            elif cur.state == "prepared":  # its time is the preparing machine's, not this one's
                what = ngettext("{n} step, {seconds:.1f} s on one CPU thread when it was prepared (a "
                                "live run's time depends on this machine and its load)",
                                "{n} steps, {seconds:.1f} s on one CPU thread when it was prepared (a "
                                "live run's time depends on this machine and its load)",
                                total).format(n=total, seconds=res["seconds"])
            elif res.get("shared"):
                what = ngettext("{n} step in {seconds:.1f} s here (computed once, shared by visitors "
                                "with the same settings)",
                                "{n} steps in {seconds:.1f} s here (computed once, shared by visitors "
                                "with the same settings)", total).format(n=total, seconds=res["seconds"])
            else:
                what = ngettext("{n} step in {seconds:.1f} s here", "{n} steps in {seconds:.1f} s here",
                                total).format(n=total, seconds=res["seconds"])
            st.image(res["image"], caption=f"{res['layer']} · {what}{tail(cur)}", width="stretch")
            if stale_note(cur):
                st.caption(stale_note(cur))
            downloads(res["image"], res["frames"], "deepdream", "dd", duration_ms=150)
    if res is not None and res["losses"]:
        gains = []
        for o in sorted({o for _s, o, _v in res["losses"]}):
            vals = [v for _s, oo, v in res["losses"] if oo == o]
            if len(vals) > 1 and vals[0]:  # an octave stopped at its first step has no gain yet
                gains.append(_("octave {o}: ×{gain:.2f}").format(o=o, gain=vals[-1] / vals[0]))
        figures.show(loss_plot(res["losses"]), width="stretch")
        if gains:
            st.caption(_("Objective gain within each octave (last step ÷ first step): {gains}").format(
                gains=" · ".join(gains)))
