"""Embeddings and faces: why embeddings, training one three ways with triplet mining, face
detection / landmarks / alignment / descriptors, verification, identification, live
recognition and interactive projections. The maths lives in ``core.embeddings``.

One module per tab: ``why.py`` (Why embeddings), ``training.py`` (Train your own),
``landmarks.py`` (Faces & landmarks), ``verification.py`` (Verification (1:1)),
``identification.py`` (Identification (1:K)), ``live.py`` (Live), ``plots.py`` (Plots); what
they share (face models, gallery, labelled set, scatter) is in ``common.py``.
"""
from __future__ import annotations

import streamlit as st

from dashboard import figures, tabs
from dashboard.i18n import N_, _
from dashboard.tabs import Tab

from . import identification, landmarks, live, plots, training, verification, why

INTRO = N_(
    "An **embedding** is a short vector that keeps similarity: two pictures of the same person "
    "(or the same digit) land close together, different ones far apart. A network learns it "
    "with a classifier whose head is cut off, with a contrastive loss on pairs, or with the "
    "triplet loss on (anchor, positive, negative). Then one picture per person is enough "
    "(one-shot learning): two faces are the same person when their distance is at most τ.")
FORMULAS = (r"L(A,P,N)=\max\!\left(0,\ \lVert f(A)-f(P)\rVert^2-\lVert f(A)-f(N)\rVert^2+\alpha\right)",
            N_(r"d(\mathrm{img}_1,\mathrm{img}_2)\le\tau\ \Rightarrow\ \text{same person}"))
TABS = [Tab(N_("Why embeddings"), why.render), Tab(N_("Train your own"), training.render),
        Tab(N_("Faces & landmarks"), landmarks.render), Tab(N_("Verification (1:1)"), verification.render),
        Tab(N_("Identification (1:K)"), identification.render), Tab(N_("Live"), live.render),
        Tab(N_("Plots"), plots.render)]


def render() -> None:
    st.title(_("Embeddings and faces"))
    st.write(_(INTRO))
    figures.formulas(*(_(f) for f in FORMULAS))
    tabs.run(TABS, "emb-")
