"""What several Embeddings tabs share: dlib's face models, cached face finding, the session's
gallery and labelled set, and the labelled scatter of an embedding."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.embeddings import faces, project
from core.zoo import ModelUnavailable
from dashboard.cache import get_model
from dashboard.i18n import _, tr

LabelledSet = tuple[np.ndarray, np.ndarray, list[np.ndarray]]   # descriptors, names, chips


def dlib_models() -> faces.FaceModels:
    """dlib's models from the shared model cache (zoo entry "dlib-faces")."""
    return get_model("dlib-faces").model


def face_models() -> faces.FaceModels | None:
    """dlib's models, or None after showing why they cannot be had."""
    try:
        return dlib_models()
    except (faces.FaceModelsUnavailable, ModelUnavailable) as e:
        st.error(tr(e.args[0]) if len(e.args) == 1 else str(e))
        return None


@st.cache_data(show_spinner=False, max_entries=24)
def _find(image: np.ndarray, detector: str, upsample: int, min_score: float | None
          ) -> list[faces.Face]:
    return faces.embed_faces(image, detector=detector, upsample=upsample, min_score=min_score,
                             models=dlib_models())


def find_faces(image: np.ndarray, detector: str = "hog", upsample: int = 1,
               min_score: float | None = None) -> list[faces.Face]:
    """Every face in the picture scoring at least ``min_score`` (default: the detector's own
    floor, ``faces.MIN_SCORE``), embedded (cached per picture and settings)."""
    if face_models() is None:
        return []
    with st.spinner(_("Finding faces…")):
        return _find(image, detector, upsample, min_score)


def gallery() -> faces.Gallery:
    """The people enrolled in this browser session (Identification and Live tabs)."""
    if "emb-gallery-obj" not in st.session_state:
        st.session_state["emb-gallery-obj"] = faces.Gallery()
    return st.session_state["emb-gallery-obj"]


def labelled_set() -> LabelledSet | None:
    """The labelled set embedded on the Verification tab, if there is one."""
    return st.session_state.get("emb-labelled")


def _colour(k: int) -> str:
    r, g, b = project.PALETTE[k % len(project.PALETTE)]
    return f"rgb({r},{g},{b})"


def scatter(xy, labels, title: str, outlier_mask=None, texts=None, dim: int = 2, *,
            method: str | None = None, variance=None, unit: bool = False) -> go.Figure:
    """Points coloured by label (2-D or 3-D), outliers circled; ``customdata`` is the index.

    Colours are tab10 in sorted label order, as in the training's live picture
    (``project.scatter_image``), so a digit keeps its colour. ``method`` names the axes: PCA's
    "PC 1 (24 % of the variance)" (``variance``: shares per axis), t-SNE/UMAP's without ticks
    (their units mean nothing). ``unit``: the points are PCA coordinates of unit vectors, drawn
    on fixed, equal axes [-1, 1].
    """
    labels = np.asarray(labels)
    fig = go.Figure()
    idx_all = np.arange(len(labels))
    for k, lab in enumerate(sorted(set(labels.tolist()), key=str)):
        m = labels == lab
        hover = [texts[i] for i in idx_all[m]] if texts is not None else None
        kw = dict(mode="markers", name=str(lab), customdata=idx_all[m], hovertext=hover,
                  hoverinfo="text+name" if hover else None)
        if dim == 3:
            fig.add_trace(go.Scatter3d(x=xy[m, 0], y=xy[m, 1], z=xy[m, 2],
                                       marker={"size": 3, "color": _colour(k)}, **kw))
        else:
            fig.add_trace(go.Scatter(x=xy[m, 0], y=xy[m, 1],
                                     marker={"size": 7, "opacity": 0.8, "color": _colour(k)}, **kw))
    if outlier_mask is not None and outlier_mask.any():
        o = np.asarray(outlier_mask)
        if dim == 3:
            fig.add_trace(go.Scatter3d(x=xy[o, 0], y=xy[o, 1], z=xy[o, 2], mode="markers",
                                       name=_("outliers"), marker={"size": 6, "symbol": "x", "color": "black"}))
        else:
            fig.add_trace(go.Scatter(x=xy[o, 0], y=xy[o, 1], mode="markers", name=_("outliers"),
                                     customdata=idx_all[o],
                                     marker={"size": 13, "symbol": "circle-open", "color": "black",
                                             "line": {"width": 2}}))
    fig.update_layout(title=title, height=520, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"itemsizing": "constant"})
    if method is not None:
        _axes(fig, method, variance, unit, dim)
    return fig


def _axes(fig: go.Figure, method: str, variance, unit: bool, dim: int) -> None:
    name = project.TITLES[method]
    if method == "pca":
        titles = [_("PC {k} ({share:.0%} of the variance)").format(k=k + 1, share=variance[k])
                  if variance is not None else f"PC {k + 1}" for k in range(dim)]
    else:
        titles = [f"{name} {k + 1}" for k in range(dim)]
    ticks = method == "pca"
    if dim == 3:
        fig.update_scenes(**{f"{a}axis": {"title": t, "showticklabels": ticks}
                             for a, t in zip("xyz", titles)})
        return
    fig.update_xaxes(title=titles[0], showticklabels=ticks)
    fig.update_yaxes(title=titles[1], showticklabels=ticks)
    if unit:   # fixed, equal units: the clusters are seen spreading out as training goes on
        fig.update_xaxes(range=[-1.05, 1.05], zeroline=True)
        fig.update_yaxes(range=[-1.05, 1.05], zeroline=True, scaleanchor="x", scaleratio=1)
