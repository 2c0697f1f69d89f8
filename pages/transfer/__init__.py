"""Transfer learning: reuse an ImageNet network for classes of your own (notes 004, "State of CV").

Tabs: ``teach.py`` (Teach it your classes: snapshots, uploads or bundled pictures, a linear head
on frozen features, then live classification), ``regimes.py`` (Three regimes, measured on
scikit-image's lfw_subset). The maths is in ``core.transfer``; the class editor in ``classes.py``.
"""
from __future__ import annotations

import streamlit as st

from dashboard import tabs
from dashboard.i18n import N_, _
from dashboard.tabs import Tab

from . import regimes, teach

TABS = [Tab(N_("Teach it your classes"), teach.render), Tab(N_("Three regimes, measured"), regimes.render)]
PREFIX = "tl-"


def render() -> None:
    st.title(_("Transfer learning"))
    st.write(_(
        "Vision problems have little labelled data for how hard they are. A network trained on "
        "ImageNet's 1.2 million pictures has already learnt edges, textures, parts and objects; "
        "with few pictures of your own, keep those layers (**freeze** them) and train only a new "
        "last layer — or fine-tune the later layers too when you have more data. With very little "
        "data this beats training from scratch by a wide margin (measured in the second tab)."))
    st.latex(r"\hat y=\operatorname{softmax}\big(W\,\phi(x)+b\big),\qquad "
             + _(r"\phi=\text{frozen ImageNet layers},\ \ \text{only }W,b\text{ learnt}"))
    tabs.run(TABS, PREFIX)
