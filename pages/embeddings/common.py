"""What several Embeddings tabs share: dlib's face models, cached face finding, the session's
gallery and labelled set, and the labelled scatter of an embedding."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.embeddings import faces
from core.zoo import ModelUnavailable
from dashboard.cache import get_model

LabelledSet = tuple[np.ndarray, np.ndarray, list[np.ndarray]]   # descriptors, names, chips


def dlib_models() -> faces.FaceModels:
    """dlib's models from the shared model cache (zoo entry "dlib-faces")."""
    return get_model("dlib-faces").model


def face_models() -> faces.FaceModels | None:
    """dlib's models, or None after showing why they cannot be had."""
    try:
        return dlib_models()
    except (faces.FaceModelsUnavailable, ModelUnavailable) as e:
        st.error(str(e))
        return None


@st.cache_data(show_spinner="Finding faces…", max_entries=24)
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
    return _find(image, detector, upsample, min_score)


def gallery() -> faces.Gallery:
    """The people enrolled in this browser session (Identification and Live tabs)."""
    if "emb-gallery-obj" not in st.session_state:
        st.session_state["emb-gallery-obj"] = faces.Gallery()
    return st.session_state["emb-gallery-obj"]


def labelled_set() -> LabelledSet | None:
    """The labelled set embedded on the Verification tab, if there is one."""
    return st.session_state.get("emb-labelled")


def scatter(xy, labels, title: str, outlier_mask=None, texts=None, dim: int = 2) -> go.Figure:
    """Points coloured by label (2-D or 3-D), outliers circled; ``customdata`` is the index."""
    labels = np.asarray(labels)
    fig = go.Figure()
    idx_all = np.arange(len(labels))
    for lab in sorted(set(labels.tolist()), key=str):
        m = labels == lab
        hover = [texts[i] for i in idx_all[m]] if texts is not None else None
        kw = dict(mode="markers", name=str(lab), customdata=idx_all[m], hovertext=hover,
                  hoverinfo="text+name" if hover else None)
        if dim == 3:
            fig.add_trace(go.Scatter3d(x=xy[m, 0], y=xy[m, 1], z=xy[m, 2],
                                       marker={"size": 3}, **kw))
        else:
            fig.add_trace(go.Scatter(x=xy[m, 0], y=xy[m, 1], marker={"size": 7, "opacity": 0.8}, **kw))
    if outlier_mask is not None and outlier_mask.any():
        o = np.asarray(outlier_mask)
        if dim == 3:
            fig.add_trace(go.Scatter3d(x=xy[o, 0], y=xy[o, 1], z=xy[o, 2], mode="markers",
                                       name="outliers", marker={"size": 6, "symbol": "x", "color": "black"}))
        else:
            fig.add_trace(go.Scatter(x=xy[o, 0], y=xy[o, 1], mode="markers", name="outliers",
                                     customdata=idx_all[o],
                                     marker={"size": 13, "symbol": "circle-open", "color": "black",
                                             "line": {"width": 2}}))
    fig.update_layout(title=title, height=520, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"itemsizing": "constant"})
    return fig
