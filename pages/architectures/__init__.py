"""Classic architectures lab: LeNet-5 to EfficientNet as layer tables, diagrams and cost
explorers, the residual experiment, data augmentation and LeNet-5 trained in the page.

Thin page: every number comes from ``core.architectures``. One module per tab, in tab order:
``networks``, ``compare``, ``residual``, ``inception``, ``mobilenet``, ``efficientnet``,
``augmentation``, ``lenet``; what several tabs share (formatting, cached summaries) is in
``common``.
"""
from __future__ import annotations

import streamlit as st

from dashboard import tabs
from dashboard.i18n import N_, _
from dashboard.tabs import Tab

from . import augmentation, compare, efficientnet, inception, lenet, mobilenet, networks, residual

TABS = [Tab(N_("Networks"), networks.render), Tab(N_("Compare"), compare.render),
        Tab(N_("Residual block"), residual.render), Tab(N_("1×1 & Inception"), inception.render),
        Tab(N_("Depthwise separable & MobileNetV2"), mobilenet.render),
        Tab(N_("EfficientNet scaling"), efficientnet.render), Tab(N_("Augmentation"), augmentation.render),
        Tab(N_("LeNet-5 live"), lenet.render)]
PREFIX = "arch-"  # the tab bar's key is "arch-tab"; every widget key of the page starts with it


def render() -> None:
    st.title(_("Classic architectures"))
    st.write(_(
        "From LeNet-5 (1998) to EfficientNet (2019): the classic networks are stacks of the same "
        "few layers — convolution, pooling, fully connected — and going deeper the picture gets "
        "smaller (H×W shrinks) while it gets richer (channels grow). Later ideas make depth "
        "trainable (residual blocks) and cheap (1×1 bottlenecks, depthwise separable "
        "convolutions, compound scaling). Every network here is built untrained, and its numbers "
        "come from a real forward pass."
    ))
    st.latex(r"\text{params}^{[l]} = (f^{[l]}\, f^{[l]}\, n_C^{[l-1]} + 1)\, n_C^{[l]} \qquad "
             r"\text{MACs}^{[l]} = n_H^{[l]}\, n_W^{[l]}\, n_C^{[l]} \cdot f^{[l]}\, f^{[l]}\, "
             r"n_C^{[l-1]}")
    tabs.run(TABS, PREFIX)
