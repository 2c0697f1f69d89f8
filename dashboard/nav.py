"""The topics of the lab, in the order of the course notes, and their pages.

Each topic is a package ``pages/<package>/``: ``__init__.py`` holds the page (title, intro, shared
inputs, ``TABS``) and one module per tab holds that tab's ``render()``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.i18n import N_

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"


@dataclass(frozen=True)
class Topic:
    section: str
    title: str
    url: str
    package: str          # pages/<package>/: __init__.py has render(), one module per tab
    icon: str
    summary: str


TOPICS: list[Topic] = [  # section, title, summary: marked (N_), translated where shown
    Topic(N_("Convolution"), N_("Convolution lab"), "convolution", "convolution", ":material/grid_on:",
          N_("Edge filters on any image, the notes' 6×6 worked example, output-size arithmetic, "
          "padding and stride, volumes, 1×1 and transposed convolution, pooling.")),
    Topic(N_("Architectures"), N_("Classic architectures"), "architectures", "architectures",
          ":material/account_tree:",
          N_("LeNet-5, AlexNet, VGG-16, ResNet, Inception, MobileNet and EfficientNet as live layer "
          "tables and cost explorers; LeNet-5 trained in the browser.")),
    Topic(N_("Transfer learning"), N_("Transfer learning"), "transfer", "transfer", ":material/school:",
          N_("Teach an ImageNet network your own classes from webcam snapshots in seconds; the "
          "notes' three regimes (freeze, fine-tune, from scratch) measured against data size.")),
    Topic(N_("Detection"), N_("Object detection"), "detection", "detection", ":material/center_focus_strong:",
          N_("YOLO on images, video and webcam (or your own detector); localisation and landmarks "
          "with the notes' y; sliding windows done by convolution, grid targets and anchors, IoU, "
          "non-max suppression on real candidates; R-CNN's region proposals timed against YOLO.")),
    Topic(N_("Segmentation"), N_("Semantic segmentation"), "segmentation", "segmentation", ":material/texture:",
          N_("U-Net built, trained and explained; transposed convolution as up-sampling.")),
    Topic(N_("Inside the network"), N_("Inside the network"), "inside", "inside", ":material/visibility:",
          N_("Filters, feature maps, maximally activating patches, saliency and Grad-CAM, gradient "
          "ascent, feature inversion, adversarial and fooling images.")),
    Topic(N_("DeepDream"), N_("DeepDream"), "deepdream", "deepdream", ":material/cloud:",
          N_("Amplify what a layer sees, octave by octave, from edges to eyes and dog faces.")),
    Topic(N_("Style"), N_("Style transfer"), "style", "style", ":material/palette:",
          N_("Gram matrices, texture synthesis, Gatys style transfer with live progress, fast style.")),
    Topic(N_("Embeddings"), N_("Embeddings and faces"), "embeddings", "embeddings", ":material/face:",
          N_("Contrastive and triplet losses, face verification and recognition, UMAP and t-SNE.")),
]

_PAGES: dict[str, object] = {}


def render_function(package: str):
    """The page's ``render()`` wrapped in the error boundary (what ``st.Page`` runs)."""
    import importlib

    from dashboard import heap
    from dashboard.tabs import boundary

    def page() -> None:
        try:
            module = importlib.import_module(f"pages.{package}")
            boundary(module.render, where=f"page {package}")
        finally:        # Streamlit's full gc.collect after the run then skips what lives on
            heap.settle()

    page.__name__ = f"page_{package}"  # st.Page derives a default title/url from it
    return page


def build_pages() -> dict[str, list]:
    """``st.navigation`` input: {section: [st.Page, ...]}, home first."""
    import streamlit as st

    from dashboard.i18n import _

    home = st.Page(render_function("home"), title=_("Home"), icon=":material/home:",
                   url_path="home", default=True)
    nav: dict[str, list] = {"CNN Lab": [home]}
    _PAGES["home"] = home
    for t in TOPICS:
        page = st.Page(render_function(t.package), title=_(t.title), icon=t.icon, url_path=t.url)
        _PAGES[t.url] = page
        nav.setdefault(_(t.section), []).append(page)
    return nav


def page(url: str):
    """The ``st.Page`` for a topic (for ``st.page_link``), or None when the app shell has not
    built the navigation in this process (a page run on its own, as in unit tests)."""
    return _PAGES.get(url)
