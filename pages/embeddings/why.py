"""Embeddings › Why embeddings: what a pixel search costs, and pixel vs descriptor distances of
the same person changed."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core import images
from core.embeddings import faces, metrics
from dashboard import figures
from dashboard.i18n import N_, _, tr

from .common import face_models

OTHER = N_("another person")


def render() -> None:
    st.subheader(_("Why not compare pixels?"))
    st.write(_("The notes: searching by the raw picture means computing with hundreds of "
               "thousands to millions of values per comparison, most of them unnecessary detail; "
               "simply shrinking the picture loses its meaning. An embedding keeps the meaning in a "
               "few numbers (dlib's face descriptor: 128)."))
    rows = []
    for name, (w, h) in metrics.RESOLUTIONS.items():
        c = metrics.comparison_cost(w, h)
        rows.append({_("picture"): tr(name),
                     _("pixels"): f"{c['pixels']:,} (≈ {c['pixels'] / 1e4:.0f} × 10⁴)",
                     _("numbers (×3 colours)"): f"{c['values']:,}", _("embedding"): c["embedding"],
                     _("fewer numbers"): f"{c['ratio']:,.0f}×"})
    figures.table(st, pd.DataFrame(rows), hide_index=True)
    n = st.select_slider(_("Pictures in the database"), [1_000, 10_000, 100_000, 1_000_000],
                         value=100_000, key="emb-why-n")
    hd = metrics.comparison_cost(1280, 720)
    a, b = st.columns(2)
    a.metric(_("Numbers read per search (HD pixels)"), f"{hd['values'] * n:,.0f}")
    b.metric(_("Numbers read per search (128-D embedding)"), f"{hd['embedding'] * n:,.0f}")

    st.subheader(_("Same person, different pixels"))
    st.write(_("The astronaut's face changed in ways that keep the person — mirrored, darker, "
               "rotated, shifted — against another person. In **pixel space** (a 150×150 crop at the "
               "same place) the changed copies are almost as far as a stranger; as **descriptors** "
               "they stay well inside τ = 0.6 while the stranger is far outside."))
    if st.button(_("Compare pixel and embedding distances"), type="primary", key="emb-why-go"):
        if face_models() is None:
            return
        ref = images.load_sample("astronaut")
        other = images.load_sample("zidane", max_side=1280)
        st.session_state["emb-why-rows"] = faces.pixel_vs_embedding(
            ref, {**faces.variants(ref), OTHER: other})
    rows = st.session_state.get("emb-why-rows")
    if rows:
        cols = st.columns(len(rows))
        for col, r in zip(cols, rows):
            col.image(r["crop"], caption=tr(r["picture"]), width="stretch")
            col.metric(_("pixel L2"), f"{r['pixel distance']:.1f}")
            col.metric(_("descriptor"), f"{r['descriptor distance']:.3f}")
        share = faces.same_person_share(rows)
        if share is not None:
            px, em = share
            st.info(_("Largest same-person distance as a share of the stranger's: pixels "
                      "**{px:.0%}**, descriptors **{em:.0%}**.").format(px=px, em=em))
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `core.embeddings.metrics.comparison_cost(w, h)` counts the numbers per comparison.\n"
            "- `core.embeddings.faces.variants(image)` makes the changed copies; "
            "`faces.pixel_vs_embedding(reference, others)` detects the face in each "
            "(`faces.embed_faces`), crops the reference face's box for the pixel distance "
            "(`faces.pixel_distance`, values in [0, 1]) and compares 128-D descriptors "
            "(`faces.face_distance`)."))
