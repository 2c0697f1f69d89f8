"""Inside the network: filters, feature maps, patches, saliency, gradient ascent, inversion,
neighbours, adversarial and fooling images (core.vis.*).

One module per tab (``says``, ``filters``, ``patches``, ``saliency``, ``classvis``,
``inversion``, ``neighbours``, ``adversarial``); what they share is in ``common.py``.
"""
from __future__ import annotations

import streamlit as st

from core.vis import features as Fe
from dashboard import tabs
from dashboard.i18n import N_, _, tr
from dashboard.tabs import Tab
from dashboard.widgets import image_input, model_picker

from . import adversarial, classvis, filters, inversion, neighbours, patches, saliency, says
from .common import Inside

TABS = [Tab(N_("What the model says"), says.render), Tab(N_("Filters & feature maps"), filters.render),
        Tab(N_("Maximally activating patches"), patches.render), Tab(N_("Saliency"), saliency.render),
        Tab(N_("Class visualization"), classvis.render), Tab(N_("Feature inversion"), inversion.render),
        Tab(N_("Neighbours & t-SNE"), neighbours.render), Tab(N_("Adversarial & fooling"), adversarial.render)]


def render() -> None:
    st.title(_("Inside the network"))
    st.write(_(
        "A trained CNN is not a black box if we look: the first layer's filters are edges and colour "
        "blobs, deeper feature maps respond to parts, the last layer places pictures in a space where "
        "similar things are close. Gradients tell which pixels mattered, gradient ascent paints what "
        "a unit wants, and the same gradients build pictures that fool the network."))
    st.latex(r"I^{*}=\arg\max_{I}\; f(I)+R(I)\qquad "
             r"x_{t+1}=x_t+\eta\,\frac{\partial a_i(x)}{\partial x}")
    ctx = _inputs()
    if ctx is None:
        return
    tabs.run(TABS, "inside-", ctx)   # download buttons: not assignable


def _inputs() -> Inside | None:
    top_l, top_r = st.columns([1, 1], gap="large")
    with top_r:
        lm = model_picker("inside-model", own=True)
        if lm.name != "vgg16" and not lm.meta.get("own"):
            st.caption(_("The notes use ImageNet-trained **VGG-16** (block1_conv1 … block5_conv3). Its "
                       "weights are not available here, so EfficientNet-Lite0 stands in; its stages are "
                       "named stem, blocks[0] … blocks[6], conv_head."))
    with top_l:
        image = image_input("inside-classify", default="chelsea", max_side=1024)
    if image is None:
        st.info(_("Pick a sample, upload a picture or take a snapshot."))
        return None
    layers = Fe.layer_choices(lm)
    if len(layers) < 2:
        st.warning(_("{model}: the views of this page read feature maps, and {why}.").format(
            model=lm.title, why=tr(lm.meta.get("layers_note")) or _("this network has fewer than two layers to show")))
        return None
    return Inside(lm=lm, image=image, crop=lm.prepare(image),
                  layer_names=[i.name for i in layers], info={i.name: i for i in layers})
