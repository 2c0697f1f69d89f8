"""Inside the network › What the model says: the top five classes, and the network live."""
from __future__ import annotations

import numpy as np
import streamlit as st

from core.vis import attribution as T
from core.vis import features as Fe
from dashboard.i18n import N_, _, opt

from .common import Inside, top_table


def render(c: Inside) -> None:
    st.write(_("The model every view on this page opens up, run on your picture: the five classes it "
             "finds most likely, with their softmax probabilities."))
    left, right = st.columns([1, 1])
    left.image(c.image, width="stretch")
    with right:
        if st.button(_("Classify"), type="primary", key="inside-classify-go"):
            st.session_state["inside-says"] = dict(model=c.key, pic=c.image, top=c.lm.classify(c.image, topk=5))
        res = st.session_state.get("inside-says")      # kept while other widgets change
        if res and res["model"] == c.key and np.array_equal(res["pic"], c.image):
            top_table(res["top"])
            st.image(c.crop, width=112, caption=_("what the network sees"))
            st.caption(_("{view}; every tab of this page asks the model about these pixels, "
                         "so the same picture gives the same prediction everywhere.").format(view=c.view_note))
        else:
            st.caption(_("Press **Classify** to run the model on the picture."))
    st.subheader(_("Live: the network on your webcam"))
    st.write(_("Every frame goes through one pure frame function — the same one a snapshot uses: "
             "`core.frames.classify_frame` (top classes), `core.vis.attribution.gradcam_frame` "
             "(where it looks) or `core.vis.features.feature_frame` (what a layer sees)."))
    if st.toggle(_("Live mode"), key="inside-live", help=_("Shows the webcam stream through the model.")):
        from core.frames import classify_frame
        from dashboard.live import live_view

        what = st.radio(_("Show"), [N_("Top classes"), "Grad-CAM", N_("Feature maps")], horizontal=True,
                        key="inside-live-what", format_func=opt)
        if what == "Top classes":
            live_view("inside-live-view", classify_frame, {"model": c.lm, "topk": 3}, default_fps=10)
        elif what == "Grad-CAM":
            live_view("inside-live-view", T.gradcam_frame, {"model": c.lm}, default_fps=5)
        else:
            lay = st.selectbox(_("Layer"), c.layer_names, index=min(3, len(c.layer_names) - 1),
                               key=f"inside-live-layer-{c.key}")
            live_view("inside-live-view", Fe.feature_frame,
                      {"model": c.lm, "layer": lay, "text": _(Fe.FEATURE_FRAME_TEXT)}, default_fps=5)
