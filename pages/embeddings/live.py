"""Embeddings › Live: every webcam frame recognised against the gallery."""
from __future__ import annotations

import streamlit as st

from core.embeddings import faces
from dashboard.i18n import _

from .common import face_models, gallery


def render() -> None:
    g = gallery()
    st.write(_("Every webcam frame goes through `core.embeddings.faces.recognize_frame` — the same "
               "function as the still pictures — against the gallery of the Identification tab."))
    if not len(g):
        st.info(_("The gallery is empty: faces will be boxed but not named. Enrol people in the "
                  "Identification tab (your own face from the camera works)."))
    tau = st.slider(_("Threshold τ"), 0.2, 1.2, faces.DEFAULT_THRESHOLD, 0.01, key="emb-live-tau")
    if face_models() is None:
        return
    from dashboard.live import live_view

    def show(data):
        if data:
            unknown = _("unknown")
            st.write(", ".join(f"{d['name'] or unknown} ({d['distance']:.2f})" for d in data))

    live_view("emb-live-view", faces.recognize_frame,
              {"gallery": g, "threshold": tau, "upsample": 0,
               "texts": {k: _(v) for k, v in faces.RECOGNIZE_TEXTS.items()}}, default_fps=5, show_data=show)
