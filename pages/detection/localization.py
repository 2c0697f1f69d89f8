"""Localisation: one object per picture, the notes' y = [p_c, c₁, c₂, c₃, b_x, b_y, b_h, b_w], true
against predicted, and the loss split into its eight terms (only the first counts on an empty scene)."""
from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import torch

from core.detection import localization as L
from dashboard import figures
from dashboard.i18n import N_, _
from dashboard.widgets import how_it_works, image_input, model_or_error, provenance_badge

from .common import shown

SOURCES = (N_("One object"), N_("Empty scene (p_c = 0)"), N_("Your picture"))
#: what the box entries of y ask (``localization.MEANINGS[4:]``), marked here for translation
BOX_MEANINGS = (N_("box centre x"), N_("box centre y"), N_("box height"), N_("box width"))
FORMULA = N_(r"\mathcal{L}(\hat y, y)=\begin{cases}\sum_{i=1}^{8}(\hat y_i-y_i)^2 & \text{if } p_c=1\\"
           r"(\hat y_1-y_1)^2=(\hat p_c-p_c)^2 & \text{if } p_c=0\ \ (\text{the rest: don't care})\end{cases}")
LATEX_Y = (r"y=\begin{bmatrix}p_c & c_1 & c_2 & c_3 & b_x & b_y & b_h & b_w\end{bmatrix}^\top")


@st.cache_data(show_spinner=False, max_entries=64)
def _example(seed: int, empty: bool) -> L.Example:
    return L.example(seed, empty)


def _num(v: float) -> str:
    """y's entries as the notes write them: 0 / 1, fractions to 3 places, ? for don't care."""
    return "?" if not np.isfinite(v) else f"{v:.0f}" if v in (0.0, 1.0) else f"{v:.3f}"


def _asks(i: int) -> str:
    """What entry i of y asks (``localization.MEANINGS``), in the visitor's language."""
    if i == 0:
        return _("is there an object?")
    if i <= 3:
        return _("is it a {shape}?").format(shape=_(L.CLASSES[i - 1]))
    return _(L.MEANINGS[i])


def _table(y: np.ndarray | None, y_hat: np.ndarray, terms: np.ndarray | None) -> pd.DataFrame:
    rows = []
    for i, name in enumerate(L.NAMES):
        row = {_("entry"): name, _("asks"): _asks(i)}
        if y is not None:
            row[_("y (truth)")] = _num(float(y[i]))
        row[_("ŷ (network)")] = f"{float(y_hat[i]):.3f}"
        if terms is not None:
            counts = i == 0 or float(y[0]) > 0.5
            row["(ŷᵢ − yᵢ)²"] = f"{float(terms[i]):.4f}" if counts else _("don't care")
        rows.append(row)
    return pd.DataFrame(rows)


def _terms_figure(terms: np.ndarray, counts: np.ndarray) -> go.Figure:
    s = figures.sizes()
    cols = ["#e53935" if i == 0 else "#fb8c00" if i < 4 else "#1565c0" for i in range(8)]
    fig = go.Figure(go.Bar(x=list(L.NAMES), y=[float(t) if c else 0.0 for t, c in zip(terms, counts)],
                           marker_color=[c if k else "#cfcfcf" for c, k in zip(cols, counts)],
                           text=[f"{t:.4f}" if c else _("don't care") for t, c in zip(terms, counts)],
                           textposition="outside", cliponaxis=False))
    top = max(1e-3, float(np.max(terms[counts]))) * 1.35
    fig.update_layout(height=round(260 * s.scale), margin=dict(l=10, r=10, t=30, b=10), showlegend=False,
                      yaxis=dict(title="(ŷᵢ − yᵢ)²", range=[0, top]),
                      title=dict(text=_("The loss term by term (red: p_c, orange: class, blue: box)"),
                                 font=dict(size=s.title_font)))
    return fig


def _gallery(lm, seed: int, empty: bool, stroke: float) -> None:
    """The next eight pictures of the same kind, each with its boxes and its loss (and IoU)."""
    seeds = list(range(seed + 1, seed + 9))
    exs = [_example(k, empty) for k in seeds]
    with lm.lock:
        y_hat = L.predict(lm.model, [e.image for e in exs])
    losses = L.loss_terms(torch.from_numpy(y_hat), torch.from_numpy(np.stack([e.y for e in exs]))).sum(1)
    st.markdown(_("**The next eight seeds** ({first}–{last}): the same network on pictures of the same "
                  "kind.").format(first=seeds[0], last=seeds[-1]))
    cols = st.columns(4) + st.columns(4)
    for c, k, e, p, loss in zip(cols, seeds, exs, y_hat, losses.tolist()):
        if e.has_object:
            iou = L.box_iou(L.box_of(p, e.image.shape), e.box)
            said = L.CLASSES[int(np.argmax(p[1:4]))]
            if said == e.label:
                text = _("seed {k}: IoU {iou:.2f} · {said} ✓ · L = {loss:.3f}").format(
                    k=k, iou=iou, said=_(said), loss=loss)
            else:
                text = _("seed {k}: IoU {iou:.2f} · {said} ✗ (a {truth}) · L = {loss:.3f}").format(
                    k=k, iou=iou, said=_(said), truth=_(e.label), loss=loss)
        else:
            text = _("seed {k}: p̂_c {p:.2f} {mark} · L = {loss:.4f}").format(
                k=k, p=p[0], mark="✓" if p[0] <= 0.5 else "✗", loss=loss)
        c.image(L.picture(e.image, e.y, p, side=256, stroke=stroke, tags=False), caption=text, width="stretch")


def render() -> None:
    st.subheader(_("Classification with localisation"))
    st.write(_("Before finding *every* object (sliding windows, YOLO), the notes localise **one**: the "
             "network answers *is there an object*, *which of three classes* and *where is its box*, "
             "all in one vector of 8 numbers. Box centre, height and width are fractions of the "
             "picture: (0, 0) is the top left corner, (1, 1) the bottom right. Our three classes are "
             "circle, square and triangle (the notes' pedestrian, car and motorcycle)."))
    st.latex(LATEX_Y)
    st.latex(_(FORMULA))
    c1, c2 = st.columns([3, 2])
    source = c1.segmented_control(_("Picture"), SOURCES, default=SOURCES[0], key="det-loc-source",
                                  format_func=shown(SOURCES)) or SOURCES[0]
    lm = model_or_error(L.ZOO_NAME)
    if lm is None:
        return
    ex = None
    if source == "Your picture":
        image = image_input("det-loc-img", label=N_("Your picture"))
        if image is None:
            st.info(_("Pick a sample, upload a picture or take a snapshot; the network sees it squashed to "
                      "{size}×{size} px.").format(size=L.SIZE))
            return
    else:
        seed = c2.number_input(_("Scene seed"), 0, 10**6, 13, key="det-loc-seed",
                               help=_("Pictures are generated: the same seed gives the same picture. The "
                                      "network was trained on pictures from seed 0's generator only."))
        ex = _example(int(seed), source != SOURCES[0])
        image = ex.image
    with lm.lock:
        y_hat = L.predict(lm.model, image)[0]
    y = ex.y if ex is not None else None
    terms = L.loss_terms(torch.from_numpy(y_hat), torch.from_numpy(y)).numpy() if y is not None else None
    s = figures.sizes()
    left, right = st.columns([2, 3])
    with left:
        small = image if ex is not None else cv2.resize(image[..., :3], (L.SIZE, L.SIZE), interpolation=cv2.INTER_AREA)
        st.image(L.picture(small, y, y_hat, stroke=s.scale, gettext=_), width="stretch",
                 caption=_("What the network sees ({size}×{size} px), enlarged. Green: the true box; "
                           "dashed blue: the predicted box (drawn when p̂_c > 0.5).").format(size=L.SIZE))
    with right:
        figures.table(st, _table(y, y_hat, terms), hide_index=True, width="stretch")
        if y is None:
            st.caption(_("A picture of your own has no label y, so there is no loss to compute: the table "
                         "shows what the network answers. It knows generated shapes, not photos."))
        elif ex.has_object:
            iou = L.box_iou(L.box_of(y_hat, image.shape), ex.box)
            m1, m2, m3 = st.columns(3)
            m1.metric(_("Loss L(ŷ, y)"), f"{float(terms.sum()):.4f}", help=_("Σ of all 8 terms (p_c = 1)"))
            m2.metric(_("Box IoU"), f"{iou:.2f}", help=_("Predicted box against the true one"))
            m3.metric(_("Class"), _(L.CLASSES[int(np.argmax(y_hat[1:4]))]),
                      delta=_("right") if np.argmax(y_hat[1:4]) == np.argmax(y[1:4]) else
                      _("truth: {label}").format(label=_(ex.label)),
                      delta_color="normal" if np.argmax(y_hat[1:4]) == np.argmax(y[1:4]) else "inverse")
        else:
            ignored = float(np.sum(np.nan_to_num(y_hat[1:]) ** 2))
            m1, m2 = st.columns(2)
            m1.metric(_("Loss L(ŷ, y) = (p̂_c − 0)²"), f"{float(terms.sum()):.4f}")
            m2.metric("p̂_c", f"{float(y_hat[0]):.3f}", delta=_("no object: right") if y_hat[0] <= 0.5 else
                      _("says object: wrong"), delta_color="normal" if y_hat[0] <= 0.5 else "inverse")
            st.markdown(_("**Don't care.** With no object, y's last seven entries have no true value (?), "
                          "so whatever the network puts there adds nothing: only (p̂_c − p_c)² counts. "
                          "Its seven other outputs here (they would add {ignored:.3f} if the ? were read as 0) "
                          "are ignored, and the network is free to leave them anywhere.").format(ignored=ignored))
    if terms is not None:
        counts = np.array([True] + [bool(y[0] > 0.5)] * 7)
        figures.show(_terms_figure(terms, counts), "det-loc-terms", width="stretch")
        _gallery(lm, int(seed), source != SOURCES[0], s.scale)
    provenance_badge(lm)
    how_it_works(_(
        "1. A generated picture (`core.detection.localization.example`) holds one shape, or none; its "
        "label y is built by `target` from the tight box around the shape's visible pixels (NaN for "
        "don't care).\n"
        "2. `Localizer`: four conv blocks, then two heads on the flattened 4×4 map: a class head "
        "(p_c by a sigmoid, c₁…c₃ by a softmax) and a box head (four sigmoids), concatenated as y.\n"
        "3. `loss_terms` gives the eight squared errors, zeroing the last seven where p_c = 0; "
        "`localization_loss` sums them and averages over a batch. The bundled network was trained "
        "with exactly this loss (`scripts/make_localization_assets.py`, card "
        "`assets/localization_shapes.md`)."))
