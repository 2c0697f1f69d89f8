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
from dashboard.widgets import how_it_works, model_or_error, provenance_badge

SOURCES = ("A set square", "Empty scene (p_c = 0)")
LATEX_Y = (r"y=\begin{bmatrix}p_c & l_{1x} & l_{1y} & l_{2x} & l_{2y} & l_{3x} & l_{3y}\end{bmatrix}^\top"
           rf"\in\mathbb{{R}}^{{1+2\cdot {LM.N}={LM.OUTPUTS}}}")
FORMULA = (r"\mathcal{L}(\hat y, y)=\begin{cases}(\hat p_c-p_c)^2+\sum_{k=1}^{n}\big[(\hat l_{kx}-l_{kx})^2+"
           r"(\hat l_{ky}-l_{ky})^2\big] & \text{if } p_c=1\\ (\hat p_c-p_c)^2 & \text{if } p_c=0\end{cases}")


@st.cache_data(show_spinner=False, max_entries=64)
def _example(seed: int, empty: bool) -> LM.Example:
    return LM.example(seed, empty)


def _num(v: float) -> str:
    return "?" if not np.isfinite(v) else f"{v:.0f}" if v in (0.0, 1.0) else f"{v:.3f}"


def _table(ex: LM.Example, y_hat: np.ndarray, terms: np.ndarray) -> pd.DataFrame:
    asks = ["is there a set square?"] + [f"{c}: {a}" for c in LM.CORNERS for a in ("x", "y")]
    return pd.DataFrame({
        "entry": LM.NAMES, "asks": asks, "y (truth)": [_num(float(v)) for v in ex.y],
        "ŷ (network)": [f"{float(v):.3f}" for v in y_hat],
        "(ŷᵢ − yᵢ)²": [f"{float(t):.4f}" if i == 0 or ex.has_object else "don't care" for i, t in enumerate(terms)]})


def _consistency(lm, ex: LM.Example, img: np.ndarray, stroke: float) -> None:
    """The same recipe trained on consistent and on shuffled labels: their answers and scores."""
    meta = lm.meta
    st.markdown("#### Labelled consistently, or not")
    st.write("The notes warn that many landmarks need **labelled data**, and the labels must mean the "
             "same thing on every picture: landmark 1 is *always* the right angle. The network on the "
             "right had the same pictures and the same training, but each picture's three corners were "
             "listed in a random order. Then no single answer fits: the squared loss is lowest when "
             "every landmark sits at the average of the three corners — the centre of the triangle.")
    with lm.lock:
        both = {k: LM.predict(getattr(lm.model, k), img)[0] for k in LM.ORDERS}
    cols = st.columns(2)
    for c, k in zip(cols, LM.ORDERS):
        yh = both[k]
        err = LM.errors_px(yh, ex.points) if ex.has_object else None
        text = f"Trained on {k} labels" + (f": mean error {err.mean():.1f} px" if err is not None else "")
        c.image(LM.picture(img, ex.points, yh, side=320, stroke=stroke), caption=text, width="stretch")
    held = meta.get("heldout", {})
    if held:
        rows = [{"trained on": f"{k} labels", "mean corner error (px)": f"{held[k]['mean_error_px']:.2f}",
                 "…in the order that fits best (px)": f"{held[k]['best_order_error_px']:.2f}",
                 "predicted corners from their centre (px)": f"{held[k]['spread_px']:.1f}",
                 "loss": f"{held[k]['loss']:.4f}"} for k in LM.ORDERS if k in held]
        figures.table(st, pd.DataFrame(rows), hide_index=True, width="stretch")
        st.caption(f"Measured on {meta.get('heldout_n', '?')} fresh pictures (seed {meta.get('heldout_seed', '?')}), "
                   f"{LM.SIZE}×{LM.SIZE} px. The true corners lie {held['consistent']['true_spread_px']:.1f} px from "
                   "their centre on average: that is what answering \"the centre\" costs, and about what the "
                   "shuffled network pays, even when its answers may be matched to the corners in any order.")


def _gallery(lm, seed: int, empty: bool, stroke: float) -> None:
    seeds = list(range(seed + 1, seed + 9))
    exs = [_example(k, empty) for k in seeds]
    with lm.lock:
        y_hat = LM.predict(lm.model, [e.image for e in exs])
    st.markdown(f"**The next eight seeds** ({seeds[0]}–{seeds[-1]}): the same network on pictures of the same kind.")
    cols = st.columns(4) + st.columns(4)
    for c, k, e, p in zip(cols, seeds, exs, y_hat):
        if e.has_object:
            err = LM.errors_px(p, e.points)
            text = f"seed {k}: mean {err.mean():.1f} px · worst {err.max():.1f} px"
        else:
            text = f"seed {k}: p̂_c {p[0]:.2f} " + ("✓" if p[0] <= 0.5 else "✗")
        c.image(LM.picture(e.image, e.points, p, side=256, stroke=stroke, tags=False), caption=text, width="stretch")


@st.cache_data(show_spinner="dlib finds the face and its 68 points…", max_entries=2)
def _astronaut_points() -> tuple[np.ndarray, np.ndarray | None, tuple | None]:
    image = images.load_sample("astronaut", max_side=512)
    models = get_model("dlib-faces").model
    found = faces.detect(image, models=models)
    if not found:
        return image, None, None
    box, _score = found[0]                    # the best-scoring face
    return image, faces.landmarks(image, box, 68, models=models), tuple(box)


def _faces() -> None:
    st.markdown("#### The real thing: 68 points on a face")
    st.write("dlib's face landmark model answers the same question for a face: *is there a face* (its "
             "detector), then (x, y) for 68 points — jaw, brows, nose, eyes, mouth: 1 + 68 × 2 = 137 "
             "numbers. It was trained on thousands of faces labelled by people, every point with the same "
             "meaning on every face (point 37 is always the outer corner of the right eye).")
    link = nav.page("embeddings")
    if link is not None:
        st.page_link(link, label="Open the Embeddings page: landmarks on your own pictures and the webcam",
                     icon=":material/face:")
    if not st.toggle("Show dlib's 68 points on the bundled astronaut picture", key="det-lm-faces"):
        return
    try:
        image, points, box = _astronaut_points()
    except (faces.FaceModelsUnavailable, ModelUnavailable, ValueError) as e:   # say why, no traceback
        st.error(f"dlib's face models cannot be loaded here: {e}")
        return
    if points is None:
        st.warning("dlib found no face in the astronaut picture.")
        return
    x0, y0, x1, y1 = (int(v) for v in box)
    pad = (x1 - x0) // 3
    crop = faces.draw_landmarks(image, points)[max(0, y0 - pad):y1 + pad, max(0, x0 - pad):x1 + pad]
    a, b = st.columns([2, 3])
    a.image(crop, caption=f"dlib: p_c = 1 (a face), then {len(points)} points → 1 + 2 × {len(points)} = "
                          f"{1 + 2 * len(points)} numbers", width="stretch")
    b.write("The first few of its 137 outputs, in the notes' layout (pixels of the picture):")
    rows = [{"entry": "p_c", "value": "1"}] + [
        {"entry": f"l_{k + 1}{a}", "value": f"{points[k][i]:.1f}"} for k in range(4) for i, a in enumerate("xy")]
    figures.table(b, pd.DataFrame(rows + [{"entry": "…", "value": f"… up to l_{len(points)}y"}]), hide_index=True)


def render() -> None:
    st.subheader("Landmark detection")
    st.write("To find **points** rather than boxes, the last layer outputs their coordinates: first *is "
             "the thing there at all* (p_c: is there a face before we look for the corner of its eye), "
             "then x and y for each of the n landmarks — 1 + 2n numbers. Our thing is a set square "
             "(a 30-60-90 triangle) and its landmarks are its three corners: 1 the right angle, 2 the "
             "60° corner, 3 the 30° corner. Coordinates are fractions of the picture: (0, 0) top left.")
    st.latex(LATEX_Y)
    st.latex(FORMULA)
    c1, c2 = st.columns([3, 2])
    source = c1.segmented_control("Picture", SOURCES, default=SOURCES[0], key="det-lm-source") or SOURCES[0]
    seed = int(c2.number_input("Scene seed", 0, 10**6, 7, key="det-lm-seed",
                               help="Pictures are generated: the same seed gives the same picture. The "
                                    "network was trained on pictures from seed 0's generator only."))
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
               caption=f"What the network sees ({LM.SIZE}×{LM.SIZE} px), enlarged. Green rings: the true "
                       "corners; blue dots: predicted (drawn when p̂_c > 0.5); red: the error of each, "
                       f"in pixels of the {LM.SIZE}×{LM.SIZE} picture.")
    with right:
        figures.table(st, _table(ex, y_hat, terms), hide_index=True, width="stretch")
        m1, m2, m3 = st.columns(3)
        m1.metric("Loss L(ŷ, y)", f"{float(terms.sum()):.4f}")
        m2.metric("p̂_c", f"{float(y_hat[0]):.3f}")
        if ex.has_object:
            err = LM.errors_px(y_hat, ex.points)
            m3.metric("Mean corner error", f"{err.mean():.1f} px", help="Per corner: " + ", ".join(
                f"{c} {e:.1f} px" for c, e in zip(LM.CORNERS, err)))
        else:
            m3.metric("Landmark terms", "don't care", help="No set square: only (p̂_c − 0)² counts.")
            st.caption("**Don't care.** With no set square the six coordinates have no true value (?): "
                       "whatever the network puts there adds nothing to the loss.")
    if ex.has_object:
        _consistency(lm, ex, ex.image, s.scale)
    _gallery(lm, seed, empty, s.scale)
    provenance_badge(lm)
    _faces()
    how_it_works(
        "1. A generated picture (`core.detection.landmarks.example`): the segmentation lab's background, "
        "then a set square turned, mirrored and scaled at random; y lists its corners in `CORNERS`' order "
        "(NaN for don't care when there is none).\n"
        "2. `LandmarkNet`: the localiser's conv trunk (`localization.conv_trunk`) and one head with "
        f"1 + 2n = {LM.OUTPUTS} sigmoid outputs.\n"
        "3. `loss_terms` uses the localisation loss's rule (`localization.presence_masked_terms`): every "
        "squared error counts when p_c = 1, only (p̂_c − p_c)² when p_c = 0. The bundled pair was trained "
        "with it (`scripts/make_landmark_assets.py`, card `assets/landmarks_shapes.md`); the shuffled one "
        "saw each picture's corners in a fresh random order.\n"
        "4. Faces: `core.embeddings.faces.detect` and `faces.landmarks` (dlib's shape predictor).")
