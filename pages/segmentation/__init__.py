"""Semantic segmentation: transposed convolution, the U-Net and its skips, training, prediction.

Tabs, one module each: ``transposed.py`` (Transposed convolution), ``diagram.py`` (U-Net
diagram), ``skips.py`` (What the skips carry), ``training.py`` (Train it yourself),
``predict.py`` (Segment images); what they share is in ``common.py``.
"""
from __future__ import annotations

import streamlit as st

from dashboard import tabs
from dashboard.i18n import N_, _
from dashboard.tabs import Tab

from . import diagram, predict, skips, training, transposed

TABS = [Tab(N_("Transposed convolution"), transposed.render), Tab(N_("U-Net diagram"), diagram.render),
        Tab(N_("What the skips carry"), skips.render), Tab(N_("Train it yourself"), training.render),
        Tab(N_("Segment images"), predict.render)]


def render() -> None:
    st.title(_("Semantic segmentation"))
    st.write(_(
        "Detection draws a box around an object; **semantic segmentation** gives *every pixel* a class. "
        "The input is an h×w×3 image, the output h×w×(number of classes): a class probability per pixel. "
        "A classifier's maps only shrink, so the network has to grow them back — with **transposed "
        "convolutions** — and, because shrinking loses *where* things were, the **U-Net** copies the "
        "encoder's detailed maps across to the decoder with **skip connections**."))
    st.latex(_(r"\underbrace{h\times w\times 3}_{\text{image}}\;\xrightarrow{\text{down}}\;\text{context}"
               r"\;\xrightarrow{\text{up + skips}}\;\underbrace{h\times w\times n_{\text{classes}}}_{\text{scores}}"
               r"\qquad n_{\text{out}} = (n-1)\,s + f - 2p + \text{out\_pad}"))
    tabs.run(TABS, "seg-")
