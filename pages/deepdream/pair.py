"""DeepDream › Low vs high layer: the notes' sky dreamed by a low and a high layer side by side."""
from __future__ import annotations

import streamlit as st

from core.vis import ascent as A
from dashboard.i18n import _, shown, tr
from dashboard.widgets import download_png

from .common import Dream, current, finish_interrupted, run_dream, stale_note, tail


def render(d: Dream) -> None:
    finish_interrupted("dd-low", "dd-pair-low")
    finish_interrupted("dd-high", "dd-pair-high")
    st.write(_("The notes dream on a sky: a **high** layer fills it with dogs, eyes and fish-like "
               "animals, a **low** layer with edges and strange patterns. Pick *Temple in China* "
               "(sky, roof and trees) or *Rocket launch* above; both dreams use the settings above."))
    names = list(d.catalogue)
    p1, p2 = st.columns(2)
    hint = shown(names, lambda n: f"{n} — {tr(d.catalogue[n].hint)}")
    low = p1.selectbox(_("Low layer"), names, index=names.index(A.LOW_LAYER.get(d.lm.name, names[2])),
                       key=f"dd-low-{d.key}", format_func=hint)
    high = p2.selectbox(_("High layer"), names, index=names.index(A.HIGH_LAYER.get(d.lm.name, names[-3])),
                        key=f"dd-high-{d.key}", format_func=hint)
    go_pair = st.button(_("Dream both"), type="primary", icon=":material/compare:", key="dd-pair-go")
    cols = st.columns(3)
    cols[0].image(d.image, caption=_("Input"), width="stretch")
    # (dreaming caption, result caption) per side: whole phrases, so each reads right translated
    texts = {"low": (_("low layer {name}"), _("low layer: {layer}{tail}")),
             "high": (_("high layer {name}"), _("high layer: {layer}{tail}"))}
    for col, key, name, word in ((cols[1], "dd-low", low, "low"), (cols[2], "dd-high", high, "high")):
        dreaming, done = texts[word]
        with col:
            if go_pair:
                res = run_dream(d, key, name, dreaming.format(name=name))
                if res is not None:
                    st.session_state[f"dd-pair-{word}"] = res
                continue
            cur = current(d, name, st.session_state.get(f"dd-pair-{word}"))
            res = cur.result
            if res is not None:
                end = _(" · stopped") if res["stopped"] else tail(cur)
                st.image(res["image"], caption=done.format(layer=res["layer"], tail=end), width="stretch")
                if stale_note(cur):
                    st.caption(stale_note(cur))
                download_png(res["image"], f"deepdream-{word}-{res['layer']}.png", key=f"dd-png-{word}")
    if go_pair:
        st.rerun()
