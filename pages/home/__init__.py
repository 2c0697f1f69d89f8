"""Home: what the lab is, and a card per topic."""
from __future__ import annotations

import streamlit as st

from dashboard import nav
from dashboard.i18n import _


def render() -> None:
    st.title("CNN Lab")
    st.markdown(_(
        "An interactive laboratory for **convolutional neural networks**. Every idea from the course "
        "notes — edge filters, padding and stride, pooling, the classic architectures, YOLO, U-Net, "
        "what the layers see, DeepDream, style transfer, face embeddings — is something you can "
        "*watch being computed* on real images and real models. Pick a topic:"))

    cols = st.columns(4)
    for i, topic in enumerate(nav.TOPICS):
        with cols[i % 4].container(border=True, height="stretch"):
            target = nav.page(topic.url)
            if target is not None:
                st.page_link(target, label=f"**{_(topic.title)}**", icon=topic.icon)
            else:  # run outside the app shell: a plain link to the same URL
                st.markdown(f"**[{_(topic.title)}](/{topic.url})**")
            st.caption(_(topic.section))
            st.write(_(topic.summary))

    with st.expander(_("How to use the lab"), icon=":material/help:"):
        st.markdown(_(
            "- **Images**: every page takes a bundled sample picture (no network needed), your own "
            "upload, or a camera snapshot. Uploads stay in memory and are never written to disk.\n"
            "- **Models** load once and are shared by all pages; the sidebar shows which are loaded, "
            "where their weights came from, and frees them.\n"
            "- **Offline**: with no network the lab uses bundled models (an ImageNet-trained "
            "EfficientNet-Lite0 stands in for VGG-16) and says so next to every result. Run "
            "`cnnlab prefetch` once on a network to cache the pretrained weights for a talk.\n"
            "- **Long jobs** (dreaming, style transfer, training) show progress and intermediate "
            "images and can be stopped at any time."))
