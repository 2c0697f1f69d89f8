"""Convolution lab: edge filters, the notes' worked examples, output size, volumes,
1×1 and transposed convolution, pooling, and learning a filter.

Thin page: every number is computed by ``core.convolution``; these modules read inputs and
draw. One module per tab: ``edges.py`` (Edge filters), ``worked.py`` (Worked examples),
``output_size.py`` (Output size), ``volumes.py`` (Volumes), ``one_by_one.py`` (1×1 conv),
``pooling.py`` (Pooling), ``transposed.py`` (Transposed conv), ``learn.py`` (Learn a filter);
what several tabs share is in ``common.py``.
"""
from __future__ import annotations

import streamlit as st

from dashboard import tabs
from dashboard.i18n import N_, _
from dashboard.tabs import Tab

from . import edges, learn, one_by_one, output_size, pooling, transposed, volumes, worked

TABS = [
    Tab(N_("Edge filters"), edges.render),
    Tab(N_("Worked examples"), worked.render),
    Tab(N_("Output size"), output_size.render),
    Tab(N_("Volumes"), volumes.render),
    Tab(N_("1×1 conv"), one_by_one.render),
    Tab(N_("Pooling"), pooling.render),
    Tab(N_("Transposed conv"), transposed.render),
    Tab(N_("Learn a filter"), learn.render),
]
INTRO = N_("A filter (kernel) slides over the image; at every position the overlapping numbers are "
         "multiplied and summed. Deep learning calls this *convolution* although it is "
         "cross-correlation — the filter is not flipped. A vertical-edge filter answers strongly "
         "where brightness changes from left to right, with a sign that says which way.")
FORMULA = (r"(x * k)[i,j] = \sum_{a=0}^{f-1}\sum_{b=0}^{f-1} x[i\,s+a,\ j\,s+b]\;k[a,b]"
           r"\qquad n_{out} = \left\lfloor \frac{n + 2p - f}{s} \right\rfloor + 1")


def render() -> None:
    st.title(_("Convolution lab"))
    st.write(_(INTRO))
    st.latex(FORMULA)
    tabs.run(TABS, "conv-")  # only the open tab runs; the others keep their settings
