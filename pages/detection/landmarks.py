"""Landmarks: the notes' 1 + 2n outputs, y = [p_c, l₁ₓ, l₁ᵧ, …], on a generated set square; every
corner's error drawn; the same network trained on shuffled labels next to it; then dlib's 68 face
points on the bundled astronaut."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
import torch

from core import images
from core.detection import landmarks as LM
from core.embeddings import faces
from dashboard import figures, nav
from core.zoo import ModelUnavailable
from dashboard.cache import get_model
from dashboard.i18n import N_, _, tr
from dashboard.widgets import how_it_works, model_or_error, provenance_badge

from .common import shown

SOURCES = (N_("A set square"), N_("Empty scene (p_c = 0)"))
#: the set square's corners (``landmarks.CORNERS``), marked here for translation
CORNER_NAMES = (N_("right angle (90°)"), N_("60° corner"), N_("30° corner"))
#: the two networks' labels (``landmarks.ORDERS``)
TRAINED_ON = {"consistent": N_("Trained on consistent labels"), "shuffled": N_("Trained on shuffled labels")}
ORDER_LABELS = {"consistent": N_("consistent labels"), "shuffled": N_("shuffled labels")}
LATEX_Y = (r"y=\begin{bmatrix}p_c & l_{1x} & l_{1y} & l_{2x} & l_{2y} & l_{3x} & l_{3y}\end{bmatrix}^\top"
           rf"\in\mathbb{{R}}^{{1+2\cdot {LM.N}={LM.OUTPUTS}}}")
FORMULA = N_(r"\mathcal{L}(\hat y, y)=\begin{cases}(\hat p_c-p_c)^2+\sum_{k=1}^{n}\big[(\hat l_{kx}-l_{kx})^2+"
           r"(\hat l_{ky}-l_{ky})^2\big] & \text{if } p_c=1\\ (\hat p_c-p_c)^2 & \text{if } p_c=0\end{cases}")


@st.cache_data(show_spinner=False, max_entries=64)
def _example(seed: int, empty: bool) -> LM.Example:
    return LM.example(seed, empty)


def _num(v: float) -> str:
    return "?" if not np.isfinite(v) else f"{v:.0f}" if v in (0.0, 1.0) else f"{v:.3f}"


def _table(ex: LM.Example, y_hat: np.ndarray, terms: np.ndarray) -> pd.DataFrame:
    asks = [_("is there a set square?")] + [f"{_(c)}: {a}" for c in LM.CORNERS for a in ("x", "y")]
    return pd.DataFrame({
        _("entry"): LM.NAMES, _("asks"): asks, _("y (truth)"): [_num(float(v)) for v in ex.y],
        _("ŷ (network)"): [f"{float(v):.3f}" for v in y_hat],
        "(ŷᵢ − yᵢ)²": [f"{float(t):.4f}" if i == 0 or ex.has_object else _("don't care")
                       for i, t in enumerate(terms)]})


def _consistency(lm, ex: LM.Example, img: np.ndarray, stroke: float) -> None:
    """The same recipe trained on consistent and on shuffled labels: their answers and scores."""
    meta = lm.meta
    st.markdown(_("#### Labelled consistently, or not"))
    st.write(_("The notes warn that many landmarks need **labelled data**, and the labels must mean the "
             "same thing on every picture: landmark 1 is *always* the right angle. The network on the "
             "right had the same pictures and the same training, but each picture's three corners were "
             "listed in a random order. Then no single answer fits: the squared loss is lowest when "
             "every landmark sits at the average of the three corners — the centre of the triangle."))
    with lm.lock:
        both = {k: LM.predict(getattr(lm.model, k), img)[0] for k in LM.ORDERS}
    cols = st.columns(2)
    for c, k in zip(cols, LM.ORDERS):
        yh = both[k]
        err = LM.errors_px(yh, ex.points) if ex.has_object else None
        text = _(TRAINED_ON[k]) if err is None else \
            _("{trained}: mean error {err:.1f} px").format(trained=_(TRAINED_ON[k]), err=err.mean())
        c.image(LM.picture(img, ex.points, yh, side=320, stroke=stroke), caption=text, width="stretch")
    held = meta.get("heldout", {})
    if held:
        rows = [{_("trained on"): _(ORDER_LABELS[k]),
                 _("mean corner error (px)"): f"{held[k]['mean_error_px']:.2f}",
                 _("…in the order that fits best (px)"): f"{held[k]['best_order_error_px']:.2f}",
                 _("predicted corners from their centre (px)"): f"{held[k]['spread_px']:.1f}",
                 _("loss"): f"{held[k]['loss']:.4f}"} for k in LM.ORDERS if k in held]
        figures.table(st, pd.DataFrame(rows), hide_index=True, width="stretch")
        st.caption(_("Measured on {n} fresh pictures (seed {seed}), {size}×{size} px. The true corners lie "
                     "{spread:.1f} px from their centre on average: that is what answering \"the centre\" "
                     "costs, and about what the shuffled network pays, even when its answers may be matched "
                     "to the corners in any order.").format(
            n=meta.get('heldout_n', '?'), seed=meta.get('heldout_seed', '?'), size=LM.SIZE,
            spread=held['consistent']['true_spread_px']))


def _gallery(lm, seed: int, empty: bool, stroke: float) -> None:
    seeds = list(range(seed + 1, seed + 9))
    exs = [_example(k, empty) for k in seeds]
    with lm.lock:
        y_hat = LM.predict(lm.model, [e.image for e in exs])
    st.markdown(_("**The next eight seeds** ({first}–{last}): the same network on pictures of the same "
                  "kind.").format(first=seeds[0], last=seeds[-1]))
    cols = st.columns(4) + st.columns(4)
    for c, k, e, p in zip(cols, seeds, exs, y_hat):
        if e.has_object:
            err = LM.errors_px(p, e.points)
            text = _("seed {k}: mean {mean:.1f} px · worst {worst:.1f} px").format(k=k, mean=err.mean(),
                                                                                 worst=err.max())
        else:
            text = _("seed {k}: p̂_c {p:.2f} {mark}").format(k=k, p=p[0], mark="✓" if p[0] <= 0.5 else "✗")
        c.image(LM.picture(e.image, e.points, p, side=256, stroke=stroke, tags=False), caption=text, width="stretch")


@st.cache_data(show_spinner=False, max_entries=2)
def _astronaut_points() -> tuple[np.ndarray, np.ndarray | None, tuple | None]:
    image = images.load_sample("astronaut", max_side=512)
    models = get_model("dlib-faces").model
    found = faces.detect(image, models=models)
    if not found:
        return image, None, None
    box, _score = found[0]                    # the best-scoring face
    return image, faces.landmarks(image, box, 68, models=models), tuple(box)


def _faces() -> None:
    st.markdown(_("#### The real thing: 68 points on a face"))
    st.write(_("dlib's face landmark model answers the same question for a face: *is there a face* (its "
             "detector), then (x, y) for 68 points — jaw, brows, nose, eyes, mouth: 1 + 68 × 2 = 137 "
             "numbers. It was trained on thousands of faces labelled by people, every point with the same "
             "meaning on every face (point 37 is always the outer corner of the right eye)."))
    link = nav.page("embeddings")
    if link is not None:
        st.page_link(link, label=_("Open the Embeddings page: landmarks on your own pictures and the webcam"),
                     icon=":material/face:")
    if not st.toggle(_("Show dlib's 68 points on the bundled astronaut picture"), key="det-lm-faces"):
        return
    try:
        with st.spinner(_("dlib finds the face and its 68 points…")):
            image, points, box = _astronaut_points()
    except (faces.FaceModelsUnavailable, ModelUnavailable, ValueError) as e:   # say why, no traceback
        st.error(_("dlib's face models cannot be loaded here: {error}").format(
            error=tr(e.args[0]) if len(e.args) == 1 else e))
        return
    if points is None:
        st.warning(_("dlib found no face in the astronaut picture."))
        return
    x0, y0, x1, y1 = (int(v) for v in box)
    pad = (x1 - x0) // 3
    crop = faces.draw_landmarks(image, points)[max(0, y0 - pad):y1 + pad, max(0, x0 - pad):x1 + pad]
    a, b = st.columns([2, 3])
    a.image(crop, caption=_("dlib: p_c = 1 (a face), then {n} points → 1 + 2 × {n} = {total} numbers").format(
        n=len(points), total=1 + 2 * len(points)), width="stretch")
    b.write(_("The first few of its 137 outputs, in the notes' layout (pixels of the picture):"))
    entry, value = _("entry"), _("value")
    rows = [{entry: "p_c", value: "1"}] + [
        {entry: f"l_{k + 1}{a}", value: f"{points[k][i]:.1f}"} for k in range(4) for i, a in enumerate("xy")]
    figures.table(b, pd.DataFrame(rows + [{entry: "…", value: _("… up to l_{n}y").format(n=len(points))}]),
                  hide_index=True)


def render() -> None:
    st.subheader(_("Landmark detection"))
    st.write(_("To find **points** rather than boxes, the last layer outputs their coordinates: first *is "
             "the thing there at all* (p_c: is there a face before we look for the corner of its eye), "
             "then x and y for each of the n landmarks — 1 + 2n numbers. Our thing is a set square "
             "(a 30-60-90 triangle) and its landmarks are its three corners: 1 the right angle, 2 the "
             "60° corner, 3 the 30° corner. Coordinates are fractions of the picture: (0, 0) top left."))
    st.latex(LATEX_Y)
    st.latex(_(FORMULA))
    c1, c2 = st.columns([3, 2])
    source = c1.segmented_control(_("Picture"), SOURCES, default=SOURCES[0], key="det-lm-source",
                                  format_func=shown(SOURCES)) or SOURCES[0]
    seed = int(c2.number_input(_("Scene seed"), 0, 10**6, 7, key="det-lm-seed",
                               help=_("Pictures are generated: the same seed gives the same picture. The "
                                      "network was trained on pictures from seed 0's generator only.")))
    lm = model_or_error(LM.ZOO_NAME)
    if lm is None:
        return
    empty = source != SOURCES[0]
    ex = _example(seed, empty)
    with lm.lock:
        y_hat = LM.predict(lm.model, ex.image)[0]
    terms = LM.loss_terms(torch.from_numpy(y_hat), torch.from_numpy(ex.y)).numpy()[0]
    s = figures.sizes()
    left, right = st.columns([2, 3])
    left.image(LM.picture(ex.image, ex.points, y_hat, stroke=s.scale), width="stretch",
               caption=_("What the network sees ({size}×{size} px), enlarged. Green rings: the true "
                         "corners; blue dots: predicted (drawn when p̂_c > 0.5); red: the error of each, "
                         "in pixels of the {size}×{size} picture.").format(size=LM.SIZE))
    with right:
        figures.table(st, _table(ex, y_hat, terms), hide_index=True, width="stretch")
        m1, m2, m3 = st.columns(3)
        m1.metric(_("Loss L(ŷ, y)"), f"{float(terms.sum()):.4f}")
        m2.metric("p̂_c", f"{float(y_hat[0]):.3f}")
        if ex.has_object:
            err = LM.errors_px(y_hat, ex.points)
            m3.metric(_("Mean corner error"), f"{err.mean():.1f} px", help=_("Per corner: {corners}").format(
                corners=", ".join(f"{_(c)} {e:.1f} px" for c, e in zip(LM.CORNERS, err))))
        else:
            m3.metric(_("Landmark terms"), _("don't care"), help=_("No set square: only (p̂_c − 0)² counts."))
            st.caption(_("**Don't care.** With no set square the six coordinates have no true value (?): "
                         "whatever the network puts there adds nothing to the loss."))
    if ex.has_object:
        _consistency(lm, ex, ex.image, s.scale)
    _gallery(lm, seed, empty, s.scale)
    provenance_badge(lm)
    _faces()
    how_it_works(_(
        "1. A generated picture (`core.detection.landmarks.example`): the segmentation lab's background, "
        "then a set square turned, mirrored and scaled at random; y lists its corners in `CORNERS`' order "
        "(NaN for don't care when there is none).\n"
        "2. `LandmarkNet`: the localiser's conv trunk (`localization.conv_trunk`) and one head with "
        "1 + 2n = {outputs} sigmoid outputs.\n"
        "3. `loss_terms` uses the localisation loss's rule (`localization.presence_masked_terms`): every "
        "squared error counts when p_c = 1, only (p̂_c − p_c)² when p_c = 0. The bundled pair was trained "
        "with it (`scripts/make_landmark_assets.py`, card `assets/landmarks_shapes.md`); the shuffled one "
        "saw each picture's corners in a fresh random order.\n"
        "4. Faces: `core.embeddings.faces.detect` and `faces.landmarks` (dlib's shape predictor).").format(
        outputs=LM.OUTPUTS))
